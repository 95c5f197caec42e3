"""Measurement science of the laboratory: uncertainty, OIML rules and procedures. Pure: no web, no database."""
