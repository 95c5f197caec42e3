"""Certificate documents: a plain dataclass in, PDF bytes out. No web, no database."""
