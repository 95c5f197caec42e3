"""Tamper-evident audit trail: every change of a domain record, chained by SHA-256."""
