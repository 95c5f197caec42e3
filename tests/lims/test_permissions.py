"""Permissions in one place: every route declares its capability, and refuses every role that does not hold it.

These tests walk the app's URL map and the services' signatures, so a route or a service added later cannot
forget its capability or let an inspector write.
"""

import ast
import importlib
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

import lims
from lims.auth.permissions import (
    ROLE_CAPABILITIES,
    ROLES,
    SYSTEM,
    Capability,
    may,
    organisation_scope,
    require,
    roles_holding,
    visible_to,
)
from lims.core.errors import PermissionDenied

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Routes served by extensions, not by the lab's code.
EXTENSION_ENDPOINTS = {"static", "bootstrap.static"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXTENSION_ENDPOINTS:
            continue
        yield rule, app.view_functions[rule.endpoint]


def _example_url(rule) -> str:
    # Any value will do: the role check runs before the record is loaded.
    values = {argument: "1" for argument in rule.arguments}
    for argument, converter in rule._converters.items():
        if type(converter).__name__ in ("IntegerConverter",):
            values[argument] = 1
    return rule.build(values, append_unknown=False)[1]


def test_every_route_declares_its_roles_or_says_it_is_public(app):
    undeclared = [rule.rule for rule, view in _routes(app) if not hasattr(view, "lims_roles")]
    assert undeclared == []


def test_every_route_declares_capabilities_not_roles(app):
    by_role = [
        f"{rule.rule} declares {sorted(view.lims_role_names)}"
        for rule, view in _routes(app)
        if not view.lims_public and (view.lims_role_names or not view.lims_capabilities)
    ]
    assert by_role == []


def test_a_routes_roles_are_exactly_the_holders_of_its_capabilities(app):
    def expected(view):
        # An inspector never writes, unless the route says so (signing out, their own password).
        refused = {"inspector"} if view.lims_writes and not view.lims_inspector_may else set()
        return roles_holding(*view.lims_capabilities) - refused

    wrong = [rule.rule for rule, view in _routes(app) if not view.lims_public and view.lims_roles != expected(view)]
    assert wrong == []


def test_every_write_route_is_wrapped_by_write_view(app):
    unwrapped = [
        f"{sorted(rule.methods & WRITE_METHODS)} {rule.rule}"
        for rule, view in _routes(app)
        if rule.methods & WRITE_METHODS and not getattr(view, "lims_writes", False)
    ]
    assert unwrapped == []


# An inspector changes nothing of the lab's, but signs out and changes their own password.
INSPECTOR_WRITES = ("/account/password", "/logout")


def test_only_signing_out_lets_an_inspector_write(app):
    writable = [
        rule.rule for rule, view in _routes(app) if rule.methods & WRITE_METHODS and "inspector" in view.lims_roles
    ]
    assert sorted(writable) == sorted(INSPECTOR_WRITES)


def _refusals(app):
    for rule, view in _routes(app):
        if view.lims_public:
            continue
        for role in ROLES:
            if role not in view.lims_roles:
                for method in sorted(rule.methods & ({"GET"} | WRITE_METHODS)):
                    yield rule, method, role


@pytest.mark.parametrize("role", ROLES)
def test_every_route_refuses_the_roles_it_does_not_list(app, client, login, role):
    login(role)
    refused_wrongly = []
    for rule, method, refused_role in _refusals(app):
        if refused_role != role:
            continue
        response = client.open(_example_url(rule), method=method)
        if response.status_code != 403:
            refused_wrongly.append(f"{method} {rule.rule} gave {response.status_code} to {role}")
    assert refused_wrongly == []


def test_inspector_is_refused_on_every_write_route_except_logout(app, client, login):
    login("inspector")
    allowed = []
    for rule, view in _routes(app):
        # Public routes (verifying a certificate by upload) are open to an inspector as to anyone.
        if not rule.methods & WRITE_METHODS or rule.rule in INSPECTOR_WRITES or view.lims_public:
            continue
        for method in sorted(rule.methods & WRITE_METHODS):
            response = client.open(_example_url(rule), method=method)
            if response.status_code != 403:
                allowed.append(f"{method} {rule.rule} gave {response.status_code}")
    assert allowed == []


def test_a_stranger_is_sent_to_sign_in_on_protected_pages(app, client):
    protected = [rule for rule, view in _routes(app) if not view.lims_public and "GET" in rule.methods]
    assert protected, "there should be protected pages"
    for rule in protected:
        response = client.get(_example_url(rule))
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, rule.rule
        else:
            assert response.status_code == 302 and "/login" in response.location, rule.rule


# --- the vocabulary: require and the role table -----------------------------------------------------------------

# What each role must and must not be able to do: the lab's separation of duties, written out rather than derived.
EXPECTED = [
    ("technician", Capability.MEASURE, True),
    ("technician", Capability.RECORD_CHECKS, True),
    ("technician", Capability.MANAGE_STANDARDS, False),
    ("technician", Capability.ISSUE_CERTIFICATES, False),
    ("technician", Capability.PLAN_JOBS, False),
    ("signatory", Capability.ISSUE_CERTIFICATES, True),
    ("signatory", Capability.REVOKE_CERTIFICATES, True),
    ("signatory", Capability.MEASURE, False),
    ("manager", Capability.ISSUE_CERTIFICATES, False),  # signing is personal: only a signatory signs
    ("manager", Capability.REVOKE_CERTIFICATES, True),
    ("manager", Capability.MANAGE_QUALITY, True),
    ("manager", Capability.MANAGE_USERS, False),
    ("admin", Capability.MANAGE_USERS, True),
    ("admin", Capability.ISSUE_CERTIFICATES, False),
    ("enterprise", Capability.SUBMIT_REQUESTS, True),
    ("enterprise", Capability.READ_CERTIFICATES, True),
    ("enterprise", Capability.READ_JOBS, False),
    ("enterprise", Capability.READ_AUDIT, False),
    ("enterprise", Capability.READ_QUALITY, False),
    ("inspector", Capability.READ_AUDIT, True),
    ("inspector", Capability.EXPORT_EVIDENCE, True),
    ("inspector", Capability.CHANGE_PASSWORD, True),  # their own password
]


def _person(*roles, organisation_id=None, scopes=()):
    return SimpleNamespace(
        id=None,
        roles=frozenset(roles),
        organisation_id=organisation_id,
        inspector_scopes=[SimpleNamespace(organisation_id=oid) for oid in scopes],
        is_authenticated=True,
    )


@pytest.mark.parametrize(("role", "capability", "allowed"), EXPECTED)
def test_require_allows_and_refuses_by_the_role_table(role, capability, allowed):
    person = _person(role)
    assert may(person, capability) is allowed
    if allowed:
        require(person, capability)
    else:
        with pytest.raises(PermissionDenied):
            require(person, capability)


@pytest.mark.parametrize("role", ROLES)
def test_a_person_with_two_roles_holds_both_sets(role):
    other = "technician" if role != "technician" else "signatory"
    both = _person(role, other)
    assert all(may(both, c) for c in ROLE_CAPABILITIES[role] | ROLE_CAPABILITIES[other])


def test_nobody_and_a_stranger_hold_nothing_and_the_system_holds_everything():
    assert not any(may(_person(), c) for c in Capability)
    assert not any(may(None, c) for c in Capability)
    assert all(may(SYSTEM, c) for c in Capability)


def test_every_capability_is_held_by_some_role_and_inspectors_hold_only_reads(app):
    held = set().union(*ROLE_CAPABILITIES.values())
    assert held == set(Capability)
    write_capabilities = {
        c for _rule, view in _routes(app) if view.lims_writes and not view.lims_public for c in view.lims_capabilities
    }
    # Signing out and changing their own password are the only writes of an inspector.
    assert ROLE_CAPABILITIES["inspector"] & write_capabilities == {Capability.OWN_ACCOUNT, Capability.CHANGE_PASSWORD}


def test_a_route_declaring_an_unknown_capability_is_refused_when_it_is_declared():
    from lims.core.web import read_view

    with pytest.raises(ValueError, match="neither a capability nor a role"):
        read_view("manage_everything")(lambda: None)


# --- the organisation scope: visible_to --------------------------------------------------------------------------

SCOPES = [
    ("admin", {}, "AB"),
    ("manager", {}, "AB"),
    ("technician", {}, "AB"),
    ("signatory", {}, "AB"),
    ("inspector", {}, "AB"),
    ("inspector", {"scopes": "B"}, "B"),
    ("enterprise", {"organisation": "A"}, "A"),
    ("enterprise", {}, ""),
]


@pytest.mark.parametrize(("role", "given", "sees"), SCOPES)
def test_visible_to_keeps_the_organisations_a_person_may_read(session, make_user, make_organisation, role, given, sees):
    from lims.auth.models import InspectorScope
    from lims.customers.models import Organisation

    organisations = {"A": make_organisation(name="Công ty A"), "B": make_organisation(name="Công ty B")}
    person = make_user(role, organisation=organisations.get(given.get("organisation")))
    if role == "enterprise" and "organisation" not in given:
        person.organisation_id = None
    for label in given.get("scopes", ""):
        person.inspector_scopes.append(InspectorScope(organisation_id=organisations[label].id))
    session.flush()

    ids = [organisation.id for organisation in organisations.values()]
    query = select(Organisation.name).where(Organisation.id.in_(ids))
    assert set(session.scalars(visible_to(person, query, Organisation.id))) == {f"Công ty {label}" for label in sees}
    with_lab_records = visible_to(person, query, Organisation.id, lab_records=True)
    assert set(session.scalars(with_lab_records)) == {f"Công ty {label}" for label in sees}
    scope = organisation_scope(person)
    assert (scope is None) == (sees == "AB" and not given)


@pytest.mark.parametrize(
    ("person", "sees_lab_records"),
    [
        (_person("technician"), True),
        (_person("inspector", scopes=[1]), True),
        (_person("enterprise", organisation_id=1), False),
    ],
)
def test_the_labs_own_records_are_read_by_staff_and_inspectors_never_by_enterprises(person, sees_lab_records):
    from lims.auth.permissions import may_see_organisation

    assert may_see_organisation(person, None, lab_records=True) is sees_lab_records
    assert may_see_organisation(person, 2) is ("inspector" not in person.roles and "enterprise" not in person.roles)


# --- every writing service takes the actor and requires its capability --------------------------------------------

# Modules whose public functions taking a session are writing services unless listed in READS below.
SERVICE_MODULES = ("services", "stickers", "batch", "numbering", "impact", "catalogue", "automation", "importing")
# Functions of those modules that only read (checked: they add, delete or flush nothing through the session).
READS = {
    "lims.auth.services.user_for_unlock_token",
    "lims.audit.services.verify_chain",
    "lims.audit.services.verify_since_anchor",
    "lims.auth.services.get_user",
    "lims.customers.services.calendar_feed",
    "lims.customers.services.cycle_in_force",
    "lims.customers.services.enrolled_enterprises_count",
    "lims.customers.services.get_instrument",
    "lims.customers.services.get_organisation",
    "lims.customers.services.next_due_from_last",
    "lims.customers.services.organisation_by_calendar_token",
    "lims.customers.services.valid_until_rule",
    "lims.customers.services.verification_valid_until",
    "lims.issuing.batch.enqueue_after_commit",
    "lims.issuing.batch.pair_stickers",
    "lims.issuing.impact.impact_of",
    "lims.issuing.impact.last_good_calibration",
    "lims.issuing.numbering.number_format",
    "lims.issuing.services.original_certificate",
    "lims.issuing.services.stop_reasons",
    "lims.issuing.services.stops_of",
    "lims.issuing.services.valid_until_for",
    "lims.issuing.stickers.batch_accounting",
    "lims.issuing.stickers.get_sticker",
    "lims.issuing.stickers.sticker_report",
    "lims.jobs.services.ensure_authorised",
    "lims.jobs.services.record_history",
    "lims.jobs.services.reference_prefill",
    "lims.jobs.services.snapshot_standard",
    "lims.jobs.services.standards_on",
    "lims.plan.services.count_metric",
    "lims.plan.services.get_plan",
    "lims.plan.services.item_figure",
    "lims.plan.services.money_by_year",
    "lims.plan.services.plan_figures",
    "lims.procedures.services.available_procedures",
    "lims.procedures.services.current_version",
    "lims.procedures.services.ensure_confirmed",
    "lims.procedures.services.get_unconfirmed_value",
    "lims.procedures.services.get_version",
    "lims.procedures.services.previous_version",
    "lims.procedures.services.resolve_procedure",
    "lims.procedures.services.version_for_new_job",
    "lims.procedures.services.versions",
    "lims.quality.services.people_trained",
}
# Writes that no actor performs, each with the reason.
WITHOUT_ACTOR = {
    "lims.auth.services.queue_unlock_link": "a locked-out person asks for the link: nobody is signed in",
    "lims.auth.services.unlock_with_new_password": "the holder of an unlock link's token, not signed in",
    "lims.auth.services.lab_organisation": "records the lab's own organisation from its settings when first read",
    "lims.audit.services.anchor_chain": "the trail's own seal, run by cron: it changes no record of the lab",
    "lims.auth.services.sign_in": "the person signing in is nobody yet; it records the attempt",
    "lims.quality.automation.raise_for_check": "runs inside the flush of whoever wrote the check, as the system",
    "lims.quality.automation.raise_for_failed_standard": "runs inside the flush of whoever changed the standard",
}
SESSION_WRITES = {"add", "add_all", "delete", "flush", "merge", "commit", "execute"}


def _session_functions():
    for info in pkgutil.walk_packages(lims.__path__, "lims."):
        if info.name.rsplit(".", 1)[-1] not in SERVICE_MODULES:
            continue
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            # A services package (lims/quality/services/) names the functions its parts define, as before the split.
            where = function.__module__
            inside = where == info.name or (info.ispkg and where.startswith(info.name + "."))
            if not inside or name.startswith("_"):
                continue
            if list(inspect.signature(function).parameters)[:1] == ["session"]:
                yield f"{info.name}.{name}", function


def _writes_through_session(function) -> bool:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in SESSION_WRITES - {"execute"}
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "session"
        for node in ast.walk(tree)
    )


