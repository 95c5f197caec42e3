"""The standards registry's rules: what may be measured with, on which day, and how its history is kept."""

import math
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.audit.trail import audit_reason
from lims.auth.permissions import Capability, require
from lims.core.dates import add_months
from lims.core.errors import RuleViolation
from lims.core.files import accept_pdf_upload
from lims.core.model import nfc
from lims.core.signals import intermediate_check_recorded, standard_status_changed
from lims.standards.models import (
    STANDARD_KINDS,
    STANDARD_LEVELS,
    STANDARD_STATUSES,
    IntermediateCheck,
    Standard,
    StandardCalibration,
    StandardCalibrationValue,
    StandardItem,
    StandardStatusChange,
)

MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024


def ensure_usable_on(standard: Standard, day: date) -> None:
    """Refuse a standard that is not in service or is past its due date on the day of measurement."""
    if standard.status != "in_service":
        raise RuleViolation(
            _(
                "Chuẩn %(code)s đang ở trạng thái '%(status)s', không được dùng",
                code=standard.code,
                status=standard.status,
            ),
            field="standards",
        )
    if standard.due_on is None or standard.due_on < day:
        due = standard.due_on.strftime("%d/%m/%Y") if standard.due_on else "—"
        raise RuleViolation(
            _(
                "Chuẩn %(code)s đã quá hạn hiệu chuẩn (%(due)s) vào ngày đo %(day)s",
                code=standard.code,
                due=due,
                day=format(day, "%d/%m/%Y"),
            ),
            field="standards",
        )


def _text(value: str | None, field: str, *, required: bool = False, limit: int = 300) -> str | None:
    # NFC here, not only at flush, so comparisons (a duplicate weight, "nothing changed") see the stored form.
    value = nfc((value or "").strip()) or None
    if required and value is None:
        raise RuleViolation(_("Cần nhập thông tin này"), field=field)
    if value is not None and len(value) > limit:
        raise RuleViolation(_("Quá %(limit)s ký tự", limit=limit), field=field)
    return value


