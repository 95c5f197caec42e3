"""What the quality pages share: a record by its id (or a refusal), the lab staff offered in a form's list."""

from flask_babel import gettext as _

from lims.core.errors import NotFound
from lims.core.forms import choices
from lims.extensions import db
from lims.quality import queries


def _get(model, ident: int):
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound(_("Không có hồ sơ này"))
    return row


def _staff_choices(form_field, blank: bool = False) -> None:
    pairs = [(u.id, u.full_name) for u in queries.lab_staff(db.session)]
    form_field.choices = choices(([(0, "—")] if blank else []) + pairs)
