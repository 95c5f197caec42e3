"""The quality system's operations: check the lab's rules, change records, flush; never commit.

One module per part of the quality system:

- documents: controlled documents, their versions, approval and withdrawal;
- requirements: evidence linked to requirements, assessments against a national criteria set;
- chain_checks: the audit chain verified and kept as evidence of data integrity;
- people: competence records, training events, attendees, people trained;
- proficiency: PT and comparison rounds, results and En numbers;
- nonconformities: nonconformities, complaints, corrective actions and their effectiveness;
- audits: internal audits, their findings, management reviews;
- risks: risks and opportunities, reassessment, periodic reviews, closing;
- settings: the lab's freshness limits for evidence.

Every operation is importable from here as before (`from lims.quality import services; services.create_document`).
"""

from lims.core.errors import NotFound, RuleViolation
from lims.quality.services.audits import (
    add_audit_finding,
    plan_internal_audit,
    record_audit_held,
    record_management_review,
)
from lims.quality.services.chain_checks import record_chain_check
from lims.quality.services.documents import (
    add_document_version,
    approve_document_version,
    create_document,
    withdraw_document,
)
from lims.quality.services.nonconformities import (
    complete_action,
    open_system_nonconformity,
    plan_corrective_action,
    raise_nonconformity,
    review_effectiveness,
)
from lims.quality.services.people import (
    add_attendee,
    add_competence_record,
    create_training_event,
    identity_key,
    people_trained,
)
from lims.quality.services.proficiency import create_proficiency_round, record_proficiency_result
from lims.quality.services.requirements import link_evidence, record_criteria_assessment, unlink_evidence
from lims.quality.services.risks import close_risk, record_risk, review_risk, update_risk
from lims.quality.services.settings import set_freshness_limits

__all__ = [
    "NotFound",
    "RuleViolation",
    "add_attendee",
    "add_audit_finding",
    "add_competence_record",
    "add_document_version",
    "approve_document_version",
    "close_risk",
    "complete_action",
    "create_document",
    "create_proficiency_round",
    "create_training_event",
    "identity_key",
    "link_evidence",
    "open_system_nonconformity",
    "people_trained",
    "plan_corrective_action",
    "plan_internal_audit",
    "raise_nonconformity",
    "record_audit_held",
    "record_chain_check",
    "record_criteria_assessment",
    "record_management_review",
    "record_proficiency_result",
    "record_risk",
    "review_effectiveness",
    "review_risk",
    "set_freshness_limits",
    "unlink_evidence",
    "update_risk",
    "withdraw_document",
]
