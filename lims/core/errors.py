"""Errors the lab's rules raise; the write boundary turns them into a message, a 4xx page or a JSON error."""


class RuleViolation(Exception):
    """A lab rule refuses the operation; the message says why, in words a technician understands."""

    status = 422

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(RuleViolation):
    """The person may not do this (or may not see this record)."""

    status = 403


class NotFound(RuleViolation):
    """No such record (or none this person may see: the two are not told apart)."""

    status = 404


class BadArgument(RuleViolation):
    """A query argument of a list (a filter, the page size, the cursor) that cannot be read."""

    status = 400
