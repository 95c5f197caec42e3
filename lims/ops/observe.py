"""One log line per request (request id, user, status, time), and Prometheus metrics when LIMS_METRICS=1.

Under gunicorn each worker is its own process: with PROMETHEUS_MULTIPROC_DIR set (deploy/gunicorn.conf.py sets it)
prometheus-client keeps every worker's counts in files of that folder and /metrics adds them up, so no count lives
in one worker's memory only.
"""

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request
from flask_login import current_user
from prometheus_client import Counter, Histogram

from lims.core.web import client_address

log = logging.getLogger("lims.request")
# Ids passed by nginx (or another proxy) are kept when they look like ids, so one request is traced across both logs.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

REQUESTS = Counter("lims_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "lims_http_request_duration_seconds",
    "Time to answer a request",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class JsonFormatter(logging.Formatter):
    """Each record as one JSON object; a request line's fields (``extra={"request": ...}``) become its keys."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update(getattr(record, "request", {}))
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False)


def configure_logging(app: Flask) -> None:
    """Send the lab's logs to stderr (journald under systemd), as text or JSON; tests keep pytest's capture."""
    if app.testing:
        return
    lims_log = logging.getLogger("lims")
    if any(getattr(handler, "lims_handler", False) for handler in lims_log.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.lims_handler = True
    if app.config.get("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    lims_log.addHandler(handler)
    lims_log.setLevel(logging.INFO)
    lims_log.propagate = False


def _route() -> str:
    # The rule, not the path: /certificates/<int:id> is one series, whatever the id.
    return request.url_rule.rule if request.url_rule is not None else "(unmatched)"


def init_request_observation(app: Flask) -> None:
    configure_logging(app)

    @app.before_request
    def start_clock():
        g.request_started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def record_request(response):
        started = g.get("request_started")
        if started is None:  # a request refused before our hooks ran
            return response
        seconds = time.perf_counter() - started
        user = current_user.username if current_user.is_authenticated else "-"
        fields = {
            "request_id": g.request_id,
            "method": request.method,
            "path": request.path,
            "route": _route(),
            "status": response.status_code,
            "ms": round(seconds * 1000, 1),
            "user": user,
            "remote": client_address() or "-",
        }
        log.info(
            "%s %s %s %.1f ms user=%s id=%s",
            request.method,
            request.path,
            response.status_code,
            seconds * 1000,
            user,
            g.request_id,
            extra={"request": fields},
        )
        if app.config.get("METRICS"):
            REQUESTS.labels(fields["route"], request.method, str(response.status_code)).inc()
            LATENCY.labels(fields["route"]).observe(seconds)
        response.headers["X-Request-ID"] = g.request_id
        return response
