"""Calibration and verification laboratory system: the Flask application."""
