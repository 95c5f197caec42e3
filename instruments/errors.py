"""The one error type the science raises for input it cannot compute."""


class InputError(ValueError):
    """Input that cannot be computed, naming the field (a JSON path such as ``inputs[2].half_width``)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def as_dict(self) -> dict:
        return {"error": self.message, "field": self.field}

    def within(self, prefix: str) -> "InputError":
        """Return the same error with its field nested under ``prefix`` (e.g. a list item of a larger document)."""
        field = f"{prefix}.{self.field}" if self.field and not self.field.startswith("[") else f"{prefix}{self.field}"
        return InputError(field, self.message)
