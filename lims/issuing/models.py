"""Issued certificates and their numbering, verification stickers, public look-ups, batch issues, impact notices."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.auth.models import User
from lims.core.model import utcnow
from lims.core.search import Searchable
from lims.customers.models import Instrument, Organisation
from lims.extensions import db
from lims.jobs.models import Job

# "issuing": the number is taken and the job certified, the signed PDF not yet stored (rendering runs outside the
# short transaction that takes the number); "void": a taken number that could never be issued, kept in the register.
CERTIFICATE_STATUSES = ("issuing", "issued", "superseded", "revoked", "void")
STICKER_STATES = ("in_stock", "issued", "used", "spoiled", "voided")


def _where(condition: str) -> dict:
    """The same partial-index condition for both databases the lab runs."""
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


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


class Certificate(Searchable, db.Model):
    """An issued verification or calibration certificate (one revision): its signed PDF never changes."""

    __tablename__ = "certificate"
    __search_fields__ = ("number", "customer_name", "instrument_summary")
    __table_args__ = (
        UniqueConstraint("number", "revision"),
        UniqueConstraint("series", "year", "seq", "revision"),
        Index("ix_certificate_organisation_issued", "organisation_id", "issued_at"),
        Index("ix_certificate_issued_at", "issued_at"),
        # What must never happen twice, refused by the database whatever the code does: one original certificate
        # per job and one certificate per sticker (revisions repeat both; a voided number frees neither again).
        Index("uq_certificate_job_original", "job_id", unique=True, **_where("revision = 0 AND status <> 'void'")),
        Index(
            "uq_certificate_sticker_original",
            "sticker_serial",
            unique=True,
            **_where("revision = 0 AND status <> 'void' AND sticker_serial IS NOT NULL"),
        ),
        CheckConstraint(f"status IN ({_in(CERTIFICATE_STATUSES)})", name="status"),
        # Only a certificate still being issued (or voided before it was) may lack its signed PDF.
        CheckConstraint(
            "status IN ('issuing', 'void') OR (pdf_sha256 IS NOT NULL AND content IS NOT NULL)",
            name="signed",
        ),
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
    instrument_summary: Mapped[str | None] = mapped_column(String(500))  # what the public page shows
    customer_name: Mapped[str | None] = mapped_column(String(300))
    lab_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)  # the lab's identity on the day of issue
    # The document and its signed PDF: empty only while the certificate is "issuing".
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the certificate document as rendered
    pdf_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    # A calibration certificate's Digital Calibration Certificate (DCC 3.3.0 XML, signed), stored beside the PDF.
    dcc_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    dcc_size: Mapped[int | None] = mapped_column(Integer)
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    signature_meaning: Mapped[str] = mapped_column(String(100))
    signer_subject: Mapped[str | None] = mapped_column(String(300))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("issue_batch.id"), index=True)
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
    # What completing an "issuing" certificate fills in, once.
    COMPLETED_COLUMNS = frozenset(
        {
            "content",
            "pdf_sha256",
            "pdf_size",
            "dcc_sha256",
            "dcc_size",
            "signer_subject",
            "instrument_summary",
            "customer_name",
            "issued_at",
        }
    )

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
    __table_args__ = (
        # One state at a time, and each state with what it implies: used = on exactly one certificate (and one
        # certificate per sticker), issued = in someone's hands.
        CheckConstraint(f"state IN ({_in(STICKER_STATES)})", name="state"),
        CheckConstraint("(state = 'used') = (certificate_id IS NOT NULL)", name="used_on_certificate"),
        CheckConstraint("state <> 'issued' OR holder_id IS NOT NULL", name="issued_has_holder"),
        Index("uq_sticker_certificate", "certificate_id", unique=True, **_where("certificate_id IS NOT NULL")),
    )

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
    # The sticker the signatory named for each passed verification, by job id (as text: JSON keys).
    stickers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    signatory_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written by the running process after each job: a running batch whose heartbeat stopped was interrupted.
    heartbeat_at: Mapped[datetime | None]
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
