"""Forms of the procedures pages: upload a definition, withdraw a version, confirm an unconfirmed value."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from lims.core.forms import LabForm


class UploadForm(LabForm):
    """A definition file (YAML or JSON) to validate and store as a draft."""

    definition = FileField(_l("Tệp định nghĩa quy trình (YAML hoặc JSON)"), validators=[FileRequired()])


class WithdrawForm(LabForm):
    """Why a version is taken out of use for new jobs."""

    reason = TextAreaField(_l("Lý do thu hồi"), validators=[DataRequired(), Length(max=2000)])


class ConfirmForm(LabForm):
    """What a manager checked an unconfirmed value against (as for a seeded method or cycle)."""

    reason = StringField(_l("Đã đối chiếu với văn bản nào"), validators=[DataRequired(), Length(max=300)])
