"""Internal audits and management reviews: planning and holding an audit, its findings (a nonconformity finding
opens a nonconformity), and the record of a management review."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.quality.models import (
    FINDING_KINDS,
    AuditFinding,
    InternalAudit,
    ManagementReview,
)
from lims.quality.services._common import _required
from lims.quality.services.nonconformities import raise_nonconformity


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
