"""Who may do what, and whose records they see: the one permission vocabulary of the LIMS.

A route declares the capability it needs (``read_view``/``write_view``), a service requires the capability of the
operation it performs (``require``), and every read of records that belong to an organisation goes through
``visible_to`` (a list) or ``may_see_organisation`` (one record; NotFound otherwise). Roles are only names for sets
of capabilities: the one table ``_HOLDERS`` says which role holds which, so changing what a role may do is a
one-line change here.

A command run on the server (``lims ...``, the worker, cron) acts as a ``SystemActor`` named after the command: whoever
runs it already holds the server, so it holds every capability and sees every organisation; the audit trail names the
command. Commands that act for a person (issuing as a signatory) load that person and act as them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import false, true

from lims.core.errors import PermissionDenied

ROLES = ("admin", "manager", "technician", "signatory", "enterprise", "inspector")
LAB_ROLES = frozenset({"admin", "manager", "technician", "signatory"})


class Capability(StrEnum):
    """Something a person may do; each route and each writing service names the one it needs."""

    # Every account
    OWN_ACCOUNT = "own_account"  # the home page, one's account, signing out
    CHANGE_PASSWORD = "change_password"
    # Reads, scoped to the organisations a person may see (visible_to)
    READ_CUSTOMERS = "read_customers"  # organisations, instruments, recall
    READ_REQUESTS = "read_requests"
    READ_CERTIFICATES = "read_certificates"
    READ_JOBS = "read_jobs"  # board, calendar, jobs and records
    READ_CATALOGUE = "read_catalogue"  # instrument types and their cycles
    READ_STANDARDS = "read_standards"
    READ_STICKERS = "read_stickers"
    READ_QUALITY = "read_quality"
    READ_PLAN = "read_plan"
    READ_AUDIT = "read_audit"
    READ_IMPACT = "read_impact"  # certificates touched by a standard found out of tolerance
    READ_ISSUING = "read_issuing"  # batches in progress, sticker sheets to print
    READ_ISSUING_QUEUE = "read_issuing_queue"  # jobs reviewed and waiting for a certificate
    KEEP_WORKLIST = "keep_worklist"  # a technician's own list of jobs
    EXPORT_EVIDENCE = "export_evidence"  # the evidence pack for an assessment
    # Customers
    MANAGE_CUSTOMERS = "manage_customers"  # organisations, contacts, instruments, imports
    SHARE_CALENDAR = "share_calendar"  # an organisation's calendar link
    MANAGE_ASSURANCE = "manage_assurance"  # enrolment in the measurement assurance programme
    MANAGE_CATALOGUE = "manage_catalogue"  # instrument types, verification cycles, the valid-until rule
    SEND_REMINDERS = "send_reminders"  # the recall outbox
    # Requests and jobs
    SUBMIT_REQUESTS = "submit_requests"
    REVIEW_CONTRACTS = "review_contracts"  # accept or decline a request (17025 7.1)
    PLAN_JOBS = "plan_jobs"  # schedule and cancel jobs
    MEASURE = "measure"
    HANDLE_JOBS = "handle_jobs"  # hold, resume, reopen a measurement
    REVIEW_RECORDS = "review_records"
    MANAGE_AUTHORISATIONS = "manage_authorisations"  # who may perform which procedure; verifier cards
    CALCULATE = "calculate"  # the calculators of the API
    # Certificates and stickers
    ISSUE_CERTIFICATES = "issue_certificates"  # issue and amend
    REVOKE_CERTIFICATES = "revoke_certificates"
    MANAGE_NUMBERING = "manage_numbering"
    MANAGE_STICKERS = "manage_stickers"  # receive, hand out, void
    HANDLE_STICKERS = "handle_stickers"  # discard a sticker one holds
    NOTIFY_IMPACT = "notify_impact"
    # Standards
    MANAGE_STANDARDS = "manage_standards"  # 17025 6.4: management decides what is fit for use
    RECORD_CHECKS = "record_checks"  # intermediate checks, a technician's daily work
    # Quality system and plan
    RECORD_QUALITY = "record_quality"  # draft documents, training, proficiency, raise and treat nonconformities
    MANAGE_QUALITY = "manage_quality"  # approve, review, audits, risks, settings
    MANAGE_PLAN = "manage_plan"
    # Accounts
    MANAGE_USERS = "manage_users"


C = Capability
_EVERYONE = frozenset(ROLES)
_READERS = LAB_ROLES | {"inspector"}

# Which roles hold each capability: the one table. Inspectors read and never write (a test walks every write route).
_HOLDERS: dict[Capability, frozenset[str]] = {
    C.OWN_ACCOUNT: _EVERYONE,
    C.CHANGE_PASSWORD: _EVERYONE,  # an inspector's own password too (a write route that says inspector_may)
    C.READ_CUSTOMERS: _EVERYONE,
    C.READ_REQUESTS: _EVERYONE,
    C.READ_CERTIFICATES: _EVERYONE,
    C.READ_JOBS: _READERS,
    C.READ_CATALOGUE: _READERS,
    C.READ_STANDARDS: _READERS,
    C.READ_STICKERS: _READERS,
    C.READ_QUALITY: _READERS,
    C.READ_PLAN: _READERS,
    C.READ_AUDIT: frozenset({"admin", "manager", "inspector"}),
    C.READ_IMPACT: frozenset({"manager", "signatory", "inspector"}),
    C.READ_ISSUING: LAB_ROLES,
    C.READ_ISSUING_QUEUE: frozenset({"manager", "signatory"}),
    C.KEEP_WORKLIST: frozenset({"technician"}),
    C.EXPORT_EVIDENCE: _READERS,
    C.MANAGE_CUSTOMERS: frozenset({"admin", "manager", "technician"}),
    C.SHARE_CALENDAR: frozenset({"admin", "manager", "technician", "enterprise"}),
    C.MANAGE_ASSURANCE: frozenset({"admin", "manager"}),
    C.MANAGE_CATALOGUE: frozenset({"admin", "manager"}),
    C.SEND_REMINDERS: frozenset({"admin", "manager"}),
    C.SUBMIT_REQUESTS: frozenset({"admin", "manager", "enterprise"}),
    C.REVIEW_CONTRACTS: frozenset({"admin", "manager"}),
    C.PLAN_JOBS: frozenset({"admin", "manager"}),
    C.MEASURE: frozenset({"admin", "manager", "technician"}),
    C.HANDLE_JOBS: LAB_ROLES,
    C.REVIEW_RECORDS: LAB_ROLES,
    C.MANAGE_AUTHORISATIONS: frozenset({"admin", "manager"}),
    C.CALCULATE: LAB_ROLES,
    C.ISSUE_CERTIFICATES: frozenset({"signatory"}),
    C.REVOKE_CERTIFICATES: frozenset({"manager", "signatory"}),
    C.MANAGE_NUMBERING: frozenset({"admin", "manager"}),
    C.MANAGE_STICKERS: frozenset({"manager"}),
    C.HANDLE_STICKERS: frozenset({"manager", "technician", "signatory"}),
    C.NOTIFY_IMPACT: frozenset({"manager"}),
    C.MANAGE_STANDARDS: frozenset({"admin", "manager"}),
    C.RECORD_CHECKS: frozenset({"admin", "manager", "technician"}),
    C.RECORD_QUALITY: LAB_ROLES,
    C.MANAGE_QUALITY: frozenset({"admin", "manager"}),
    C.MANAGE_PLAN: frozenset({"admin", "manager"}),
    C.MANAGE_USERS: frozenset({"admin"}),
}

# The same table read by role: what each role may do.
ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    role: frozenset(capability for capability, holders in _HOLDERS.items() if role in holders) for role in ROLES
}


@dataclass(frozen=True)
class SystemActor:
    """A process acting for the lab (a CLI command, the worker, cron): every capability, every organisation."""

    label: str
    id: None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    organisation_id: None = None
    is_lab_staff: bool = True


def capabilities_of(actor: Any) -> frozenset[Capability]:
    """Return what an actor may do: the union of its roles' capabilities (all of them for a system actor)."""
    if isinstance(actor, SystemActor):
        return frozenset(Capability)
    if actor is None or not getattr(actor, "is_authenticated", True):
        return frozenset()
    held: set[Capability] = set()
    for role in actor.roles:
        held |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(held)


