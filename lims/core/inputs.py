"""What every request must be before any view reads it: no control characters, bounded JSON, finite numbers.

One check for every route, present and future, run before the view: a NUL byte breaks PostgreSQL text, other
control characters hide text from people reading records, a JSON document nested thousands deep exhausts the
parser's stack, and NaN or infinity poison sums and comparisons. Sizes are bounded by Flask itself
(MAX_CONTENT_LENGTH, MAX_FORM_MEMORY_SIZE, MAX_FORM_PARTS: 413).
"""

import math
import re
from collections.abc import Iterator

from flask import current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _

# C0 and C1 control characters and DEL, except TAB, LF and CR, which text areas legitimately send.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class RefusedInput(ValueError):
    """A request carries something no view may receive; ``field`` names where it was."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message = message
        self.field = field


def has_control_character(text: str) -> bool:
    return CONTROL_CHARACTER.search(text) is not None


def _json_strings(document, max_depth: int) -> Iterator[tuple[str, str]]:
    """Yield (path, text) for every key and string of a JSON document; refuse depth and non-finite numbers."""
    stack = [("", document, 1)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, dict | list) and depth > max_depth:
            raise RefusedInput(_("Tài liệu JSON lồng quá %(n)d tầng.", n=max_depth), path or "$")
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                yield child, key
                stack.append((child, item, depth + 1))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item, depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str):
            yield path or "$", value
        elif isinstance(value, float) and not math.isfinite(value):
            raise RefusedInput(_("Số không hữu hạn (NaN, vô cực) không được nhận."), path or "$")


def _texts() -> Iterator[tuple[str, str]]:
    """Yield (field, text) for everything a view may read from the request."""
    yield "path", request.path
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield name, value
    for name, value in request.args.items(multi=True):
        yield name, name
        yield name, value
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        if request.is_json:
            try:
                document = request.get_json(silent=True)
            except RecursionError:  # the C parser gives up on documents nested about a thousand deep
                raise RefusedInput(
                    _("Tài liệu JSON lồng quá %(n)d tầng.", n=current_app.config["MAX_JSON_DEPTH"]), "$"
                ) from None
            # Pages read JSON only as an object of fields (Flask-WTF takes it as form data); anything else is refused
            # here rather than failing deep inside a form. The API answers its own bodies.
            if not isinstance(document, dict) and not request.path.startswith("/api/"):
                raise RefusedInput(_("Nội dung JSON phải là một đối tượng gồm các trường."), "$")
            yield from _json_strings(document, current_app.config["MAX_JSON_DEPTH"])
        else:
            for name, value in request.form.items(multi=True):
                yield name, name
                yield name, value
            for name, upload in request.files.items(multi=True):
                yield name, upload.filename or ""


def check_request() -> None:
    """Raise RefusedInput when the request carries a control character, deep JSON or a non-finite JSON number."""
    for field, text in _texts():
        if has_control_character(text):
            raise RefusedInput(_("Ký tự điều khiển (như NUL) không được phép."), field)


def refuse_bad_input():
    """A before_request hook: answer 400, naming the field, to a request no view should receive."""
    try:
        check_request()
    except RefusedInput as refused:
        field = CONTROL_CHARACTER.sub("\ufffd", refused.field)[:200]
        message = f"{refused.message} ({field})"
        if request.path.startswith("/api/"):
            from lims.core.web import problem_response

            return problem_response(400, refused.message, field=field)
        if request.is_json or request.accept_mimetypes.best == "application/json":
            return make_response(jsonify({"error": refused.message, "field": field}), 400)
        return make_response(render_template("errors/error.html", code=400, message=message), 400)
    return None
