"""The quality system (ISO/IEC 17025 and the national criteria): requirements, evidence, people, validity, actions."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.auth.models import User
from lims.core.model import NFCText, utcnow
from lims.core.words import Labelled, stored_as
from lims.customers.models import Organisation
from lims.extensions import db


class CatalogueKind(Labelled):
    """Which criteria a requirements catalogue holds."""

    ISO17025 = "iso17025", _l("TCVN ISO/IEC 17025")
    NATIONAL = "national", _l("Bộ tiêu chí quốc gia")


class DocumentKind(Labelled):
    """What a controlled document is."""

    PROCEDURE = "procedure", _l("Quy trình")
    MANUAL = "manual", _l("Sổ tay")
    INSTRUCTION = "instruction", _l("Hướng dẫn")
    FORM = "form", _l("Biểu mẫu")
    OTHER = "other", _l("Khác")


class CompetenceKind(Labelled):
    """What a competence record attests."""

    EDUCATION = "education", _l("Học vấn")
    TRAINING = "training", _l("Đào tạo")
    EXPERIENCE = "experience", _l("Kinh nghiệm")
    QUALIFICATION = "qualification", _l("Chứng chỉ")


class NonconformityKind(Labelled):
    """A nonconformity found by the lab, or a customer's complaint."""

    NONCONFORMITY = "nonconformity", _l("Sự không phù hợp")
    COMPLAINT = "complaint", _l("Khiếu nại")


class NonconformitySource(Labelled):
    """Where a nonconformity was found."""

    MANUAL = "manual", _l("Ghi nhận trực tiếp")
    INTERMEDIATE_CHECK = "intermediate_check", _l("Kiểm tra giữa kỳ")
    STANDARD_FAILURE = "standard_failure", _l("Chuẩn không đạt")
    PROFICIENCY = "proficiency", _l("Thử nghiệm thành thạo")
    INTERNAL_AUDIT = "internal_audit", _l("Đánh giá nội bộ")
    COMPLAINT = "complaint", _l("Khiếu nại")


class FindingKind(Labelled):
    """What an audit found."""

    NONCONFORMITY = "nonconformity", _l("Không phù hợp")
    OBSERVATION = "observation", _l("Khuyến nghị")
    OPPORTUNITY = "opportunity", _l("Cơ hội cải tiến")


CATALOGUE_KINDS = CatalogueKind.values()
DOCUMENT_KINDS = ("manual", "procedure", "instruction", "form", "other")
COMPETENCE_KINDS = CompetenceKind.values()
NC_KINDS = NonconformityKind.values()
NC_SOURCES = NonconformitySource.values()


class NonconformityStatus(Labelled):
    """Where a nonconformity stands: open, being corrected, waiting for the effectiveness review, closed."""

    OPEN = "open", _l("Mở")
    ACTION = "action", _l("Đang khắc phục")
    REVIEW = "review", _l("Chờ đánh giá hiệu lực")
    CLOSED = "closed", _l("Đã đóng")


NC_STATES = NonconformityStatus.values()
FINDING_KINDS = FindingKind.values()
RISK_KINDS = ("risk", "opportunity")
READINESS = ("present", "stale", "missing")


class RequirementCatalogue(db.Model):
    """A set of requirements the lab is assessed against: ISO/IEC 17025:2017 or a national criteria set."""

    __tablename__ = "requirement_catalogue"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="national")
    version: Mapped[str | None] = mapped_column(String(60))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    requirements: Mapped[list["Requirement"]] = relationship(
        back_populates="catalogue", order_by="Requirement.position", cascade="all, delete-orphan"
    )


