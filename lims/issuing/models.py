"""Issued certificates and their numbering, verification stickers, public look-ups, batch issues, impact notices."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.auth.models import User
from lims.core.model import utcnow
from lims.customers.models import Instrument, Organisation
from lims.extensions import db
from lims.jobs.models import Job

CERTIFICATE_STATUSES = ("issued", "superseded", "revoked")
STICKER_STATES = ("in_stock", "issued", "used", "spoiled", "voided")
SERIES = ("verification", "calibration")


class NumberingSeries(db.Model):
    """A certificate numbering series (verification, calibration) and the form its numbers take."""

    __tablename__ = "numbering_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(30), unique=True)
    # Placeholders: {seq} {seq:05d} {yy} {yyyy} {unit}; e.g. "{seq}-{yy}-{unit}" gives "3681-26-VL".
    number_format: Mapped[str] = mapped_column(String(80), default="{seq}-{yy}-{unit}")


class NumberCounter(db.Model):
    """The last number used in a series in a year; locked by each issuing transaction, so numbers have no gaps."""

    __tablename__ = "number_counter"
    __table_args__ = (UniqueConstraint("series", "year"),)
    # A counter is bookkeeping for the certificates, which are themselves audited.
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    series: Mapped[str] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Certificate(db.Model):
    """An issued verification or calibration certificate (one revision): its signed PDF never changes."""

    __tablename__ = "certificate"
    __table_args__ = (
        UniqueConstraint("number", "revision"),
        UniqueConstraint("series", "year", "seq", "revision"),
        Index("ix_certificate_organisation_issued", "organisation_id", "issued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), index=True)  # the same for every revision
    revision: Mapped[int] = mapped_column(Integer, default=0)  # 0 the original, 1 the first correction ("/R1")
    series: Mapped[str] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))  # verification | calibration
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    instrument_id: Mapped[int] = mapped_column(ForeignKey("instrument.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)  # in the QR link; unguessable
    short_code: Mapped[str] = mapped_column(String(12))  # printed, typed with the number on the public page
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    passed: Mapped[bool | None]
    valid_until: Mapped[date | None] = mapped_column(Date)
    sticker_serial: Mapped[str | None] = mapped_column(String(40))
    instrument_summary: Mapped[str] = mapped_column(String(500))  # what the public page shows
    customer_name: Mapped[str] = mapped_column(String(300))
    lab_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)  # the lab's identity on the day of issue
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # the certificate document as rendered
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int] = mapped_column(Integer)
    # A calibration certificate's Digital Calibration Certificate (DCC 3.3.0 XML, signed), stored beside the PDF.
    dcc_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    dcc_size: Mapped[int | None] = mapped_column(Integer)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    signature_meaning: Mapped[str] = mapped_column(String(100))
    signer_subject: Mapped[str] = mapped_column(String(300))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"), unique=True)
    amendment_reason: Mapped[str | None] = mapped_column(Text)
    # The only columns that change after issue: the certificate's standing, never its content.
    status: Mapped[str] = mapped_column(String(20), default="issued", index=True)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)

    job: Mapped[Job] = relationship()
    organisation: Mapped[Organisation] = relationship()
    instrument: Mapped[Instrument] = relationship()
    signed_by: Mapped[User] = relationship(foreign_keys=[signed_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    supersedes: Mapped["Certificate | None"] = relationship(remote_side=[id], foreign_keys=[supersedes_id])

    MUTABLE_COLUMNS = frozenset({"status", "revoked_at", "revoked_by_id", "revoke_reason"})

    @property
    def display_number(self) -> str:
        """Return the number as printed: a correction carries "/R<revision>"."""
        return self.number if self.revision == 0 else f"{self.number}/R{self.revision}"


class StickerBatch(db.Model):
    """A range of verification stickers (tem kiểm định) received into the lab's stock."""

    __tablename__ = "sticker_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(20), default="")
    first_number: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer)
    digits: Mapped[int] = mapped_column(Integer, default=7)
    received_on: Mapped[date] = mapped_column(Date)
    supplier: Mapped[str | None] = mapped_column(String(300))
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sticker(db.Model):
    """One verification sticker and its state: in stock, issued to a technician, used, spoiled or voided."""

    __tablename__ = "sticker"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("sticker_batch.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="in_stock", index=True)
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    batch: Mapped[StickerBatch] = relationship()
    holder: Mapped[User | None] = relationship()
    certificate: Mapped[Certificate | None] = relationship()


class CertificateCheck(db.Model):
    """A public verification of a certificate (by link, by number and code, or by uploaded file); rate-limits."""

    __tablename__ = "certificate_check"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(20))  # link | number | upload
    query_text: Mapped[str | None] = mapped_column(String(120))
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    outcome: Mapped[str] = mapped_column(String(30))  # genuine | superseded | revoked | not_found | match | ...
    remote_addr: Mapped[str | None] = mapped_column(String(64), index=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class IssueBatch(db.Model):
    """A batch issue of many reviewed jobs by one signatory, with its progress."""

    __tablename__ = "issue_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_ids: Mapped[list[Any]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | finished
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    signatory_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class ImpactNotice(db.Model):
    """A notice to an enterprise that a standard used on its certificates was found out of tolerance."""

    __tablename__ = "impact_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("standard.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    certificate_numbers: Mapped[list[Any]] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | sent
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
