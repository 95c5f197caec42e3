"""Organisations (the lab, enterprises, agencies), the legal instrument catalogue, and enterprises' instruments."""

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.core.model import utcnow
from lims.extensions import db


class Organisation(db.Model):
    """An organisation known to the lab: the lab itself, an enterprise (customer) or a state agency."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="enterprise")  # lab | enterprise | agency
    name: Mapped[str] = mapped_column(String(300))
    tax_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    address: Mapped[str | None] = mapped_column(String(500))
    province: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstrumentType(db.Model):
    """A kind of measuring instrument in the lab's catalogue: a Group 2 type with a legal cycle, or calibration-only."""

    __tablename__ = "instrument_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    legal_group: Mapped[int] = mapped_column(Integer, default=2)  # 2: legal verification required; 1: voluntary
    # Keys of instruments.procedures that can serve this type, comma-separated (e.g. "scale-verification-r76").
    procedure_keys: Mapped[str] = mapped_column(String(300), default="")
    calibration_interval_months: Mapped[int | None]  # the lab's recommended interval for calibration
    active: Mapped[bool] = mapped_column(default=True)

    cycles: Mapped[list["VerificationCycle"]] = relationship(
        back_populates="instrument_type", order_by="VerificationCycle.effective_from", cascade="all, delete-orphan"
    )


class VerificationCycle(db.Model):
    """The legal verification cycle of a type, in force from a date (a later rule replaces it from its own date)."""

    __tablename__ = "verification_cycle"
    __table_args__ = (UniqueConstraint("instrument_type_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_type_id: Mapped[int] = mapped_column(ForeignKey("instrument_type.id"), index=True)
    months: Mapped[int | None]  # None: initial verification only, no periodic cycle
    effective_from: Mapped[date] = mapped_column(Date)
    legal_source: Mapped[str] = mapped_column(String(200))  # e.g. "Thông tư 07/2019/TT-BKHCN"
    # A rule seeded from an unconfirmed copy blocks certification until a manager confirms or corrects it.
    confirmed: Mapped[bool] = mapped_column(default=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None]

    instrument_type: Mapped[InstrumentType] = relationship(back_populates="cycles")


class Instrument(db.Model):
    """An enterprise's measuring instrument that the lab verifies or calibrates."""

    __tablename__ = "instrument"
    __table_args__ = (
        Index("ix_instrument_due", "next_due_on"),
        Index("ix_instrument_organisation_due", "organisation_id", "next_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    instrument_type_id: Mapped[int] = mapped_column(ForeignKey("instrument_type.id"), index=True)
    maker: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(200))
    serial: Mapped[str] = mapped_column(String(100))
    range_min: Mapped[float | None] = mapped_column(Float)
    range_max: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(20))
    resolution: Mapped[float | None] = mapped_column(Float)  # actual scale interval d
    verification_interval: Mapped[float | None] = mapped_column(Float)  # verification scale interval e
    accuracy_class: Mapped[str | None] = mapped_column(String(20))
    location: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    last_service_on: Mapped[date | None] = mapped_column(Date)
    last_service_kind: Mapped[str | None] = mapped_column(String(20))  # verification | calibration
    next_due_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    instrument_type: Mapped[InstrumentType] = relationship()
