"""Permissions in one place: every route declares its roles, and refuses every role it does not list.

These tests walk the app's URL map, so a route added later cannot forget its roles or let an inspector write.
"""

import pytest

from lims.auth.models import ROLES

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
