"""Forms of the standards register: a standard, its details, a weight, a calibration certificate, a check, a status."""

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from lims.core.errors import RuleViolation
from lims.core.forms import LabForm, LocalDecimalField, LocalIntegerField, choices
from lims.core.numbers import decimal_point
from lims.standards.models import STANDARD_KINDS, STANDARD_LEVELS, STANDARD_STATUSES, StandardStatus
from lims.standards.services import ItemInput, ValueInput

KIND_LABELS = {
    "weight_set": _l("Bộ quả cân"),
    "balance": _l("Cân"),
    "comparator": _l("Cân so sánh"),
    "thermohygrometer": _l("Nhiệt ẩm kế"),
    "barometer": _l("Áp kế (khí áp)"),
    "other": _l("Thiết bị khác"),
}
LEVEL_LABELS = {"reference": _l("Chuẩn chính"), "working": _l("Chuẩn công tác"), "equipment": _l("Thiết bị đo")}
STATUS_LABELS = {status.value: status.label for status in StandardStatus}
WEIGHT_CLASSES = ("E1", "E2", "F1", "F2", "M1", "M1-2", "M2", "M2-3", "M3")
MASS_UNITS = ("mg", "g", "µg")
VALUE_ROWS = 5  # free rows for instruments that have no individual pieces (thermohygrometer points, ...)


class StandardDetailsForm(LabForm):
    """The details of a standard that may change after registration (the edit page; registration adds the rest)."""

    name = StringField(_l("Tên chuẩn / thiết bị"), validators=[DataRequired(), Length(max=300)])
    level = SelectField(_l("Cấp"), choices=choices((k, LEVEL_LABELS[k]) for k in STANDARD_LEVELS), default="working")
    accuracy_class = StringField(_l("Cấp chính xác"), validators=[Optional(), Length(max=20)])
    maker = StringField(_l("Hãng sản xuất"), validators=[Optional(), Length(max=200)])
    model = StringField(_l("Kiểu"), validators=[Optional(), Length(max=200)])
    serial = StringField(_l("Số sản xuất"), validators=[Optional(), Length(max=100)])
    range_text = StringField(_l("Phạm vi đo"), validators=[Optional(), Length(max=200)])
    resolution_text = StringField(_l("Độ phân giải"), validators=[Optional(), Length(max=100)])
    location = StringField(_l("Vị trí"), validators=[Optional(), Length(max=200)])
    owner = StringField(_l("Đơn vị quản lý"), validators=[Optional(), Length(max=200)])
    calibration_interval_months = LocalIntegerField(
        _l("Chu kỳ hiệu chuẩn (tháng)"), default=12, validators=[InputRequired(), NumberRange(1, 120)]
    )
    put_in_service_on = DateField(_l("Ngày đưa vào sử dụng"), validators=[Optional()])


class StandardEditForm(StandardDetailsForm):
    reason = TextAreaField(
        _l("Lý do sửa"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Ghi vào nhật ký thay đổi cùng với nội dung sửa"),
    )


class StandardForm(StandardDetailsForm):
    code = StringField(_l("Mã tài sản"), validators=[DataRequired(), Length(max=40)])
    kind = SelectField(_l("Loại"), choices=choices((k, KIND_LABELS[k]) for k in STANDARD_KINDS))
    composition_from = StringField(
        _l("Bộ quả cân 1-2-2-5 từ"), validators=[Optional(), Length(max=20)], description=_l('ví dụ "1 mg"')
    )
    composition_to = StringField(_l("đến"), validators=[Optional(), Length(max=20)], description=_l('ví dụ "20 kg"'))
    items_text = TextAreaField(
        _l("Hoặc từng quả cân, mỗi dòng: danh định; ký hiệu; cấp; khối lượng riêng (kg/m³)"),
        validators=[Optional(), Length(max=10000)],
        description=_l('ví dụ "2 kg; 2*; M1; 7950"'),
    )


def parse_items(text: str | None) -> list[ItemInput]:
    """Read the weights typed one per line as "nominal; marking; class; density"."""
    items = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split(";")] + ["", "", ""]
        density = None
        if cells[3]:
            try:
                density = float(decimal_point(cells[3]))
            except ValueError:
                raise RuleViolation(
                    _(
                        "Dòng %(number)s: khối lượng riêng '%(cells)s' không phải số",
                        number=number,
                        cells=cells[3],
                    ),
                    field="items_text",
                ) from None
        items.append(ItemInput(cells[0], cells[1] or None, cells[2] or None, density))
    return items


