"""Forms of requests, contract review, scheduling, transitions and authorisations."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from lims.core.forms import LabForm, choices
from lims.jobs.models import JobStatus, RecordStage, RequestStatus, Service
from lims.jobs.services import DECISION_RULES, PLACES

PLACE_LABELS = {"lab": _l("Tại phòng thí nghiệm"), "on_site": _l("Tại hiện trường")}
RULE_LABELS = {
    "simple": _l("Chấp nhận đơn giản (ILAC-G8 4.2.1)"),
    "guarded": _l("Chấp nhận có dải bảo vệ w = U (ILAC-G8 4.2.2)"),
}
# The labels live with the codes (lims.jobs.models); these maps serve the templates and scripts that look them up.
SERVICE_LABELS = {service.value: service.label for service in Service}
STATE_NAMES = {state.value: state.label for state in JobStatus}
STAGE_NAMES = {stage.value: stage.label for stage in RecordStage}
REQUEST_STATUS_NAMES = {status.value: status.label for status in RequestStatus}
MAX_ITEM_ROWS = 100  # rows a request may hold: the form starts with one and adds a row on demand


class RequestItemForm(Form):
    instrument_id = SelectField(_l("Phương tiện đo"), coerce=int, choices=[], validate_choice=False)
    service = SelectField(_l("Dịch vụ"), choices=[], validators=[Optional()], validate_choice=False)
    procedure_key = SelectField(_l("Quy trình"), choices=[], validate_choice=False)

    @staticmethod
    def service_choices():
        """Return the services a row offers, "—" first (the service refuses a row with none chosen)."""
        return choices([("", "—"), *SERVICE_LABELS.items()])


class RequestForm(LabForm):
    organisation_id = SelectField(_l("Doanh nghiệp"), coerce=int, choices=[], validate_choice=False)
    items = FieldList(FormField(RequestItemForm), min_entries=1, max_entries=MAX_ITEM_ROWS)
    place = SelectField(_l("Địa điểm"), choices=choices((p, PLACE_LABELS[p]) for p in PLACES))
    site_address = StringField(_l("Địa chỉ hiện trường"), validators=[Optional(), Length(max=500)])
    wants_conformity_statement = BooleanField(_l("Yêu cầu tuyên bố phù hợp"), default=False)
    decision_rule = SelectField(_l("Quy tắc quyết định"), choices=choices((r, RULE_LABELS[r]) for r in DECISION_RULES))
    agreed_on = DateField(_l("Ngày hẹn trả"), validators=[Optional()])
    contact_name = StringField(_l("Người liên hệ"), validators=[Optional(), Length(max=200)])
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=4000)])


class ReviewRequestForm(LabForm):
    agreed_on = DateField(_l("Ngày hẹn trả"), validators=[Optional()])
    # ISO/IEC 17025 7.1.3: whether the customer asked for a statement of conformity, and against what.
    wants_conformity_statement = BooleanField(_l("Khách hàng yêu cầu tuyên bố sự phù hợp"))
    conformity_specification = StringField(
        _l("Quy định kỹ thuật để tuyên bố sự phù hợp"),
        validators=[Optional(), Length(max=200)],
        description=_l("vd. OIML R 111-1, cấp M1; bắt buộc với hiệu chuẩn có tuyên bố sự phù hợp"),
    )
    notes = TextAreaField(_l("Nhận xét xem xét hợp đồng"), validators=[Optional(), Length(max=4000)])
    technician_id = SelectField(
        _l("Giao cho kỹ thuật viên"),
        coerce=int,
        choices=[],
        validate_choice=False,
        description=_l("Không bắt buộc: chọn để lên lịch ngay khi chấp nhận"),
    )
    day = DateField(_l("Ngày thực hiện"), validators=[Optional()])


class ScheduleForm(LabForm):
    technician_id = SelectField(_l("Kỹ thuật viên"), coerce=int, choices=[], validate_choice=False)
    day = DateField(_l("Ngày thực hiện"), validators=[DataRequired()])


class ReasonForm(LabForm):
    reason = TextAreaField(_l("Lý do"), validators=[Optional(), Length(max=4000)])


class JobReviewForm(LabForm):
    notes = TextAreaField(_l("Nhận xét soát xét"), validators=[Optional(), Length(max=4000)])


class AuthorisationForm(LabForm):
    user_id = SelectField(_l("Nhân viên"), coerce=int, choices=[], validate_choice=False)
    procedure_key = SelectField(_l("Quy trình"), choices=[], validate_choice=False)
    valid_from = DateField(_l("Hiệu lực từ"), validators=[DataRequired()])
    valid_until = DateField(_l("Hiệu lực đến"), validators=[Optional()])


class VerifierCardForm(LabForm):
    user_id = SelectField(_l("Nhân viên"), coerce=int, choices=[], validate_choice=False)
    card_number = StringField(_l("Số thẻ"), validators=[DataRequired(), Length(max=60)])
    field = StringField(_l("Lĩnh vực"), default="khối lượng", validators=[DataRequired(), Length(max=100)])
    valid_from = DateField(_l("Hiệu lực từ"), validators=[DataRequired()])
    valid_until = DateField(_l("Hiệu lực đến"), validators=[Optional()])
    issued_by = StringField(_l("Cơ quan cấp"), validators=[Optional(), Length(max=300)])
