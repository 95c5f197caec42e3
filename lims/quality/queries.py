"""Reads of the quality system, with the permission checks of the person reading."""

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lims.auth.models import User
from lims.auth.permissions import may_see_organisation, organisation_scope, visible_to
from lims.core.errors import NotFound
from lims.core.words import vietnamese
from lims.customers.models import Organisation
from lims.quality.models import (
    ChainCheck,
    CompetenceRecord,
    ControlledDocument,
    CriteriaAssessment,
    InternalAudit,
    ManagementReview,
    Nonconformity,
    ProficiencyRound,
    RequirementCatalogue,
    Risk,
    TrainedPerson,
    TrainingAttendance,
    TrainingEvent,
)


def catalogues_query() -> Select:
    return select(RequirementCatalogue).order_by(RequirementCatalogue.kind.desc(), RequirementCatalogue.id)


def documents_query(include_withdrawn: bool = True) -> Select:
    """Controlled documents by code; withdrawn (obsolete) ones stay listed unless left out."""
    query = select(ControlledDocument).order_by(ControlledDocument.code)
    return query if include_withdrawn else query.where(ControlledDocument.withdrawn.is_(False))


def competence_query() -> Select:
    return select(CompetenceRecord).order_by(CompetenceRecord.user_id, CompetenceRecord.started_on)


def training_query() -> Select:
    return select(TrainingEvent).order_by(TrainingEvent.held_on.desc())


def attendances_of(session: Session, user: User, event: TrainingEvent) -> list[TrainingAttendance]:
    """The attendees of an event this person may read: those of its organisations, and the lab's and agencies' people.

    An enterprise's employee typed without a linked organisation counts as another organisation's for a limited
    inspector (the name alone does not say whose it is).
    """
    query = (
        select(TrainingAttendance)
        .join(TrainedPerson, TrainingAttendance.person_id == TrainedPerson.id)
        .where(TrainingAttendance.event_id == event.id)
        .order_by(TrainingAttendance.id)
    )
    if organisation_scope(user) is not None:
        query = query.where((TrainedPerson.organisation_id.is_not(None)) | (TrainedPerson.category != "enterprise"))
    return list(session.scalars(visible_to(user, query, TrainedPerson.organisation_id, lab_records=True)))


def rounds_query() -> Select:
    return select(ProficiencyRound).order_by(ProficiencyRound.held_on.desc())


def nonconformities_query(user: User, status: str | None = None) -> Select:
    """Nonconformities and complaints; an inspector limited to some organisations sees the lab's own and theirs."""
    query = select(Nonconformity).order_by(Nonconformity.raised_on.desc(), Nonconformity.id.desc())
    if status == "open":
        query = query.where(Nonconformity.status != "closed")
    elif status:
        query = query.where(Nonconformity.status == status)
    return visible_to(user, query, Nonconformity.organisation_id, lab_records=True)


def get_nonconformity(session: Session, user: User, nonconformity_id: int) -> Nonconformity:
    """Load a nonconformity the person may read (a complaint of an organisation outside an inspector's scope: 404)."""
    nonconformity = session.get(Nonconformity, nonconformity_id)
    if nonconformity is None or not may_see_organisation(user, nonconformity.organisation_id, lab_records=True):
        raise NotFound(_("Không có hồ sơ này"))
    return nonconformity


def audits_query() -> Select:
    return select(InternalAudit).order_by(InternalAudit.planned_on.desc())


def reviews_query() -> Select:
    return select(ManagementReview).order_by(ManagementReview.held_on.desc())


RISK_FILTERS = ("open", "closed")


def risks_query(status: str | None = None) -> Select:
    """Risks and opportunities, open first and the highest score first; ``status`` is open, closed or None (all)."""
    query = select(Risk).order_by(Risk.closed, (Risk.likelihood * Risk.impact).desc(), Risk.id)
    if status == "open":
        query = query.where(Risk.closed.is_(False))
    elif status == "closed":
        query = query.where(Risk.closed.is_(True))
    return query


def chain_checks_query() -> Select:
    return select(ChainCheck).order_by(ChainCheck.checked_at.desc())


def assessments_query(user: User) -> Select:
    """Assessments against criteria sets, of the organisations this person may read."""
    query = select(CriteriaAssessment).order_by(CriteriaAssessment.assessed_on.desc())
    return visible_to(user, query, CriteriaAssessment.organisation_id)


def lab_staff(session: Session) -> list[User]:
    return [
        u
        for u in session.scalars(select(User).where(User.active.is_(True)).order_by(vietnamese(User.full_name)))
        if u.is_lab_staff
    ]


def readable_organisations(session: Session, user: User) -> list[Organisation]:
    """Organisations the person may build an evidence pack for."""
    organisations = session.scalars(
        select(Organisation).order_by(Organisation.kind.desc(), vietnamese(Organisation.name))
    ).all()
    return [o for o in organisations if may_see_organisation(user, o.id)]


def get_readable_organisation(session: Session, user: User, organisation_id: int | None) -> Organisation:
    organisation = session.get(Organisation, organisation_id) if organisation_id else None
    if organisation is None or not may_see_organisation(user, organisation.id):
        raise NotFound(_("Không có tổ chức này"))
    return organisation
