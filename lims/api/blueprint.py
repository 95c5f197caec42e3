"""The API's blueprint, who is calling (a token or a signed-in session), and the register of its operations.

Every operation is declared once with ``operation(...)``: the Flask route, the capability it needs (through
``read_view``/``write_view``, as every page) and what the OpenAPI document says of it come from that one place.
"""

import re
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps

from flask import Blueprint, abort, current_app, g, request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError

from lims.core.errors import NotFound, RuleViolation
from lims.core.web import client_address, read_view, write_view
from lims.extensions import csrf, db, login_manager

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
# Token requests carry no cookie, so they need no CSRF token; requests of a signed-in browser still do (below).
csrf.exempt(blueprint)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_ID = 2**31 - 1  # the largest id a column holds: a larger one in a path names no record (not a database error)


@login_manager.request_loader
def load_token_user(req):
    """Return the owner of the bearer token of an API request (None: not a token request, or not a usable one)."""
    header = req.headers.get("Authorization", "")
    if not req.path.startswith("/api/") or not header.startswith("Bearer "):
        return None
    from lims.auth.tokens import find_token

    token = find_token(db.session, header.removeprefix("Bearer ").strip())
    if token is None:
        g.api_token_refused = True
        return None
    g.api_token = token
    return token.user


def calling_token():
    """The token of this request, None for a browser's session."""
    return g.get("api_token")


@blueprint.before_request
def check_caller():
    from flask_login import current_user

    if request.headers.get("Authorization", "").startswith("Bearer ") and not current_user.is_authenticated:
        abort(401)  # a token that is unknown, revoked or expired: never fall back to a cookie
    token = calling_token()
    if token is None:
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        return
    if token.scope != "write" and request.method not in SAFE_METHODS:
        view = current_app.view_functions.get(request.endpoint)
        if getattr(view, "lims_writes", False):
            abort(403, "This token may only read (scope read).")


@blueprint.after_request
def record_token_use(response):
    token = calling_token()
    if token is not None:
        from lims.auth.tokens import record_use

        record_use(
            db.engine,
            token.id,
            method=request.method,
            path=request.path,
            status=response.status_code,
            remote_addr=client_address(),
        )
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="lims"')
    return response


# --- the register of operations --------------------------------------------------------------------------------


@dataclass
class Operation:
    """One operation of the API, as the OpenAPI document describes it."""

    method: str
    path: str  # OpenAPI form: /instruments/{instrument_id}
    endpoint: str
    summary: str
    tags: tuple[str, ...]
    capability: str
    writes: bool
    listing: object = None  # a lims.core.lists.ListSpec
    response: type[Schema] | None = None
    body: type[Schema] | None = None
    status: int = 200
    media_type: str = "application/json"
    errors: tuple[int, ...] = (400, 401, 403, 404)
    description: str = ""
    path_types: dict = field(default_factory=dict)  # {argument: "int" | "string"}


OPERATIONS: list[Operation] = []
_PATH_ARGUMENT = re.compile(r"<(?:(\w+):)?(\w+)>")


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    capability: str,
    listing=None,
    response: type[Schema] | None = None,
    body: type[Schema] | None = None,
    status: int = 200,
    media_type: str = "application/json",
    description: str = "",
    errors: tuple[int, ...] | None = None,
) -> Callable:
    """Declare an API operation: its route, the capability it needs, and what the OpenAPI document says of it."""
    writes = method not in SAFE_METHODS

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def checked(**arguments):
            if any(isinstance(value, int) and value > MAX_ID for value in arguments.values()):
                raise NotFound(_("Không có bản ghi này."))
            return view(**arguments)

        declared = (write_view if writes else read_view)(capability)(checked)
        blueprint.add_url_rule(rule, view.__name__, declared, methods=[method])
        OPERATIONS.append(
            Operation(
                method=method.lower(),
                path=_PATH_ARGUMENT.sub(r"{\2}", rule),
                path_types={name: converter or "string" for converter, name in _PATH_ARGUMENT.findall(rule)},
                endpoint=view.__name__,
                summary=summary,
                tags=(tag,),
                capability=str(capability),
                writes=writes,
                listing=listing,
                response=response,
                body=body,
                status=status,
                media_type=media_type,
                description=description or (view.__doc__ or "").strip(),
                errors=errors if errors is not None else (400, 401, 403, 404, 422) if writes else (400, 401, 403, 404),
            )
        )
        return declared

    return decorator


class BodyInvalid(RuleViolation):
    """A body that does not fit its schema: every field at fault, by path (``items[2].serial``)."""

    status = 422

    def __init__(self, errors: list[dict]):
        super().__init__(errors[0]["message"] if errors else "invalid body", field=errors[0]["field"] if errors else "")
        self.errors = errors


@contextmanager
def refused_in_body(prefix: str = ""):
    """Turn a service's refusal of a value (422) into the body error naming its path (``items[2].serial``)."""
    try:
        yield
    except BodyInvalid:
        raise
    except RuleViolation as exc:
        if exc.status != 422:
            raise
        raise BodyInvalid([{"field": f"{prefix}{exc.field or ''}", "message": exc.message}]) from None


def field_errors(messages, prefix: str = "") -> list[dict]:
    """Flatten marshmallow's nested messages to [{"field": "items[2].serial", "message": ...}]."""
    found = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            found += field_errors(value, path)
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        found.append({"field": prefix, "message": "; ".join(messages)})
    elif isinstance(messages, list):
        for value in messages:
            found += field_errors(value, prefix)
    else:
        found.append({"field": prefix, "message": str(messages)})
    return found


def read_body(schema: type[Schema]) -> dict:
    """Return the request's JSON body loaded through its schema; BodyInvalid (422) naming each field otherwise."""
    document = request.get_json(silent=True)
    if not isinstance(document, dict):
        raise BodyInvalid([{"field": "", "message": "the body must be a JSON object"}])
    try:
        return schema().load(document)
    except ValidationError as exc:
        raise BodyInvalid(field_errors(exc.messages)) from None
