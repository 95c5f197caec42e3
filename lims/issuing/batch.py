"""Batch issue of many reviewed jobs: a batch record with done/total, run by a worker (RQ) or in-process.

The signatory confirms the whole batch once with their password, after seeing which sticker goes on which job; the
worker then issues each job through the same checks as a single issue, each in its own short transactions (one
failure does not undo the others). A batch can always be run again: a job already issued is not issued twice, a
number taken but not yet rendered is completed, a refused job is tried again. The password never travels to the
queue.
"""

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from lims.audit.trail import record_event
from lims.auth.models import User
from lims.auth.passwords import check_password
from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.core.model import nfc, utcnow
from lims.core.unit_of_work import unit_of_work
from lims.extensions import db
from lims.issuing import document, services
from lims.issuing.models import Certificate, IssueBatch, Sticker
from lims.jobs.models import Job

log = logging.getLogger(__name__)
QUEUE_NAME = "lims-issuing"
# A running batch writes its heartbeat before each job (rendering one takes well under a second): silent this
# long, its process is gone.
HEARTBEAT_TIMEOUT = timedelta(minutes=2)


def needs_sticker(job: Job) -> bool:
    """Whether issuing the job puts a sticker on the instrument: a passed verification."""
    return document.kind_of(job).value == "verification" and job.passed is not False


def next_serial(serial: str) -> str | None:
    """The serial after this one on a roll: "VL 0000009" -> "VL 0000010" (None without a trailing number)."""
    match = re.fullmatch(r"(.*?)(\d+)", serial)
    if match is None:
        return None
    prefix, digits = match.groups()
    return f"{prefix}{int(digits) + 1:0{len(digits)}d}"


@dataclass(frozen=True)
class Pairing:
    """One job of a batch as the signatory confirms it: its sticker (if any) and what would stop it."""

    job: Job
    sticker_serial: str | None
    problems: tuple[str, ...]


def pair_stickers(
    session: Session, jobs: list[Job], first_serial: str | None = None, named: dict[int, str] | None = None
) -> list[Pairing]:
    """Pair each job needing a sticker with the next serial of the roll from ``first_serial``, or the one named.

    Nothing is refused here: each pair says what would stop it (a sticker used, unknown, or not in hand; a flagged
    record or out-of-limit standard), for the signatory to see before the password.
    """
    named = named or {}
    serial = nfc(first_serial.strip()) if first_serial and first_serial.strip() else None
    pairs = []
    for job in jobs:
        problems = list(services.stop_reasons(session, job))
        chosen = None
        if needs_sticker(job):
            chosen = nfc(named[job.id].strip()) if named.get(job.id, "").strip() else serial
            if serial is not None and chosen == serial:
                serial = next_serial(serial)
            if not chosen:
                problems.append(_("Chưa ghi số tem."))
            else:
                state = session.scalar(select(Sticker.state).where(Sticker.serial == chosen))
                if state is None:
                    problems.append(_("Không có tem số %(serial)s trong sổ.", serial=chosen))
                elif state not in ("in_stock", "issued"):
                    problems.append(_("Tem %(serial)s đang ở trạng thái '%(state)s'.", serial=chosen, state=state))
        pairs.append(Pairing(job, chosen, tuple(problems)))
    return pairs


def start_batch(
    session: Session, actor, password: str, job_ids: list[int], stickers: dict[int, str] | None = None
) -> IssueBatch:
    """Record a batch of reviewed jobs the signatory approves, with the sticker named for each, after the password.

    Jobs of the list already certified are left out (running the same list again issues only what is left).
    """
    require(actor, Capability.ISSUE_CERTIFICATES)
    if not check_password(actor.password_hash, password or ""):
        raise RuleViolation(_("Mật khẩu xác nhận chữ ký không đúng"), field="password")
    job_ids = sorted({int(job_id) for job_id in job_ids})
    if not job_ids:
        raise RuleViolation(_("Chưa chọn công việc nào"), field="job_ids")
    statuses = dict(session.execute(select(Job.id, Job.status).where(Job.id.in_(job_ids))).all())
    missing = [job_id for job_id in job_ids if statuses.get(job_id) not in ("reviewed", "certified", "returned")]
    if missing:
        raise RuleViolation(
            _("Các công việc sau chưa soát xét hoặc không tồn tại: %(missing)s", missing=missing),
            field="job_ids",
        )
    left = [job_id for job_id in job_ids if statuses[job_id] == "reviewed"]
    if not left:
        raise RuleViolation(_("Mọi công việc đã được cấp giấy chứng nhận."), field="job_ids")
    named = {str(job_id): nfc(serial.strip()) for job_id, serial in (stickers or {}).items() if (serial or "").strip()}
    batch = IssueBatch(
        job_ids=left,
        total=len(left),
        signatory_id=actor.id,
        errors=[],
        stickers={key: value for key, value in named.items() if int(key) in left},
    )
    session.add(batch)
    session.flush()
    record_event(
        session,
        "sign-batch",
        "issue_batch",
        batch.id,
        {"jobs": left, "stickers": batch.stickers, "meaning": services.SIGNATURE_MEANING},
    )
    return batch


