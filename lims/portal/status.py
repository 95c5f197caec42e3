"""An instrument's standing today, as its owner asks it: in the lab, being measured, failed, overdue, due soon, valid.

Read for a page of instruments at once (two queries, whatever the page's size): the open job of each, if any, and
the decision of its last finished job.
"""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lims.jobs.models import Job

# From the most pressing to the least; each instrument gets the first that applies.
STATUS_LABELS = {
    "in_progress": _l("Đang đo"),  # measured, being reviewed or waiting for its certificate
    "in_lab": _l("Đang ở phòng thí nghiệm"),  # received or scheduled, not yet measured (or on hold)
    "failed": _l("Không đạt"),  # its last finished verification failed
    "overdue": _l("Quá hạn"),
    "due_30": _l("Đến hạn trong 30 ngày"),
    "due_60": _l("Đến hạn trong 60 ngày"),
    "due_90": _l("Đến hạn trong 90 ngày"),
    "valid": _l("Còn hiệu lực"),
    "unknown": _l("Chưa có hạn"),
}
STATUSES = tuple(STATUS_LABELS)
IN_LAB = ("received", "scheduled", "on_hold")
IN_PROGRESS = ("in_progress", "measured", "reviewed")
FINISHED = ("certified", "returned")


def _due_status(next_due_on: date | None, today: date) -> str:
    if next_due_on is None:
        return "unknown"
    if next_due_on < today:
        return "overdue"
    for days in (30, 60, 90):
        if next_due_on <= today + timedelta(days=days):
            return f"due_{days}"
    return "valid"


def instrument_statuses(session: Session, instruments, today: date) -> dict[int, str]:
    """Return {instrument id: status} for a page of instruments (already read with the reader's permission)."""
    instruments = list(instruments)
    ids = [instrument.id for instrument in instruments]
    if not ids:
        return {}
    open_jobs: dict[int, str] = {}
    for instrument_id, status in session.execute(
        select(Job.instrument_id, Job.status).where(Job.instrument_id.in_(ids), Job.status.in_(IN_LAB + IN_PROGRESS))
    ):
        if status in IN_PROGRESS or instrument_id not in open_jobs:
            open_jobs[instrument_id] = "in_progress" if status in IN_PROGRESS else "in_lab"
    last_finished = (
        select(func.max(Job.id))
        .where(Job.instrument_id.in_(ids), Job.status.in_(FINISHED))
        .group_by(Job.instrument_id)
        .scalar_subquery()
    )
    failed = set(session.scalars(select(Job.instrument_id).where(Job.id.in_(last_finished), Job.passed.is_(False))))
    statuses = {}
    for instrument in instruments:
        if instrument.id in open_jobs:
            statuses[instrument.id] = open_jobs[instrument.id]
        elif instrument.id in failed:
            statuses[instrument.id] = "failed"
        else:
            statuses[instrument.id] = _due_status(instrument.next_due_on, today)
    return statuses