def _writing_services():
    return [(name, f) for name, f in _session_functions() if name not in READS and name not in WITHOUT_ACTOR]


def test_the_lists_of_reads_and_exceptions_name_existing_functions():
    names = {name for name, _f in _session_functions()}
    assert READS - names == set()
    assert set(WITHOUT_ACTOR) - names == set()
    assert len(_writing_services()) > 80


def test_every_writing_service_takes_the_session_then_the_actor():
    wrong = [
        f"{name}{inspect.signature(function)}"
        for name, function in _writing_services()
        if list(inspect.signature(function).parameters)[:2] != ["session", "actor"]
    ]
    assert wrong == []


def test_the_functions_listed_as_reads_write_nothing_through_their_session():
    writers = [name for name, function in _session_functions() if name in READS and _writes_through_session(function)]
    assert writers == []


def test_every_writing_service_refuses_an_actor_without_its_capability_before_anything_else():
    """Called with nothing but an actor (every other argument None), each service must refuse at once."""
    actor = _person()
    accepted = []
    for name, function in _writing_services():
        parameters = list(inspect.signature(function).parameters.values())[2:]
        positional = [None for p in parameters if p.kind == p.POSITIONAL_OR_KEYWORD and p.default is p.empty]
        keywords = {p.name: None for p in parameters if p.kind == p.KEYWORD_ONLY and p.default is p.empty}
        try:
            function(None, actor, *positional, **keywords)
        except PermissionDenied:
            continue
        except Exception as exc:  # anything else means the service looked at its arguments before the actor
            accepted.append(f"{name}: {type(exc).__name__}")
        else:
            accepted.append(f"{name}: accepted")
    assert accepted == []


