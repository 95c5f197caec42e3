"""The provincial plan: targets, actual figures, budget and the yearly report."""