def may(actor: Any, capability: Capability) -> bool:
    """Whether an actor holds a capability."""
    return Capability(capability) in capabilities_of(actor)


def require(actor: Any, capability: Capability) -> None:
    """Refuse (403 at the request boundary) an actor who lacks the capability."""
    if not may(actor, capability):
        label = Capability(capability).value.replace("_", " ")
        raise PermissionDenied(_("Bạn không có quyền này (%(label)s)", label=label))


def roles_holding(*capabilities_or_roles: str) -> frozenset[str]:
    """Return the roles that hold any of these capabilities (role names are passed through, for old declarations)."""
    roles: set[str] = set()
    for name in capabilities_or_roles:
        if name in _HOLDERS:
            roles |= _HOLDERS[Capability(name)]
        elif name in ROLES:
            roles.add(name)
        else:
            raise ValueError(f"{name!r} is neither a capability nor a role")
    return frozenset(roles)


# --- organisation scope ----------------------------------------------------------------------------------------


def organisation_scope(actor: Any) -> frozenset[int] | None:
    """Return the organisations whose records an actor may read, or None for all of them.

    Lab staff, system actors and inspectors without a scope see all; an inspector limited to organisations sees
    those; an enterprise's user sees its own; anyone else sees none.
    """
    if actor is None or not getattr(actor, "is_authenticated", True):
        return frozenset()
    if isinstance(actor, SystemActor) or actor.roles & LAB_ROLES:
        return None
    if "inspector" in actor.roles:
        scopes = frozenset(scope.organisation_id for scope in actor.inspector_scopes)
        return scopes or None
    if "enterprise" in actor.roles and actor.organisation_id is not None:
        return frozenset({actor.organisation_id})
    return frozenset()


