"""Small helpers shared by the domains' WTForms forms."""

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from babel.support import Translations
from flask import flash, has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import DecimalField, FloatField, IntegerField, SelectChoice
from wtforms.widgets import TextInput

from lims.core.errors import RuleViolation
from lims.core.numbers import decimal_point


def choices(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Return select options from (value, label) pairs (WTForms 3.3 deprecates raw tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


_STEP = re.compile(r"([A-Za-z_]\w*)|\[?(\d+)\]?")


def field_at(form, path: str | None):
    """Return the field a refusal names by its path ("name", "items[2].service", "items-2-service"), else None.

    Paths follow the services' names: a list's row in brackets, counted from 0, then the row's field.
    """
    if not path:
        return None
    target = form
    for name, index in _STEP.findall(path.replace("-", ".")):
        if index or name.isdigit():
            entries = getattr(target, "entries", None)
            position = int(index or name)
            if entries is None or position >= len(entries):
                return None
            target = entries[position]
        else:
            fields = getattr(target, "_fields", None) or getattr(getattr(target, "form", None), "_fields", None)
            if fields is None or name not in fields:
                return None
            target = fields[name]
    return target if target is not form and hasattr(target, "errors") else None


def show_refusal(form, refusal: RuleViolation) -> None:
    """Put a refusal's message beside the field it names, or at the top of the page when it names none of its
    fields; the view then renders the form again as typed (the one way a form page says no)."""
    target = field_at(form, refusal.field)
    if target is not None:
        target.errors = [*target.errors, refusal.message]
    else:
        flash(refusal.message, "danger")


def refuse_invalid(form) -> None:
    """Raise a RuleViolation naming every field the form refused (the write view then says why and saves nothing)."""
    messages = [f"{getattr(form, name).label.text}: {'; '.join(errors)}" for name, errors in form.errors.items()]
    raise RuleViolation("; ".join(messages) or _("Dữ liệu không hợp lệ."), field=next(iter(form.errors), None))


class NumberTextInput(TextInput):
    """A number typed as text, with the phone's number keypad.

    Never ``type="number"``: Chromium drops a decimal comma from it ("0,05" reaches the server as "005"), and the
    lab types decimal commas.
    """

    def __init__(self, inputmode: str = "decimal"):
        super().__init__()
        self.inputmode = inputmode

    def __call__(self, field, **kwargs):
        kwargs.setdefault("inputmode", self.inputmode)
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(field, **kwargs)


class _DecimalComma:
    widget = NumberTextInput()

    def process_formdata(self, valuelist):
        super().process_formdata([decimal_point(v) for v in valuelist] if valuelist else valuelist)


class LocalFloatField(_DecimalComma, FloatField):
    """A number field that reads "22,4" as well as "22.4"."""


class LocalDecimalField(_DecimalComma, DecimalField):
    """An exact-decimal field that reads "0,0012" as well as "0.0012"."""


_GROUPED_INTEGER = re.compile(r"^[-+]?\d{1,3}([.,\s]\d{3})+$")


class LocalIntegerField(IntegerField):
    """A whole-number field typed as text, reading "1.000.000" (thousands grouped) as well as "1000000"."""

    widget = NumberTextInput("numeric")

    def process_formdata(self, valuelist):
        if valuelist and _GROUPED_INTEGER.match(valuelist[0].strip()):
            valuelist = [re.sub(r"[.,\s]", "", valuelist[0].strip())]
        super().process_formdata(valuelist)


CATALOGUES = Path(__file__).resolve().parents[1] / "translations"


@lru_cache(maxsize=8)
def _form_catalogue(locale: str) -> Translations | None:
    catalogue = Translations.load(str(CATALOGUES), [locale], domain="wtforms")
    return catalogue if isinstance(catalogue, Translations) else None  # a missing catalogue loads as a null one


class FormMessages:
    """WTForms' own messages ("This field is required.") in the page's language.

    WTForms ships no Vietnamese catalogue, so ours (lims/translations/vi/LC_MESSAGES/wtforms.po) answers for it;
    other languages get WTForms' own, through Flask-WTF.
    """

    @staticmethod
    def _catalogue() -> Translations | None:
        return _form_catalogue(str(get_locale())) if has_request_context() else None

    def gettext(self, string: str) -> str:
        catalogue = self._catalogue()
        return catalogue.ugettext(string) if catalogue else wtforms_translations.gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        catalogue = self._catalogue()
        if catalogue is None:
            return wtforms_translations.ngettext(singular, plural, n)
        return catalogue.ungettext(singular, plural, n)


FORM_MESSAGES = FormMessages()


class LabForm(FlaskForm):
    """The base of the lab's forms: Flask-WTF's CSRF protection, with WTForms' messages in the page's language."""

    class Meta:
        def get_translations(self, form):
            return FORM_MESSAGES
