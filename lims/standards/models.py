"""The lab's reference standards and equipment, their calibrations by other labs, and their status history."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.core.model import utcnow
from lims.core.search import Searchable
from lims.core.words import Labelled, stored_as
from lims.extensions import db

STANDARD_KINDS = ("weight_set", "balance", "comparator", "thermohygrometer", "barometer", "other")
STANDARD_LEVELS = ("reference", "working", "equipment")


class StandardStatus(Labelled):
    """Whether a standard may be used: in service, away for calibration, quarantined, retired."""

    IN_SERVICE = "in_service", _l("Đang sử dụng")
    OUT_FOR_CALIBRATION = "out_for_calibration", _l("Đang gửi hiệu chuẩn")
    QUARANTINED = "quarantined", _l("Tạm ngừng (cách ly)")
    RETIRED = "retired", _l("Thanh lý")


STANDARD_STATUSES = StandardStatus.values()


class Standard(Searchable, db.Model):
    """A reference or working standard, or a piece of equipment the lab measures with (e.g. the M1 weight set)."""

    __tablename__ = "standard"
    __search_fields__ = ("code", "name", "serial", "maker", "model")
    __table_args__ = (Index("ix_standard_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # the lab's asset number
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(20), default="working")
    accuracy_class: Mapped[str | None] = mapped_column(String(20))
    maker: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    serial: Mapped[str | None] = mapped_column(String(100))
    range_text: Mapped[str | None] = mapped_column(String(200))
    resolution_text: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[StandardStatus] = mapped_column(
        stored_as(StandardStatus, "status", 30), default=StandardStatus.IN_SERVICE
    )
    calibration_interval_months: Mapped[int] = mapped_column(Integer, default=12)
    put_in_service_on: Mapped[date | None] = mapped_column(Date)
    # Copied from the newest calibration, so lists and the "usable on a day" rule need no join.
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list["StandardItem"]] = relationship(
        back_populates="standard", order_by="StandardItem.nominal_kg.desc()", cascade="all, delete-orphan"
    )
    calibrations: Mapped[list["StandardCalibration"]] = relationship(
        back_populates="standard", order_by="StandardCalibration.calibrated_on", cascade="all, delete-orphan"
    )
    status_changes: Mapped[list["StandardStatusChange"]] = relationship(
        order_by="StandardStatusChange.changed_at", cascade="all, delete-orphan"
    )
    checks: Mapped[list["IntermediateCheck"]] = relationship(
        back_populates="standard", order_by="IntermediateCheck.checked_on", cascade="all, delete-orphan"
    )


class StandardItem(db.Model):
    """One piece of a standard that has its own value, e.g. one weight of a weight set."""

    __tablename__ = "standard_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id"), index=True)
    nominal: Mapped[str] = mapped_column(String(40))  # as printed, "500 g"
    nominal_kg: Mapped[float] = mapped_column(Float)
    marking: Mapped[str | None] = mapped_column(String(40))  # e.g. "2*" for the second 2 g weight
    accuracy_class: Mapped[str | None] = mapped_column(String(20))
    density: Mapped[float | None] = mapped_column(Float)  # kg/m³
    density_uncertainty: Mapped[float | None] = mapped_column(Float)  # kg/m³, k = 1

    standard: Mapped[Standard] = relationship(back_populates="items")


class StandardCalibration(db.Model):
    """An external calibration certificate of a standard: who calibrated it, when, until when, traceable to what."""

    __tablename__ = "standard_calibration"

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id"), index=True)
    certificate_number: Mapped[str] = mapped_column(String(100))
    calibrating_lab: Mapped[str] = mapped_column(String(300))
    lab_accreditation: Mapped[str | None] = mapped_column(String(100))  # e.g. "VILAS 002"
    calibrated_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    traceability: Mapped[str | None] = mapped_column(Text)  # the chain up to the national standard
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_name: Mapped[str | None] = mapped_column(String(200))
    document_size: Mapped[int | None] = mapped_column(Integer)  # bytes
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    standard: Mapped[Standard] = relationship(back_populates="calibrations")
    recorded_by: Mapped["User | None"] = relationship()  # noqa: F821
    values: Mapped[list["StandardCalibrationValue"]] = relationship(
        back_populates="calibration", cascade="all, delete-orphan"
    )


class StandardCalibrationValue(db.Model):
    """A value a calibration certificate gives, e.g. one weight's conventional-mass correction with U and k."""

    __tablename__ = "standard_calibration_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    calibration_id: Mapped[int] = mapped_column(ForeignKey("standard_calibration.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("standard_item.id"), index=True)
    quantity: Mapped[str] = mapped_column(String(60), default="correction")  # correction | error | value
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    expanded_uncertainty: Mapped[float] = mapped_column(Float)
    coverage_factor: Mapped[float] = mapped_column(Float, default=2.0)

    calibration: Mapped[StandardCalibration] = relationship(back_populates="values")
    item: Mapped[StandardItem | None] = relationship()


class StandardStatusChange(db.Model):
    """A change of a standard's status (in service, out for calibration, quarantined, retired): who, when, why."""

    __tablename__ = "standard_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id"), index=True)
    from_status: Mapped[StandardStatus | None] = mapped_column(stored_as(StandardStatus, "from_status", 30))
    to_status: Mapped[StandardStatus] = mapped_column(stored_as(StandardStatus, "to_status", 30))
    reason: Mapped[str] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped["User | None"] = relationship()  # noqa: F821


class IntermediateCheck(db.Model):
    """A check between calibrations (ISO/IEC 17025 6.4.10), e.g. a check weight on the comparator, with its limits."""

    __tablename__ = "standard_intermediate_check"
    __table_args__ = (Index("ix_standard_intermediate_check_within", "within_limits", "checked_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("standard_item.id"))
    checked_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(300))  # what was checked with what, e.g. "quả cân kiểm 10 kg F1"
    value: Mapped[float] = mapped_column(Float)  # the check result, e.g. the deviation from the check weight's value
    unit: Mapped[str] = mapped_column(String(20))
    lower_limit: Mapped[float] = mapped_column(Float)
    upper_limit: Mapped[float] = mapped_column(Float)
    # Stored, not derived at read time, so the quality module can open a nonconformity from it by a plain query.
    within_limits: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    performed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    standard: Mapped[Standard] = relationship(back_populates="checks")
    item: Mapped[StandardItem | None] = relationship()
    performed_by: Mapped["User | None"] = relationship()  # noqa: F821