def sees_lab_records(actor: Any) -> bool:
    """Whether an actor reads the lab's own records (those of no organisation): lab staff and inspectors."""
    return isinstance(actor, SystemActor) or bool(actor.roles & (LAB_ROLES | {"inspector"}))


def may_see_organisation(actor: Any, organisation_id: int | None, *, lab_records: bool = False) -> bool:
    """Whether an actor may read a record of this organisation (None: a record of the lab itself).

    ``lab_records`` says that a record without organisation is the lab's own (an internal nonconformity, a
    training event) and is readable by whoever reads the lab's records; otherwise such a record is lab staff's only.
    """
    scope = organisation_scope(actor)
    if scope is None:
        return True
    if organisation_id is None:
        return lab_records and sees_lab_records(actor)
    return organisation_id in scope


def scope_condition(actor: Any, organisation_column, *, lab_records: bool = False):
    """The condition keeping the rows an actor may read, by the column naming each row's organisation.

    With ``lab_records``, rows of no organisation are the lab's own and readable by lab staff and inspectors (never
    by enterprises).
    """
    scope = organisation_scope(actor)
    if scope is None:
        return true()
    condition = organisation_column.in_(sorted(scope)) if scope else false()
    if lab_records and sees_lab_records(actor):
        condition = condition | organisation_column.is_(None)
    return condition


def visible_to(actor: Any, query, organisation_column, *, lab_records: bool = False):
    """Narrow a query to the rows an actor may read (see ``scope_condition``).

    ``query`` is a ``select()``; the caller joins what leads to the organisation column (a job reaches it through
    its request).
    """
    return query.where(scope_condition(actor, organisation_column, lab_records=lab_records))


def scoped_ids(actor: Any, ids: Iterable[int]) -> list[int]:
    """Keep the organisation ids an actor may read, in their order."""
    scope = organisation_scope(actor)
    return [i for i in ids if scope is None or i in scope]


# The actor of commands, demo loaders and automatic steps that no person performs (see the module's docstring).
SYSTEM = SystemActor("system")
