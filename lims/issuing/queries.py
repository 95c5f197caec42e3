"""Reads of certificates, stickers and batches, with the permission check of who may see them."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lims.auth.models import User
from lims.auth.permissions import may_see_organisation, visible_to
from lims.core.errors import NotFound
from lims.core.search import matches
from lims.issuing.models import Certificate, ImpactNotice, IssueBatch
from lims.jobs.models import Job
from lims.standards.models import Standard


def visible_certificates(user: User) -> Select:
    """Return the certificates this person may see: lab staff all, an enterprise its own, an inspector its scope."""
    query = select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    return visible_to(user, query, Certificate.organisation_id)


def search_certificates(user: User, text: str | None = None, status: str | None = None) -> Select:
    query = visible_certificates(user)
    if text:
        query = query.where(matches(text, [Certificate.search_text]))
    if status:
        query = query.where(Certificate.status == status)
    return query


def get_certificate(session: Session, user: User, certificate_id: int) -> Certificate:
    """Return a certificate this person may see; another organisation's is "not found", not "forbidden"."""
    certificate = session.get(Certificate, certificate_id)
    if certificate is None or not may_see_organisation(user, certificate.organisation_id):
        raise NotFound(_("Không có giấy chứng nhận này"))
    return certificate


def ready_jobs() -> Select:
    """Return the reviewed jobs waiting for a certificate, oldest first."""
    return select(Job).where(Job.status == "reviewed").order_by(Job.reviewed_at, Job.id)


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(_("Không có công việc này"))
    return job


def get_batch(session: Session, batch_id: int) -> IssueBatch:
    batch = session.get(IssueBatch, batch_id)
    if batch is None:
        raise NotFound(_("Không có đợt cấp này"))
    return batch


def revisions_of(session: Session, certificate: Certificate) -> list[Certificate]:
    return list(
        session.scalars(
            select(Certificate).where(Certificate.number == certificate.number).order_by(Certificate.revision)
        )
    )


def notices_query() -> Select:
    return select(ImpactNotice).order_by(ImpactNotice.created_at.desc())


def staff_query() -> Select:
    return select(User).where(User.active.is_(True)).order_by(User.full_name)


def standards_query() -> Select:
    return select(Standard).order_by(Standard.code)


def get_standard(session: Session, standard_id: int) -> Standard:
    standard = session.get(Standard, standard_id)
    if standard is None:
        raise NotFound(_("Không có chuẩn này"))
    return standard


def since_arg(value: str | None) -> date | None:
    """Parse an optional ISO date from a query string (None when absent or malformed)."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def count_ready(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count(Job.id)).where(Job.status == "reviewed")) or 0
