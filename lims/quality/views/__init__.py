"""Pages of the quality system: readiness, evidence, documents, people, PT, nonconformities, audits, the pack.

One blueprint (`blueprint`, defined in blueprint.py); one module per part of the quality system registers its routes:

- requirements: readiness, requirements and their evidence, the self-assessment, catalogues, assessments;
- controlled_documents: documents, their versions, approval, withdrawal and files;
- people: competence records, training events and attendees;
- proficiency_testing: PT and comparison rounds and their results;
- corrective_actions: nonconformities, complaints, corrective actions, effectiveness;
- internal_audits: internal audits and their findings, management reviews;
- risk_register: risks and opportunities, reassessment, reviews, closing;
- integrity: chain checks of the audit trail;
- lab_settings: the freshness limits of evidence;
- evidence_pack: the inspector's evidence pack;
- panel: the navigation entry and the home page panel.

Every view is importable from here as before (`from lims.quality.views import blueprint, readiness`).
"""

from lims.quality.views import panel  # noqa: F401  (registers the navigation entry and the home panel)
from lims.quality.views.blueprint import blueprint
from lims.quality.views.controlled_documents import (
    document,
    document_create,
    document_upload,
    document_withdraw,
    documents,
    version_approve,
    version_file,
)
from lims.quality.views.corrective_actions import (
    action_done,
    nonconformities,
    nonconformity,
    nonconformity_create,
    nonconformity_plan,
    nonconformity_review,
    nonconformity_sweep,
)
from lims.quality.views.evidence_pack import pack, pack_download
from lims.quality.views.integrity import chain_check_create, chain_checks
from lims.quality.views.internal_audits import (
    audit,
    audit_create,
    audit_finding,
    audit_held,
    audits,
    review_create,
    reviews,
)
from lims.quality.views.lab_settings import settings, settings_save
from lims.quality.views.people import (
    competence,
    competence_create,
    training,
    training_attendee,
    training_create,
    training_event,
)
from lims.quality.views.proficiency_testing import (
    proficiency,
    proficiency_create,
    proficiency_result,
    proficiency_round,
)
from lims.quality.views.requirements import (
    assessment_create,
    catalogue_import,
    catalogue_list,
    catalogue_sample,
    readiness,
    requirement,
    requirement_link,
    requirement_unlink,
    self_assessment,
)
from lims.quality.views.risk_register import (
    CLOSE_PREFIX,
    REVIEW_PREFIX,
    risk,
    risk_close,
    risk_create,
    risk_edit,
    risk_review,
    risks,
)

__all__ = [
    "CLOSE_PREFIX",
    "REVIEW_PREFIX",
    "blueprint",
    "action_done",
    "assessment_create",
    "audit",
    "audit_create",
    "audit_finding",
    "audit_held",
    "audits",
    "catalogue_import",
    "catalogue_list",
    "catalogue_sample",
    "chain_check_create",
    "chain_checks",
    "competence",
    "competence_create",
    "document",
    "document_create",
    "document_upload",
    "document_withdraw",
    "documents",
    "nonconformities",
    "nonconformity",
    "nonconformity_create",
    "nonconformity_plan",
    "nonconformity_review",
    "nonconformity_sweep",
    "pack",
    "pack_download",
    "proficiency",
    "proficiency_create",
    "proficiency_result",
    "proficiency_round",
    "readiness",
    "requirement",
    "requirement_link",
    "requirement_unlink",
    "review_create",
    "reviews",
    "risk",
    "risk_close",
    "risk_create",
    "risk_edit",
    "risk_review",
    "risks",
    "self_assessment",
    "settings",
    "settings_save",
    "training",
    "training_attendee",
    "training_create",
    "training_event",
    "version_approve",
    "version_file",
]
