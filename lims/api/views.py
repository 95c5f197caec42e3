"""The JSON API, version 1: the lab's records for other systems, the measurement calculations (the same functions
as `lims calc`), and the OpenAPI document with its documentation page."""

from flask import jsonify, render_template, request

from instruments.calculations import CALCULATIONS, calculation, json_ready
from instruments.errors import InputError
from lims.api import resources  # noqa: F401  (registers the resources' operations on the blueprint)
from lims.api.blueprint import blueprint, operation
from lims.api.openapi import openapi_document
from lims.auth.permissions import Capability
from lims.core.web import problem_response, read_view

__all__ = ["blueprint"]


@operation(
    "POST", "/calc/<name>", summary="Run a measurement calculation", tag="calculations",
    capability=Capability.CALCULATE, body={"type": "object"}, errors=(400, 401, 403, 404, 422),
)  # fmt: skip
def calculate(name: str):
    """The calculations of `lims calc` (uncertainty budgets, conversions): the body is the calculation's input."""
    # A POST that stores nothing: write_view still declares who may use it, and the error statuses roll back.
    if name not in CALCULATIONS:
        return problem_response(404, f"no calculation named {name!r}", field="name")
    document = request.get_json(silent=True)
    if not isinstance(document, dict):
        return problem_response(400, "the body must be a JSON object", field="")
    try:
        return jsonify(json_ready(calculation(name)(document)))
    except InputError as exc:
        found = exc.as_dict()
        return problem_response(422, found.get("error") or str(exc), field=found.get("field"))


@blueprint.route("/openapi.json")
@read_view(public=True)
def openapi():
    """The OpenAPI 3.1 document of this API, generated from the code."""
    return jsonify(openapi_document())


@blueprint.route("/docs")
@read_view(public=True)
def docs():
    """The API's documentation, served by the lab itself (no outside script or font)."""
    return render_template("api/docs.html", document=openapi_document())
