"""The JSON API, version 1: the measurement calculations, the same functions as `lims calc`."""

from flask import Blueprint, jsonify, request

from instruments.calculations import CALCULATIONS, calculation, json_ready
from instruments.errors import InputError
from lims.core.web import LAB_STAFF, write_view
from lims.issuing import views as issuing_views

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

# A certificate's DCC is machine-readable by nature: other systems fetch it here, with the same permission checks
# and the same stored bytes as the page's download.
blueprint.add_url_rule(
    "/certificates/<int:certificate_id>/dcc", "certificate_dcc", issuing_views.certificate_dcc, methods=["GET"]
)


@blueprint.route("/calc/<name>", methods=["POST"])
@write_view(*LAB_STAFF)
def calculate(name: str):
    # A POST that stores nothing: write_view still declares who may use it, and the error statuses roll back.
    if name not in CALCULATIONS:
        return jsonify({"error": f"no calculation named {name!r}", "field": "name"}), 404
    document = request.get_json(silent=True)
    if not isinstance(document, dict):
        return jsonify({"error": "the body must be a JSON object", "field": ""}), 400
    try:
        return jsonify(json_ready(calculation(name)(document)))
    except InputError as exc:
        return jsonify(exc.as_dict()), 422