def resume_batch(session: Session, actor, batch: IssueBatch) -> IssueBatch:
    """Put back in line a batch that stopped: interrupted, or finished with refused jobs to try again.

    Its own signatory may, and whoever keeps the numbering register (a manager, a command on the server): the jobs
    are still issued in the name of the signatory who confirmed them.
    """
    if actor.id is None or actor.id != batch.signatory_id:
        require(actor, Capability.MANAGE_NUMBERING)
    if batch.status == "running" and not is_interrupted(batch):
        raise RuleViolation(_("Đợt cấp đang chạy."), field="batch")
    if batch.status == "finished" and not batch.failed:
        raise RuleViolation(_("Đợt cấp đã xong."), field="batch")
    batch.status, batch.heartbeat_at = "queued", None
    session.flush()
    record_event(session, "resume-batch", "issue_batch", batch.id, {"done": batch.done, "total": batch.total})
    return batch


def is_interrupted(batch: IssueBatch, now: datetime | None = None) -> bool:
    """Whether a batch that says it is running has stopped beating: its process died."""
    if batch.status != "running":
        return False
    last = batch.heartbeat_at or batch.created_at
    return (now or utcnow()) - last > HEARTBEAT_TIMEOUT


def _own_transaction(batch_id: int, **values) -> None:
    # Written and committed at once whatever happens to the job's own transaction.
    with Session(db.engine) as own:
        own.execute(update(IssueBatch).where(IssueBatch.id == batch_id).values(**values))
        own.commit()


def _refused(batch_id: int, job_id: int, message: str) -> None:
    with Session(db.engine) as own:
        batch = own.get(IssueBatch, batch_id, with_for_update=True)
        batch.failed += 1
        batch.errors = [*(batch.errors or []), {"job_id": job_id, "message": message}]
        own.commit()


def _issue_one(batch_id: int, signatory_id: int, job_id: int, serial: str | None) -> None:
    """Reserve the job's number (one short transaction), then render, sign and record it (another)."""
    with unit_of_work(f"worker:batch-issue:{batch_id}", user_id=signatory_id) as session:
        certificate = services.original_certificate(session, job_id)
        if certificate is None or certificate.status == "issuing":
            job = session.get(Job, job_id)
            signatory = session.get(User, signatory_id)
            certificate = services.reserve_certificate(
                session, signatory, job, None, sticker_serial=serial, batch_id=batch_id
            )
        certificate_id = certificate.id
    with unit_of_work(f"worker:batch-issue:{batch_id}", user_id=signatory_id) as session:
        signatory = session.get(User, signatory_id)
        services.complete_certificate(session, signatory, session.get(Certificate, certificate_id))


def run_batch(batch_id: int, progress: Callable[[int, int], None] | None = None) -> IssueBatch:
    """Issue what is left of a batch, each job in its own units of work; needs an app context.

    Safe to run again at any time (resuming an interrupted batch): jobs already issued are skipped, a number
    taken but not rendered is completed, jobs refused before are tried again.
    """
    with unit_of_work("worker:batch-issue") as session:
        batch = session.get(IssueBatch, batch_id)
        batch.status, batch.heartbeat_at, batch.finished_at = "running", utcnow(), None
        # Refused jobs are tried again: their earlier refusals are no longer the batch's state.
        batch.failed, batch.errors = 0, []
        signatory_id, job_ids, named = batch.signatory_id, list(batch.job_ids), dict(batch.stickers or {})
    for index, job_id in enumerate(job_ids, start=1):
        _own_transaction(batch_id, heartbeat_at=utcnow())
        try:
            with unit_of_work("worker:batch-issue") as session:
                existing = services.original_certificate(session, job_id)
                issued = existing is not None and existing.status != "issuing"
                elsewhere = issued and existing.batch_id != batch_id and existing.display_number
            if elsewhere:
                raise RuleViolation(_("Đã cấp ngoài đợt này: %(number)s.", number=elsewhere))
            if not issued:
                _issue_one(batch_id, signatory_id, job_id, named.get(str(job_id)))
        except RuleViolation as exc:
            log.warning("batch %s: job %s refused: %s", batch_id, job_id, exc.message)
            _refused(batch_id, job_id, exc.message)
        except Exception as exc:  # one broken job must not stop the batch; it is reported on the page
            log.exception("batch %s: job %s failed", batch_id, job_id)
            _refused(batch_id, job_id, str(exc)[:300])
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
        from rq import Queue, Retry

        # Retried once if its worker dies: running a batch again issues only what is left.
        Queue(QUEUE_NAME, connection=Redis.from_url(url)).enqueue(
            run_batch_job, batch_id, job_timeout=3600, retry=Retry(max=1)
        )
        return "queue"
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    def work() -> None:
        with app.app_context():
            run_batch(batch_id)

    threading.Thread(target=work, name=f"batch-issue-{batch_id}", daemon=True).start()
    return "thread"
