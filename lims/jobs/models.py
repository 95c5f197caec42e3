"""Service requests (contract review), jobs, who may measure what, and measurement records with their revisions."""

from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.auth.models import User
from lims.core.model import utcnow
from lims.core.words import Labelled, stored_as
from lims.customers.models import Instrument, Method, Organisation
from lims.extensions import db
from lims.standards.models import Standard


class Service(Labelled):
    """What the lab is asked to do with an instrument."""

    INITIAL_VERIFICATION = "initial_verification", _l("Kiểm định ban đầu")
    PERIODIC_VERIFICATION = "periodic_verification", _l("Kiểm định định kỳ")
    AFTER_REPAIR_VERIFICATION = "after_repair_verification", _l("Kiểm định sau sửa chữa")
    CALIBRATION = "calibration", _l("Hiệu chuẩn")


SERVICES = Service.values()


class RequestStatus(Labelled):
    """Where a service request stands at contract review."""

    SUBMITTED = "submitted", _l("Chờ xem xét")
    ACCEPTED = "accepted", _l("Đã chấp nhận")
    DECLINED = "declined", _l("Đã từ chối")
    CANCELLED = "cancelled", _l("Đã hủy")


class JobStatus(Labelled):
    """Where a job stands, from receiving the instrument to returning it."""

    RECEIVED = "received", _l("Đã tiếp nhận")
    SCHEDULED = "scheduled", _l("Đã lên lịch")
    IN_PROGRESS = "in_progress", _l("Đang đo")
    MEASURED = "measured", _l("Đã đo")
    REVIEWED = "reviewed", _l("Đã soát xét")
    CERTIFIED = "certified", _l("Đã cấp chứng chỉ")
    RETURNED = "returned", _l("Đã trả")
    ON_HOLD = "on_hold", _l("Tạm dừng")
    CANCELLED = "cancelled", _l("Đã hủy")


class RecordStage(Labelled):
    """When a measurement record was taken: before or after adjustment."""

    AS_FOUND = "as_found", _l("Trước điều chỉnh (as found)")
    AS_LEFT = "as_left", _l("Sau điều chỉnh (as left)")


JOB_STATES = JobStatus.values()


class ServiceRequest(db.Model):
    """An enterprise's request for verification or calibration, and the lab's review of it (ISO/IEC 17025 7.1)."""

    __tablename__ = "service_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[RequestStatus] = mapped_column(stored_as(RequestStatus, "status"), default=RequestStatus.SUBMITTED)
    place: Mapped[str] = mapped_column(String(20), default="lab")  # lab | on_site
    site_address: Mapped[str | None] = mapped_column(String(500))
    # Contract review (ISO/IEC 17025 7.1.3): a calibration states conformity only when the customer asked, against
    # the specification agreed here (e.g. "OIML R 111-1, cấp M1"), with the decision rule agreed here.
    wants_conformity_statement: Mapped[bool] = mapped_column(default=False)
    conformity_specification: Mapped[str | None] = mapped_column(String(200))
    decision_rule: Mapped[str] = mapped_column(String(40), default="simple")  # instruments.decision rule code
    requested_on: Mapped[date] = mapped_column(Date)
    agreed_on: Mapped[date | None] = mapped_column(Date)  # the date the lab promised
    contact_name: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    review_notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    items: Mapped[list["ServiceRequestItem"]] = relationship(
        back_populates="request", order_by="ServiceRequestItem.id", cascade="all, delete-orphan"
    )
    jobs: Mapped[list["Job"]] = relationship(back_populates="request", order_by="Job.id")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class ServiceRequestItem(db.Model):
    """One instrument on a request, with the service and the method asked for; acceptance makes it a job."""

    __tablename__ = "service_request_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"), index=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    service: Mapped[str] = mapped_column(String(30))  # one of SERVICES
    procedure_key: Mapped[str] = mapped_column(String(60))
    # The version of a procedure defined as data the contract review agreed (None: a built-in procedure).
    procedure_version_id: Mapped[int | None] = mapped_column(ForeignKey("procedure_version.id"))
    method_code: Mapped[str | None] = mapped_column(String(60))
    method_name: Mapped[str | None] = mapped_column(String(300))
    method_id: Mapped[int | None] = mapped_column(ForeignKey("method.id"))

    request: Mapped[ServiceRequest] = relationship(back_populates="items")
    instrument: Mapped[Instrument] = relationship()
    method: Mapped[Method | None] = relationship()


