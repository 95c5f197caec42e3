"""Requirements and their evidence: documents linked to a catalogue's requirements, and assessments of an
organisation against a national criteria set."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.customers.models import Organisation
from lims.quality.models import (
    ControlledDocument,
    CriteriaAssessment,
    EvidenceLink,
    Requirement,
    RequirementCatalogue,
)
from lims.quality.services._common import _get


def link_evidence(
    session: Session, actor, requirement: Requirement, document: ControlledDocument, note: str | None
) -> EvidenceLink:
    """Put a controlled document forward as evidence for a requirement."""
    require(actor, Capability.MANAGE_QUALITY)
    if document.withdrawn:
        raise RuleViolation(_("Tài liệu đã bị thu hồi"), field="document_id")
    if any(link.document_id == document.id for link in requirement.links):
        raise RuleViolation(_("Tài liệu đã được liên kết"), field="document_id")
    link = EvidenceLink(requirement=requirement, document=document, note=note or None, linked_by_id=actor.id)
    session.add(link)
    session.flush()
    return link


def unlink_evidence(session: Session, actor, link: EvidenceLink) -> None:
    """Remove a document from a requirement's evidence."""
    require(actor, Capability.MANAGE_QUALITY)
    session.delete(link)
    session.flush()


def record_criteria_assessment(
    session: Session,
    actor,
    *,
    catalogue: RequirementCatalogue,
    organisation_id: int,
    assessed_on: date,
    outcome: str,
    readiness_percent: float | None,
    notes: str | None,
) -> CriteriaAssessment:
    """Record that an organisation was assessed against a national criteria set (a plan target counts these)."""
    require(actor, Capability.MANAGE_QUALITY)
    if outcome not in ("met", "partly", "not_met"):
        raise RuleViolation(_("Kết quả không hợp lệ"), field="outcome")
    _get(session, Organisation, organisation_id, _("tổ chức"))
    assessment = CriteriaAssessment(
        catalogue=catalogue,
        organisation_id=organisation_id,
        assessed_on=assessed_on,
        outcome=outcome,
        readiness_percent=readiness_percent,
        notes=notes or None,
        recorded_by_id=actor.id,
    )
    session.add(assessment)
    session.flush()
    return assessment
