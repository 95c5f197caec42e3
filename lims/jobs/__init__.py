"""Service requests, jobs and measurement records."""