def _finite(value, field: str, *, minimum: float | None = None, positive: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RuleViolation(_("Cần một số"), field=field) from None
    if not math.isfinite(number):
        raise RuleViolation(_("Cần một số hữu hạn"), field=field)
    if positive and number <= 0:
        raise RuleViolation(_("Phải lớn hơn 0"), field=field)
    if minimum is not None and number < minimum:
        raise RuleViolation(_("Không được nhỏ hơn %(minimum)s", minimum=format(minimum, "g")), field=field)
    return number


def _interval_months(value) -> int:
    months = None
    if isinstance(value, int) and not isinstance(value, bool):
        months = value
    elif isinstance(value, str) and value.strip().isdigit():
        months = int(value.strip())
    if months is None or not 1 <= months <= 120:
        raise RuleViolation(
            _("Chu kỳ hiệu chuẩn phải là số tháng nguyên từ 1 đến 120"),
            field="calibration_interval_months",
        )
    return months


@dataclass(frozen=True)
class ItemInput:
    """One weight (or other piece) of a standard as typed on the form: "500 g", marking "2*", class, density."""

    nominal: str
    marking: str | None = None
    accuracy_class: str | None = None
    density: float | None = None
    density_uncertainty: float | None = None


def nominal_kg(nominal: str, field: str = "nominal") -> float:
    """Read "500 g", "2 kg" or "10 mg" into kilograms."""
    from instruments.errors import InputError
    from instruments.quantities import parse_mass_mg

    try:
        return float(parse_mass_mg(nominal.strip(), field)) / 1e6
    except InputError as exc:
        raise RuleViolation(f"Không đọc được khối lượng danh định '{nominal}' / {exc}", field=field) from None


def register_standard(
    session: Session,
    actor,
    *,
    code: str,
    name: str,
    kind: str,
    level: str = "working",
    accuracy_class: str | None = None,
    maker: str | None = None,
    model: str | None = None,
    serial: str | None = None,
    range_text: str | None = None,
    resolution_text: str | None = None,
    location: str | None = None,
    owner: str | None = None,
    calibration_interval_months: int = 12,
    put_in_service_on: date | None = None,
    items: list[ItemInput] = (),
) -> Standard:
    """Register a standard or piece of equipment, in service, with its individual weights if it is a set."""
    require(actor, Capability.MANAGE_STANDARDS)
    code = _text(code, "code", required=True, limit=40)
    if session.scalar(select(Standard.id).where(Standard.code == code)) is not None:
        raise RuleViolation(_("Mã %(code)s đã có trong sổ", code=code), field="code")
    if kind not in STANDARD_KINDS:
        raise RuleViolation(_("Loại không hợp lệ: %(kind)s", kind=kind), field="kind")
    if level not in STANDARD_LEVELS:
        raise RuleViolation(_("Cấp không hợp lệ: %(level)s", level=level), field="level")
    calibration_interval_months = _interval_months(calibration_interval_months)
    standard = Standard(
        code=code,
        name=_text(name, "name", required=True),
        kind=kind,
        level=level,
        accuracy_class=_text(accuracy_class, "accuracy_class", limit=20),
        maker=_text(maker, "maker", limit=200),
        model=_text(model, "model", limit=200),
        serial=_text(serial, "serial", limit=100),
        range_text=_text(range_text, "range_text", limit=200),
        resolution_text=_text(resolution_text, "resolution_text", limit=100),
        location=_text(location, "location", limit=200),
        owner=_text(owner, "owner", limit=200),
        status="in_service",
        calibration_interval_months=calibration_interval_months,
        put_in_service_on=put_in_service_on,
    )
    session.add(standard)
    for index, item in enumerate(items):
        add_standard_item(session, actor, standard, item, field=f"items[{index}]")
    session.flush()
    session.add(
        StandardStatusChange(
            standard_id=standard.id,
            from_status=None,
            to_status="in_service",
            reason=_("Đăng ký vào sổ chuẩn"),
            changed_by_id=actor.id,
        )
    )
    session.flush()
    return standard


# What may change after registration, with the limit of each text. The asset code and the kind are the standard's
# identity; its status, due date and calibrations are history, kept by change_status and record_calibration.
DETAIL_TEXTS = {
    "name": 300,
    "accuracy_class": 20,
    "maker": 200,
    "model": 200,
    "serial": 100,
    "range_text": 200,
    "resolution_text": 100,
    "location": 200,
    "owner": 200,
}
DETAIL_FIELDS = (*DETAIL_TEXTS, "level", "calibration_interval_months", "put_in_service_on")
NOT_EDITED_HERE = {
    "code": _l("Mã tài sản là định danh của chuẩn, không sửa"),
    "kind": _l("Loại chuẩn không đổi sau khi đăng ký"),
    "status": _l("Đổi trạng thái ở trang đổi trạng thái, kèm lý do"),
    "due_on": _l("Hạn hiệu chuẩn theo giấy chứng nhận mới nhất"),
}


def update_standard_details(
    session: Session, actor, standard: Standard, *, reason: str | None = None, **changes
) -> dict[str, tuple]:
    """Change a standard's descriptive details (name, maker, location, interval, ...); return what changed.

    Every field is checked before any is set, so a refused change leaves the standard as it was. Fields whose value
    is the same as now are left alone; when nothing differs nothing is written and the result is empty.

    :param reason: why, kept with the audit event of the change.
    :returns: ``{field: (old, new)}`` for each field that changed.
    :raises RuleViolation: naming the first field refused.
    """
    require(actor, Capability.MANAGE_STANDARDS)
    if standard.status == "retired":
        raise RuleViolation(
            _("Chuẩn đã thanh lý; hồ sơ giữ như khi thanh lý"),
            field="status",
        )
    cleaned = {}
    for key, value in changes.items():
        if key in NOT_EDITED_HERE:
            raise RuleViolation(NOT_EDITED_HERE[key], field=key)
        if key in DETAIL_TEXTS:
            cleaned[key] = _text(value, key, required=key == "name", limit=DETAIL_TEXTS[key])
        elif key == "level":
            if value not in STANDARD_LEVELS:
                raise RuleViolation(_("Cấp không hợp lệ: %(value)s", value=value), field="level")
            cleaned[key] = value
        elif key == "calibration_interval_months":
            cleaned[key] = _interval_months(value)
        elif key == "put_in_service_on":
            if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
                raise RuleViolation(_("Cần một ngày"), field=key)
            cleaned[key] = value
        else:
            raise RuleViolation(_("Không sửa được trường '%(key)s' ở đây", key=key), field=key)
    differences = {
        key: (getattr(standard, key), value) for key, value in cleaned.items() if getattr(standard, key) != value
    }
    if not differences:
        return {}
    with audit_reason(_text(reason, "reason", limit=2000)):
        for key, (_old, new) in differences.items():
            setattr(standard, key, new)
        session.flush()
    return differences


def add_standard_item(
    session: Session, actor, standard: Standard, item: ItemInput, field: str = "items"
) -> StandardItem:
    """Add one weight (with its nominal value, marking, class and density) to a standard.

    :param field: the prefix of the field names a refusal gives (``items[2]`` gives ``items[2].nominal``); an empty
        prefix gives the bare names, as on the one-item form.
    """
    require(actor, Capability.MANAGE_STANDARDS)
    if standard.status == "retired":
        raise RuleViolation(_("Chuẩn đã thanh lý"), field="status")
    prefix = f"{field}." if field else ""
    nominal = _text(item.nominal, f"{prefix}nominal", required=True, limit=40)
    marking = _text(item.marking, f"{prefix}marking", limit=40)
    mass_kg = nominal_kg(nominal, f"{prefix}nominal")
    if not mass_kg > 0:
        raise RuleViolation(_("Khối lượng danh định phải lớn hơn 0"), f"{prefix}nominal")
    for existing in standard.items:
        # Compared by mass, not by spelling: "0.5 kg" and "500 g" are the same weight.
        if math.isclose(existing.nominal_kg, mass_kg, rel_tol=1e-9) and (existing.marking or "") == (marking or ""):
            raise RuleViolation(
                _(
                    "Quả cân %(nominal)s%(value)s đã có trong bộ; đánh dấu quả thứ hai bằng '*'",
                    nominal=existing.nominal,
                    value=marking or "",
                ),
                field=f"{prefix}marking",
            )
    density = _finite(item.density, f"{prefix}density", positive=True) if item.density is not None else None
    density_u = (
        _finite(item.density_uncertainty, f"{prefix}density_uncertainty", minimum=0)
        if item.density_uncertainty is not None
        else None
    )
    piece = StandardItem(
        nominal=nominal,
        nominal_kg=mass_kg,
        marking=marking,
        accuracy_class=_text(item.accuracy_class, f"{prefix}accuracy_class", limit=20) or standard.accuracy_class,
        density=density,
        density_uncertainty=density_u,
    )
    standard.items.append(piece)
    session.flush()
    session.expire(standard, ["items"])  # read again in the set's order, heaviest first
    return piece


def weight_set_composition(smallest: str, largest: str, accuracy_class: str | None = None) -> list[ItemInput]:
    """Return the usual 1-2-2-5 weights from ``smallest`` to ``largest``, heaviest first (second 2 marked "*")."""
    from decimal import Decimal

    from instruments.oiml_r111 import format_nominal

    low_mg = Decimal(repr(nominal_kg(smallest, "composition_from"))) * 1000000
    high_mg = Decimal(repr(nominal_kg(largest, "composition_to"))) * 1000000
    if low_mg > high_mg:
        raise RuleViolation(_("Khoảng khối lượng ngược"), "composition_to")
    items = []
    decade = Decimal("0.001")
    while decade <= high_mg:
        for factor, marking in ((1, None), (2, None), (2, "*"), (5, None)):
            mass = decade * factor
            # The largest weight of a set comes once: the doubled 2 only fills the gap below the next decade.
            if low_mg <= mass <= high_mg and not (marking and mass == high_mg):
                items.append(ItemInput(format_nominal(mass), marking, accuracy_class))
        decade *= 10
    return sorted(items, key=lambda i: (-nominal_kg(i.nominal), i.marking or ""))


@dataclass(frozen=True)
class ValueInput:
    """One value of a calibration certificate: for a weight its conventional-mass correction, U and k."""

    value: float
    expanded_uncertainty: float
    unit: str = "mg"
    coverage_factor: float = 2.0
    item_id: int | None = None
    quantity: str = "correction"


def record_calibration(
    session: Session,
    actor,
    standard: Standard,
    *,
    certificate_number: str,
    calibrating_lab: str,
    calibrated_on: date,
    today: date,
    lab_accreditation: str | None = None,
    due_on: date | None = None,
    traceability: str | None = None,
    values: list[ValueInput] = (),
    document=None,
    max_document_bytes: int = MAX_CERTIFICATE_BYTES,
) -> StandardCalibration:
    """Record an external calibration certificate (never replacing an earlier one) and move the due date.

    :param document: an uploaded file (werkzeug FileStorage) of the scanned certificate, or None.
    :param due_on: when omitted, the calibration date plus the standard's interval.
    """
    require(actor, Capability.MANAGE_STANDARDS)
    if standard.status == "retired":
        raise RuleViolation(_("Chuẩn đã thanh lý"), field="status")
    number = _text(certificate_number, "certificate_number", required=True, limit=100)
    lab = _text(calibrating_lab, "calibrating_lab", required=True)
    for earlier in standard.calibrations:
        if earlier.certificate_number == number and earlier.calibrating_lab == lab:
            raise RuleViolation(
                _("Giấy chứng nhận %(number)s đã được ghi; một giấy mới không ghi đè giấy cũ", number=number),
                field="certificate_number",
            )
    if calibrated_on > today:
        raise RuleViolation(
            _("Ngày hiệu chuẩn không được ở tương lai"),
            field="calibrated_on",
        )
    due_on = due_on or add_months(calibrated_on, standard.calibration_interval_months)
    if due_on <= calibrated_on:
        raise RuleViolation(_("Hạn hiệu chuẩn phải sau ngày hiệu chuẩn"), field="due_on")
    item_ids = {item.id for item in standard.items}
    calibration = StandardCalibration(
        certificate_number=number,
        calibrating_lab=lab,
        lab_accreditation=_text(lab_accreditation, "lab_accreditation", limit=100),
        calibrated_on=calibrated_on,
        due_on=due_on,
        traceability=_text(traceability, "traceability", limit=4000),
        recorded_by_id=actor.id,
    )
    for index, entry in enumerate(values):
        field = f"values[{index}]"
        if entry.item_id is not None and entry.item_id not in item_ids:
            raise RuleViolation(_("Quả cân không thuộc bộ chuẩn này"), field=field)
        calibration.values.append(
            StandardCalibrationValue(
                item_id=entry.item_id,
                quantity=_text(entry.quantity, f"{field}.quantity", required=True, limit=60),
                value=_finite(entry.value, f"{field}.value"),
                unit=_text(entry.unit, f"{field}.unit", required=True, limit=20),
                expanded_uncertainty=_finite(
                    entry.expanded_uncertainty, f"{field}.expanded_uncertainty", positive=True
                ),
                coverage_factor=_finite(entry.coverage_factor, f"{field}.coverage_factor", positive=True),
            )
        )
    if document is not None and getattr(document, "filename", ""):
        stored = accept_pdf_upload(document, "document", max_document_bytes)
        calibration.document_sha256 = stored.sha256
        calibration.document_size = stored.size
        calibration.document_name = _text(document.filename, "document", limit=200)
    standard.calibrations.append(calibration)
    session.flush()
    _refresh_due_on(standard)
    session.flush()
    return calibration


def _refresh_due_on(standard: Standard) -> None:
    # The newest certificate decides: recording an old certificate late must not extend the due date.
    newest = max(standard.calibrations, key=lambda c: (c.calibrated_on, c.id or 0), default=None)
    standard.due_on = newest.due_on if newest else None


def change_status(session: Session, actor, standard: Standard, to_status: str, reason: str) -> StandardStatusChange:
    """Put a standard in service, send it out for calibration, quarantine or retire it, saying why."""
    require(actor, Capability.MANAGE_STANDARDS)
    if to_status not in STANDARD_STATUSES:
        raise RuleViolation(_("Trạng thái không hợp lệ: %(to_status)s", to_status=to_status), field="to_status")
    reason = _text(reason, "reason", required=True, limit=2000)
    if to_status == standard.status:
        raise RuleViolation(_("Chuẩn đã ở trạng thái này"), field="to_status")
    if standard.status == "retired":
        raise RuleViolation(_("Chuẩn đã thanh lý không thể dùng lại"), field="to_status")
    change = StandardStatusChange(
        standard_id=standard.id,
        from_status=standard.status,
        to_status=to_status,
        reason=reason,
        changed_by_id=actor.id,
    )
    with audit_reason(reason):
        standard.status = to_status
        session.add(change)
        session.flush()
        standard_status_changed.send(change, session=session)
    session.expire(standard, ["status_changes"])
    return change


def record_intermediate_check(
    session: Session,
    actor,
    standard: Standard,
    *,
    checked_on: date,
    today: date,
    description: str,
    value: float,
    unit: str,
    lower_limit: float,
    upper_limit: float,
    item_id: int | None = None,
    notes: str | None = None,
) -> IntermediateCheck:
    """Record a check between calibrations; a result outside its limits is flagged for the quality module."""
    require(actor, Capability.RECORD_CHECKS)
    if standard.status == "retired":
        raise RuleViolation(_("Chuẩn đã thanh lý"), field="status")
    if checked_on > today:
        raise RuleViolation(_("Ngày kiểm tra không được ở tương lai"), "checked_on")
    low = _finite(lower_limit, "lower_limit")
    high = _finite(upper_limit, "upper_limit")
    if low >= high:
        raise RuleViolation(
            _("Giới hạn dưới phải nhỏ hơn giới hạn trên"),
            field="upper_limit",
        )
    if item_id is not None and item_id not in {item.id for item in standard.items}:
        raise RuleViolation(_("Quả cân không thuộc bộ chuẩn này"), field="item_id")
    result = _finite(value, "value")
    check = IntermediateCheck(
        standard_id=standard.id,
        item_id=item_id,
        checked_on=checked_on,
        description=_text(description, "description", required=True),
        value=result,
        unit=_text(unit, "unit", required=True, limit=20),
        lower_limit=low,
        upper_limit=high,
        within_limits=low <= result <= high,
        notes=_text(notes, "notes", limit=4000),
        performed_by_id=actor.id,
    )
    session.add(check)
    session.flush()
    intermediate_check_recorded.send(check, session=session)
    session.expire(standard, ["checks"])
    return check
