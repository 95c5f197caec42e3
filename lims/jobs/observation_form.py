"""The data-entry form generated from a procedure's observation schema, and the document read back from it.

Inputs are named by their path in the document ("obs.scale.max", "obs.weighing.2.load", "obs.readings.0"), so one
generic template renders every procedure and one function reads any of them back.
"""

import re
from typing import Any

from lims.core.errors import RuleViolation
from lims.core.numbers import decimal_point

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
        "required": field.get("required", True),
        "value": _shown(value if value is not None else field.get("default")),
        "help": field.get("help_en", ""),
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
                    "help": field.get("help_en", ""),
                    "children": build(field["fields"], value or {}, name, root),
                }
            )
        elif field["kind"] == "list" and not _numbers_list(field):
            items = value if isinstance(value, list) else []
            count = max(field.get("min_items") or 1, len(items) + EXTRA_ROWS, DEFAULT_ROWS)
            if field.get("max_items"):
                count = min(count, field["max_items"])
            item = field["item"]
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
                    "help": field.get("help_en", ""),
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
    text = decimal_point(raw.replace(" ", ""))
    try:
        return int(text) if integer else float(text)
    except ValueError as exc:
        raise RuleViolation(f"'{raw}' không phải là số / is not a number", field=name) from exc


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


def read(fields: list[dict], form, prefix: str = OBSERVATIONS) -> dict:
    """Return the document typed into a generated form; blank inputs, groups and rows are left out."""
    document: dict[str, Any] = {}
    for field in fields:
        name = f"{prefix}.{field['name']}"
        if field["kind"] == "group":
            value = read(field["fields"], form, name)
            if value:
                document[field["name"]] = value
        elif field["kind"] == "list" and not _numbers_list(field):
            items = []
            index = 0
            item = field["item"]
            while any(key == f"{name}.{index}" or key.startswith(f"{name}.{index}.") for key in form):
                if item["kind"] == "group":
                    value = read(item["fields"], form, f"{name}.{index}")
                    # A row of only preselected choices (a loading's direction) is a blank row.
                    typed = {column["name"] for column in item["fields"] if column["kind"] != "choice"}
                    if value and (typed & set(value) or not typed):
                        items.append(value)
                else:
                    raw = form.get(f"{name}.{index}", "")
                    if raw.strip():
                        items.append(_scalar(item, raw, f"{name}.{index}"))
                index += 1
            if items:
                document[field["name"]] = items
        else:
            raw = form.get(name, "")
            if raw.strip():
                document[field["name"]] = _scalar(field, raw, name)
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


def read_conditions(environment: list[dict], form) -> dict:
    """Return the environmental conditions typed into the form."""
    conditions = {}
    for limit in environment:
        name = f"{CONDITIONS}.{limit['name']}"
        raw = form.get(name, "")
        if raw.strip():
            conditions[limit["name"]] = _number(raw, name)
    return conditions


def attach_note(widgets: list[dict], name: str, note: str) -> None:
    """Put a note beside the group of that name (where its values came from); groups nest, so look inside too."""
    for widget in widgets:
        if widget["type"] == "group":
            if widget["name"] == name:
                widget["note"] = note
            else:
                attach_note(widget["children"], name, note)