class Requirement(db.Model):
    """One clause or criterion, by number, with a short title in Vietnamese and English."""

    __tablename__ = "requirement"
    __table_args__ = (UniqueConstraint("catalogue_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("requirement_catalogue.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    title_vi: Mapped[str] = mapped_column(String(400))
    title_en: Mapped[str] = mapped_column(String(400), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("requirement.id"))
    field: Mapped[str | None] = mapped_column(String(100))  # the measurement field a criterion applies to
    # The ISO/IEC 17025 clause whose records also evidence this criterion (national sets map onto 17025).
    related_clause: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)

    catalogue: Mapped[RequirementCatalogue] = relationship(back_populates="requirements")
    parent: Mapped["Requirement | None"] = relationship(remote_side=[id])
    links: Mapped[list["EvidenceLink"]] = relationship(back_populates="requirement", cascade="all, delete-orphan")


class ControlledDocument(db.Model):
    """A controlled document of the management system (manual, procedure, instruction, form), with its versions."""

    __tablename__ = "controlled_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # e.g. "QT-07"
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="procedure")
    withdrawn: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Withdrawal makes the document obsolete (17025 8.3.2 f): it stays listed and readable, never in force again.
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str | None] = mapped_column(NFCText)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])
    versions: Mapped[list["DocumentVersion"]] = relationship(
        back_populates="document", order_by="DocumentVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> "DocumentVersion | None":
        """Return the newest approved version (the one in force)."""
        approved = [version for version in self.versions if version.approved_at is not None]
        return approved[-1] if approved else None


class DocumentVersion(db.Model):
    """One issue of a controlled document: its file (by SHA-256), who approved it, when it must be reviewed."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("controlled_document.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200))
    file_size: Mapped[int] = mapped_column(Integer)
    change_note: Mapped[str | None] = mapped_column(NFCText)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]
    effective_on: Mapped[date | None] = mapped_column(Date)
    review_due_on: Mapped[date] = mapped_column(Date)

    document: Mapped[ControlledDocument] = relationship(back_populates="versions")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])


class EvidenceLink(db.Model):
    """A controlled document put forward as evidence that the lab meets a requirement."""

    __tablename__ = "evidence_link"
    __table_args__ = (UniqueConstraint("requirement_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirement.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("controlled_document.id"), index=True)
    note: Mapped[str | None] = mapped_column(String(300))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)

    requirement: Mapped[Requirement] = relationship(back_populates="links")
    document: Mapped[ControlledDocument] = relationship()


class CriteriaAssessment(db.Model):
    """An assessment of an organisation (the lab or a service organisation) against a national criteria set."""

    __tablename__ = "criteria_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    catalogue_id: Mapped[int] = mapped_column(ForeignKey("requirement_catalogue.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    assessed_on: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(20), default="met")  # met | partly | not_met
    readiness_percent: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(NFCText)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    catalogue: Mapped[RequirementCatalogue] = relationship()
    organisation: Mapped[Organisation] = relationship()


class ChainCheck(db.Model):
    """A recorded verification of the audit chain (ISO/IEC 17025 7.11: the integrity of the lab's data)."""

    __tablename__ = "chain_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ok: Mapped[bool]
    events_checked: Mapped[int] = mapped_column(Integer)
    head_seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    problem: Mapped[str | None] = mapped_column(NFCText)
    checked_by: Mapped[str] = mapped_column(String(200))


class CompetenceRecord(db.Model):
    """A line of a staff member's competence file: education, training, experience or a qualification."""

    __tablename__ = "competence_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    institution: Mapped[str | None] = mapped_column(String(300))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(NFCText)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class TrainingEvent(db.Model):
    """A training course or workshop on measurement the lab held or sent people to."""

    __tablename__ = "training_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    ended_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(300))
    organiser: Mapped[str | None] = mapped_column(String(300))
    hours: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str | None] = mapped_column(NFCText)

    attendances: Mapped[list["TrainingAttendance"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="TrainingAttendance.id"
    )


class TrainedPerson(db.Model):
    """A person who attended training: lab staff, an agency's official or an enterprise's employee.

    The identity key (an account, an ID card number, an e-mail, or the name and organisation) makes a person who
    attends twice count once.
    """

    __tablename__ = "trained_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    identity_key: Mapped[str] = mapped_column(String(300), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    organisation_name: Mapped[str | None] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    category: Mapped[str] = mapped_column(String(20), default="enterprise")  # lab | agency | enterprise


class TrainingAttendance(db.Model):
    """One person's attendance at one training event."""

    __tablename__ = "training_attendance"
    __table_args__ = (UniqueConstraint("event_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("training_event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("trained_person.id"), index=True)
    passed: Mapped[bool] = mapped_column(default=True)

    event: Mapped[TrainingEvent] = relationship(back_populates="attendances")
    person: Mapped[TrainedPerson] = relationship()


class ProficiencyRound(db.Model):
    """A proficiency test or interlaboratory comparison the lab took part in (ISO/IEC 17025 7.7.2)."""

    __tablename__ = "proficiency_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="pt")  # pt | ilc
    provider: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(300))
    field: Mapped[str | None] = mapped_column(String(100))
    held_on: Mapped[date] = mapped_column(Date)

    results: Mapped[list["ProficiencyResult"]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="ProficiencyResult.id"
    )


class ProficiencyResult(db.Model):
    """The lab's value for one item of a round beside the reference value, both with U, and the En number."""

    __tablename__ = "proficiency_result"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("proficiency_round.id"), index=True)
    item: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    lab_value: Mapped[float] = mapped_column(Float)
    lab_uncertainty: Mapped[float] = mapped_column(Float)
    reference_value: Mapped[float] = mapped_column(Float)
    reference_uncertainty: Mapped[float] = mapped_column(Float)
    en: Mapped[float] = mapped_column(Float)
    satisfactory: Mapped[bool]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[ProficiencyRound] = relationship(back_populates="results")


class Nonconformity(db.Model):
    """Nonconforming work or a complaint (17025 7.9, 7.10), raised by hand or by the system, to its closure (8.7)."""

    __tablename__ = "nonconformity"
    __table_args__ = (UniqueConstraint("source", "source_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="nonconformity")
    source: Mapped[str] = mapped_column(String(30), default="manual")
    source_ref: Mapped[str | None] = mapped_column(String(80))  # the record that raised it, e.g. "standard:3"
    clause: Mapped[str | None] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(NFCText)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    raised_on: Mapped[date] = mapped_column(Date, index=True)
    raised_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[NonconformityStatus] = mapped_column(
        stored_as(NonconformityStatus, "status"), default=NonconformityStatus.OPEN, index=True
    )
    root_cause: Mapped[str | None] = mapped_column(NFCText)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    effectiveness_review: Mapped[str | None] = mapped_column(NFCText)
    effective: Mapped[bool | None]
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    organisation: Mapped[Organisation | None] = relationship()
    actions: Mapped[list["CorrectiveAction"]] = relationship(
        back_populates="nonconformity", cascade="all, delete-orphan", order_by="CorrectiveAction.id"
    )


class CorrectiveAction(db.Model):
    """An action taken on a nonconformity: what, who, by when, when it was done."""

    __tablename__ = "corrective_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonconformity_id: Mapped[int] = mapped_column(ForeignKey("nonconformity.id"), index=True)
    description: Mapped[str] = mapped_column(NFCText)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_on: Mapped[date] = mapped_column(Date)
    done_on: Mapped[date | None] = mapped_column(Date)
    done_note: Mapped[str | None] = mapped_column(NFCText)

    nonconformity: Mapped[Nonconformity] = relationship(back_populates="actions")
    owner: Mapped[User | None] = relationship()


class InternalAudit(db.Model):
    """An internal audit (17025 8.8): its plan (scope, date, auditors) and, once held, its findings."""

    __tablename__ = "internal_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    scope: Mapped[str] = mapped_column(NFCText)
    auditors: Mapped[str] = mapped_column(String(300))
    planned_on: Mapped[date] = mapped_column(Date)
    held_on: Mapped[date | None] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(NFCText)

    findings: Mapped[list["AuditFinding"]] = relationship(
        back_populates="audit", cascade="all, delete-orphan", order_by="AuditFinding.id"
    )


class AuditFinding(db.Model):
    """A finding of an internal audit against a clause; a nonconformity finding opens a nonconformity."""

    __tablename__ = "audit_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("internal_audit.id"), index=True)
    clause: Mapped[str | None] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="observation")
    description: Mapped[str] = mapped_column(NFCText)
    nonconformity_id: Mapped[int | None] = mapped_column(ForeignKey("nonconformity.id"))

    audit: Mapped[InternalAudit] = relationship(back_populates="findings")
    nonconformity: Mapped[Nonconformity | None] = relationship()


class ManagementReview(db.Model):
    """A management review (17025 8.9): its inputs, its decisions, and when the next one is due."""

    __tablename__ = "management_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date)
    chaired_by: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[str | None] = mapped_column(NFCText)
    inputs: Mapped[str] = mapped_column(NFCText)
    decisions: Mapped[str] = mapped_column(NFCText)
    next_review_on: Mapped[date | None] = mapped_column(Date)


class Risk(db.Model):
    """A risk or opportunity (17025 8.5), scored by likelihood and impact, with its treatment and review date."""

    __tablename__ = "risk"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="risk")
    title: Mapped[str] = mapped_column(String(300))
    clause: Mapped[str | None] = mapped_column(String(20))
    likelihood: Mapped[int] = mapped_column(Integer)  # 1..5
    impact: Mapped[int] = mapped_column(Integer)  # 1..5
    treatment: Mapped[str | None] = mapped_column(NFCText)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    review_on: Mapped[date | None] = mapped_column(Date)
    closed: Mapped[bool] = mapped_column(default=False)
    # Closure says why and whether the actions worked (8.5.3: actions proportionate, their effectiveness evaluated).
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    close_reason: Mapped[str | None] = mapped_column(NFCText)
    effectiveness: Mapped[str | None] = mapped_column(NFCText)
    effective: Mapped[bool | None]

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    reviews: Mapped[list["RiskReview"]] = relationship(
        back_populates="risk", order_by="RiskReview.reviewed_on, RiskReview.id"
    )

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class RiskReview(db.Model):
    """A periodic review of a risk or opportunity: its score that day, what was found, when to look again."""

    __tablename__ = "risk_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    risk_id: Mapped[int] = mapped_column(ForeignKey("risk.id"), index=True)
    reviewed_on: Mapped[date] = mapped_column(Date)
    likelihood: Mapped[int] = mapped_column(Integer)  # 1..5, as assessed at the review
    impact: Mapped[int] = mapped_column(Integer)  # 1..5
    note: Mapped[str] = mapped_column(NFCText)
    next_review_on: Mapped[date | None] = mapped_column(Date)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    risk: Mapped[Risk] = relationship(back_populates="reviews")
    reviewed_by: Mapped[User | None] = relationship()

    @property
    def score(self) -> int:
        return self.likelihood * self.impact
