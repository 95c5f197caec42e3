"""Small helpers shared by the domains' WTForms forms."""

import hashlib
import io
import json
import re
import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from babel.support import Translations
from flask import current_app, flash, g, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import (
    DateField,
    DateTimeField,
    DecimalField,
    FieldList,
    FileField,
    FloatField,
    FormField,
    IntegerField,
    SelectChoice,
)
from wtforms.meta import DefaultMeta
from wtforms.widgets import TextInput

from lims.core.dates import is_plausible_day
from lims.core.errors import RuleViolation
from lims.core.files import FileMissing, LocalFolder, check_digest
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


# --- what a refusal keeps -----------------------------------------------------------------------------------------
# A refused form comes back as typed with every error at its field, files included, whichever way the page is
# shown again: rendered by the view at once, or (forms posted from a page that holds several) after a redirect to
# that page, which then finds what was typed kept in the session.

_KEPT_FORM = "refused_form"
_KEPT_LIMIT = 2500  # characters: the session is a signed cookie of at most 4 KB; a longer form keeps only the message
KEPT_SUFFIX = "__kept"  # the hidden input carrying an attached file's digest until the form is accepted
_PENDING_DAYS = 2


def _pending_folder() -> LocalFolder:
    return LocalFolder(Path(current_app.config["INSTANCE_PATH"]) / "pending-uploads")


def _keep_file(upload: FileStorage) -> dict:
    """Hold an attached file of a refused form by its digest (not stored as the lab's: only until accepted)."""
    data = upload.read()
    upload.stream.seek(0)
    digest = hashlib.sha256(data).hexdigest()
    folder = _pending_folder()
    folder.write(digest, data)
    cutoff = time.time() - _PENDING_DAYS * 86400
    for old in folder.root.glob("*/*/*"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return {"sha256": digest, "filename": upload.filename or "", "mimetype": upload.mimetype or ""}


def _kept_upload(name: str, value: str) -> FileStorage | None:
    """Return the file a hidden ``<field>__kept`` input names ("digest filename"), None if it is gone."""
    digest, _, filename = value.partition(" ")
    try:
        data = _pending_folder().read(check_digest(digest))
    except (ValueError, FileMissing):
        return None
    return FileStorage(io.BytesIO(data), filename=filename or "kept", name=name)


def _flat_errors(form) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for field in form:
        if isinstance(field, FieldList | FormField):
            errors |= _flat_errors(field)
        elif field.errors and not isinstance(field.errors, dict):
            errors[field.name] = [str(message) for message in field.errors]
    return errors


def keep_refused(refusal: RuleViolation) -> bool:
    """Keep what was typed into the form this request refused, for the page a redirect shows it on; say if kept."""
    form = g.get("submitted_form")
    if form is None or not request.referrer:
        return False
    errors = _flat_errors(form)
    target = field_at(form, refusal.field)
    if target is not None and refusal.message not in errors.get(target.name, []):
        errors.setdefault(target.name, []).append(refusal.message)
    data = [(key, value) for key, value in request.form.items(multi=True) if key != "csrf_token"]
    data += [(f"{name}{KEPT_SUFFIX}", f"{kept['sha256']} {kept['filename']}") for name, kept in _uploads(form).items()]
    kept = {"form": type(form).__name__, "path": urlsplit(request.referrer).path, "data": data, "errors": errors}
    if len(json.dumps(kept)) > _KEPT_LIMIT:
        return False
    session[_KEPT_FORM] = kept
    return target is not None


def kept_file(field) -> dict | None:
    """Return the file attached to a refused form's field, held by its digest so that the form shown again carries
    it (a hidden ``<name>__kept`` input) until the form is accepted; None when none was attached."""
    if not isinstance(field, FileField):
        return None
    if getattr(field, "kept", None) is None:
        upload = field.data
        field.kept = _keep_file(upload) if isinstance(upload, FileStorage) and upload.filename else {}
    return field.kept or None


def _uploads(form) -> dict[str, dict]:
    return {field.name: kept for field in form if (kept := kept_file(field))}


def _kept_for(form_class) -> dict | None:
    if not has_request_context() or request.method != "GET":
        return None
    kept = session.get(_KEPT_FORM)
    if not kept or kept.get("form") != form_class.__name__ or kept.get("path") != request.path:
        return None
    session.pop(_KEPT_FORM)
    return kept


class _KeepingMeta(DefaultMeta):
    def wrap_formdata(self, form, formdata):
        formdata = super().wrap_formdata(form, formdata)
        if formdata is None:
            return None
        # A file attached to a refused submission comes back by its digest until the form is accepted.
        files = {}
        for key in list(formdata.keys()):
            if key.endswith(KEPT_SUFFIX):
                name = key[: -len(KEPT_SUFFIX)]
                typed = formdata.get(name)
                if not (isinstance(typed, FileStorage) and typed.filename):
                    upload = _kept_upload(name, formdata.get(key))
                    if upload is not None:
                        files[name] = upload
        if not files:
            return formdata
        merged = MultiDict(formdata.items(multi=True))
        for name, upload in files.items():
            merged.setlist(name, [upload])
        return merged


class LabForm(FlaskForm):
    """The base of the lab's forms: Flask-WTF's CSRF protection, with WTForms' messages in the page's language.

    A form shown again after its refusal holds what was typed, its errors, and its attached files (see above).
    Every day field of every form is held to 1900-2100 here, so a form added later cannot store year 1 or 9999.
    """

    class Meta(_KeepingMeta):
        def get_translations(self, form):
            return FORM_MESSAGES

    def __init__(self, *args, **kwargs):
        kept = _kept_for(type(self)) if not args and "formdata" not in kwargs else None
        if kept is not None:
            kwargs["formdata"] = MultiDict(kept["data"])
        super().__init__(*args, **kwargs)
        if kept is not None:
            for name, messages in kept["errors"].items():
                target = field_at(self, name)
                if target is not None:
                    target.errors = list(messages)

    def validate_on_submit(self, extra_validators=None) -> bool:
        g.submitted_form = self  # the form a refusal of this request keeps (keep_refused)
        return super().validate_on_submit(extra_validators)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field, DateField | DateTimeField) and field.data and not is_plausible_day(field.data):
                field.errors = [*field.errors, _("Ngày phải nằm trong khoảng 1900–2100.")]
                valid = False
        return valid
