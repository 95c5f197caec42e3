"""Nonconformities the system raises by itself: a check out of limits, a failed standard, an unsatisfactory En.

Two ways in: the services that write such records send a signal (lims.core.signals), received here in the same
transaction; a sweep finds the ones written before.
"""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth.permissions import SYSTEM, Capability, require
from lims.core.dates import lab_today
from lims.core.signals import intermediate_check_recorded, standard_status_changed
from lims.quality.models import Nonconformity, ProficiencyResult
from lims.quality.services import open_system_nonconformity
from lims.standards.models import IntermediateCheck, Standard, StandardStatusChange

FAILED_STANDARD_STATES = ("quarantined",)


def check_is_out_of_limits(check: IntermediateCheck) -> bool:
    """Whether an intermediate check was recorded outside its limits (the standards module's flag)."""
    return check.within_limits is False


def _standard_label(session: Session, standard_id: int | None) -> str:
    standard = session.get(Standard, standard_id) if standard_id else None
    return f"{standard.code} {standard.name}" if standard else f"#{standard_id}"


def raise_for_check(session: Session, check: IntermediateCheck, flush: bool = True) -> Nonconformity:
    label = _standard_label(session, check.standard_id)
    return open_system_nonconformity(
        session,
        SYSTEM,
        source="intermediate_check",
        source_ref=f"intermediate_check:{check.id}",
        clause="6.4",
        title=_("Kiểm tra giữa kỳ vượt giới hạn: %(label)s", label=label),
        description=(
            f"Kiểm tra giữa kỳ #{check.id} của {label} ngày {check.checked_on:%d/%m/%Y} vượt giới hạn cho phép. "
            "Xem lại các kết quả đã dùng chuẩn này từ lần kiểm tra đạt gần nhất (17025 6.4.13, 7.10)."
        ),
        raised_on=check.checked_on,
        flush=flush,
    )


def raise_for_failed_standard(session: Session, change: StandardStatusChange, flush: bool = True) -> Nonconformity:
    label = _standard_label(session, change.standard_id)
    day = change.changed_at.date() if change.changed_at else lab_today()
    return open_system_nonconformity(
        session,
        SYSTEM,
        source="standard_failure",
        source_ref=f"standard_status_change:{change.id}",
        clause="6.4",
        title=_("Chuẩn bị đình chỉ sử dụng: %(label)s", label=label),
        description=f"{label} chuyển sang '{change.to_status}': {change.reason}",
        raised_on=day,
        flush=flush,
    )


def sweep_system_nonconformities(session: Session, actor) -> list[Nonconformity]:
    """Open a nonconformity for every flagged record that has none yet (earlier records included)."""
    require(actor, Capability.MANAGE_QUALITY)
    opened: list[Nonconformity] = []
    existing = {
        (row.source, row.source_ref) for row in session.execute(select(Nonconformity.source, Nonconformity.source_ref))
    }
    for check in session.scalars(select(IntermediateCheck).where(IntermediateCheck.within_limits.is_(False))):
        if ("intermediate_check", f"intermediate_check:{check.id}") not in existing:
            opened.append(raise_for_check(session, check))
    query = select(StandardStatusChange).where(StandardStatusChange.to_status.in_(FAILED_STANDARD_STATES))
    for change in session.scalars(query):
        if ("standard_failure", f"standard_status_change:{change.id}") not in existing:
            opened.append(raise_for_failed_standard(session, change))
    for result in session.scalars(select(ProficiencyResult).where(ProficiencyResult.satisfactory.is_(False))):
        if ("proficiency", f"proficiency_result:{result.id}") not in existing:
            opened.append(
                open_system_nonconformity(
                    session,
                    SYSTEM,
                    source="proficiency",
                    source_ref=f"proficiency_result:{result.id}",
                    clause="7.7.2",
                    title=_("Kết quả %(code)s không đạt: En = %(en).2f", code=result.round.code, en=result.en),
                    description=f"{result.round.title}, {result.item}: En = {result.en:.2f} (|En| > 1).",
                    raised_on=result.round.held_on,
                )
            )
    return opened


def _on_check_recorded(check: IntermediateCheck, *, session: Session) -> None:
    if check_is_out_of_limits(check):
        raise_for_check(session, check)


def _on_standard_status_changed(change: StandardStatusChange, *, session: Session) -> None:
    if change.to_status in FAILED_STANDARD_STATES:
        raise_for_failed_standard(session, change)


def connect_receivers() -> None:
    """Open nonconformities when the standards services report a failed check or a standard taken out of service."""
    intermediate_check_recorded.connect(_on_check_recorded)
    standard_status_changed.connect(_on_standard_status_changed)
