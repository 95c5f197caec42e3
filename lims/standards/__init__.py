"""Reference standards and equipment: calibration history, due dates, intermediate checks."""