TEMPLATES = Path(lims.__file__).resolve().parent.parent / "templates"


def test_pages_decide_what_to_offer_by_capability_never_by_role_name():
    """A template asking `has_role("admin", "manager")` keeps its own copy of the role table, which drifts from the
    routes' (a form shown to someone its route refuses, or hidden from someone it allows)."""
    by_role = [
        f"{path.relative_to(TEMPLATES)}:{number}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"has_role\(|in current_user\.roles", line)
    ]
    assert by_role == []


def test_every_may_use_in_a_template_names_a_route(app):
    named = {
        (path.relative_to(TEMPLATES), endpoint)
        for path in TEMPLATES.rglob("*.html")
        for endpoint in re.findall(r"may_use\(['\"]([\w.]+)['\"]\)", path.read_text(encoding="utf-8"))
    }
    assert len(named) > 30
    assert [(str(path), endpoint) for path, endpoint in sorted(named) if endpoint not in app.view_functions] == []


@pytest.mark.parametrize("role", ROLES)
def test_may_use_answers_what_the_route_does(app, make_user, role):
    """For every route, `may_use` (what a page offers) and the route's own check (what it allows) agree."""
    from flask_login import login_user

    from lims.core.web import may_use

    user = make_user(role)
    disagreements = []
    with app.test_request_context("/"):
        login_user(user)
        for rule, view in _routes(app):
            allowed = view.lims_public or role in view.lims_roles
            if may_use(rule.endpoint) != allowed:
                disagreements.append(f"{rule.endpoint}: may_use says {not allowed}, the route {allowed}")
    assert disagreements == []