class ItemForm(LabForm):
    nominal = StringField(
        _l("Khối lượng danh định"), validators=[DataRequired(), Length(max=40)], description=_l('ví dụ "500 g"')
    )
    marking = StringField(
        _l("Ký hiệu"),
        validators=[Optional(), Length(max=40)],
        description=_l('Quả thứ hai cùng danh định (hoặc quả thay thế) cần ký hiệu riêng, ví dụ "*"'),
    )
    accuracy_class = StringField(
        _l("Cấp chính xác"), validators=[Optional(), Length(max=20)], description=_l("Để trống: theo cấp của bộ")
    )
    density = LocalDecimalField(_l("Khối lượng riêng (kg/m³)"), places=None, validators=[Optional()])
    density_uncertainty = LocalDecimalField(
        _l("Độ không đảm bảo của khối lượng riêng (kg/m³, k = 1)"), places=None, validators=[Optional()]
    )


class CalibrationForm(LabForm):
    certificate_number = StringField(_l("Số giấy chứng nhận"), validators=[DataRequired(), Length(max=100)])
    calibrating_lab = StringField(_l("Đơn vị hiệu chuẩn"), validators=[DataRequired(), Length(max=300)])
    lab_accreditation = StringField(_l("Số công nhận (VILAS)"), validators=[Optional(), Length(max=100)])
    calibrated_on = DateField(_l("Ngày hiệu chuẩn"), validators=[DataRequired()])
    due_on = DateField(
        _l("Hạn hiệu chuẩn tiếp theo"), validators=[Optional()], description=_l("Để trống: theo chu kỳ của chuẩn")
    )
    traceability = TextAreaField(_l("Liên kết chuẩn (đến chuẩn quốc gia)"), validators=[Optional(), Length(max=4000)])
    value_unit = SelectField(_l("Đơn vị của số hiệu chính và U"), choices=choices((u, u) for u in MASS_UNITS))
    document = FileField(_l("Bản quét giấy chứng nhận (PDF)"))


def _number(raw: str | None, field: str) -> float | None:
    if not (raw or "").strip():
        return None
    try:
        return float(Decimal(decimal_point(raw)))
    except (ArithmeticError, ValueError):
        raise RuleViolation(_("'%(raw)s' không phải số", raw=raw), field=field) from None


def parse_values(formdata, items, unit: str) -> list[ValueInput]:
    """Read the per-weight values (value-ID, u-ID, k-ID) and the free rows (row-N-...) of the calibration form."""
    values = []
    for item in items:
        value = _number(formdata.get(f"value-{item.id}"), f"value-{item.id}")
        uncertainty = _number(formdata.get(f"u-{item.id}"), f"u-{item.id}")
        if value is None and uncertainty is None:
            continue
        if value is None or uncertainty is None:
            raise RuleViolation(
                _(
                    "Quả cân %(nominal)s%(value)s: cần cả số hiệu chính và U",
                    nominal=item.nominal,
                    value=item.marking or "",
                ),
                field=f"value-{item.id}",
            )
        k = _number(formdata.get(f"k-{item.id}"), f"k-{item.id}") or 2.0
        values.append(ValueInput(value, uncertainty, unit, k, item.id, "correction"))
    for row in range(VALUE_ROWS):
        quantity = (formdata.get(f"row-{row}-quantity") or "").strip()
        value = _number(formdata.get(f"row-{row}-value"), f"row-{row}-value")
        if not quantity and value is None:
            continue
        uncertainty = _number(formdata.get(f"row-{row}-u"), f"row-{row}-u")
        if not quantity or value is None or uncertainty is None:
            raise RuleViolation(
                _("Dòng %(value)s: cần đại lượng, giá trị và U", value=row + 1),
                field=f"row-{row}-value",
            )
        k = _number(formdata.get(f"row-{row}-k"), f"row-{row}-k") or 2.0
        row_unit = (formdata.get(f"row-{row}-unit") or "").strip() or unit
        values.append(ValueInput(value, uncertainty, row_unit, k, None, quantity))
    return values


class CheckForm(LabForm):
    checked_on = DateField(_l("Ngày kiểm tra"), validators=[DataRequired()])
    item_id = SelectField(_l("Quả cân (nếu kiểm tra một quả)"), coerce=int, choices=[], validate_choice=True)
    description = StringField(
        _l("Nội dung kiểm tra"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("ví dụ: cân quả cân kiểm tra 10 kg F1 trên cân so sánh"),
    )
    value = LocalDecimalField(_l("Kết quả (độ lệch)"), places=None, validators=[InputRequired()])
    unit = StringField(_l("Đơn vị"), default="mg", validators=[DataRequired(), Length(max=20)])
    lower_limit = LocalDecimalField(_l("Giới hạn dưới"), places=None, validators=[InputRequired()])
    upper_limit = LocalDecimalField(_l("Giới hạn trên"), places=None, validators=[InputRequired()])
    notes = TextAreaField(_l("Ghi chú"), validators=[Optional(), Length(max=4000)])


class StatusForm(LabForm):
    to_status = SelectField(_l("Trạng thái mới"), choices=choices((s, STATUS_LABELS[s]) for s in STANDARD_STATUSES))
    reason = TextAreaField(_l("Lý do"), validators=[DataRequired(), Length(max=2000)])
