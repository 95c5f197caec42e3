"""Limits on how often one address may use a public page (Flask-Limiter), counted outside the database.

A refused request costs no database read or write: the counts live in Redis when LIMS_REDIS_URL is set (shared by
every process), else in the memory of the one process serving. With several web processes and no Redis each keeps
its own counts, so an address gets that many times the limit: :func:`unshared_limits_warning` says so, for /readyz.
"""

from flask import Flask
from flask_limiter import Limiter

from lims.core.web import client_address

MEMORY = "memory://"


def _limited_address() -> str:
    # The one client address of the app (LIMS_TRUSTED_PROXIES read by ProxyFix), as sign-in and the request log see it.
    return client_address() or "unknown"


limiter = Limiter(key_func=_limited_address, default_limits=[], headers_enabled=False)


def init_limits(app: Flask) -> None:
    """Count in the Redis of LIMS_REDIS_URL, else in this process's memory."""
    url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", url or MEMORY)
    # A Redis that cannot be reached must not take the public page down with it: the limit is then not applied.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)


def unshared_limits_warning(app: Flask, web_workers: int) -> str | None:
    """The warning /readyz shows when several web processes count look-ups each in its own memory (no Redis)."""
    if web_workers > 1 and app.config.get("RATELIMIT_STORAGE_URI", MEMORY).startswith(MEMORY):
        return (
            f"{web_workers} web workers without LIMS_REDIS_URL: each counts public look-ups in its own memory, so an "
            f"address may make {web_workers} times the limit; configure Redis"
        )
    return None
