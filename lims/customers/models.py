"""Organisations (the lab, enterprises, agencies), the legal instrument catalogue, and enterprises' instruments."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Column, Date, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.core.model import utcnow
from lims.core.search import Searchable
from lims.core.words import Labelled, stored_as
from lims.extensions import db


class Organisation(Searchable, db.Model):
    """An organisation known to the lab: the lab itself, an enterprise (customer) or a state agency."""

    __tablename__ = "organisation"
    __audit_redact__ = frozenset({"calendar_token"})
    __search_fields__ = ("name", "tax_code", "address", "province")

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="enterprise")  # lab | enterprise | agency
    name: Mapped[str] = mapped_column(String(300))
    tax_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    address: Mapped[str | None] = mapped_column(String(500))
    province: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))  # where reminders go when no contact asks for them
    phone: Mapped[str | None] = mapped_column(String(40))
    # The secret part of the enterprise's calendar feed link; a new token revokes the old link. Never in the audit
    # trail in clear (whoever reads the trail could otherwise open the feed).
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="organisation", order_by="Contact.id", cascade="all, delete-orphan"
    )
    enrolment: Mapped["AssuranceEnrolment | None"] = relationship(back_populates="organisation", uselist=False)


# Which national methods the lab may follow for an instrument type (chosen among them at contract review).
instrument_type_method = Table(
    "instrument_type_method",
    db.metadata,
    Column("instrument_type_id", ForeignKey("instrument_type.id", ondelete="CASCADE"), primary_key=True),
    Column("method_id", ForeignKey("method.id", ondelete="CASCADE"), primary_key=True),
)


class Method(db.Model):
    """A national method (ĐLVN) the lab follows; seeded unconfirmed, it decides no certificate until confirmed."""

    __tablename__ = "method"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # e.g. "ĐLVN 14:2009"
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    # Keys of the procedures that implement this method, comma-separated (issue 18 adds procedure versions).
    procedure_keys: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str | None] = mapped_column(String(300))  # where the seeded text came from
    # A method seeded from an unchecked copy blocks certification until a manager confirms it (as cycles do).
    confirmed: Mapped[bool] = mapped_column(default=True)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None]

    instrument_types: Mapped[list["InstrumentType"]] = relationship(
        secondary=instrument_type_method, back_populates="methods", order_by="InstrumentType.code"
    )

    @property
    def procedures(self) -> list[str]:
        """The keys of the procedures that implement this method."""
        return [key for key in (self.procedure_keys or "").split(",") if key]


class InstrumentType(Searchable, db.Model):
    """A kind of measuring instrument in the lab's catalogue: a Group 2 type with a legal cycle, or calibration-only."""

    __tablename__ = "instrument_type"
    __search_fields__ = ("code", "name_vi", "name_en")

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
    methods: Mapped[list[Method]] = relationship(
        secondary=instrument_type_method, back_populates="instrument_types", order_by=Method.code
    )

    @property
    def requires_verification(self) -> bool:
        """Whether the law requires this type to be verified (Group 2); otherwise it is only calibrated."""
        return self.legal_group == 2

    @property
    def usual_service_kind(self) -> str:
        """Return the service an instrument of this type usually gets: "verification" or "calibration"."""
        return "verification" if self.requires_verification else "calibration"


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


class Instrument(Searchable, db.Model):
    """An enterprise's measuring instrument that the lab verifies or calibrates."""

    __tablename__ = "instrument"
    __search_fields__ = ("serial", "model", "maker", "location")
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

    @property
    def label_code(self) -> str:
        """Return the code printed on the instrument's label beside its QR code (typed or scanned to find it)."""
        return f"PT{self.id:06d}"


class Contact(db.Model):
    """A person at an enterprise the lab deals with (and who may receive the recall reminders)."""

    __tablename__ = "organisation_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    receives_reminders: Mapped[bool] = mapped_column(default=True)

    organisation: Mapped[Organisation] = relationship(back_populates="contacts")


# The steps of a measurement assurance programme in an enterprise (guidance of QĐ 510/QĐ-BKHCN, 17/03/2021).
ENROLMENT_STEPS = ("survey", "commitment", "staff_trained", "procedures_written", "instruments_controlled", "assessed")


class EnrolmentStatus(Labelled):
    """Where an enterprise stands in the measurement assurance programme."""

    SURVEYED = "surveyed", _l("Đã khảo sát")
    ENROLLED = "enrolled", _l("Đang tham gia")
    COMPLETED = "completed", _l("Đã hoàn thành")
    WITHDRAWN = "withdrawn", _l("Đã rút")


class Channel(Labelled):
    """How a message reaches an enterprise."""

    EMAIL = "email", _l("Thư điện tử")
    LETTER = "letter", _l("Thư giấy")


class OutboxStatus(Labelled):
    """Where a message of the outbox stands."""

    QUEUED = "queued", _l("Chờ gửi")
    SENT = "sent", _l("Đã gửi")
    FAILED = "failed", _l("Gửi không được")
    PRINTED = "printed", _l("Đã in, gửi")


ENROLMENT_STATES = EnrolmentStatus.values()


class AssuranceEnrolment(db.Model):
    """An enterprise's enrolment in the measurement assurance programme (counted by the provincial plan)."""

    __tablename__ = "assurance_enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    status: Mapped[EnrolmentStatus] = mapped_column(
        stored_as(EnrolmentStatus, "status"), default=EnrolmentStatus.ENROLLED
    )
    enrolled_on: Mapped[date | None] = mapped_column(Date)  # None while only surveyed
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    steps_done: Mapped[list[str]] = mapped_column(JSON, default=list)  # keys of ENROLMENT_STEPS
    notes: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship(back_populates="enrolment")


class LabSetting(db.Model):
    """One of the lab's own rules kept as data (e.g. how "valid until" follows from a cycle)."""

    __tablename__ = "lab_setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(300))


class OutboxMessage(db.Model):
    """A reminder letter or e-mail waiting to be sent (or sent): the lab's outbox."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a message to a person rather than an enterprise (an account's unlock link)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    channel: Mapped[Channel] = mapped_column(stored_as(Channel, "channel", 10))
    recipient: Mapped[str] = mapped_column(String(500))  # e-mail addresses, or the postal address of a letter
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(stored_as(OutboxStatus, "status", 10), default=OutboxStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))

    organisation: Mapped[Organisation | None] = relationship()


class ReminderLog(db.Model):
    """That an instrument's due date was announced on a channel: never twice for the same due date."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("instrument_id", "due_on", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id", ondelete="CASCADE"))
    due_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[Channel] = mapped_column(stored_as(Channel, "channel", 10))
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
