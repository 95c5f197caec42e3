"""The data-entry form generated from a procedure's observation schema, and the document read back from it.

Inputs are named by their path in the document ("obs.scale.max", "obs.weighing.2.load", "obs.readings.0"), so one
generic template renders every procedure and one function reads any of them back.
"""

import re
from typing import Any

from flask_babel import gettext as _

from lims.core.errors import RuleViolation
from lims.core.numbers import decimal_point
from lims.jobs.record_words import choice_labels, hint

OBSERVATIONS = "obs"
CONDITIONS = "env"
DEFAULT_ROWS = 6  # rows a list offers at first: enough for a weighing test or six repeatability loadings
EXTRA_ROWS = 2  # blank rows offered below the typed ones; blank rows are ignored when read back


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e15 else str(int(value))
    if isinstance(value, list):
        return " ".join(_shown(item) for item in value)
    return str(value)


def _unit(unit: str | None, document: dict) -> str | None:
    # A unit like "scale.unit" names another field of the document (the scale's own unit).
    if unit and "." in unit and not unit.startswith("%"):
        value: Any = document
        for part in unit.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value if isinstance(value, str) else None
    return unit


def _numbers_list(field: dict) -> bool:
    return field["kind"] == "list" and field.get("item", {}).get("kind") in ("number", "integer")


def _table(field: dict) -> bool:
    """Say whether a field is a table of rows rather than one input (a list of numbers is one input)."""
    return field["kind"] == "list" and not _numbers_list(field)


def _input(field: dict, name: str, value: Any, document: dict, label: bool = True) -> dict:
    kind = "numbers" if _numbers_list(field) else field["kind"]
    return {
        "type": "input",
        "name": name,
        "kind": kind,
        "label_vi": field["label_vi"],
        "label_en": field["label_en"],
        "unit": _unit(field.get("unit") or field.get("item", {}).get("unit"), document),
        "choices": field.get("choices", []),
        "choice_labels": choice_labels(field.get("choices", [])),
        "required": field.get("required", True),
        "value": _shown(value if value is not None else field.get("default")),
        "help": hint(field.get("help_en", "")),
    }


def build(fields: list[dict], document: dict, prefix: str = OBSERVATIONS, root: dict | None = None) -> list[dict]:
    """Return the widgets of a form for the schema's fields, filled from a document."""
    root = document if root is None else root
    widgets = []
    for field in fields:
        name = f"{prefix}.{field['name']}"
        value = document.get(field["name"]) if isinstance(document, dict) else None
        if field["kind"] == "group":
            widgets.append(
                {
                    "type": "group",
                    "name": name,
                    "label_vi": field["label_vi"],
                    "label_en": field["label_en"],
                    "required": field.get("required", True),
                    "help": hint(field.get("help_en", "")),
                    "children": build(field["fields"], value or {}, name, root),
                }
            )
        elif field["kind"] == "list" and not _numbers_list(field):
            items = value if isinstance(value, list) else []
            count = max(field.get("min_items") or 1, len(items) + EXTRA_ROWS, DEFAULT_ROWS)
            if field.get("max_items"):
                count = min(count, field["max_items"])
            item = field["item"]
            if item["kind"] == "group" and any(_table(child) for child in item["fields"]):
                # Items that hold tables of their own (the units on a bench): one fieldset per item.
                widgets += [
                    {
                        "type": "group",
                        "name": f"{name}.{i}",
                        "label_vi": f"{item['label_vi']} {i + 1}",
                        "label_en": f"{item['label_en']} {i + 1}",
                        "required": i < (field.get("min_items") or 0),
                        "help": field.get("help_en", "") if i == 0 else "",
                        "children": build(item["fields"], items[i] if i < len(items) else {}, f"{name}.{i}", root),
                    }
                    for i in range(count)
                ]
                continue
            if item["kind"] == "group":
                columns = item["fields"]
                rows = [
                    [
                        _input(
                            column,
                            f"{name}.{i}.{column['name']}",
                            (items[i] if i < len(items) else {}).get(column["name"]),
                            root,
                        )
                        for column in columns
                    ]
                    for i in range(count)
                ]
            else:  # a list of lists of numbers: one line of numbers per row (weighing cycles)
                columns = [item]
                rows = [[_input(item, f"{name}.{i}", items[i] if i < len(items) else None, root)] for i in range(count)]
            widgets.append(
                {
                    "type": "table",
                    "name": name,
                    "label_vi": field["label_vi"],
                    "label_en": field["label_en"],
                    "required": field.get("required", True),
                    "help": hint(field.get("help_en", "")),
                    "columns": [
                        {"label_vi": c["label_vi"], "label_en": c["label_en"], "unit": _unit(c.get("unit"), root)}
                        for c in columns
                    ],
                    "rows": rows,
                }
            )
        else:
            widgets.append(_input(field, name, value, root))
    return widgets


