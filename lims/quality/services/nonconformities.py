"""Nonconformities, complaints and corrective actions: raising one (by a person or by the system), planning and
completing the actions, reviewing their effectiveness."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.audit.trail import audit_reason, current_actor
from lims.auth.models import User
from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.core.model import nfc
from lims.customers.models import Organisation
from lims.quality.models import (
    NC_KINDS,
    NC_SOURCES,
    CorrectiveAction,
    Nonconformity,
)
from lims.quality.services._common import _get, _required


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
