"""Enterprises the lab serves, their instruments, and recall."""
