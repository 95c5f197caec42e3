"""Reads of requests, jobs, records and authorisations; loaders that also check who may see them."""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from lims.auth.models import User, UserRole
from lims.auth.permissions import may_see_organisation, visible_to
from lims.core.dates import lab_today
from lims.core.errors import NotFound
from lims.core.lists import Column, Key, ListSpec, arg
from lims.core.words import vietnamese
from lims.customers.models import Instrument, Organisation
from lims.customers.queries import InstrumentFilter, instrument_id_in, instruments_query
from lims.jobs.models import JOB_STATES, Authorisation, Job, MeasurementRecord, ServiceRequest, VerifierCard
from lims.standards.models import Standard

BOARD_STATES = ("received", "scheduled", "in_progress", "measured", "reviewed", "certified", "on_hold")


REQUEST_STATUSES = ("submitted", "accepted", "declined", "cancelled")


@dataclass(frozen=True)
class RequestFilter:
    """The filters of the request list, shared by the page, the export and the API."""

    status: str | None = arg(choices=REQUEST_STATUSES, description="submitted, accepted, declined or cancelled")
    organisation_id: int | None = arg(kind=int, minimum=1, description="the requesting enterprise")
    search: str | None = arg("q", description="the request's number, or part of it")
    requested_from: date | None = arg(kind=date, description="requested on or after this day")
    requested_to: date | None = arg(kind=date, description="requested on or before this day")


def _requests_where(user: User, filters: RequestFilter) -> Select:
    query = visible_to(user, select(ServiceRequest), ServiceRequest.organisation_id)
    query = query.options(selectinload(ServiceRequest.items), selectinload(ServiceRequest.organisation))
    if filters.status:
        query = query.where(ServiceRequest.status == filters.status)
    if filters.organisation_id:
        query = query.where(ServiceRequest.organisation_id == filters.organisation_id)
    if filters.search:
        query = query.where(ServiceRequest.number.contains(filters.search.strip().upper(), autoescape=True))
    if filters.requested_from:
        query = query.where(ServiceRequest.requested_on >= filters.requested_from)
    if filters.requested_to:
        query = query.where(ServiceRequest.requested_on <= filters.requested_to)
    return query


REQUESTS = ListSpec(
    name="requests",
    filters=RequestFilter,
    query=_requests_where,
    keys=lambda filters: (Key(ServiceRequest.id, lambda r: r.id, descending=True),),  # newest first
    columns=(
        Column("number", lambda r: r.number),
        Column("organisation", lambda r: r.organisation.name),
        Column("requested_on", lambda r: r.requested_on),
        Column("items", lambda r: len(r.items)),
        Column("status", lambda r: r.status),
        Column("agreed_on", lambda r: r.agreed_on),
    ),
)


def requests_query(user: User) -> Select:
    """Requests this person may see, newest first."""
    return REQUESTS.ordered(user, RequestFilter())


def load_request(session: Session, user: User, request_id: int) -> ServiceRequest:
    """Return a request this person may see; NotFound otherwise (another organisation's looks like none)."""
    request = session.get(ServiceRequest, request_id)
    if request is None or not may_see_organisation(user, request.organisation_id):
        raise NotFound(_("Không có yêu cầu này"))
    return request


def load_job(session: Session, user: User, job_id: int) -> Job:
    """Return a job this person may see."""
    job = session.get(Job, job_id)
    if job is None or not may_see_organisation(user, job.request.organisation_id):
        raise NotFound(_("Không có công việc này"))
    return job


def load_record(session: Session, user: User, record_id: int) -> MeasurementRecord:
    """Return a measurement record this person may see."""
    record = session.get(MeasurementRecord, record_id)
    if record is None or not may_see_organisation(user, record.job.request.organisation_id):
        raise NotFound(_("Không có biên bản này"))
    return record


def organisations_for(session: Session, user: User) -> list[Organisation]:
    """Organisations this person may request for: its own for an enterprise user, every enterprise for the lab."""
    query = select(Organisation).where(Organisation.kind == "enterprise").order_by(vietnamese(Organisation.name))
    return list(session.scalars(visible_to(user, query, Organisation.id)))


def instruments_for(session: Session, user: User, organisation_id: int | None = None) -> list[Instrument]:
    """Active instruments this person may put on a request."""
    query = select(Instrument).where(Instrument.active.is_(True)).order_by(Instrument.organisation_id, Instrument.id)
    query = visible_to(user, query, Instrument.organisation_id)
    if organisation_id:
        query = query.where(Instrument.organisation_id == organisation_id)
    return list(session.scalars(query.options(selectinload(Instrument.instrument_type))).all())


def pickable_instruments(
    session: Session, user: User, typed: str | None, organisation_id: int | None = None, limit: int = 20
) -> list[Instrument]:
    """Instruments the request form's picker offers for what was typed: serial, model, type, enterprise, or the
    code of the instrument's label; within the chosen enterprise if one is (an enterprise user's own always)."""
    if not (typed or "").strip() and not organisation_id:
        return []
    labelled = instrument_id_in(typed)
    filters = InstrumentFilter(organisation_id=organisation_id, search=None if labelled else typed)
    query = instruments_query(user, filters, lab_today())
    if labelled:
        query = query.where(Instrument.id == labelled)
    return list(session.scalars(query.limit(limit)).unique())


