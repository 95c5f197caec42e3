"""Forms of the quality system."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lims.core.forms import LabForm, LocalFloatField, LocalIntegerField, choices
from lims.quality.models import CompetenceKind, DocumentKind, FindingKind, NonconformityKind


class ImportCatalogueForm(LabForm):
    code = StringField(_l("Mã bộ tiêu chí"), validators=[DataRequired(), Length(max=60)])
    name = StringField(_l("Tên bộ tiêu chí"), validators=[DataRequired(), Length(max=300)])
    version = StringField(_l("Phiên bản"), validators=[Optional(), Length(max=60)])
    file = FileField(_l("Tệp CSV (code, title, parent, field; tùy chọn title_en, clause)"))


class DocumentForm(LabForm):
    code = StringField(_l("Mã tài liệu"), validators=[DataRequired(), Length(max=40)])
    title = StringField(_l("Tên tài liệu"), validators=[DataRequired(), Length(max=300)])
    kind = SelectField(
        _l("Loại"),
        choices=choices(DocumentKind.choices()),
    )


class VersionForm(LabForm):
    file = FileField(_l("Tệp PDF"))
    review_due_on = DateField(_l("Hạn xem xét lại"), validators=[DataRequired()])
    change_note = TextAreaField(_l("Nội dung thay đổi"), validators=[Optional(), Length(max=2000)])


class ApproveForm(LabForm):
    effective_on = DateField(_l("Ngày hiệu lực"), validators=[DataRequired()])


class WithdrawForm(LabForm):
    withdrawn_on = DateField(_l("Ngày thu hồi"), validators=[DataRequired()])
    reason = TextAreaField(_l("Lý do thu hồi"), validators=[DataRequired(), Length(max=2000)])


class LinkForm(LabForm):
    document_id = SelectField(_l("Tài liệu"), coerce=int, choices=[])
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=300)])


class CompetenceForm(LabForm):
    user_id = SelectField(_l("Nhân viên"), coerce=int, choices=[])
    kind = SelectField(
        _l("Loại"),
        choices=choices(CompetenceKind.choices()),
    )
    title = StringField(_l("Nội dung"), validators=[DataRequired(), Length(max=300)])
    institution = StringField(_l("Nơi đào tạo / công tác"), validators=[Optional(), Length(max=300)])
    started_on = DateField(_l("Từ ngày"), validators=[Optional()])
    ended_on = DateField(_l("Đến ngày"), validators=[Optional()])


class TrainingEventForm(LabForm):
    title = StringField(_l("Tên khóa tập huấn"), validators=[DataRequired(), Length(max=300)])
    held_on = DateField(_l("Ngày bắt đầu"), validators=[DataRequired()])
    ended_on = DateField(_l("Ngày kết thúc"), validators=[Optional()])
    place = StringField(_l("Địa điểm"), validators=[Optional(), Length(max=300)])
    organiser = StringField(_l("Đơn vị tổ chức"), validators=[Optional(), Length(max=300)])
    hours = LocalFloatField(_l("Số giờ"), validators=[Optional()])


class AttendeeForm(LabForm):
    full_name = StringField(_l("Họ và tên"), validators=[Optional(), Length(max=200)])
    organisation_name = StringField(_l("Cơ quan / doanh nghiệp"), validators=[Optional(), Length(max=300)])
    category = SelectField(
        _l("Nhóm"),
        choices=choices(
            [("enterprise", _l("Doanh nghiệp")), ("agency", _l("Cơ quan nhà nước")), ("lab", _l("Phòng thí nghiệm"))]
        ),
    )
    id_number = StringField(_l("Số CCCD (để không đếm trùng)"), validators=[Optional(), Length(max=20)])
    email = StringField(_l("Thư điện tử"), validators=[Optional(), Length(max=254)])
    user_id = SelectField(_l("Hoặc nhân viên có tài khoản"), coerce=int, choices=[])


class RoundForm(LabForm):
    code = StringField(_l("Mã vòng"), validators=[DataRequired(), Length(max=60)])
    kind = SelectField(
        _l("Loại"), choices=choices([("pt", _l("Thử nghiệm thành thạo")), ("ilc", _l("So sánh liên phòng"))])
    )
    provider = StringField(_l("Đơn vị tổ chức"), validators=[DataRequired(), Length(max=300)])
    title = StringField(_l("Chương trình"), validators=[DataRequired(), Length(max=300)])
    field = StringField(_l("Lĩnh vực"), validators=[Optional(), Length(max=100)])
    held_on = DateField(_l("Ngày"), validators=[DataRequired()])


class ResultForm(LabForm):
    item = StringField(_l("Hạng mục"), validators=[DataRequired(), Length(max=200)])
    unit = StringField(_l("Đơn vị"), validators=[DataRequired(), Length(max=20)])
    lab_value = LocalFloatField(_l("Giá trị của phòng (x_lab)"), validators=[DataRequired()])
    lab_uncertainty = LocalFloatField(_l("U của phòng (k=2)"), validators=[DataRequired()])
    reference_value = LocalFloatField(_l("Giá trị chuẩn (x_ref)"), validators=[DataRequired()])
    reference_uncertainty = LocalFloatField(_l("U của giá trị chuẩn (k=2)"), validators=[DataRequired()])


class NonconformityForm(LabForm):
    kind = SelectField(_l("Loại"), choices=choices(NonconformityKind.choices()))
    title = StringField(_l("Tiêu đề"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Mô tả"), validators=[DataRequired()])
    clause = StringField(_l("Điều khoản"), validators=[Optional(), Length(max=20)])
    raised_on = DateField(_l("Ngày phát hiện"), validators=[DataRequired()])
    organisation_id = SelectField(_l("Tổ chức liên quan"), coerce=int, choices=[])


class ActionPlanForm(LabForm):
    root_cause = TextAreaField(_l("Nguyên nhân gốc"), validators=[DataRequired()])
    owner_id = SelectField(_l("Người phụ trách"), coerce=int, choices=[])
    due_on = DateField(_l("Hạn hoàn thành"), validators=[DataRequired()])
    actions = TextAreaField(_l("Hành động khắc phục (mỗi dòng một hành động)"))


class ActionDoneForm(LabForm):
    done_on = DateField(_l("Ngày hoàn thành"), validators=[DataRequired()])
    note = StringField(_l("Ghi chú"), validators=[Optional(), Length(max=500)])


class EffectivenessForm(LabForm):
    effective = BooleanField(_l("Hành động có hiệu lực"))
    review = TextAreaField(_l("Đánh giá hiệu lực"), validators=[DataRequired()])
    reviewed_on = DateField(_l("Ngày đánh giá"), validators=[DataRequired()])
    confirm_reopen = BooleanField(
        _l("Chưa có hiệu lực: mở lại sự không phù hợp để thêm hành động khắc phục"),
        description=_l("Chỉ đánh dấu khi hành động chưa có hiệu lực."),
    )

    def validate(self, extra_validators=None) -> bool:
        """Check the fields; "not effective" reopens the nonconformity, so it must be said, never implied."""
        if not super().validate(extra_validators):
            return False
        if not self.effective.data and not self.confirm_reopen.data:
            self.confirm_reopen.errors.append(
                _("Chưa đánh dấu có hiệu lực: xác nhận mở lại sự không phù hợp, hoặc đánh dấu có hiệu lực.")
            )
            return False
        return True


class AuditForm(LabForm):
    title = StringField(_l("Tên cuộc đánh giá"), validators=[DataRequired(), Length(max=300)])
    scope = TextAreaField(_l("Phạm vi"), validators=[DataRequired()])
    auditors = StringField(_l("Chuyên gia đánh giá"), validators=[DataRequired(), Length(max=300)])
    planned_on = DateField(_l("Ngày dự kiến"), validators=[DataRequired()])


class AuditHeldForm(LabForm):
    held_on = DateField(_l("Ngày đánh giá"), validators=[DataRequired()])
    summary = TextAreaField(_l("Tóm tắt kết quả"), validators=[DataRequired()])


class FindingForm(LabForm):
    clause = StringField(_l("Điều khoản"), validators=[Optional(), Length(max=20)])
    kind = SelectField(
        _l("Loại phát hiện"),
        choices=choices(FindingKind.choices()),
    )
    description = TextAreaField(_l("Mô tả"), validators=[DataRequired()])


class ReviewForm(LabForm):
    held_on = DateField(_l("Ngày họp"), validators=[DataRequired()])
    chaired_by = StringField(_l("Chủ trì"), validators=[DataRequired(), Length(max=200)])
    attendees = TextAreaField(_l("Thành phần"), validators=[Optional()])
    inputs = TextAreaField(_l("Đầu vào"), validators=[DataRequired()])
    decisions = TextAreaField(_l("Quyết định"), validators=[DataRequired()])
    next_review_on = DateField(_l("Lần xem xét sau"), validators=[Optional()])


class RiskForm(LabForm):
    kind = SelectField(_l("Loại"), choices=choices([("risk", _l("Rủi ro")), ("opportunity", _l("Cơ hội"))]))
    title = StringField(_l("Nội dung"), validators=[DataRequired(), Length(max=300)])
    clause = StringField(_l("Điều khoản"), validators=[Optional(), Length(max=20)])
    likelihood = LocalIntegerField(_l("Khả năng (1-5)"), validators=[DataRequired(), NumberRange(1, 5)])
    impact = LocalIntegerField(_l("Mức ảnh hưởng (1-5)"), validators=[DataRequired(), NumberRange(1, 5)])
    treatment = TextAreaField(_l("Biện pháp"), validators=[Optional()])
    review_on = DateField(_l("Ngày xem xét lại"), validators=[Optional()])


class RiskEditForm(LabForm):
    likelihood = LocalIntegerField(_l("Khả năng (1-5)"), validators=[InputRequired(), NumberRange(1, 5)])
    impact = LocalIntegerField(_l("Mức ảnh hưởng (1-5)"), validators=[InputRequired(), NumberRange(1, 5)])
    treatment = TextAreaField(_l("Biện pháp giải quyết"), validators=[Optional(), Length(max=4000)])
    owner_id = SelectField(_l("Người phụ trách"), coerce=int, choices=[])
    review_on = DateField(_l("Ngày xem xét lại"), validators=[Optional()])
    reason = StringField(_l("Lý do thay đổi"), validators=[DataRequired(), Length(max=500)])


class RiskReviewForm(LabForm):
    reviewed_on = DateField(_l("Ngày xem xét"), validators=[DataRequired()])
    likelihood = LocalIntegerField(_l("Khả năng (1-5)"), validators=[InputRequired(), NumberRange(1, 5)])
    impact = LocalIntegerField(_l("Mức ảnh hưởng (1-5)"), validators=[InputRequired(), NumberRange(1, 5)])
    note = TextAreaField(_l("Nhận xét"), validators=[DataRequired(), Length(max=4000)])
    next_review_on = DateField(_l("Lần xem xét sau"), validators=[Optional()])


class RiskCloseForm(LabForm):
    closed_on = DateField(_l("Ngày đóng"), validators=[DataRequired()])
    reason = TextAreaField(_l("Lý do đóng"), validators=[DataRequired(), Length(max=2000)])
    effectiveness = TextAreaField(_l("Đánh giá hiệu lực của biện pháp"), validators=[DataRequired(), Length(max=4000)])
    effective = BooleanField(_l("Biện pháp có hiệu lực"))


class DaysField(LocalIntegerField):
    """A whole number of days, required; anything else ("1,5", "abc", nothing) is refused in the lab's words."""

    def process_formdata(self, valuelist):
        # Messages are translated now, in the request: refuse_invalid joins them as text.
        if not valuelist or not valuelist[0].strip():
            self.data = None
            raise ValueError(_("Cần nhập số ngày"))
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_("Phải là số ngày nguyên dương, ví dụ 31")) from None


