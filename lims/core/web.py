"""The request boundary: which capability a route needs, and the one commit of a write request."""

import logging
from collections.abc import Callable, Iterable
from functools import wraps

from flask import abort, current_app, flash, jsonify, make_response, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from lims.auth.permissions import Capability, capabilities_of, roles_holding
from lims.core.errors import RuleViolation
from lims.core.forms import keep_refused
from lims.extensions import db, login_manager

log = logging.getLogger(__name__)


def client_address() -> str | None:
    """Return the address of the person making the request: the one place sign-in and verification limits read.

    Behind a reverse proxy every request comes from the proxy; the app then reads the X-Forwarded-For entry the
    proxy added, and only when LIMS_TRUSTED_PROXIES says how many proxies stand in front (werkzeug's ProxyFix,
    installed by the factory), since a client can write any X-Forwarded-For it likes.
    """
    return request.remote_addr


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _check_roles(view: Callable, public: bool) -> None:
    if public:
        return
    if not current_user.is_authenticated:
        if wants_json():
            abort(401)
        # Flask-Login's unauthorized() returns a redirect to the login page.
        raise _Redirect(login_manager.unauthorized())
    if not (view.lims_capabilities & capabilities_of(current_user) or view.lims_role_names & current_user.roles):
        abort(403)


class _Redirect(Exception):
    def __init__(self, response):
        self.response = response


def _declare(view: Callable, needs: Iterable[str], public: bool, writes: bool) -> None:
    needs = tuple(needs)
    try:
        roles = roles_holding(*needs)
    except ValueError as exc:
        raise ValueError(f"{view.__name__}: {exc}") from None
    if not needs and not public:
        raise ValueError(f"{view.__name__} must declare the capability needed, or public=True")
    # Capabilities are the vocabulary; a bare role name is still understood (the permission test refuses it).
    view.lims_capabilities = frozenset(Capability(n) for n in needs if n in Capability._value2member_map_)
    view.lims_role_names = frozenset(needs) - view.lims_capabilities
    view.lims_roles = roles
    view.lims_public = public
    view.lims_writes = writes


def read_view(*capabilities: str, public: bool = False):
    """Declare the capability a page needs (any of several, or public=True); others get 403, strangers sign in."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                _check_roles(wrapper, public)
            except _Redirect as redirect_:
                return redirect_.response
            try:
                return view(*args, **kwargs)
            except RuleViolation as exc:
                return rule_violation_response(exc)

        _declare(wrapper, capabilities, public, writes=False)
        return wrapper

    return decorator


def write_view(*capabilities: str, public: bool = False, inspector_may: bool = False):
    """Declare the capability a write route needs and own its single commit.

    The transaction commits when the response is not an error and rolls back otherwise, so a rule violated after a
    flush leaves nothing half-written. Inspectors read and never write: they are refused on every write route
    unless the route says ``inspector_may`` (signing out).
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                _check_roles(wrapper, public)
            except _Redirect as redirect_:
                return redirect_.response
            if current_user.is_authenticated and not inspector_may_write(wrapper, current_user):
                abort(403)
            try:
                response = make_response(view(*args, **kwargs))
            except RuleViolation as exc:
                db.session.rollback()
                return rule_violation_response(exc)
            except Exception:
                db.session.rollback()
                raise
            if response.status_code >= 400:
                db.session.rollback()
                return response
            try:
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                log.warning("write refused by a database constraint on %s", request.path, exc_info=True)
                return rule_violation_response(
                    RuleViolation(_("Dữ liệu trùng hoặc không hợp lệ; không có gì được lưu."))
                )
            return response

        _declare(wrapper, capabilities, public, writes=True)
        # A public route (verifying a certificate by upload) is open to an inspector as to anyone.
        wrapper.lims_inspector_may = inspector_may or public
        if not inspector_may:
            wrapper.lims_roles = wrapper.lims_roles - {"inspector"}
        return wrapper

    return decorator


def inspector_may_write(view: Callable, user) -> bool:
    """Whether a write route lets this person through the inspectors' rule (an inspector only reads)."""
    return user.roles != {"inspector"} or getattr(view, "lims_inspector_may", False)


def is_api() -> bool:
    """Whether this request is one of the API's (its errors are application/problem+json, RFC 9457)."""
    return request.path.startswith("/api/")


def problem_response(status: int, detail: str | None = None, *, field: str | None = None, errors=None):
    """Return an RFC 9457 problem document: the status, its title, what went wrong and the field it concerns.

    ``errors`` lists every refused field as ``{"field": "items[2].serial", "message": ...}`` (a body that failed
    its schema); ``field`` names the first, as the lab's other JSON errors do.
    """
    from werkzeug.http import HTTP_STATUS_CODES

    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": str(detail) if detail else HTTP_STATUS_CODES.get(status, "Error"),
        "instance": request.path,
    }
    if errors:
        body["errors"] = [{"field": item["field"], "message": str(item["message"])} for item in errors]
        field = field or body["errors"][0]["field"]
    if field is not None:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def rule_violation_response(exc: RuleViolation):
    """Turn a refused operation into a JSON error, or a page that says why."""
    if is_api():
        return problem_response(exc.status, exc.message, field=exc.field, errors=getattr(exc, "errors", None))
    if wants_json():
        return jsonify({"error": exc.message, "field": exc.field}), exc.status
    if request.method == "POST" and exc.status == 422 and request.referrer:
        # The page the form was posted from shows it again, as typed, with the errors at their fields.
        keep_refused(exc)
        flash(exc.message, "danger")
        return redirect(request.referrer)
    return make_response(render_template("errors/error.html", code=exc.status, message=exc.message), exc.status)


def route_roles(view: Callable) -> tuple[frozenset[str], bool] | None:
    """Return the roles a view function declared and whether it is public (None when it declared nothing)."""
    if not hasattr(view, "lims_roles"):
        return None
    return view.lims_roles, view.lims_public


def declared_routes(app=None):
    """Yield (rule, view) for every route of the app, for the permission tests and the admin overview."""
    app = app or current_app
    for rule in app.url_map.iter_rules():
        yield rule, app.view_functions[rule.endpoint]


def may_use(endpoint: str, user=None) -> bool:
    """Whether a person may use a route, as its declaration says (a template hides what would answer 403)."""
    user = user if user is not None else current_user
    view = current_app.view_functions.get(endpoint)
    declared = route_roles(view) if view is not None else None
    if declared is None:
        return False
    roles, public = declared
    if public:
        return True
    if not user.is_authenticated or not user.roles & roles:
        return False
    return not view.lims_writes or inspector_may_write(view, user)
