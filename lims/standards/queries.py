"""Reads of the standards register: one filter for the list, the export and the home panel; loaders that check."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from lims.auth.permissions import Capability, may
from lims.core.dates import lab_today
from lims.core.errors import NotFound, PermissionDenied
from lims.core.lists import Column, Key, ListSpec, arg, parse_filters
from lims.core.search import matches
from lims.standards.models import (
    STANDARD_KINDS,
    STANDARD_STATUSES,
    IntermediateCheck,
    Standard,
    StandardCalibration,
    StandardCalibrationValue,
    StandardItem,
)

DUE_WINDOWS = ("overdue", "30", "60", "90")
SORTS = {
    "code": Standard.code,
    "name": Standard.name,
    "kind": Standard.kind,
    "status": Standard.status,
    "due_on": Standard.due_on,
    "location": Standard.location,
}


def ensure_may_read(user) -> None:
    """Refuse anyone but lab staff and inspectors: enterprises see nothing of the lab's own equipment."""
    if not may(user, Capability.READ_STANDARDS):
        raise PermissionDenied(_("Bạn không được xem sổ chuẩn"))


@dataclass(frozen=True)
class StandardFilter:
    """What a person asked the register for: kind, status, due window, free text and sort order."""

    kind: str | None = arg(choices=STANDARD_KINDS, description="the kind of standard")
    status: str | None = arg(choices=STANDARD_STATUSES, description="in service, out for calibration, ...")
    due: str | None = arg(choices=DUE_WINDOWS, description="overdue, or due within 30, 60 or 90 days")
    text: str | None = arg("q", description="words of the code, name, maker, model or serial")
    sort: str = arg(default="due_on", choices=tuple(SORTS), description="the column to sort by")
    direction: str | None = arg("dir", choices=("asc", "desc"), description="the sort's direction")

    @property
    def descending(self) -> bool:
        return self.direction == "desc"

    @classmethod
    def from_args(cls, args) -> "StandardFilter":
        """Read the filter from query-string arguments, ignoring values that are not offered."""
        return parse_filters(cls, args)


# Standards with no due date (never calibrated) sort as the most urgent: a NULL key is the smallest value.
_SMALLEST = {"due_on": date(1, 1, 1)}


def standard_keys(filters: StandardFilter) -> tuple[Key, ...]:
    """The register's order: the chosen column (never NULL in the key), then the code, which is unique."""
    name = filters.sort if filters.sort in SORTS else "due_on"
    smallest = _SMALLEST.get(name, "")
    column = func.coalesce(SORTS[name], smallest)
    return (
        Key(column, lambda s: getattr(s, name) or smallest, date if name == "due_on" else str, filters.descending),
        Key(Standard.code, lambda s: s.code, str),
    )


def _standards_where(filters: StandardFilter, today: date) -> Select:
    query = select(Standard)
    if filters.kind:
        query = query.where(Standard.kind == filters.kind)
    if filters.status:
        query = query.where(Standard.status == filters.status)
    if filters.due == "overdue":
        query = query.where(Standard.status != "retired", or_(Standard.due_on.is_(None), Standard.due_on < today))
    elif filters.due:
        horizon = today + timedelta(days=int(filters.due))
        query = query.where(Standard.status != "retired", Standard.due_on >= today, Standard.due_on <= horizon)
    if filters.text:
        query = query.where(matches(filters.text, [Standard.search_text]))
    return query


def standards_query(filters: StandardFilter, today: date) -> Select:
    """Return the register's rows matching the filter (the same query feeds the page, the export and the panel)."""
    return _standards_where(filters, today).order_by(*(key.column for key in standard_keys(filters)))


def _last_calibration(standard: Standard, name: str):
    last = standard.calibrations[-1] if standard.calibrations else None
    return getattr(last, name) if last else None


def _attribute(name: str):
    return lambda standard: getattr(standard, name)


STANDARDS = ListSpec(
    name="standards",
    filters=StandardFilter,
    # The register is the lab's: ensure_may_read (lab staff and inspectors) is checked by each route.
    query=lambda actor, filters: _standards_where(filters, lab_today()),
    keys=standard_keys,
    columns=(
        *(
            Column(header, _attribute(name))
            for header, name in (
                ("code", "code"),
                ("name", "name"),
                ("kind", "kind"),
                ("level", "level"),
                ("accuracy_class", "accuracy_class"),
                ("maker", "maker"),
                ("model", "model"),
                ("serial", "serial"),
                ("range", "range_text"),
                ("resolution", "resolution_text"),
                ("location", "location"),
                ("owner", "owner"),
                ("status", "status"),
                ("put_in_service_on", "put_in_service_on"),
                ("due_on", "due_on"),
            )
        ),
        Column("last_certificate", lambda s: _last_calibration(s, "certificate_number")),
        Column("calibrating_lab", lambda s: _last_calibration(s, "calibrating_lab")),
        Column("lab_accreditation", lambda s: _last_calibration(s, "lab_accreditation")),
        Column("calibrated_on", lambda s: _last_calibration(s, "calibrated_on")),
    ),  # fmt: skip
    per_page=25,
)


def get_standard(session: Session, user, standard_id: int) -> Standard:
    """Load a standard for someone who may read the register."""
    ensure_may_read(user)
    standard = session.get(Standard, standard_id)
    if standard is None:
        raise NotFound(_("Không có chuẩn này"))
    return standard