class FreshnessForm(LabForm):
    """The freshness limits; the service checks the bounds and names the field it refuses."""

    chain_check_days = DaysField(_l("Kiểm tra chuỗi nhật ký còn hiệu lực (ngày)"))
    intermediate_check_days = DaysField(_l("Kiểm tra giữa kỳ gần nhất còn hiệu lực (ngày)"))
    proficiency_days = DaysField(_l("Thử nghiệm thành thạo gần nhất còn hiệu lực (ngày)"))
    audit_days = DaysField(_l("Đánh giá nội bộ gần nhất còn hiệu lực (ngày)"))
    review_days = DaysField(_l("Xem xét của lãnh đạo còn hiệu lực khi chưa hẹn lần sau (ngày)"))
    reason = StringField(_l("Lý do thay đổi"), validators=[Optional(), Length(max=500)])


class AssessmentForm(LabForm):
    catalogue_id = SelectField(_l("Bộ tiêu chí"), coerce=int, choices=[])
    organisation_id = SelectField(_l("Tổ chức được đánh giá"), coerce=int, choices=[])
    assessed_on = DateField(_l("Ngày đánh giá"), validators=[DataRequired()])
    outcome = SelectField(
        _l("Kết quả"),
        choices=choices([("met", _l("Đáp ứng")), ("partly", _l("Đáp ứng một phần")), ("not_met", _l("Chưa đáp ứng"))]),
    )
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional()])