class Job(db.Model):
    """One service (a verification or a calibration) of one instrument, from receipt to return."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_technician_scheduled", "technician_id", "scheduled_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_request.id"), index=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    service: Mapped[str] = mapped_column(String(30))  # one of SERVICES
    procedure_key: Mapped[str] = mapped_column(String(60))  # a key of instruments.procedures
    # The version of a procedure defined as data the job was given; a newer version never changes it.
    procedure_version_id: Mapped[int | None] = mapped_column(ForeignKey("procedure_version.id"), index=True)
    method_code: Mapped[str | None] = mapped_column(String(60))  # e.g. "ĐLVN 286:2015", as printed
    method_name: Mapped[str | None] = mapped_column(String(300))
    method_id: Mapped[int | None] = mapped_column(ForeignKey("method.id"))  # chosen at contract review
    place: Mapped[str] = mapped_column(String(20), default="lab")
    status: Mapped[JobStatus] = mapped_column(stored_as(JobStatus, "status"), default=JobStatus.RECEIVED, index=True)
    status_before_hold: Mapped[JobStatus | None] = mapped_column(stored_as(JobStatus, "status_before_hold"))
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    scheduled_on: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date] = mapped_column(Date)
    measured_on: Mapped[date | None] = mapped_column(Date)
    measured_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reviewed_at: Mapped[datetime | None]
    review_notes: Mapped[str | None] = mapped_column(Text)
    passed: Mapped[bool | None]  # the overall decision of a verification (None for calibration)
    adjusted: Mapped[bool] = mapped_column(default=False)  # as-found and as-left both recorded
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    certified_at: Mapped[datetime | None]
    returned_on: Mapped[date | None] = mapped_column(Date)
    # Set when a rule changed after the review (e.g. R 76 loads and weights now decide): the stored result is never
    # recomputed in place; the job waits for a person's second look (reopen and measure again) before a certificate.
    second_look_reason: Mapped[str | None] = mapped_column(Text)
    second_look_flagged_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[ServiceRequest] = relationship(back_populates="jobs")
    instrument: Mapped[Instrument] = relationship()
    method: Mapped[Method | None] = relationship()
    technician: Mapped[User | None] = relationship(foreign_keys=[technician_id])
    measured_by: Mapped[User | None] = relationship(foreign_keys=[measured_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    records: Mapped[list["MeasurementRecord"]] = relationship(back_populates="job", order_by="MeasurementRecord.id")
    standards_used: Mapped[list["JobStandard"]] = relationship(back_populates="job", cascade="all, delete-orphan")


class JobStandard(db.Model):
    """A standard used on a job, with the calibration (values, due date) it had on the measurement day."""

    __tablename__ = "job_standard"
    __table_args__ = (UniqueConstraint("job_id", "standard_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), index=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id"), index=True)
    calibration_id: Mapped[int | None] = mapped_column(ForeignKey("standard_calibration.id"))
    used_on: Mapped[date] = mapped_column(Date)

    job: Mapped[Job] = relationship(back_populates="standards_used")
    standard: Mapped[Standard] = relationship()


class MeasurementRecord(db.Model):
    """One revision of the observations of a job at one stage; an edit adds a revision, never overwrites."""

    __tablename__ = "measurement_record"
    __table_args__ = (UniqueConstraint("job_id", "stage", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), index=True)
    stage: Mapped[RecordStage] = mapped_column(stored_as(RecordStage, "stage"), default=RecordStage.AS_LEFT)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    observations: Mapped[dict[str, Any]] = mapped_column(JSON)  # as typed, per the procedure's schema
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON)  # temperature, humidity, pressure
    standards_snapshot: Mapped[list[Any]] = mapped_column(JSON)  # the standards' values on that day
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # computed by instruments/, stored as computed
    procedure_version_id: Mapped[int | None] = mapped_column(ForeignKey("procedure_version.id"))  # computed with
    passed: Mapped[bool | None]
    measured_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    change_reason: Mapped[str | None] = mapped_column(Text)  # required for revision > 1
    superseded: Mapped[bool] = mapped_column(default=False)

    job: Mapped[Job] = relationship(back_populates="records")
    recorded_by: Mapped[User] = relationship()
    # A bench record (several units under test): the job of each instrument on it, in the order of its units.
    units: Mapped[list["RecordUnit"]] = relationship(
        back_populates="record", order_by="RecordUnit.position", cascade="all, delete-orphan"
    )

    @property
    def missing(self) -> list[dict]:
        """What the procedure found lacking for a decision (field, message_vi, message_en), as stored at save."""
        return list((self.result or {}).get("missing") or [])

    @property
    def reference_check(self) -> dict | None:
        """The check of the reference values against the standard's certificate, kept in the snapshot at save."""
        for entry in self.standards_snapshot or []:
            if isinstance(entry, dict) and entry.get("reference_check"):
                return entry["reference_check"]
        return None

    @property
    def reference_differs(self) -> bool:
        """Whether the reference values recorded differ from the standard's certificate beyond rounding."""
        check = self.reference_check
        return bool(check and check.get("status") == "differs")


class RecordUnit(db.Model):
    """One instrument of a record that measured several together (a bench): its own job and its own decision.

    The unit's job takes its result from here (``units[position]`` of the record's result): its own certificate or
    failure notice and sticker, while the readings stay in the one record they were taken in.
    """

    __tablename__ = "record_unit"
    __table_args__ = (UniqueConstraint("record_id", "position"), UniqueConstraint("record_id", "job_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("measurement_record.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # its index in the record's units
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), index=True)
    passed: Mapped[bool | None]  # the unit's own decision, as computed with the record

    record: Mapped[MeasurementRecord] = relationship(back_populates="units")
    job: Mapped[Job] = relationship()


class Authorisation(db.Model):
    """Permission for one person to perform one measurement procedure, for a period, granted by a manager."""

    __tablename__ = "authorisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    procedure_key: Mapped[str] = mapped_column(String(60))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])


class VerifierCard(db.Model):
    """A certified verifier's card (thẻ kiểm định viên) for a measurement field, with its validity."""

    __tablename__ = "verifier_card"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    card_number: Mapped[str] = mapped_column(String(60), unique=True)
    field: Mapped[str] = mapped_column(String(100))  # e.g. "khối lượng" (mass)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    issued_by: Mapped[str | None] = mapped_column(String(300))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    granted_by: Mapped[User | None] = relationship(foreign_keys=[granted_by_id])
