"""What the parts of the quality system's operations share: dates as the lab writes them, a required text, a
record looked up by its id."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lims.core.errors import NotFound, RuleViolation
from lims.core.model import nfc


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _required(value: str | None, field: str, what: str) -> str:
    value = nfc((value or "").strip())
    if not value:
        raise RuleViolation(_("Cần nhập %(what)s", what=what), field=field)
    return value


def _get(session: Session, model, ident: int, what: str):
    row = session.get(model, ident)
    if row is None:
        raise NotFound(_("Không có %(what)s này", what=what))
    return row