def visible_jobs(user: User, query: Select) -> Select:
    """Narrow a query of jobs to those of the organisations this person may read (through each job's request)."""
    query = query.join(ServiceRequest, Job.request_id == ServiceRequest.id)
    return visible_to(user, query, ServiceRequest.organisation_id)


@dataclass(frozen=True)
class JobFilter:
    """The filters of the job list, shared by the page, the export and the API."""

    state: str | None = arg(choices=JOB_STATES, description="the job's state")
    organisation_id: int | None = arg(kind=int, minimum=1, description="the enterprise")
    request_id: int | None = arg(kind=int, minimum=1, description="the request the job came from")
    instrument_id: int | None = arg(kind=int, minimum=1, description="the instrument")
    technician_id: int | None = arg("technician", kind=int, minimum=1, description="the technician assigned")


def _jobs_where(user: User, filters: JobFilter) -> Select:
    query = visible_jobs(user, select(Job)).options(selectinload(Job.instrument), selectinload(Job.technician))
    if filters.state:
        query = query.where(Job.status == filters.state)
    if filters.organisation_id:
        query = query.where(ServiceRequest.organisation_id == filters.organisation_id)
    for name, column in (
        ("request_id", Job.request_id),
        ("instrument_id", Job.instrument_id),
        ("technician_id", Job.technician_id),
    ):
        if getattr(filters, name):
            query = query.where(column == getattr(filters, name))
    return query


JOBS = ListSpec(
    name="jobs",
    filters=JobFilter,
    query=_jobs_where,
    keys=lambda filters: (Key(Job.id, lambda job: job.id, descending=True),),  # newest first
    columns=(
        Column("number", lambda job: job.number),
        Column("request", lambda job: job.request.number),
        Column("organisation", lambda job: job.request.organisation.name),
        Column("instrument", lambda job: job.instrument.serial),
        Column("service", lambda job: job.service),
        Column("procedure", lambda job: job.procedure_key),
        Column("status", lambda job: job.status),
        Column("technician", lambda job: job.technician.full_name if job.technician else None),
        Column("scheduled_on", lambda job: job.scheduled_on),
        Column("measured_on", lambda job: job.measured_on),
        Column("passed", lambda job: job.passed),
    ),
)


def jobs_query(user: User, state: str | None = None) -> Select:
    return JOBS.ordered(user, JobFilter(state=state))


def board(session: Session, user: User, per_state: int = 50) -> dict[str, list[Job]]:
    """The manager's board: the open jobs by state (of the organisations this person may read)."""
    return {state: list(session.scalars(jobs_query(user, state).limit(per_state))) for state in BOARD_STATES}


def board_counts(session: Session, user: User) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.execute(visible_jobs(user, select(Job.status, func.count(Job.id))).group_by(Job.status)).all()
    return {state: count for state, count in rows}


def worklist(session: Session, user: User, day: date) -> list[Job]:
    """A technician's jobs for the day: scheduled up to that day and not finished, and those in progress."""
    return list(
        session.scalars(
            select(Job)
            .where(
                Job.technician_id == user.id,
                ((Job.status == "scheduled") & (Job.scheduled_on <= day)) | (Job.status == "in_progress"),
            )
            .order_by(Job.scheduled_on, Job.id)
        )
    )


def calendar(
    session: Session, user: User, first: date, last: date, technician_id: int | None = None
) -> dict[date, list[Job]]:
    """Scheduled jobs between two days (inclusive), by day (of the organisations this person may read)."""
    query = select(Job).where(Job.scheduled_on >= first, Job.scheduled_on <= last, Job.status != "cancelled")
    query = visible_jobs(user, query)
    if technician_id:
        query = query.where(Job.technician_id == technician_id)
    days: dict[date, list[Job]] = {first + timedelta(days=n): [] for n in range((last - first).days + 1)}
    for job in session.scalars(query.order_by(Job.scheduled_on, Job.technician_id, Job.id)):
        days[job.scheduled_on].append(job)
    return days


def technicians(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role == "technician", User.active.is_(True))
            .order_by(vietnamese(User.full_name))
            .distinct()
        )
    )


def lab_staff(session: Session) -> list[User]:
    return [user for user in session.scalars(select(User).order_by(vietnamese(User.full_name))) if user.is_lab_staff]


def authorisations(session: Session) -> list[Authorisation]:
    return list(session.scalars(select(Authorisation).order_by(Authorisation.user_id, Authorisation.procedure_key)))


def verifier_cards(session: Session) -> list[VerifierCard]:
    return list(session.scalars(select(VerifierCard).order_by(VerifierCard.user_id, VerifierCard.card_number)))


def load_authorisation(session: Session, authorisation_id: int) -> Authorisation:
    authorisation = session.get(Authorisation, authorisation_id)
    if authorisation is None:
        raise NotFound(_("Không có phân quyền này"))
    return authorisation


def load_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không có tài khoản này"))
    return user


def standards_to_choose(session: Session) -> list[Standard]:
    """Standards a record can name (out-of-service ones are listed too: the rule refuses them with its reason)."""
    return list(session.scalars(select(Standard).order_by(Standard.status != "in_service", Standard.code)))


def authorisations_of(session: Session, user: User) -> list[Authorisation]:
    return list(session.scalars(select(Authorisation).where(Authorisation.user_id == user.id)))


def cards_of(session: Session, user: User) -> list[VerifierCard]:
    return list(session.scalars(select(VerifierCard).where(VerifierCard.user_id == user.id)))
