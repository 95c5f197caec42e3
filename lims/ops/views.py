"""/healthz, /readyz and /metrics: for the load balancer, systemd and Prometheus; no login, no secrets."""

from flask import Blueprint, abort, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST

from lims.core.web import client_address, read_view
from lims.ops import metrics
from lims.ops.readiness import check_readiness

blueprint = Blueprint("ops", __name__)


@blueprint.route("/healthz")
@read_view(public=True)
def healthz():
    """The process answers (it says nothing about the database: that is /readyz)."""
    return jsonify({"status": "ok"})


@blueprint.route("/readyz")
@read_view(public=True)
def readyz():
    result = check_readiness()
    return jsonify(result.as_dict()), 200 if result.ready else 503


@blueprint.route("/metrics")
@read_view(public=True)
def prometheus_metrics():
    # Public to the role check, but only the addresses LIMS_METRICS_ALLOW names get an answer.
    if not current_app.config.get("METRICS") or not metrics.allowed(client_address()):
        abort(404)
    return metrics.exposition(), 200, {"Content-Type": CONTENT_TYPE_LATEST}
