"""The quality system's operations: check the lab's rules, change records, flush; never commit."""

import logging
import re
import unicodedata
from collections.abc import Mapping
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from instruments.errors import InputError
from instruments.proficiency import ComparisonResult, en_number
from lims.audit.services import verify_chain
from lims.audit.trail import audit_reason, current_actor
from lims.auth.models import User
from lims.auth.permissions import Capability, require
from lims.core.errors import NotFound, RuleViolation
from lims.core.files import StoredFile
from lims.core.model import nfc, utcnow
from lims.core.words import in_language
from lims.customers.models import LabSetting, Organisation
from lims.quality.evidence import FRESHNESS_SETTINGS, FreshnessLimits, freshness_limits
from lims.quality.models import (
    COMPETENCE_KINDS,
    DOCUMENT_KINDS,
    FINDING_KINDS,
    NC_KINDS,
    NC_SOURCES,
    RISK_KINDS,
    AuditFinding,
    ChainCheck,
    CompetenceRecord,
    ControlledDocument,
    CorrectiveAction,
    CriteriaAssessment,
    DocumentVersion,
    EvidenceLink,
    InternalAudit,
    ManagementReview,
    Nonconformity,
    ProficiencyResult,
    ProficiencyRound,
    Requirement,
    RequirementCatalogue,
    Risk,
    RiskReview,
    TrainedPerson,
    TrainingAttendance,
    TrainingEvent,
)

log = logging.getLogger(__name__)


