"""The OpenAPI 3.1 document of API v1, generated from the code (apispec with its marshmallow plugin).

Paths and methods come from the register of operations (lims.api.blueprint.operation), query parameters from the
filter classes of the lists (lims.core.lists), bodies and answers from the marshmallow schemas that validate and
dump them, and the roles that may call each operation from the permission table (lims.auth.permissions).
"""

from datetime import date
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from lims.api.blueprint import MAX_ID, OPERATIONS, Operation
from lims.api.schemas import Problem
from lims.auth.permissions import roles_holding
from lims.core.lists import CURSOR_ARG, LIMIT_ARG, MAX_LIMIT, filter_args

VERSION = "1.0.0"
ERROR_TEXT = {
    400: "A query argument or the cursor cannot be read",
    401: "No token, or one that is unknown, expired or revoked",
    403: "The caller may not do this (role, read-only token, inspector)",
    404: "No such record (or one the caller may not see)",
    422: "The body or a lab rule refuses the operation; `field` names what",
}
_TYPES = {int: {"type": "integer"}, bool: {"type": "boolean"}, date: {"type": "string", "format": "date"}}


def _parameter(name: str, spec) -> dict:
    schema = dict(_TYPES.get(spec.kind, {"type": "string", "maxLength": 200}))
    if spec.choices:
        schema["enum"] = list(spec.choices)
    if spec.minimum is not None:
        schema["minimum"] = spec.minimum
    if spec.maximum is not None:
        schema["maximum"] = spec.maximum
    return {"name": name, "in": "query", "required": False, "description": spec.description, "schema": schema}


def _list_parameters(listing, paged: bool) -> list[dict]:
    parameters = [_parameter(name, spec) for _field, name, spec in filter_args(listing.filters)]
    if not paged:  # a file of the whole list (the ZIP of certificates): its filters, no page
        return parameters
    parameters += [
        {
            "name": CURSOR_ARG,
            "in": "query",
            "required": False,
            "description": "where the page starts: the `next_cursor` of the page before",
            "schema": {"type": "string", "maxLength": 1000},
        },
        {
            "name": LIMIT_ARG,
            "in": "query",
            "required": False,
            "description": f"rows in a page (default {listing.per_page})",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        },
    ]
    return parameters


def _path_parameters(op: Operation) -> list[dict]:
    integer = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    text = {"type": "string", "minLength": 1, "maxLength": 100}
    return [
        {"name": name, "in": "path", "required": True, "schema": integer if kind == "int" else text}
        for name, kind in op.path_types.items()
    ]


def _success(op: Operation, spec: APISpec) -> dict:
    if op.response is None:
        return {"description": "the file", "content": {op.media_type: {"schema": {"type": "string"}}}}
    name = op.response.__name__.removesuffix("Out")
    if name not in spec.components.schemas:
        spec.components.schema(name, schema=op.response)
    if op.listing is not None:
        page_name = f"{name}Page"
        if page_name not in spec.components.schemas:
            spec.components.schema(
                page_name,
                {
                    "type": "object",
                    "required": ["items", "next_cursor", "limit"],
                    "properties": {
                        "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
                        "next_cursor": {
                            "type": ["string", "null"],
                            "description": "pass as `cursor` for the next page; null on the last",
                        },
                        "limit": {"type": "integer"},
                    },
                },
            )
        schema = {"$ref": f"#/components/schemas/{page_name}"}
    else:
        schema = {"$ref": f"#/components/schemas/{name}"}
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def _operation(op: Operation, spec: APISpec) -> dict:
    roles = ", ".join(sorted(roles_holding(op.capability) - ({"inspector"} if op.writes else set())))
    listed = _list_parameters(op.listing, paged=op.response is not None) if op.listing else []
    document = {
        "operationId": op.endpoint,
        "summary": op.summary,
        "description": f"{op.description}\n\nRoles: {roles} (capability `{op.capability}`).".strip(),
        "tags": list(op.tags),
        "parameters": _path_parameters(op) + listed,
        "responses": {str(op.status): _success(op, spec)},
    }
    for status in op.errors:
        document["responses"][str(status)] = {
            "description": ERROR_TEXT.get(status, "error"),
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    if op.body is not None:
        document["requestBody"] = {
            "required": op.method != "post" or not op.path.endswith("/cancel"),
            "content": {"application/json": {"schema": op.body}},
        }
    return document


@cache
def openapi_document() -> dict:
    """Return the OpenAPI 3.1 document of API v1 (built once per process: it depends on the code only)."""
    spec = APISpec(
        title="LIMS API",
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": (
                "The laboratory's records for other systems: an enterprise's instruments, requests and certificates; "
                "the lab's jobs, standards and recall. Authenticate with a personal access token "
                "(`Authorization: Bearer lims_...`) made on the account page or by `lims token create`. Lists are "
                "cut by key: follow `next_cursor`. Errors are `application/problem+json` (RFC 9457) with `field` "
                "naming the argument or body field at fault (`items[2].serial`)."
            )
        },
        servers=[{"url": "/api/v1"}],
        security=[{"token": []}, {"session": []}],
    )
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer", "description": "lims_..."})
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session", "description": "a signed-in browser"}
    )
    spec.components.schema("Problem", schema=Problem)
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, spec)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