def _number(raw: str, name: str, integer: bool = False) -> float | int:
    # a value never has a thousands separator here
    try:
        text = decimal_point(raw.replace(" ", ""))
        return int(text) if integer else float(text)
    except ValueError as exc:
        raise RuleViolation(_("'%(raw)s' không phải là số", raw=raw), field=name) from exc


def _numbers(raw: str, name: str) -> list[float]:
    parts = [part for part in re.split(r"[\s;]+", raw.strip()) if part]
    return [_number(part, name) for part in parts]


def _scalar(field: dict, raw: str, name: str) -> Any:
    kind = field["kind"]
    if _numbers_list(field):
        return _numbers(raw, name)
    if kind == "number":
        return _number(raw, name)
    if kind == "integer":
        return _number(raw, name, integer=True)
    if kind == "boolean":
        return raw in ("on", "true", "1", "yes")
    return raw.strip()


def _nothing_typed(fields: list[dict], value: dict) -> bool:
    """Whether a group holds only what the form offered by itself: preselected choices and values equal to their
    defaults (a weight row's class "E1" and density uncertainty "0" are not a weight)."""
    for field in fields:
        if field["name"] not in value or field["kind"] == "choice":
            continue
        typed = value[field["name"]]
        if field["kind"] == "group" and isinstance(typed, dict):
            if not _nothing_typed(field["fields"], typed):
                return False
        elif field.get("default") is None or _shown(typed).strip() != _shown(field["default"]):
            return False
    return True


def read(fields: list[dict], form, prefix: str = OBSERVATIONS, raw: bool = False) -> dict:
    """Return the document typed into a generated form; blank inputs, groups and rows are left out.

    With ``raw`` the values stay the text typed and rows keep their places (a blank row in the middle stays blank):
    what a refused form is shown again with, when what was typed cannot be read as numbers.
    """
    document: dict[str, Any] = {}
    for field in fields:
        name = f"{prefix}.{field['name']}"
        if field["kind"] == "group":
            value = read(field["fields"], form, name, raw)
            # An optional group left as the form offered it was not used (the single weight of an AB1...BnA cycle);
            # a group of choices alone is what was chosen.
            typed = any(child["kind"] != "choice" for child in field["fields"])
            if value and (field.get("required", True) or not typed or not _nothing_typed(field["fields"], value)):
                document[field["name"]] = value
        elif field["kind"] == "list" and not _numbers_list(field):
            items: list[Any] = []
            index = 0
            item = field["item"]
            while any(key == f"{name}.{index}" or key.startswith(f"{name}.{index}.") for key in form):
                if item["kind"] == "group":
                    value = read(item["fields"], form, f"{name}.{index}", raw)
                    # A row of only preselected choices (a loading's direction) and defaults is a blank row.
                    typed = {column["name"] for column in item["fields"] if column["kind"] != "choice"}
                    if value and (not typed or not _nothing_typed(item["fields"], value)):
                        items.append(value)
                    elif raw:  # raw rows keep their places: a blank one stays, blank
                        items.append({})
                else:
                    text = form.get(f"{name}.{index}", "")
                    if text.strip():
                        items.append(text if raw else _scalar(item, text, f"{name}.{index}"))
                    elif raw:
                        items.append("")
                index += 1
            while raw and items and not items[-1]:
                items.pop()
            if items:
                document[field["name"]] = items
        else:
            text = form.get(name, "")
            if text.strip():
                document[field["name"]] = text if raw and field["kind"] != "boolean" else _scalar(field, text, name)
    return document


