"""Reverse traceability: when a standard is found out of tolerance, what did it touch, and who must be told."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.core.model import nfc
from lims.customers.models import Organisation, OutboxMessage
from lims.issuing.models import Certificate, ImpactNotice
from lims.jobs.models import Job, JobStandard
from lims.standards.models import Standard, StandardCalibration


@dataclass(frozen=True)
class Impact:
    """The jobs and certificates that used a standard since its last good calibration."""

    standard: Standard
    since: date | None
    jobs: list[Job]
    certificates: list[Certificate]

    def by_organisation(self) -> dict[Organisation, list[Certificate]]:
        grouped: dict[Organisation, list[Certificate]] = defaultdict(list)
        for certificate in self.certificates:
            grouped[certificate.organisation].append(certificate)
        return dict(grouped)


def last_good_calibration(session: Session, standard: Standard, found_on: date | None = None) -> date | None:
    """Return the date of the newest calibration before the failure was found (the last time it was known good)."""
    query = select(StandardCalibration.calibrated_on).where(StandardCalibration.standard_id == standard.id)
    if found_on is not None:
        query = query.where(StandardCalibration.calibrated_on <= found_on)
    return session.scalar(query.order_by(StandardCalibration.calibrated_on.desc()).limit(1))


def impact_of(session: Session, standard: Standard, since: date | None = None) -> Impact:
    """List the jobs that used the standard on or after ``since`` (default: its last calibration), and certificates."""
    since = since if since is not None else last_good_calibration(session, standard)
    query = select(Job).join(JobStandard, JobStandard.job_id == Job.id).where(JobStandard.standard_id == standard.id)
    if since is not None:
        query = query.where(JobStandard.used_on >= since)
    jobs = session.scalars(query.order_by(JobStandard.used_on, Job.id)).all()
    certificates = []
    if jobs:
        certificates = session.scalars(
            select(Certificate)
            .where(Certificate.job_id.in_([job.id for job in jobs]))
            .order_by(Certificate.issued_at, Certificate.id)
        ).all()
    return Impact(standard, since, list(jobs), list(certificates))


def _queue_in_outbox(session: Session, organisation, standard: Standard, numbers: list[str], message: str) -> None:
    # The customers domain's outbox sends the letter; the ImpactNotice stays the lab's record of what was said.
    session.add(
        OutboxMessage(
            organisation_id=organisation.id,
            channel="letter",
            recipient=organisation.address or organisation.name,
            # A letter to a Vietnamese enterprise: Vietnamese, whatever the sender's page language.
            subject=f"Thông báo về chuẩn {standard.code}",
            body=f"{message}\n\nGiấy chứng nhận liên quan: {', '.join(numbers)}",
        )
    )


def notify_impact(session: Session, actor, impact: Impact, message: str) -> list[ImpactNotice]:
    """Queue one notice per enterprise whose certificates in force used the standard."""
    require(actor, Capability.NOTIFY_IMPACT)
    message = nfc((message or "").strip())
    if not message:
        raise RuleViolation(_("Cần nội dung thông báo"), field="message")
    notices = []
    for organisation, certificates in impact.by_organisation().items():
        in_force = [c.display_number for c in certificates if c.status == "issued"]
        if not in_force:
            continue
        notice = ImpactNotice(
            standard_id=impact.standard.id,
            organisation_id=organisation.id,
            certificate_numbers=in_force,
            message=message,
            created_by_id=actor.id,
        )
        session.add(notice)
        notices.append(notice)
        _queue_in_outbox(session, organisation, impact.standard, in_force, message)
    if not notices:
        raise RuleViolation(_("Không có doanh nghiệp nào cần thông báo"))
    session.flush()
    return notices
