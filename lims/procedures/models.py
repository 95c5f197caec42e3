"""Procedures defined as data: each uploaded version, its validation, approval, and its unconfirmed legal values."""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.auth.models import User
from lims.core.model import utcnow
from lims.extensions import db


class VersionStatus(StrEnum):
    """Where a procedure version stands: uploaded and waiting, approved for jobs, or withdrawn."""

    DRAFT = "draft"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class ProcedureVersion(db.Model):
    """One version of a procedure defined as data: its text as uploaded, validation report, approval (17025 7.2.2)."""

    __tablename__ = "procedure_version"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        CheckConstraint("status IN ('draft', 'approved', 'withdrawn')", name="status"),
        # A second person approves: never the one who uploaded it.
        CheckConstraint("approved_by_id IS NULL OR approved_by_id <> uploaded_by_id", name="second_person"),
        # At most one approved version of a procedure at a time: the one new jobs get.
        Index(
            "uq_procedure_version_approved_key",
            "key",
            unique=True,
            sqlite_where=text("status = 'approved'"),
            postgresql_where=text("status = 'approved'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), index=True)
    version: Mapped[str] = mapped_column(String(20))
    effective: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))  # verification | calibration
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    definition_text: Mapped[str] = mapped_column(Text)  # exactly as uploaded; the record's version computes from it
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=VersionStatus.DRAFT)
    validation_report: Mapped[dict[str, Any]] = mapped_column(JSON)  # instruments' ValidationReport.as_dict()
    instrument_types: Mapped[list[str]] = mapped_column(JSON, default=list)  # catalogue codes it serves
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None]

    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    unconfirmed_values: Mapped[list["UnconfirmedValue"]] = relationship(
        back_populates="version", order_by="UnconfirmedValue.id", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        return f"{self.key} v{self.version}"

    @property
    def waiting_confirmation(self) -> list["UnconfirmedValue"]:
        return [value for value in self.unconfirmed_values if not value.confirmed]


class UnconfirmedValue(db.Model):
    """A legal value a definition marks unconfirmed: it blocks certification until a manager confirms it."""

    __tablename__ = "procedure_unconfirmed_value"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("procedure_version.id"), index=True)
    path: Mapped[str] = mapped_column(String(200))  # e.g. "tests[0].checks[1].mpe"
    note: Mapped[str] = mapped_column(Text)  # why the definition marks it
    confirmed: Mapped[bool] = mapped_column(default=False)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime | None]
    confirmation: Mapped[str | None] = mapped_column(Text)  # what the manager checked it against

    version: Mapped[ProcedureVersion] = relationship(back_populates="unconfirmed_values")
    confirmed_by: Mapped[User | None] = relationship()