def environment_widgets(environment: list[dict], conditions: dict) -> list[dict]:
    """Return the inputs of the environmental conditions, each with the procedure's limits."""
    return [
        {
            "type": "input",
            "name": f"{CONDITIONS}.{limit['name']}",
            "kind": "number",
            "label_vi": limit["label_vi"],
            "label_en": limit["label_en"],
            "unit": limit["unit"],
            "choices": [],
            "required": True,
            "value": _shown(conditions.get(limit["name"])),
            "help": f"{limit['minimum']:g} … {limit['maximum']:g} {limit['unit']}",
        }
        for limit in environment
    ]


def read_conditions(environment: list[dict], form, raw: bool = False) -> dict:
    """Return the environmental conditions typed into the form (with ``raw``, as the text typed)."""
    conditions = {}
    for limit in environment:
        name = f"{CONDITIONS}.{limit['name']}"
        text = form.get(name, "")
        if text.strip():
            conditions[limit["name"]] = text if raw else _number(text, name)
    return conditions


def attach_note(widgets: list[dict], name: str, note: str) -> None:
    """Put a note beside the group of that name (where its values came from); groups nest, so look inside too."""
    for widget in widgets:
        if widget["type"] == "group":
            if widget["name"] == name:
                widget["note"] = note
            else:
                attach_note(widget["children"], name, note)


def input_name(field: str | None) -> str | None:
    """Return the form's input name for a refusal's field: "observations.weighing[2].load" -> "obs.weighing.2.load".

    The procedures name fields by their path in the document, the record's checks by "conditions.<name>"; the
    form's own names (and "standards", "measured_on", ...) are returned as they are.
    """
    if not field:
        return None
    name = re.sub(r"\[(\d+)\]", r".\1", field).lstrip(".")
    for document, form in (("observations", OBSERVATIONS), ("conditions", CONDITIONS)):
        if name == document or name.startswith(f"{document}."):
            return form + name[len(document) :]
    return name


def _matches(widget_name: str, name: str) -> bool:
    return name == widget_name or name.startswith(f"{widget_name}.")


def attach_error(widgets: list[dict], name: str, message: str) -> bool:
    """Put a refusal's message on the widget it names (or the closest group or table holding it); say if found."""
    best: dict | None = None

    def visit(items: list[dict]) -> None:
        nonlocal best
        for widget in items:
            if not _matches(widget["name"], name):
                continue
            if best is None or len(widget["name"]) > len(best["name"]):
                best = widget
            if widget["type"] == "group":
                visit(widget["children"])
            elif widget["type"] == "table":
                visit([cell for row in widget["rows"] for cell in row])

    visit(widgets)
    if best is None:
        return False
    best["error"] = message
    return True


def label_parts(fields: list[dict], name: str, prefix: str = OBSERVATIONS) -> list[dict | int]:
    """Return the way to an input as the schema's fields and row numbers (from 1), to name it in words."""
    parts: list[dict | int] = []
    rest = name[len(prefix) + 1 :].split(".") if name.startswith(f"{prefix}.") else []
    current = {field["name"]: field for field in fields}
    while rest and current:
        field = current.get(rest.pop(0))
        if field is None:
            break
        parts.append(field)
        if field["kind"] == "group":
            current = {child["name"]: child for child in field["fields"]}
        elif field["kind"] == "list" and rest and rest[0].isdigit():
            parts.append(int(rest.pop(0)) + 1)
            item = field["item"]
            current = {child["name"]: child for child in item["fields"]} if item["kind"] == "group" else {}
        else:
            current = {}
    return parts


def first_missing(fields: list[dict], document: dict, prefix: str = OBSERVATIONS) -> str | None:
    """Return the input name of the first required field not yet typed (None when the schema's fields are all in).

    An optional group left out is not checked; one begun must be complete. A list needs its minimum of rows.
    """
    for field in fields:
        name = f"{prefix}.{field['name']}"
        value = document.get(field["name"]) if isinstance(document, dict) else None
        if value is None or value == [] or value == {}:
            if field.get("required", True) and field.get("default") is None:
                return name
            continue
        if field["kind"] == "group":
            missing = first_missing(field["fields"], value, name)
            if missing:
                return missing
        elif field["kind"] == "list" and isinstance(value, list):
            if len(value) < (field.get("min_items") or 0):
                return f"{name}.{len(value)}"
            if field["item"]["kind"] == "group":
                for index, row in enumerate(value):
                    missing = first_missing(field["item"]["fields"], row, f"{name}.{index}")
                    if missing:
                        return missing
    return None
