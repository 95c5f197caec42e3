"""Small helpers shared by the domains' WTForms forms."""

from collections.abc import Iterable

from flask_babel import gettext as _
from wtforms import DecimalField, FloatField, SelectChoice

from lims.core.errors import RuleViolation
from lims.core.numbers import decimal_point


def choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Return select options from (value, label) pairs (WTForms 3.3 deprecates raw tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def refuse_invalid(form) -> None:
    """Raise a RuleViolation naming every field the form refused (the write view then says why and saves nothing)."""
    messages = [f"{getattr(form, name).label.text}: {'; '.join(errors)}" for name, errors in form.errors.items()]
    raise RuleViolation("; ".join(messages) or _("Dữ liệu không hợp lệ."), field=next(iter(form.errors), None))


class _DecimalComma:
    def process_formdata(self, valuelist):
        super().process_formdata([decimal_point(v) for v in valuelist] if valuelist else valuelist)


class LocalFloatField(_DecimalComma, FloatField):
    """A number field that reads "22,4" as well as "22.4"."""


class LocalDecimalField(_DecimalComma, DecimalField):
    """An exact-decimal field that reads "0,0012" as well as "0.0012"."""
