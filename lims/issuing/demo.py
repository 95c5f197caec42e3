"""Demo issuing: a sticker stock, the lab's demo signing key, and real signed certificates for reviewed demo jobs.

Of the jobs demo's reviewed jobs, two scale verifications and one weight calibration are signed by ktv.binh (who
did not measure them); one scale goes back to its enterprise, and the weight's certificate is corrected once, so
the public page of its first revision reads "superseded". One scale and one weight stay waiting for a signature.
"""

import logging
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth.models import User
from lims.auth.permissions import SYSTEM
from lims.core.dates import lab_today
from lims.core.errors import RuleViolation
from lims.customers.services import confirm_cycle, cycle_in_force
from lims.demo import DEMO_PASSWORD
from lims.issuing import keys, services
from lims.issuing.models import Certificate, Sticker, StickerBatch
from lims.issuing.stickers import receive_stickers
from lims.jobs.demo import DEMO_NOTE
from lims.jobs.models import Job, ServiceRequest
from lims.jobs.services import mark_returned

log = logging.getLogger(__name__)

SIGNATORY = "ktv.binh"
SCALES_TO_SIGN = 2
WEIGHTS_TO_SIGN = 1
CHECKED = "Dữ liệu mẫu: đã đối chiếu với văn bản gốc / demo data: checked against the official text"
AMENDMENT_REASON = "Bổ sung vị trí lắp đặt của phương tiện đo / the instrument's location added"


def _user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def _receive_stock(session: Session, manager: User) -> None:
    if session.scalar(select(StickerBatch.id).limit(1)) is None:
        receive_stickers(
            session, manager, prefix="VL ", first=12001, last=12100, received_on=date(2026, 1, 5), supplier="Demo"
        )


def _ensure_signing_key() -> None:
    if not Path(current_app.config["SIGNING_KEY_PATH"]).exists():
        path = keys.create_configured_lab_key()
        log.info("demo signing key written to %s", path)


def _reviewed_demo_jobs(session: Session, procedure_prefix: str) -> list[Job]:
    query = (
        select(Job)
        .join(ServiceRequest, Job.request_id == ServiceRequest.id)
        .where(
            ServiceRequest.notes == DEMO_NOTE, Job.status == "reviewed", Job.procedure_key.startswith(procedure_prefix)
        )
        .order_by(Job.id)
    )
    return list(session.scalars(query))


def _confirm_cycle(session: Session, manager: User, job: Job) -> None:
    # The catalogue seeds some cycles from an unconfirmed copy of the circular; the demo manager has checked them.
    cycle = cycle_in_force(session, job.instrument.instrument_type_id, job.measured_on or lab_today())
    if cycle is not None and not cycle.confirmed:
        confirm_cycle(session, manager, cycle, months=cycle.months, legal_source=cycle.legal_source, reason=CHECKED)


def _free_sticker(session: Session) -> str | None:
    return session.scalar(select(Sticker.serial).where(Sticker.state == "in_stock").order_by(Sticker.id).limit(1))


def load(session: Session) -> list[tuple[str, str]]:
    manager, signatory = _user(session, "truongphong"), _user(session, SIGNATORY)
    if manager is None or signatory is None:
        return []
    _receive_stock(session, manager)
    if session.scalar(select(Certificate.id).limit(1)) is not None:
        return []
    _ensure_signing_key()
    issued: list[Certificate] = []
    # The last reviewed scale is left for a signatory to find on their home page.
    scales = _reviewed_demo_jobs(session, "scale-verification")[1 : 1 + SCALES_TO_SIGN]
    # A record flagged at save (reference value differs from the standard's certificate) is left for review.
    weights = [
        job for job in _reviewed_demo_jobs(session, "weight-comparison") if not services.stop_reasons(session, job)
    ]
    weights = weights[:WEIGHTS_TO_SIGN]
    # One job of each family a shipped definition verifies (water meters, dispensers, sphygmomanometers, gauges).
    defined = [job for job in _reviewed_demo_jobs(session, "") if job.procedure_version_id is not None]
    for job in [*scales, *weights, *defined]:
        passed_verification = job.service.endswith("verification") and job.passed
        if passed_verification:
            _confirm_cycle(session, manager, job)
        try:
            certificate = services.issue_certificate(
                session,
                signatory,
                job,
                DEMO_PASSWORD,
                sticker_serial=_free_sticker(session) if passed_verification else None,
            )
        except RuleViolation as exc:
            log.warning("demo certificate for job %s not issued: %s", job.number, exc.message)
            continue
        issued.append(certificate)
    verifications = [c for c in issued if c.kind == "verification"]
    if verifications:
        mark_returned(session, SYSTEM, verifications[0].job)
    calibrations = [c for c in issued if c.kind == "calibration"]
    if calibrations:
        services.amend_certificate(session, signatory, calibrations[0], DEMO_PASSWORD, AMENDMENT_REASON)
    return []
