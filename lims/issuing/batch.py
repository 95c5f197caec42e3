"""Batch issue of many reviewed jobs: a batch record with done/total, run by a worker (RQ) or in-process.

The signatory confirms the whole batch once with their password; the worker then issues each job in its own unit
of work (one failure does not undo the others) and counts progress in its own short transaction so that a page
polling the batch sees it move. The password never travels to the queue.
"""

import logging
import threading
from collections.abc import Callable

from flask import Flask, current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from lims.audit.trail import record_event
from lims.auth.models import User
from lims.auth.passwords import check_password
from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.core.model import utcnow
from lims.core.unit_of_work import unit_of_work
from lims.extensions import db
from lims.issuing import services
from lims.issuing.models import IssueBatch, Sticker
from lims.jobs.models import Job

log = logging.getLogger(__name__)
QUEUE_NAME = "lims-issuing"


def start_batch(session: Session, actor, password: str, job_ids: list[int]) -> IssueBatch:
    """Record a batch of reviewed jobs the signatory approves, after checking their password once."""
    require(actor, Capability.ISSUE_CERTIFICATES)
    if not check_password(actor.password_hash, password or ""):
        raise RuleViolation(_("Mật khẩu xác nhận chữ ký không đúng"), field="password")
    job_ids = sorted({int(job_id) for job_id in job_ids})
    if not job_ids:
        raise RuleViolation(_("Chưa chọn công việc nào"), field="job_ids")
    found = set(session.scalars(select(Job.id).where(Job.id.in_(job_ids), Job.status == "reviewed")))
    missing = [job_id for job_id in job_ids if job_id not in found]
    if missing:
        raise RuleViolation(
            _("Các công việc sau chưa soát xét hoặc không tồn tại: %(missing)s", missing=missing),
            field="job_ids",
        )
    batch = IssueBatch(job_ids=job_ids, total=len(job_ids), signatory_id=actor.id, errors=[])
    session.add(batch)
    session.flush()
    record_event(
        session, "sign-batch", "issue_batch", batch.id, {"jobs": job_ids, "meaning": services.SIGNATURE_MEANING}
    )
    return batch


def sticker_for(session: Session, job: Job) -> str | None:
    """Pick the sticker for a passed verification in a batch: the measurer's own first, else the first in stock."""
    if job.service == "calibration" or job.passed is False:
        return None
    holder = job.measured_by_id or job.technician_id
    serial = session.scalar(
        select(Sticker.serial)
        .where(Sticker.state == "issued", Sticker.holder_id == holder)
        .order_by(Sticker.serial)
        .limit(1)
    )
    return serial or session.scalar(
        select(Sticker.serial).where(Sticker.state == "in_stock").order_by(Sticker.serial).limit(1)
    )


def _count(batch_id: int, ok: bool, error: dict | None = None) -> None:
    with Session(db.engine) as own:
        batch = own.get(IssueBatch, batch_id)
        values = {"done": IssueBatch.done + 1} if ok else {"failed": IssueBatch.failed + 1}
        own.execute(update(IssueBatch).where(IssueBatch.id == batch_id).values(**values))
        if error is not None:
            batch.errors = [*(batch.errors or []), error]
        own.commit()


def run_batch(batch_id: int, progress: Callable[[int, int], None] | None = None) -> IssueBatch:
    """Issue every job of a batch, each in its own unit of work; needs an app context."""
    with unit_of_work("worker:batch-issue") as session:
        batch = session.get(IssueBatch, batch_id)
        batch.status = "running"
        signatory_id, job_ids = batch.signatory_id, list(batch.job_ids)
    for index, job_id in enumerate(job_ids, start=1):
        try:
            with unit_of_work(f"worker:batch-issue:{batch_id}", user_id=signatory_id) as session:
                job = session.get(Job, job_id)
                signatory = session.get(User, signatory_id)
                services.issue_certificate(
                    session, signatory, job, None, sticker_serial=sticker_for(session, job), batch_id=batch_id
                )
            _count(batch_id, ok=True)
        except RuleViolation as exc:
            log.warning("batch %s: job %s refused: %s", batch_id, job_id, exc.message)
            _count(batch_id, ok=False, error={"job_id": job_id, "message": exc.message})
        except Exception as exc:  # one broken job must not stop the batch; it is reported on the page
            log.exception("batch %s: job %s failed", batch_id, job_id)
            _count(batch_id, ok=False, error={"job_id": job_id, "message": str(exc)[:300]})
        if progress:
            progress(index, len(job_ids))
    with unit_of_work("worker:batch-issue") as session:
        batch = session.get(IssueBatch, batch_id)
        session.refresh(batch)  # the counts were written by their own short transactions
        batch.status, batch.finished_at = "finished", utcnow()
    return batch


def run_batch_job(batch_id: int) -> None:
    """The RQ entry point: run the batch in the worker's app, or in one built from the environment."""
    if has_app_context():  # `lims worker` built its app from the environment before taking jobs
        run_batch(batch_id)
        return
    from lims.app import create_app  # a bare `rq worker` has no app of its own

    with create_app().app_context():
        run_batch(batch_id)


def enqueue_after_commit(session, batch_id: int) -> None:
    """Start the batch once the transaction that recorded it commits (never if it rolls back)."""
    target = session() if not isinstance(session, Session) else session
    event.listen(target, "after_commit", lambda _session: enqueue_batch(batch_id), once=True)


def enqueue_batch(batch_id: int) -> str:
    """Run the batch on the Redis queue when LIMS_REDIS_URL is set, else in a thread of this process."""
    url = current_app.config.get("REDIS_URL")
    if url:
        from redis import Redis
        from rq import Queue

        Queue(QUEUE_NAME, connection=Redis.from_url(url)).enqueue(run_batch_job, batch_id, job_timeout=3600)
        return "queue"
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        with app.app_context():
            run_batch(batch_id)

    threading.Thread(target=work, name=f"batch-issue-{batch_id}", daemon=True).start()
    return "thread"