def _d(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _required(value: str | None, field: str, what: str) -> str:
    value = nfc((value or "").strip())
    if not value:
        raise RuleViolation(_("Cần nhập %(what)s", what=what), field=field)
    return value


def _get(session: Session, model, ident: int, what: str):
    row = session.get(model, ident)
    if row is None:
        raise NotFound(_("Không có %(what)s này", what=what))
    return row


# Controlled documents ------------------------------------------------------------------------------------------
def create_document(session: Session, actor, *, code: str, title: str, kind: str) -> ControlledDocument:
    """Register a controlled document (its first version is uploaded next)."""
    require(actor, Capability.RECORD_QUALITY)
    code = _required(code, "code", _("mã tài liệu"))
    if kind not in DOCUMENT_KINDS:
        raise RuleViolation(_("Loại tài liệu không hợp lệ"), field="kind")
    if session.scalar(select(ControlledDocument.id).where(ControlledDocument.code == code)):
        raise RuleViolation(_("Mã tài liệu đã có: %(code)s", code=code), field="code")
    document = ControlledDocument(code=code, title=_required(title, "title", _("tên tài liệu")), kind=kind)
    session.add(document)
    session.flush()
    return document


def add_document_version(
    session: Session,
    actor,
    document: ControlledDocument,
    stored: StoredFile,
    *,
    file_name: str,
    review_due_on: date,
    change_note: str | None,
) -> DocumentVersion:
    """Add a new version of a document from a file already stored by its SHA-256; it waits for approval."""
    require(actor, Capability.RECORD_QUALITY)
    if document.withdrawn:
        raise RuleViolation(_("Tài liệu đã bị thu hồi"), field="file")
    if any(v.approved_at is None for v in document.versions):
        raise RuleViolation(_("Còn một phiên bản chờ phê duyệt"), field="file")
    if any(v.file_sha256 == stored.sha256 for v in document.versions):
        raise RuleViolation(_("Tệp này trùng một phiên bản trước"), field="file")
    number = max((v.number for v in document.versions), default=0) + 1
    version = DocumentVersion(
        document=document,
        number=number,
        file_sha256=stored.sha256,
        file_name=nfc(file_name)[:200] or f"{document.code}-v{number}.pdf",
        file_size=stored.size,
        change_note=change_note or None,
        uploaded_by_id=actor.id,
        review_due_on=review_due_on,
    )
    session.add(version)
    session.flush()
    return version


def approve_document_version(session: Session, actor, version: DocumentVersion, effective_on: date) -> None:
    """Approve a document version: it becomes the one in force (a person does not approve their own upload)."""
    require(actor, Capability.MANAGE_QUALITY)
    if version.document.withdrawn:
        raise RuleViolation(
            _("Tài liệu đã bị thu hồi, không được phê duyệt"),
            field="version",
        )
    if version.approved_at is not None:
        raise RuleViolation(_("Phiên bản đã được phê duyệt"), field="version")
    if version.uploaded_by_id == actor.id:
        raise RuleViolation(_("Người tải lên không tự phê duyệt"), field="version")
    with audit_reason(f"phê duyệt {version.document.code} v{version.number}"):
        version.approved_by_id = actor.id
        version.approved_at = utcnow()
        version.effective_on = effective_on
        session.flush()


def withdraw_document(
    session: Session, actor, document: ControlledDocument, *, withdrawn_on: date, reason: str
) -> ControlledDocument:
    """Withdraw a document: it becomes obsolete (17025 8.3.2 f), stays listed and readable, and is never in force again.

    A version still waiting for approval can no longer be approved, and no new version can be added.
    """
    require(actor, Capability.MANAGE_QUALITY)
    if document.withdrawn:
        raise RuleViolation(
            _(
                "Tài liệu đã bị thu hồi ngày %(value)s",
                value=_d(document.withdrawn_on) if document.withdrawn_on else "—",
            ),
            field="reason",
        )
    reason = _required(reason, "reason", _("lý do thu hồi"))
    current = document.current
    if current is not None and current.effective_on is not None and withdrawn_on < current.effective_on:
        raise RuleViolation(
            _("Ngày thu hồi trước ngày hiệu lực %(d)s của phiên bản hiện hành", d=_d(current.effective_on)),
            field="withdrawn_on",
        )
    with audit_reason(f"thu hồi {document.code}: {reason}"):
        document.withdrawn = True
        document.withdrawn_on = withdrawn_on
        document.withdrawn_reason = reason
        document.withdrawn_by_id = actor.id
        session.flush()
    return document


def link_evidence(
    session: Session, actor, requirement: Requirement, document: ControlledDocument, note: str | None
) -> EvidenceLink:
    """Put a controlled document forward as evidence for a requirement."""
    require(actor, Capability.MANAGE_QUALITY)
    if document.withdrawn:
        raise RuleViolation(_("Tài liệu đã bị thu hồi"), field="document_id")
    if any(link.document_id == document.id for link in requirement.links):
        raise RuleViolation(_("Tài liệu đã được liên kết"), field="document_id")
    link = EvidenceLink(requirement=requirement, document=document, note=note or None, linked_by_id=actor.id)
    session.add(link)
    session.flush()
    return link


def unlink_evidence(session: Session, actor, link: EvidenceLink) -> None:
    """Remove a document from a requirement's evidence."""
    require(actor, Capability.MANAGE_QUALITY)
    session.delete(link)
    session.flush()


def record_criteria_assessment(
    session: Session,
    actor,
    *,
    catalogue: RequirementCatalogue,
    organisation_id: int,
    assessed_on: date,
    outcome: str,
    readiness_percent: float | None,
    notes: str | None,
) -> CriteriaAssessment:
    """Record that an organisation was assessed against a national criteria set (a plan target counts these)."""
    require(actor, Capability.MANAGE_QUALITY)
    if outcome not in ("met", "partly", "not_met"):
        raise RuleViolation(_("Kết quả không hợp lệ"), field="outcome")
    _get(session, Organisation, organisation_id, _("tổ chức"))
    assessment = CriteriaAssessment(
        catalogue=catalogue,
        organisation_id=organisation_id,
        assessed_on=assessed_on,
        outcome=outcome,
        readiness_percent=readiness_percent,
        notes=notes or None,
        recorded_by_id=actor.id,
    )
    session.add(assessment)
    session.flush()
    return assessment


def record_chain_check(session: Session, actor) -> ChainCheck:
    """Verify the audit chain now and keep the result as evidence of data integrity (17025 7.11)."""
    require(actor, Capability.MANAGE_QUALITY)
    result = verify_chain(session)
    check = ChainCheck(
        ok=result.ok,
        events_checked=result.checked,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        problem=result.problem,
        checked_by=current_actor().label,
    )
    session.add(check)
    session.flush()
    if not result.ok:
        log.error("audit chain broken at %s: %s", result.first_bad_seq, result.problem)
    return check


# People ---------------------------------------------------------------------------------------------------------
def add_competence_record(
    session: Session,
    actor,
    *,
    user_id: int,
    kind: str,
    title: str,
    institution: str | None = None,
    started_on: date | None = None,
    ended_on: date | None = None,
    notes: str | None = None,
) -> CompetenceRecord:
    """Add a line to a staff member's competence file."""
    require(actor, Capability.MANAGE_QUALITY)
    person = _get(session, User, user_id, _("nhân viên"))
    if not person.is_lab_staff:
        raise RuleViolation(_("Chỉ nhân viên phòng thí nghiệm"), field="user_id")
    if kind not in COMPETENCE_KINDS:
        raise RuleViolation(_("Loại hồ sơ không hợp lệ"), field="kind")
    if started_on and ended_on and ended_on < started_on:
        raise RuleViolation(_("Ngày kết thúc trước ngày bắt đầu"), field="ended_on")
    record = CompetenceRecord(
        user_id=person.id,
        kind=kind,
        title=_required(title, "title", _("nội dung")),
        institution=institution or None,
        started_on=started_on,
        ended_on=ended_on,
        notes=notes or None,
    )
    session.add(record)
    session.flush()
    return record


def create_training_event(
    session: Session,
    actor,
    *,
    title: str,
    held_on: date,
    ended_on: date | None = None,
    place: str | None = None,
    organiser: str | None = None,
    hours: float | None = None,
    notes: str | None = None,
) -> TrainingEvent:
    """Record a training course or workshop."""
    require(actor, Capability.RECORD_QUALITY)
    if ended_on and ended_on < held_on:
        raise RuleViolation(_("Ngày kết thúc trước ngày bắt đầu"), field="ended_on")
    if hours is not None and hours <= 0:
        raise RuleViolation(_("Số giờ phải dương"), field="hours")
    event = TrainingEvent(
        title=_required(title, "title", _("tên khóa học")),
        held_on=held_on,
        ended_on=ended_on,
        place=place or None,
        organiser=organiser or None,
        hours=hours,
        notes=notes or None,
    )
    session.add(event)
    session.flush()
    return event


def _folded(text: str) -> str:
    """Case-, space- and accent-insensitive form of a name, so "Nguyễn  Văn A" and "nguyen van a" match."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", bare).strip()


def identity_key(
    *,
    full_name: str,
    organisation_name: str | None = None,
    user_id: int | None = None,
    id_number: str | None = None,
    email: str | None = None,
) -> str:
    """Return the key that identifies a trained person: account, ID card number, e-mail, else name + organisation."""
    if user_id:
        return f"user:{user_id}"
    if id_number and id_number.strip():
        return "id:" + re.sub(r"\s+", "", id_number)
    if email and email.strip():
        return "email:" + email.strip().lower()
    return f"name:{_folded(full_name)}|{_folded(organisation_name or '')}"


def add_attendee(
    session: Session,
    actor,
    event: TrainingEvent,
    *,
    full_name: str = "",
    organisation_name: str | None = None,
    category: str = "enterprise",
    user_id: int | None = None,
    organisation_id: int | None = None,
    id_number: str | None = None,
    email: str | None = None,
) -> TrainingAttendance:
    """Add a person to a training event; the same person met again (same identity key) is reused, not duplicated."""
    require(actor, Capability.RECORD_QUALITY)
    if category not in ("lab", "agency", "enterprise"):
        raise RuleViolation(_("Nhóm học viên không hợp lệ"), field="category")
    user = _get(session, User, user_id, _("tài khoản")) if user_id else None
    if user is not None:
        full_name = full_name or user.full_name
        organisation_id = organisation_id or user.organisation_id
    full_name = _required(full_name, "full_name", _("họ tên"))
    organisation = _get(session, Organisation, organisation_id, _("tổ chức")) if organisation_id else None
    organisation_name = nfc((organisation_name or (organisation.name if organisation else "") or "").strip()) or None
    key = identity_key(
        full_name=full_name,
        organisation_name=organisation_name,
        user_id=user.id if user else None,
        id_number=id_number,
        email=email,
    )
    person = session.scalar(select(TrainedPerson).where(TrainedPerson.identity_key == key))
    if person is None:
        person = TrainedPerson(
            identity_key=key[:300],
            full_name=full_name,
            organisation_name=organisation_name,
            organisation_id=organisation.id if organisation else None,
            user_id=user.id if user else None,
            category=category,
        )
        session.add(person)
        session.flush()
    if any(a.person_id == person.id for a in event.attendances):
        raise RuleViolation(_("%(full_name)s đã có trong danh sách", full_name=full_name), field="full_name")
    attendance = TrainingAttendance(event=event, person=person)
    session.add(attendance)
    session.flush()
    return attendance


def people_trained(session: Session, start: date, end: date) -> int:
    """Count distinct people who attended training held between two days (inclusive)."""
    query = (
        select(func.count(func.distinct(TrainingAttendance.person_id)))
        .join(TrainingEvent, TrainingAttendance.event_id == TrainingEvent.id)
        .where(TrainingEvent.held_on >= start, TrainingEvent.held_on <= end)
    )
    return session.scalar(query) or 0


# Proficiency testing --------------------------------------------------------------------------------------------
def create_proficiency_round(
    session: Session, actor, *, code: str, kind: str, provider: str, title: str, field: str | None, held_on: date
) -> ProficiencyRound:
    """Record a proficiency test or comparison round the lab took part in."""
    require(actor, Capability.RECORD_QUALITY)
    code = _required(code, "code", _("mã vòng"))
    if kind not in ("pt", "ilc"):
        raise RuleViolation(_("Loại không hợp lệ"), field="kind")
    if session.scalar(select(ProficiencyRound.id).where(ProficiencyRound.code == code)):
        raise RuleViolation(_("Mã vòng đã có: %(code)s", code=code), field="code")
    round_ = ProficiencyRound(
        code=code,
        kind=kind,
        provider=_required(provider, "provider", _("đơn vị tổ chức")),
        title=_required(title, "title", _("tên chương trình")),
        field=field or None,
        held_on=held_on,
    )
    session.add(round_)
    session.flush()
    return round_


def record_proficiency_result(
    session: Session,
    actor,
    round_: ProficiencyRound,
    *,
    item: str,
    unit: str,
    lab_value: float,
    lab_uncertainty: float,
    reference_value: float,
    reference_uncertainty: float,
) -> ProficiencyResult:
    """Record a result, compute its En number, and open a nonconformity when |En| > 1."""
    require(actor, Capability.RECORD_QUALITY)
    try:
        assessment = en_number(ComparisonResult(lab_value, lab_uncertainty, reference_value, reference_uncertainty))
    except InputError as error:
        raise RuleViolation(f"{error.message} / {error.field}", field=error.field) from None
    result = ProficiencyResult(
        round=round_,
        item=_required(item, "item", _("hạng mục")),
        unit=_required(unit, "unit", _("đơn vị")),
        lab_value=lab_value,
        lab_uncertainty=lab_uncertainty,
        reference_value=reference_value,
        reference_uncertainty=reference_uncertainty,
        en=assessment.en,
        satisfactory=assessment.satisfactory,
        recorded_by_id=actor.id if actor else None,
    )
    session.add(result)
    session.flush()
    if not assessment.satisfactory:
        open_system_nonconformity(
            session,
            actor,
            source="proficiency",
            source_ref=f"proficiency_result:{result.id}",
            clause="7.7.2",
            title=_("Kết quả %(code)s không đạt: En = %(en).2f", code=round_.code, en=assessment.en),
            description=(
                f"{round_.title} ({round_.provider}), {result.item}: x_lab = {lab_value} ± {lab_uncertainty} {unit}, "
                f"x_ref = {reference_value} ± {reference_uncertainty} {unit}, En = {assessment.en:.2f} (|En| > 1)."
            ),
            raised_on=round_.held_on,
        )
    return result


# Nonconformities, complaints, corrective actions -----------------------------------------------------------------
def _next_number(session: Session, year: int) -> str:
    prefix = f"KPH-{year}-"
    numbers = [
        int(number[len(prefix) :])
        for number in session.scalars(select(Nonconformity.number).where(Nonconformity.number.like(prefix + "%")))
        if number[len(prefix) :].isdigit()
    ]
    # Nonconformities raised in this flush cycle are not in the database yet.
    numbers += [
        int(obj.number[len(prefix) :])
        for obj in session.new
        if isinstance(obj, Nonconformity) and obj.number and obj.number.startswith(prefix)
    ]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def raise_nonconformity(
    session: Session,
    actor,
    *,
    kind: str,
    title: str,
    description: str,
    raised_on: date,
    clause: str | None = None,
    organisation_id: int | None = None,
    source: str = "manual",
    source_ref: str | None = None,
    raised_by: str | None = None,
    flush: bool = True,
) -> Nonconformity:
    """Open a nonconformity or record a complaint (flush=False from inside a flush hook)."""
    require(actor, Capability.RECORD_QUALITY)
    if kind not in NC_KINDS:
        raise RuleViolation(_("Loại không hợp lệ"), field="kind")
    if source not in NC_SOURCES:
        raise RuleViolation(_("Nguồn không hợp lệ"), field="source")
    if organisation_id:
        _get(session, Organisation, organisation_id, _("tổ chức"))
    nonconformity = Nonconformity(
        number=_next_number(session, raised_on.year),
        kind=kind,
        source=source,
        source_ref=source_ref,
        clause=clause or None,
        title=_required(title, "title", _("tiêu đề"))[:300],
        description=_required(description, "description", _("mô tả")),
        organisation_id=organisation_id or None,
        raised_on=raised_on,
        raised_by=raised_by or current_actor().label,
        status="open",
    )
    session.add(nonconformity)
    if flush:
        session.flush()
    return nonconformity


def open_system_nonconformity(
    session: Session,
    actor,
    *,
    source: str,
    source_ref: str,
    title: str,
    description: str,
    raised_on: date,
    clause: str | None = None,
    flush: bool = True,
) -> Nonconformity:
    """Open a nonconformity the system found (a check out of limits, a failed standard, an unsatisfactory En).

    Idempotent: the record that raised it is named in (source, source_ref), so raising it twice returns the first.
    """
    require(actor, Capability.RECORD_QUALITY)
    existing = session.scalar(
        select(Nonconformity).where(Nonconformity.source == source, Nonconformity.source_ref == source_ref)
    )
    if existing is not None:
        return existing
    for pending in session.new:
        if isinstance(pending, Nonconformity) and (pending.source, pending.source_ref) == (source, source_ref):
            return pending
    with audit_reason(f"phát hiện tự động: {source_ref}"):
        return raise_nonconformity(
            session,
            actor,
            kind="nonconformity",
            title=title,
            description=description,
            raised_on=raised_on,
            clause=clause,
            source=source,
            source_ref=source_ref,
            raised_by="system",
            flush=flush,
        )


def plan_corrective_action(
    session: Session,
    actor,
    nonconformity: Nonconformity,
    *,
    root_cause: str,
    owner_id: int,
    due_on: date,
    actions: list[str],
) -> Nonconformity:
    """Record the root cause, the owner, the due date and the actions to take."""
    require(actor, Capability.RECORD_QUALITY)
    if nonconformity.status == "closed":
        raise RuleViolation(_("Đã đóng"), field="root_cause")
    owner = _get(session, User, owner_id, _("người phụ trách"))
    if not owner.is_lab_staff:
        raise RuleViolation(_("Người phụ trách phải là nhân viên"), field="owner_id")
    actions = [nfc(a.strip()) for a in actions if a and a.strip()]
    if not actions and not nonconformity.actions:
        raise RuleViolation(_("Cần ít nhất một hành động"), field="actions")
    nonconformity.root_cause = _required(root_cause, "root_cause", _("nguyên nhân gốc"))
    nonconformity.owner_id = owner.id
    nonconformity.due_on = due_on
    for text in actions:
        nonconformity.actions.append(CorrectiveAction(description=text, owner_id=owner.id, due_on=due_on))
    nonconformity.status = "action"
    session.flush()
    return nonconformity


def complete_action(session: Session, actor, action: CorrectiveAction, done_on: date, note: str | None) -> None:
    """Mark a corrective action done."""
    require(actor, Capability.RECORD_QUALITY)
    if action.done_on is not None:
        raise RuleViolation(_("Hành động đã hoàn thành"), field="done_on")
    action.done_on = done_on
    action.done_note = note or None
    if all(a.done_on is not None for a in action.nonconformity.actions):
        action.nonconformity.status = "review"
    session.flush()


def review_effectiveness(
    session: Session, actor, nonconformity: Nonconformity, *, effective: bool, review: str, reviewed_on: date
) -> Nonconformity:
    """Record whether the actions worked; effective closes the case, not effective reopens it for new actions."""
    require(actor, Capability.MANAGE_QUALITY)
    if nonconformity.status == "closed":
        raise RuleViolation(_("Đã đóng"), field="effective")
    if not nonconformity.actions or any(a.done_on is None for a in nonconformity.actions):
        raise RuleViolation(_("Chưa hoàn thành mọi hành động khắc phục"), field="effective")
    nonconformity.effectiveness_review = _required(review, "review", _("nhận xét hiệu lực"))
    nonconformity.effective = effective
    nonconformity.reviewed_on = reviewed_on
    with audit_reason("đóng" if effective else "chưa hiệu quả, mở lại"):
        if effective:
            nonconformity.status = "closed"
            nonconformity.closed_on = reviewed_on
            nonconformity.closed_by_id = actor.id
        else:
            nonconformity.status = "action"
        session.flush()
    return nonconformity


# Internal audits, management reviews, risks ----------------------------------------------------------------------
def plan_internal_audit(
    session: Session, actor, *, title: str, scope: str, auditors: str, planned_on: date
) -> InternalAudit:
    """Plan an internal audit."""
    require(actor, Capability.MANAGE_QUALITY)
    audit = InternalAudit(
        title=_required(title, "title", _("tên cuộc đánh giá")),
        scope=_required(scope, "scope", _("phạm vi")),
        auditors=_required(auditors, "auditors", _("chuyên gia đánh giá")),
        planned_on=planned_on,
    )
    session.add(audit)
    session.flush()
    return audit


def record_audit_held(session: Session, actor, audit: InternalAudit, *, held_on: date, summary: str) -> InternalAudit:
    """Record that a planned audit was held, with its summary."""
    require(actor, Capability.MANAGE_QUALITY)
    audit.held_on = held_on
    audit.summary = _required(summary, "summary", _("tóm tắt"))
    session.flush()
    return audit


def add_audit_finding(
    session: Session, actor, audit: InternalAudit, *, clause: str | None, kind: str, description: str
) -> AuditFinding:
    """Add a finding; a nonconformity finding opens a nonconformity at once."""
    require(actor, Capability.MANAGE_QUALITY)
    if kind not in FINDING_KINDS:
        raise RuleViolation(_("Loại phát hiện không hợp lệ"), field="kind")
    if audit.held_on is None:
        raise RuleViolation(_("Cuộc đánh giá chưa diễn ra"), field="kind")
    finding = AuditFinding(
        audit=audit, clause=clause or None, kind=kind, description=_required(description, "description", _("mô tả"))
    )
    session.add(finding)
    session.flush()
    if kind == "nonconformity":
        finding.nonconformity = raise_nonconformity(
            session,
            actor,
            kind="nonconformity",
            title=f"{audit.title}: {finding.description[:200]}",
            description=finding.description,
            raised_on=audit.held_on,
            clause=clause,
            source="internal_audit",
            source_ref=f"audit_finding:{finding.id}",
        )
        session.flush()
    return finding


def record_management_review(
    session: Session,
    actor,
    *,
    held_on: date,
    chaired_by: str,
    attendees: str | None,
    inputs: str,
    decisions: str,
    next_review_on: date | None,
) -> ManagementReview:
    """Record a management review."""
    require(actor, Capability.MANAGE_QUALITY)
    if next_review_on and next_review_on <= held_on:
        raise RuleViolation(_("Lần sau phải sau lần này"), field="next_review_on")
    review = ManagementReview(
        held_on=held_on,
        chaired_by=_required(chaired_by, "chaired_by", _("người chủ trì")),
        attendees=attendees or None,
        inputs=_required(inputs, "inputs", _("đầu vào")),
        decisions=_required(decisions, "decisions", _("quyết định")),
        next_review_on=next_review_on,
    )
    session.add(review)
    session.flush()
    return review


def record_risk(
    session: Session,
    actor,
    *,
    kind: str,
    title: str,
    clause: str | None,
    likelihood: int,
    impact: int,
    treatment: str | None,
    owner_id: int | None,
    review_on: date | None,
) -> Risk:
    """Record a risk or an opportunity with its score (likelihood x impact, each 1 to 5)."""
    require(actor, Capability.MANAGE_QUALITY)
    if kind not in RISK_KINDS:
        raise RuleViolation(_("Loại không hợp lệ"), field="kind")
    for name, value in (("likelihood", likelihood), ("impact", impact)):
        if not 1 <= int(value) <= 5:
            raise RuleViolation(_("Thang điểm 1 đến 5"), field=name)
    risk = Risk(
        kind=kind,
        title=_required(title, "title", _("tên rủi ro")),
        clause=clause or None,
        likelihood=int(likelihood),
        impact=int(impact),
        treatment=treatment or None,
        owner_id=owner_id or None,
        review_on=review_on,
    )
    session.add(risk)
    session.flush()
    return risk


def _score(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise RuleViolation(_("Thang điểm 1 đến 5"), field=name)
    return value


def _open_risk(risk: Risk, field: str) -> None:
    if risk.closed:
        raise RuleViolation(
            _("Rủi ro đã đóng ngày %(value)s", value=_d(risk.closed_on) if risk.closed_on else "—"), field=field
        )


def _last_review(risk: Risk) -> date | None:
    return max((review.reviewed_on for review in risk.reviews), default=None)


def update_risk(
    session: Session,
    actor,
    risk: Risk,
    *,
    likelihood: int,
    impact: int,
    treatment: str | None,
    owner_id: int | None,
    review_on: date | None,
    reason: str,
) -> Risk:
    """Change a risk's assessment: its scores, the actions to address it, its owner and when to review it."""
    require(actor, Capability.MANAGE_QUALITY)
    _open_risk(risk, "likelihood")
    likelihood, impact = _score("likelihood", likelihood), _score("impact", impact)
    if owner_id:
        owner = _get(session, User, owner_id, _("người phụ trách"))
        if not owner.is_lab_staff or not owner.active:
            raise RuleViolation(_("Người phụ trách phải là nhân viên"), field="owner_id")
    reason = _required(reason, "reason", _("lý do thay đổi"))
    treatment = nfc((treatment or "").strip()) or None
    last = _last_review(risk)
    if review_on is not None and last is not None and review_on <= last:
        raise RuleViolation(
            _("Ngày xem xét lại phải sau lần xem xét %(d)s", d=_d(last)),
            field="review_on",
        )
    new = (likelihood, impact, treatment, owner_id or None, review_on)
    if new == (risk.likelihood, risk.impact, risk.treatment, risk.owner_id, risk.review_on):
        raise RuleViolation(_("Không có gì thay đổi"), field="likelihood")
    with audit_reason(f"đánh giá lại: {reason}"):
        risk.likelihood, risk.impact, risk.treatment, risk.owner_id, risk.review_on = new
        session.flush()
    return risk


def review_risk(
    session: Session,
    actor,
    risk: Risk,
    *,
    reviewed_on: date,
    likelihood: int,
    impact: int,
    note: str,
    next_review_on: date | None,
) -> RiskReview:
    """Record a periodic review of a risk: its score that day, what was found, and the next review date."""
    require(actor, Capability.MANAGE_QUALITY)
    _open_risk(risk, "reviewed_on")
    likelihood, impact = _score("likelihood", likelihood), _score("impact", impact)
    note = _required(note, "note", _("nhận xét"))
    last = _last_review(risk)
    if last is not None and reviewed_on < last:
        raise RuleViolation(_("Đã có lần xem xét sau ngày này (%(d)s)", d=_d(last)), field="reviewed_on")
    if next_review_on is not None and next_review_on <= reviewed_on:
        raise RuleViolation(_("Lần xem xét sau phải sau lần này"), field="next_review_on")
    with audit_reason(f"xem xét định kỳ {_d(reviewed_on)}"):
        review = RiskReview(
            risk=risk,
            reviewed_on=reviewed_on,
            likelihood=likelihood,
            impact=impact,
            note=note,
            next_review_on=next_review_on,
            reviewed_by_id=actor.id,
        )
        session.add(review)
        risk.likelihood, risk.impact, risk.review_on = likelihood, impact, next_review_on
        session.flush()
    return review


def close_risk(
    session: Session, actor, risk: Risk, *, closed_on: date, reason: str, effectiveness: str, effective: bool
) -> Risk:
    """Close a risk or opportunity, saying why and how effective its actions were (17025 8.5.3); it stays listed."""
    require(actor, Capability.MANAGE_QUALITY)
    _open_risk(risk, "reason")
    reason = _required(reason, "reason", _("lý do đóng"))
    effectiveness = _required(effectiveness, "effectiveness", _("đánh giá hiệu lực của biện pháp"))
    last = _last_review(risk)
    if last is not None and closed_on < last:
        raise RuleViolation(_("Ngày đóng trước lần xem xét %(d)s", d=_d(last)), field="closed_on")
    with audit_reason(f"đóng: {reason}"):
        risk.closed = True
        risk.closed_on = closed_on
        risk.closed_by_id = actor.id
        risk.close_reason = reason
        risk.effectiveness = effectiveness
        risk.effective = bool(effective)
        session.flush()
    return risk


# Lab settings: how old a record may be and still count as current evidence ------------------------------------
def _whole_days(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def set_freshness_limits(
    session: Session, actor, values: Mapping[str, object], reason: str | None = None
) -> FreshnessLimits:
    """Change the lab's freshness limits (whole days); a limit not given keeps its value.

    Every value is checked before any is written, so one bad value changes nothing.

    :raises RuleViolation: naming the first field that is not a whole number of days within its bounds.
    """
    require(actor, Capability.MANAGE_QUALITY)
    unknown = set(values) - {setting.name for setting in FRESHNESS_SETTINGS}
    if unknown:
        raise RuleViolation(_("Cài đặt không có: %(items)s", items=", ".join(sorted(unknown))), field=min(unknown))
    current = freshness_limits(session)
    changes: dict[str, int] = {}
    for setting in FRESHNESS_SETTINGS:
        if setting.name not in values:
            continue
        days = _whole_days(values[setting.name])
        if days is None or not 1 <= days <= setting.maximum:
            raise RuleViolation(
                _(
                    "%(label_vi)s: phải là số ngày nguyên từ 1 đến %(maximum)s: %(values)r",
                    label_vi=in_language(setting.label_vi, setting.label_en),
                    maximum=setting.maximum,
                    values=values[setting.name],
                ),
                field=setting.name,
            )
        if days != getattr(current, setting.name):
            changes[setting.key] = days
    with audit_reason(nfc((reason or "").strip()) or "giới hạn thời gian của bằng chứng"):
        for key, days in changes.items():
            row = session.get(LabSetting, key)
            if row is None:
                session.add(LabSetting(key=key, value=str(days)))
            else:
                row.value = str(days)
        session.flush()
    return freshness_limits(session)
