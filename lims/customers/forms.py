"""Forms of the customers domain: enterprises, contacts, enrolment, instruments, the catalogue, imports."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from lims.core.forms import LabForm, LocalFloatField, LocalIntegerField, choices
from lims.customers.models import ENROLMENT_STATES, ENROLMENT_STEPS, EnrolmentStatus

ENROLMENT_STATE_LABELS = {status.value: status.label for status in EnrolmentStatus}
ENROLMENT_STEP_LABELS = {
    "survey": _l("Khảo sát, đánh giá hiện trạng đo lường"),
    "commitment": _l("Cam kết của lãnh đạo doanh nghiệp"),
    "staff_trained": _l("Đào tạo nhân sự về đo lường"),
    "procedures_written": _l("Xây dựng quy trình kiểm soát đo lường"),
    "instruments_controlled": _l("Kiểm soát phương tiện đo, phép đo"),
    "assessed": _l("Đánh giá, công nhận kết quả"),
}
VALID_UNTIL_LABELS = {
    "same_day": _l("Đúng ngày tròn chu kỳ"),
    "day_before": _l("Trước ngày tròn chu kỳ một ngày (mặc định)"),
    "end_of_month": _l("Ngày cuối tháng tròn chu kỳ"),
}


class OrganisationForm(LabForm):
    name = StringField(_l("Tên doanh nghiệp"), validators=[DataRequired(), Length(max=300)])
    tax_code = StringField(
        _l("Mã số thuế"), validators=[DataRequired(), Length(max=20)], description=_l("10 số, chi nhánh: 10 số-3 số")
    )
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=500)])
    province = StringField(_l("Tỉnh, thành phố"), validators=[Optional(), Length(max=100)])
    email = StringField(_l("Thư điện tử"), validators=[Optional(), Email(), Length(max=254)])
    phone = StringField(_l("Điện thoại"), validators=[Optional(), Length(max=40)])


class ContactForm(LabForm):
    name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=200)])
    position = StringField(_l("Chức vụ"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Điện thoại"), validators=[Optional(), Length(max=40)])
    email = StringField(_l("Thư điện tử"), validators=[Optional(), Email(), Length(max=254)])
    receives_reminders = BooleanField(_l("Nhận thông báo đến hạn"), default=True)


class EnrolmentForm(LabForm):
    status = SelectField(
        _l("Trạng thái"), choices=choices((state, ENROLMENT_STATE_LABELS[state]) for state in ENROLMENT_STATES)
    )
    enrolled_on = DateField(_l("Ngày tham gia"), validators=[Optional()])
    withdrawn_on = DateField(_l("Ngày rút"), validators=[Optional()])
    steps_done = SelectMultipleField(
        _l("Các bước đã thực hiện"), choices=choices((step, ENROLMENT_STEP_LABELS[step]) for step in ENROLMENT_STEPS)
    )
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=2000)])


class InstrumentForm(LabForm):
    instrument_type_id = SelectField(_l("Loại phương tiện đo"), coerce=int, choices=[])
    serial = StringField(_l("Số sản xuất / số hiệu"), validators=[DataRequired(), Length(max=100)])
    maker = StringField(_l("Cơ sở sản xuất"), validators=[Optional(), Length(max=200)])
    country = StringField(_l("Nước sản xuất"), validators=[Optional(), Length(max=100)])
    model = StringField(_l("Kiểu"), validators=[Optional(), Length(max=200)])
    range_min = LocalFloatField(_l("Phạm vi đo từ"), validators=[Optional()])
    range_max = LocalFloatField(_l("Phạm vi đo đến"), validators=[Optional()])
    unit = StringField(_l("Đơn vị"), validators=[Optional(), Length(max=20)])
    resolution = LocalFloatField(_l("Giá trị độ chia d"), validators=[Optional()])
    verification_interval = LocalFloatField(_l("Giá trị độ chia kiểm e"), validators=[Optional()])
    accuracy_class = StringField(_l("Cấp chính xác"), validators=[Optional(), Length(max=20)])
    location = StringField(_l("Vị trí sử dụng"), validators=[Optional(), Length(max=300)])
    last_service_on = DateField(_l("Ngày kiểm định/hiệu chuẩn gần nhất"), validators=[Optional()])
    last_service_kind = SelectField(
        _l("Loại dịch vụ gần nhất"),
        choices=choices([("", "—"), ("verification", _l("Kiểm định")), ("calibration", _l("Hiệu chuẩn"))]),
    )
    next_due_on = DateField(
        _l("Hạn tiếp theo"), validators=[Optional()], description=_l("Để trống: tính theo chu kỳ có hiệu lực")
    )
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=2000)])
    confirm_values = BooleanField(_l("Tôi đã kiểm tra lại: các giá trị trên là đúng"))
    warnings = ()  # the fields whose values look wrong together, asked to be confirmed

    def validate(self, extra_validators=None) -> bool:
        """Check each field, then the values together: an impossible range is refused, an unlikely d is asked."""
        if not super().validate(extra_validators):
            return False
        low, high, d = self.range_min.data, self.range_max.data, self.resolution.data
        if low is not None and high is not None and low > high:
            self.range_min.errors.append(_("Phạm vi đo từ lớn hơn phạm vi đo đến."))
            return False
        # A comma lost on the way ("0,05" read as 5) gives a d that divides the range into few steps.
        self.warnings = []
        if d is not None and high and d > high / 100:
            self.warnings.append(self.resolution)
            self.resolution.errors.append(
                _("d lớn hơn 1/100 phạm vi đo đến: kiểm tra lại dấu phẩy thập phân, rồi đánh dấu xác nhận bên dưới.")
            )
        return not self.warnings or self.confirm_values.data


class ImportForm(LabForm):
    organisation_id = SelectField(_l("Doanh nghiệp"), coerce=int, choices=[])
    file = FileField(
        _l("Tệp CSV hoặc XLSX"),
        validators=[FileRequired(), FileAllowed(["csv", "xlsx"], _l("Chỉ nhận tệp .csv hoặc .xlsx"))],
    )


class InstrumentTypeForm(LabForm):
    name_vi = StringField(_l("Tên (tiếng Việt)"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Tên (tiếng Anh)"), validators=[DataRequired(), Length(max=300)])
    legal_group = SelectField(
        _l("Nhóm"), coerce=int, choices=choices([(2, _l("Nhóm 2: phải kiểm định")), (1, _l("Chỉ hiệu chuẩn"))])
    )
    procedure_keys = StringField(_l("Quy trình áp dụng (khóa, cách nhau dấu phẩy)"), validators=[Length(max=300)])
    calibration_interval_months = LocalIntegerField(
        _l("Chu kỳ hiệu chuẩn khuyến nghị (tháng)"), validators=[Optional(), NumberRange(min=1, max=240)]
    )
    active = BooleanField(_l("Đang dùng"), default=True)


class CycleForm(LabForm):
    months = LocalIntegerField(
        _l("Chu kỳ (tháng)"),
        validators=[Optional(), NumberRange(min=1, max=240)],
        description=_l("Để trống: chỉ kiểm định ban đầu"),
    )
    effective_from = DateField(_l("Có hiệu lực từ"), validators=[DataRequired()])
    legal_source = StringField(_l("Căn cứ pháp lý"), validators=[DataRequired(), Length(max=200)])
    reason = StringField(_l("Lý do / căn cứ đối chiếu"), validators=[Optional(), Length(max=300)])


class ConfirmCycleForm(LabForm):
    months = LocalIntegerField(_l("Chu kỳ (tháng)"), validators=[Optional(), NumberRange(min=1, max=240)])
    legal_source = StringField(_l("Căn cứ pháp lý"), validators=[DataRequired(), Length(max=200)])
    reason = StringField(_l("Đã đối chiếu với văn bản nào"), validators=[DataRequired(), Length(max=300)])


class ConfirmMethodForm(LabForm):
    reason = StringField(_l("Đã đối chiếu với văn bản nào"), validators=[DataRequired(), Length(max=300)])


class ValidUntilRuleForm(LabForm):
    rule = SelectField(_l('Cách tính "Có giá trị đến"'), choices=choices(VALID_UNTIL_LABELS.items()))


class ReminderForm(LabForm):
    days = LocalIntegerField(_l("Đến hạn trong (ngày)"), default=30, validators=[NumberRange(min=0, max=366)])
    channel = SelectField(_l("Kênh"), choices=choices([("email", _l("Thư điện tử")), ("letter", _l("Thư giấy"))]))