def get_calibration(session: Session, user, standard_id: int, calibration_id: int) -> StandardCalibration:
    """Load one calibration certificate of a standard."""
    ensure_may_read(user)
    calibration = session.scalar(
        select(StandardCalibration)
        .where(StandardCalibration.id == calibration_id, StandardCalibration.standard_id == standard_id)
        .options(selectinload(StandardCalibration.values).selectinload(StandardCalibrationValue.item))
    )
    if calibration is None:
        raise NotFound(_("Không có giấy chứng nhận này"))
    return calibration


def usable_standards_query(day: date, kind: str | None = None) -> Select:
    """Return the standards a job measured on ``day`` may choose: in service and in date that day."""
    query = select(Standard).where(Standard.status == "in_service", Standard.due_on >= day)
    if kind:
        query = query.where(Standard.kind == kind)
    return query.order_by(Standard.code)


def due_summary(session: Session, today: date) -> dict[str, int]:
    """Count the standards overdue and falling due within 30, 60 and 90 days (retired ones do not count)."""
    counts = {}
    for window in DUE_WINDOWS:
        query = standards_query(StandardFilter(due=window), today).order_by(None)
        counts[window] = session.scalar(select(func.count()).select_from(query.subquery()))
    return counts


def out_of_limit_checks(since: date | None = None) -> Select:
    """Return the intermediate checks whose result fell outside its limits, newest first (for nonconformities)."""
    query = select(IntermediateCheck).where(IntermediateCheck.within_limits.is_(False))
    if since is not None:
        query = query.where(IntermediateCheck.checked_on >= since)
    return query.order_by(IntermediateCheck.checked_on.desc(), IntermediateCheck.id.desc())


def checks_of(standard: Standard) -> Select:
    return (
        select(IntermediateCheck)
        .where(IntermediateCheck.standard_id == standard.id)
        .order_by(IntermediateCheck.checked_on, IntermediateCheck.id)
    )


def item_history(session: Session, item: StandardItem) -> list[tuple[StandardCalibration, StandardCalibrationValue]]:
    """Return a weight's correction on each certificate, oldest first (the drift of the weight)."""
    rows = session.execute(
        select(StandardCalibration, StandardCalibrationValue)
        .join(StandardCalibrationValue.calibration)
        .where(StandardCalibrationValue.item_id == item.id, StandardCalibrationValue.quantity == "correction")
        .order_by(StandardCalibration.calibrated_on, StandardCalibration.id)
    ).all()
    return [(calibration, value) for calibration, value in rows]


def most_drifting_item(session: Session, standard: Standard) -> StandardItem | None:
    """Return the weight whose correction moved most, as a share of its MPE, between its first and last certificate."""
    best, best_change = None, -1.0
    for item in standard.items:
        history = item_history(session, item)
        if len(history) < 2:
            continue
        try:
            first, last = (to_mg(history[i][1].value, history[i][1].unit) for i in (0, -1))
        except KeyError:
            continue
        change = abs(last - first) / (item_mpe_mg(item, standard) or 1.0)
        if change > best_change:
            best, best_change = item, change
    return best or (standard.items[0] if standard.items else None)


MASS_UNITS_MG = {"mg": 1.0, "g": 1000.0, "kg": 1e6, "µg": 1e-3, "ug": 1e-3}


def to_mg(value: float, unit: str) -> float:
    """Convert a mass value to milligrams (raises KeyError for a unit that is not a mass)."""
    return value * MASS_UNITS_MG[unit.strip()]


@dataclass(frozen=True)
class ConformityRow:
    """A weight's value on a certificate judged against its class (R 111-1: |correction| ≤ MPE − U, U ≤ MPE/3)."""

    item: StandardItem
    value: StandardCalibrationValue
    accuracy_class: str | None
    mpe_mg: float | None
    uncertainty_ok: bool | None
    conforms: bool | None
    problem: str | None  # why no judgement could be made (no class, not a mass, not an R 111 nominal value)

    @property
    def meets_class(self) -> bool:
        return bool(self.conforms and self.uncertainty_ok)


def calibration_conformity(calibration: StandardCalibration) -> list[ConformityRow]:
    """Judge each weight of a certificate against its OIML R 111 class, heaviest first."""
    from instruments.errors import InputError
    from instruments.oiml_r111 import weight_conformity

    rows = []
    for value in calibration.values:
        item = value.item
        if item is None or value.quantity != "correction":
            continue
        weight_class = item.accuracy_class or calibration.standard.accuracy_class
        problem = None
        result = None
        if not weight_class:
            problem = _("Chưa ghi cấp chính xác")
        else:
            try:
                correction = to_mg(value.value, value.unit)
                uncertainty = to_mg(value.expanded_uncertainty, value.unit)
                result = weight_conformity(item.nominal, weight_class, correction, uncertainty)
            except KeyError:
                problem = _("Đơn vị '%(unit)s' không phải khối lượng", unit=value.unit)
            except InputError as exc:
                problem = exc.message
        rows.append(
            ConformityRow(
                item=item,
                value=value,
                accuracy_class=weight_class,
                mpe_mg=result.mpe_mg if result else None,
                uncertainty_ok=result.uncertainty_ok if result else None,
                conforms=result.conforms if result else None,
                problem=problem,
            )
        )
    rows.sort(key=lambda row: (-row.item.nominal_kg, row.item.marking or ""))
    return rows


def item_mpe_mg(item: StandardItem, standard: Standard) -> float | None:
    """Return the R 111 MPE of a weight in mg, or None when its class or nominal value has none."""
    from instruments.errors import InputError
    from instruments.oiml_r111 import mpe_mg

    weight_class = item.accuracy_class or standard.accuracy_class
    if not weight_class:
        return None
    try:
        return mpe_mg(weight_class, item.nominal)
    except InputError:
        return None
