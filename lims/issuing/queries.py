"""Reads of certificates, stickers and batches, with the permission check of who may see them."""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lims.auth.models import User
from lims.auth.permissions import may_see_organisation, visible_to
from lims.core.errors import NotFound
from lims.core.lists import Column, Key, ListSpec, arg
from lims.core.search import matches
from lims.core.words import vietnamese
from lims.issuing.models import CERTIFICATE_STATUSES, Certificate, ImpactNotice, IssueBatch
from lims.jobs.models import Job
from lims.standards.models import Standard


def visible_certificates(user: User) -> Select:
    """Return the certificates this person may see: lab staff all, an enterprise its own, an inspector its scope."""
    query = select(Certificate).order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    return visible_to(user, query, Certificate.organisation_id)


def search_certificates(user: User, text: str | None = None, status: str | None = None) -> Select:
    return CERTIFICATES.ordered(user, CertificateFilter(search=text, status=status))


@dataclass(frozen=True)
class CertificateFilter:
    """The filters of the certificate list, shared by the page, the export and the API."""

    search: str | None = arg("q", description="words of the number, enterprise or instrument")
    status: str | None = arg(choices=CERTIFICATE_STATUSES, description="issued, superseded or revoked")
    kind: str | None = arg(choices=("verification", "calibration"), description="verification or calibration")
    organisation_id: int | None = arg(kind=int, minimum=1, description="the enterprise")
    instrument_id: int | None = arg(kind=int, minimum=1, description="the instrument")
    issued_from: date | None = arg(kind=date, description="issued on or after this day")
    issued_to: date | None = arg(kind=date, description="issued on or before this day")


def _certificates_where(user: User, filters: CertificateFilter) -> Select:
    query = visible_to(user, select(Certificate), Certificate.organisation_id)
    if filters.search:
        query = query.where(matches(filters.search, [Certificate.search_text]))
    for name in ("status", "kind", "organisation_id", "instrument_id"):
        if getattr(filters, name):
            query = query.where(getattr(Certificate, name) == getattr(filters, name))
    if filters.issued_from:
        query = query.where(Certificate.issued_on >= filters.issued_from)
    if filters.issued_to:
        query = query.where(Certificate.issued_on <= filters.issued_to)
    return query


CERTIFICATES = ListSpec(
    name="certificates",
    filters=CertificateFilter,
    query=_certificates_where,
    # Newest first: the moment of issue, then the id (two issued in one batch share no id).
    keys=lambda filters: (
        Key(Certificate.issued_at, lambda c: c.issued_at, datetime, descending=True),
        Key(Certificate.id, lambda c: c.id, descending=True),
    ),
    columns=(
        Column("number", lambda c: c.display_number),
        Column("kind", lambda c: c.kind),
        Column("customer", lambda c: c.customer_name),
        Column("instrument", lambda c: c.instrument_summary),
        Column("issued_on", lambda c: c.issued_on),
        Column("valid_until", lambda c: c.valid_until),
        Column("passed", lambda c: c.passed),
        Column("status", lambda c: c.status),
        Column("pdf_sha256", lambda c: c.pdf_sha256),
    ),
)


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
    return select(User).where(User.active.is_(True)).order_by(vietnamese(User.full_name))


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
