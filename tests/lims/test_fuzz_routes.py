"""Random text, NUL bytes, deep JSON and absurd numbers posted to every route of the URL map, as every role: no 5xx.

Property-based (hypothesis): for each role and each route, a few requests whose path arguments, query arguments,
form fields and JSON bodies are drawn at random, with the values that broke the server before (NUL, 5,000-deep
JSON, "nan", "1e400", year 9999) mixed in. PostgreSQL, where a NUL in text fails in the driver, gets every role;
SQLite a smaller subset. A new route is fuzzed the day it is added.
"""

import json
import os

import pytest
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_PASSWORD

# Values that broke the server or a rule before, mixed into the random text.
NASTY = [
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "\x85",
    "nan",
    "inf",
    "-Infinity",
    "1e400",
    "0001-01-01",
    "9999-12-31",
    '=HYPERLINK("http://x")',
    '"; DROP TABLE x; --',
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "9" * 40,
    "-1",
    "0",
    "",
    " ",
    "\t\r\n",
    "x" * 5000,
]
text = st.one_of(st.sampled_from(NASTY), st.text(max_size=60))
DEEP_JSON = "[" * 5000 + "]" * 5000
json_bodies = st.one_of(
    st.just(DEEP_JSON),
    st.just('{"x": NaN, "y": 1e400}'),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | text,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
        max_leaves=12,
    ).map(lambda document: json.dumps(document, allow_nan=True)),
)
form_names = st.one_of(
    st.sampled_from(["name", "serial", "q", "code", "title", "password", "reason", "file", "organisation_id"]), text
)

# Routes a random request must not take: they end the fuzzing role's own session.
SKIPPED_ENDPOINTS = {"auth.logout", "static", "bootstrap.static"}
ALL_ROLES = [None, "admin", "manager", "technician", "signatory", "enterprise", "inspector"]
SQLITE_ROLES = [None, "manager"]
EXAMPLES = int(os.environ.get("LIMS_FUZZ_EXAMPLES", "3"))  # more for a deeper run


def _rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            yield rule, method


def _path_values(rule, data):
    values = {}
    for name, converter in rule._converters.items():
        if type(converter).__name__ == "IntegerConverter":
            values[name] = data.draw(st.integers(min_value=0, max_value=2**31 - 1), label=name)
        else:
            values[name] = data.draw(text.filter(lambda value: "/" not in value and value), label=name)
    return values


def _build_path(rule, values) -> str:
    from urllib.parse import quote

    path = rule.rule
    for name, value in values.items():
        for pattern in (f"<int:{name}>", f"<{name}>", f"<string:{name}>", f"<path:{name}>"):
            path = path.replace(pattern, quote(str(value), safe=""))
    return path


def _fuzz(client, app, rule, method, examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def one_request(data):
        path = _build_path(rule, _path_values(rule, data))
        query = data.draw(st.dictionaries(form_names, text, max_size=3), label="query")
        g.pop("_login_user", None)  # a real request starts with no cached user
        if method == "GET":
            response = client.get(path, query_string=query)
        elif data.draw(st.booleans(), label="json"):
            body = data.draw(json_bodies, label="body")
            response = client.post(path, query_string=query, data=body, content_type="application/json")
        else:
            form = data.draw(st.dictionaries(form_names, text, max_size=6), label="form")
            response = client.post(path, query_string=query, data=form)
        status = response.status_code
        response.close()
        assert status < 500, f"{method} {path} {query} answered {status}"

    one_request()


@pytest.mark.slow
def test_no_route_answers_5xx_to_random_input_for_any_role(app, backend, client, make_user):
    roles = ALL_ROLES if backend == "postgresql" else SQLITE_ROLES
    examples = EXAMPLES if backend == "postgresql" else 1
    for role in roles:
        g.pop("_login_user", None)
        client.post("/logout")
        if role is not None:
            user = make_user(role)
            g.pop("_login_user", None)
            assert client.post("/login", data={"username": user.username, "password": TEST_PASSWORD}).status_code == 302
        for rule, method in _rules(app):
            _fuzz(client, app, rule, method, examples)
