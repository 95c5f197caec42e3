"""A second look at reviewed jobs when a procedure's rules change, and what a job needs before certification.

A record keeps the result computed when it was saved (ISO/IEC 17025 7.5): a later rule never recomputes it in place.
Instead a sweep computes each reviewed, uncertified job's records again in memory and flags the job when they would
not stand today (a required load or adequate weights missing, a decision that changed, a method the type does not
allow); the job's page shows why and certification waits until it is reopened and measured again.
"""

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from instruments.errors import InputError
from instruments.procedures import Stage
from lims.audit.trail import audit_reason
from lims.core.errors import RuleViolation
from lims.core.model import utcnow
from lims.customers.services import allowed_methods
from lims.jobs.models import Job
from lims.jobs.services import current_records, procedure_for
from lims.procedures.services import ensure_confirmed


def ensure_certifiable(job: Job) -> None:
    """Refuse to certify a job flagged for a second look since its review, or whose method or procedure version
    still holds a legal value a manager has not confirmed."""
    if job.method is not None and not job.method.confirmed:
        raise RuleViolation(
            _(
                "Phương pháp %(code)s chưa được xác nhận: trưởng phòng phải xác nhận trước khi cấp giấy chứng nhận",
                code=job.method.code,
            ),
            field="method",
        )
    ensure_confirmed(object_session(job), job.procedure_version_id)
    if job.second_look_reason:
        raise RuleViolation(
            _(
                "Công việc %(number)s cần soát xét lại trước khi cấp: %(second_look_reason)s",
                number=job.number,
                second_look_reason=job.second_look_reason,
            ),
            field="job",
        )


def flag_for_second_look(session: Session, job: Job, reason: str) -> Job:
    """Mark a reviewed job for a second look, with why; its stored records stay as they were computed."""
    with audit_reason(f"second look: {reason}"):
        job.second_look_reason = reason
        job.second_look_flagged_at = utcnow()
        session.flush()
    return job


def second_look_reasons(job: Job) -> list[str]:
    """Return why the job's current records would not stand under today's procedure rules (none: they stand).

    Each record is computed again in memory from its stored observations and compared with what was stored: a
    decision that changed, or items now required, are reasons. Nothing is written to the records.
    """
    reasons = []
    allowed = allowed_methods(job.instrument.instrument_type, job.procedure_key)
    if job.method_id is None and job.method_code and allowed and job.method_code not in {m.code for m in allowed}:
        codes = ", ".join(method.code for method in allowed)
        reasons.append(
            _(
                "phương pháp %(method_code)s không thuộc các phương pháp của loại phương tiện đo (%(codes)s)",
                method_code=job.method_code,
                codes=codes,
            )
        )
    procedure = procedure_for(job)
    for stage, record in sorted(current_records(job).items()):
        try:
            result = procedure.calculate(
                procedure.with_standards(record.observations, record.standards_snapshot or []), Stage(stage)
            )
        except InputError as exc:
            reasons.append(f"{stage}: {exc.field}: {exc.message}")
            continue
        for item in result.missing:
            reasons.append(f"{stage}: {item.message_vi} / {item.message_en}")
        if not result.missing and result.passed != record.passed:
            reasons.append(_("%(stage)s: kết luận nay là %(passed)s", stage=stage, passed=result.passed))
    return reasons


def sweep_reviewed_jobs(session: Session) -> list[Job]:
    """Flag every reviewed, not yet certified job whose records would not stand today; return those flagged."""
    flagged = []
    jobs = session.scalars(select(Job).where(Job.status == "reviewed", Job.second_look_reason.is_(None)))
    for job in jobs:
        reasons = second_look_reasons(job)
        if reasons:
            flag_for_second_look(session, job, "; ".join(reasons))
            flagged.append(job)
    return flagged
