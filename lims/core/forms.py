"""Small helpers shared by the domains' WTForms forms."""

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from babel.support import Translations
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import DateField, DateTimeField, DecimalField, FloatField, SelectChoice

from lims.core.dates import is_plausible_day
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
        try:
            valuelist = [decimal_point(v) for v in valuelist] if valuelist else valuelist
        except ValueError:
            self.data = None
            raise ValueError(_("Cần một số hữu hạn.")) from None  # WTForms shows it at the field
        super().process_formdata(valuelist)


class LocalFloatField(_DecimalComma, FloatField):
    """A number field that reads "22,4" as well as "22.4"."""


class LocalDecimalField(_DecimalComma, DecimalField):
    """An exact-decimal field that reads "0,0012" as well as "0.0012"."""


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
    """The base of the lab's forms: Flask-WTF's CSRF protection, with WTForms' messages in the page's language.

    Every day field of every form is held to 1900-2100 here, so a form added later cannot store year 1 or 9999.
    """

    class Meta:
        def get_translations(self, form):
            return FORM_MESSAGES

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field, DateField | DateTimeField) and field.data and not is_plausible_day(field.data):
                field.errors = [*field.errors, _("Ngày phải nằm trong khoảng 1900–2100.")]
                valid = False
        return valid
