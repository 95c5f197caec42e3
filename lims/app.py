"""The application factory."""

import logging
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, has_request_context, request, session
from flask_babel import format_date, format_datetime
from flask_login import current_user

from lims.config import PROJECT_ROOT, Config
from lims.core.display import register_display
from lims.core.limits import init_limits
from lims.extensions import babel, bootstrap, csrf, db, login_manager, migrate
from lims.ops.observe import init_request_observation

# Every domain package; each may have models, views (a Blueprint named `blueprint`) and commands.
DOMAINS = (
    "auth",
    "audit",
    "customers",
    "standards",
    "procedures",
    "jobs",
    "issuing",
    "quality",
    "plan",
    "portal",
    "api",
    "home",
    "ops",
)


def create_app(config: Config | None = None) -> Flask:
    """Create the lab system's Flask application."""
    config = config or Config()
    config.validate()
    # SQLite, keys and stored files live in the instance folder; a new deployment starts without one.
    Path(config.INSTANCE_PATH).mkdir(parents=True, exist_ok=True)
    app = Flask(
        __name__,
        instance_path=config.INSTANCE_PATH,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_object(config)
    trust_proxies(app)
    register_extensions(app)
    register_models()
    register_blueprints(app)
    register_signal_receivers()
    register_request_hooks(app)
    init_request_observation(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_display(app)
    register_commands(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Read the client's address and scheme from the headers of the LIMS_TRUSTED_PROXIES proxies in front, if any."""
    count = app.config["TRUSTED_PROXIES"]
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    init_limits(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: app.config["TIMEZONE"])
    bootstrap.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _enable_sqlite_foreign_keys(app)


def _enable_sqlite_foreign_keys(app: Flask) -> None:
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()


def _import_optional(module_name: str):
    import importlib
    import importlib.util

    if importlib.util.find_spec(module_name) is None:
        return None
    return importlib.import_module(module_name)


def register_models() -> None:
    """Import every domain's models so that the metadata (and Alembic) sees all tables."""
    for domain in DOMAINS:
        _import_optional(f"lims.{domain}.models")


def register_signal_receivers() -> None:
    """Connect what one domain does when another's service reports an event (lims.core.signals)."""
    from lims.quality.automation import connect_receivers

    connect_receivers()


def register_blueprints(app: Flask) -> None:
    for domain in DOMAINS:
        views = _import_optional(f"lims.{domain}.views")
        if views is not None and hasattr(views, "blueprint"):
            app.register_blueprint(views.blueprint)


def register_commands(app: Flask) -> None:
    from lims.demo import demo_group

    app.cli.add_command(demo_group)
    for domain in DOMAINS:
        commands = _import_optional(f"lims.{domain}.commands")
        if commands is not None:
            for command in getattr(commands, "COMMANDS", ()):
                app.cli.add_command(command)


def select_locale() -> str:
    # Outside a request (a CLI command refusing a password) there is no session: Vietnamese, the lab's language.
    chosen = session.get("lang") if has_request_context() else None
    if chosen in ("vi", "en"):
        return chosen
    return "vi"


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def register_request_hooks(app: Flask) -> None:
    from lims.audit.trail import set_actor
    from lims.core.inputs import refuse_bad_input
    from lims.core.web import client_address

    # First of all hooks: nothing, not even the sign-in lookup, reads a request that carries a NUL or deep JSON.
    app.before_request(refuse_bad_input)

    @app.before_request
    def attribute_changes_to_the_user():
        if current_user.is_authenticated:
            set_actor(current_user.id, current_user.username)
        else:
            set_actor(None, f"anonymous@{client_address() or '-'}")

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config["ENV"] == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def register_errorhandlers(app: Flask) -> None:
    from flask import jsonify, render_template
    from werkzeug.exceptions import HTTPException

    from lims.core.web import is_api, problem_response, wants_json

    def render_error(error):
        code = error.code if isinstance(error, HTTPException) else 500
        if code == 500:
            logging.getLogger("lims").exception("unhandled error on %s", request.path)
            db.session.rollback()
        if is_api():
            detail = error.description if isinstance(error, HTTPException) and code != 500 else None
            return problem_response(code, detail)
        if wants_json():
            return jsonify({"error": error.name if isinstance(error, HTTPException) else "Internal Server Error"}), code
        return render_template("errors/error.html", code=code, message=None), code

    for code in (400, 401, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)
    app.register_error_handler(Exception, render_error)


def local_date(value: date | datetime | None, tz: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo(tz)).date()
    return value


def register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from lims.auth.permissions import may, may_see_organisation
    from lims.core.forms import kept_file
    from lims.core.web import may_use

    @app.template_filter("d")
    def format_day(value):
        """dd/mm/yyyy, in the lab's time zone."""
        if value is None:
            return ""
        day = local_date(value, app.config["TIMEZONE"])
        return day.strftime("%d/%m/%Y")

    @app.template_filter("dt")
    def format_moment(value):
        """dd/mm/yyyy HH:MM in the lab's time zone."""
        if value is None:
            return ""
        return value.astimezone(ZoneInfo(app.config["TIMEZONE"])).strftime("%d/%m/%Y %H:%M")

    @app.template_filter("vnd")
    def format_vnd(amount):
        if amount is None:
            return ""
        return f"{amount:,.0f}".replace(",", ".") + " ₫"

    from flask import url_for

    from lims.core.navigation import navigation

    app.add_template_global(kept_file)

    @app.template_global()
    def page_url(number: int) -> str:
        args = request.args.to_dict()
        args["page"] = number
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    @app.template_global()
    def cursor_url(cursor: str | None) -> str:
        """The address of this list from a cursor on (lims.core.lists), its filters kept; None: the first page."""
        args = request.args.to_dict()
        args.pop("cursor", None)
        if cursor:
            args["cursor"] = cursor
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    app.jinja_env.globals["navigation"] = navigation

    @app.context_processor
    def layout_context():
        return {
            "lab_name": app.config["LAB_NAME_EN"] if select_locale() == "en" else app.config["LAB_NAME"],
            "lab_short_name": app.config["LAB_SHORT_NAME"],
            "current_lang": select_locale(),
            # In a template: {% if may("manage_quality") %}: the capabilities of lims.auth.permissions.
            "may": lambda capability: may(current_user, capability),
            # {% if may_use("quality.document_create") %}: what the route itself declares (lims.core.web.may_use).
            "may_use": may_use,
            "sees_organisation": lambda organisation_id: may_see_organisation(current_user, organisation_id),
            "format_date": format_date,
            "format_datetime": format_datetime,
        }
