"""Small helpers shared by the domains' WTForms forms."""

from collections.abc import Iterable

from flask_babel import gettext as _
from wtforms import SelectChoice

from lims.core.errors import RuleViolation


def choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Return select options from (value, label) pairs (WTForms 3.3 deprecates raw tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def refuse_invalid(form) -> None:
    """Raise a RuleViolation naming every field the form refused (the write view then says why and saves nothing)."""
    messages = [f"{getattr(form, name).label.text}: {'; '.join(errors)}" for name, errors in form.errors.items()]
    raise RuleViolation("; ".join(messages) or _("Dữ liệu không hợp lệ."), field=next(iter(form.errors), None))
