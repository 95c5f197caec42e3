"""What /readyz checks: the database (and its schema at the code's revision), the file store, the queue."""

import logging
import os
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import text

from lims.core.files import file_store
from lims.core.limits import unshared_limits_warning
from lims.extensions import db

log = logging.getLogger(__name__)


@dataclass
class Readiness:
    checks: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(value in ("ok", "not configured") for value in self.checks.values())

    def as_dict(self) -> dict:
        return {"status": "ready" if self.ready else "not ready", "checks": self.checks, "warnings": self.warnings}


def _failure(name: str, exc: Exception) -> str:
    # The page is public: the reason goes to the log, the page names only the kind of failure (no URL, no path).
    log.warning("readiness: %s failed", name, exc_info=exc)
    return f"failed ({type(exc).__name__})"


def code_revision() -> str | None:
    """Return the migration head the code expects (read once per process)."""
    cached = current_app.extensions.get("lims_code_revision")
    if cached is None:
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
        cached = current_app.extensions["lims_code_revision"] = script.get_current_head()
    return cached


def database_revision(connection) -> str | None:
    from alembic.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def web_workers() -> int:
    """How many web processes serve this app here (deploy/gunicorn.conf.py exports it; 1 when unknown)."""
    try:
        return max(1, int(os.environ.get("LIMS_WEB_WORKERS", "1")))
    except ValueError:
        return 1


def check_readiness() -> Readiness:
    result = Readiness()
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            revision = database_revision(connection)
        result.checks["database"] = "ok"
        result.checks["schema"] = "ok" if revision == code_revision() else "behind the code: run `lims db upgrade`"
    except Exception as exc:
        result.checks["database"] = _failure("database", exc)
    try:
        file_store().check_ready()
        result.checks["files"] = "ok"
    except Exception as exc:
        result.checks["files"] = _failure("files", exc)
    url = current_app.config.get("REDIS_URL")
    if url:
        try:
            from redis import Redis

            Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
            result.checks["queue"] = "ok"
        except Exception as exc:
            result.checks["queue"] = _failure("queue", exc)
    else:
        result.checks["queue"] = "not configured"
        if web_workers() > 1:
            result.warnings.append(
                f"{web_workers()} web workers without LIMS_REDIS_URL: a batch issue runs in a thread of the worker "
                "that took the request and stops if that worker is restarted; configure Redis and `lims worker`"
            )
    limits = unshared_limits_warning(current_app, web_workers())
    if limits:
        result.warnings.append(limits)
    return result
