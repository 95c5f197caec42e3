"""Reading a definition's text (YAML by a safe loader refusing aliases, or JSON) and its small checked values."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from instruments.errors import InputError
from instruments.procedures.definition.parts import (
    INSTRUMENT_FACTS,
    MAX_DEPTH,
    MAX_EXPRESSION,
    MAX_ITEMS,
    MAX_NAME,
    MAX_TEXT,
    UNITS,
    DefinitionError,
    Expression,
    Parameter,
    Text,
    Unconfirmed,
)
from instruments.quantities import path
from instruments.uncertainty.expression import Binary, Call, Negate, Node, parse_model
from instruments.uncertainty.inputs import check_name

# --- reading the text --------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing aliases: a definition has no need of them and they can multiply its size."""

    def compose_node(self, parent, index):  # noqa: ANN001 - PyYAML's signature
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", event.start_mark)
        return super().compose_node(parent, index)


# YAML 1.1 reads 1e-7 (no decimal point) as text; JSON and YAML 1.2 read it as a number, and so does a definition.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def read_text(text: Any) -> dict:
    """Return the document of a definition written in YAML or JSON; InputError naming ``document`` if unreadable."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("document", "the file is not UTF-8 text") from None
    if not isinstance(text, str):
        raise InputError("document", "a definition is text (YAML or JSON)")
    if len(text) > MAX_TEXT:
        raise InputError("document", f"a definition is at most {MAX_TEXT} characters long")
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                "document", f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
            ) from None
        except RecursionError:
            raise InputError("document", "not valid JSON: nested too deeply") from None
        if not isinstance(document, dict):
            raise InputError("document", "a definition is a mapping (key: value ...) at its top level")
        return document
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError("document", f"not valid YAML or JSON{where}: {exc.problem or exc.context}") from None
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise InputError("document", f"not valid YAML or JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InputError("document", "a definition is a mapping (key: value ...) at its top level")
    return document


# --- small readers ---------------------------------------------------------------------------------------------


def join_path(prefix: str, *keys: str | int) -> str:
    """Join a path: ``join_path("tests", 0, "checks", 1)`` -> ``tests[0].checks[1]``."""
    for key in keys:
        prefix = path(prefix, key)
    return prefix


def mapping_of(value: Any, where: str, allowed: Iterable[str], required: Iterable[str] = ()) -> dict:
    if not isinstance(value, dict):
        raise InputError(where, "must be a mapping (key: value ...)")
    allowed = tuple(allowed)
    for key in value:
        if not isinstance(key, str):
            raise InputError(where, f"the key {key!r} is not text")
        if key not in allowed:
            raise InputError(join_path(where, key), f"unknown entry; expected one of {', '.join(allowed)}")
    for key in required:
        if value.get(key) is None:
            raise InputError(join_path(where, key), "is required")
    return value


def list_of(value: Any, where: str, minimum: int = 0) -> list:
    if not isinstance(value, list):
        raise InputError(where, "must be a list")
    if len(value) < minimum:
        raise InputError(where, f"needs at least {minimum} entr{'y' if minimum == 1 else 'ies'}")
    if len(value) > MAX_ITEMS:
        raise InputError(where, f"has more than {MAX_ITEMS} entries")
    return value


def text_of(value: Any, where: str, limit: int = 500) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise InputError(where, "must be non-empty text")
    if len(value) > limit:
        raise InputError(where, f"is longer than {limit} characters")
    return value.strip()


def bilingual(value: Any, where: str, limit: int = 500) -> Text:
    if isinstance(value, str):
        text = text_of(value, where, limit)
        return Text(text, text)
    document = mapping_of(value, where, ("vi", "en"), ("vi",))
    vi = text_of(document["vi"], join_path(where, "vi"), limit)
    en = text_of(document["en"], join_path(where, "en"), limit) if document.get("en") is not None else vi
    return Text(vi, en)


def number_of(value: Any, where: str, minimum: float | None = None, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(where, "must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(where, "must be a finite number")
    if positive and number <= 0:
        raise InputError(where, "must be positive")
    if minimum is not None and number < minimum:
        raise InputError(where, f"must be at least {minimum:g}")
    return number


def name_of(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_NAME:
        raise InputError(where, f"a name is text of at most {MAX_NAME} characters")
    try:
        return check_name(value, where)
    except InputError as exc:
        raise InputError(where, exc.message) from None


def key_of(value: Any, where: str) -> str:
    """A key (procedure, test, table, role): lower-case letters, digits, - and _."""
    text = text_of(value, where, 80)
    if not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in text) or text != text.lower():
        raise InputError(where, "a key is lower-case ASCII letters, digits, '-' and '_'")
    return text


def unit_of(value: Any, where: str, unit_parameters: Iterable[str]) -> str:
    text = text_of(value, where, 20)
    if text.startswith("@"):
        if text[1:] not in unit_parameters:
            raise InputError(where, f"'{text[1:]}' is not a parameter of kind unit")
        return text
    if text not in UNITS:
        raise InputError(where, f"unknown unit '{text}'; known: {' '.join(sorted(UNITS))}")
    return text


def depth_of(node: Node) -> int:
    if isinstance(node, Binary):
        return 1 + max(depth_of(node.left), depth_of(node.right))
    if isinstance(node, Negate):
        return 1 + depth_of(node.operand)
    if isinstance(node, Call):
        return 1 + depth_of(node.argument)
    return 1


def expression(value: Any, where: str, names: Iterable[str]) -> Expression:
    """Parse an expression (or a plain number) over the declared names; InputError naming ``where`` otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(float(value)):
            raise InputError(where, "must be a finite number")
        value = repr(float(value))
    if not isinstance(value, str):
        raise InputError(where, "must be an expression (text) or a number")
    if len(value) > MAX_EXPRESSION:
        raise InputError(where, f"an expression is at most {MAX_EXPRESSION} characters long")
    names = tuple(dict.fromkeys(names))
    try:
        model = parse_model(value, names)
    except InputError as exc:
        raise InputError(where, exc.message) from None
    if depth_of(model.root) > MAX_DEPTH:
        raise InputError(where, f"an expression is nested at most {MAX_DEPTH} levels deep")
    used = tuple(name for name in names if name in model.used)
    return Expression(value, parse_model(value, used) if used != names else model, where)


class _Problems:
    """The problems found so far; ``section`` runs one reader and keeps its problem instead of stopping."""

    def __init__(self) -> None:
        self.items: list[InputError] = []

    def section(self, reader, *args, default=None):  # noqa: ANN001, ANN202
        try:
            return reader(*args)
        except InputError as exc:
            self.items.append(exc)
        except DefinitionError as exc:
            self.items.extend(exc.problems)
        return default


# --- the sections ------------------------------------------------------------------------------------------------

TOP_LEVEL = (
    "format", "key", "version", "effective", "title", "kind", "place", "instrument_types", "methods",
    "reference_document", "units_under_test", "parameters", "constants", "standards", "environment", "tests",
    "tables", "failure_notice", "examples", "verifier_field",
)  # fmt: skip
PARAMETER_KEYS = (
    "name", "label", "kind", "unit", "choices", "minimum", "maximum", "required", "unconfirmed", "from_instrument",
)  # fmt: skip
PARAMETER_KINDS = ("number", "choice", "unit", "text")


def parameter_of(value: Any, where: str, unit_parameters: Iterable[str], kinds=PARAMETER_KINDS) -> Parameter:  # noqa: ANN001
    document = mapping_of(value, where, PARAMETER_KEYS, ("name", "label"))
    name = name_of(document["name"], join_path(where, "name"))
    label = bilingual(document["label"], join_path(where, "label"), 200)
    kind = document.get("kind", "number")
    if kind not in kinds:
        raise InputError(join_path(where, "kind"), f"must be one of {', '.join(kinds)}")
    unit = (
        None if document.get("unit") is None else unit_of(document["unit"], join_path(where, "unit"), unit_parameters)
    )
    choices: tuple[Any, ...] = ()
    if kind == "choice":
        items = list_of(document.get("choices"), join_path(where, "choices"), 1)
        choices = tuple(number_of(item, join_path(where, "choices", i)) for i, item in enumerate(items))
    elif kind == "unit":
        items = list_of(document.get("choices"), join_path(where, "choices"), 1)
        choices = tuple(unit_of(item, join_path(where, "choices", i), ()) for i, item in enumerate(items))
    elif document.get("choices") is not None:
        raise InputError(join_path(where, "choices"), "only a choice or unit parameter has choices")
    bounds = {}
    for bound in ("minimum", "maximum"):
        if document.get(bound) is not None:
            bounds[bound] = number_of(document[bound], join_path(where, bound))
    required = document.get("required", True)
    if not isinstance(required, bool):
        raise InputError(join_path(where, "required"), "must be true or false")
    source = document.get("from_instrument")
    if source is not None and source not in INSTRUMENT_FACTS:
        raise InputError(join_path(where, "from_instrument"), f"must be one of {', '.join(INSTRUMENT_FACTS)}")
    return Parameter(name, label, kind, unit, choices, bounds.get("minimum"), bounds.get("maximum"), required, source)


def note_unconfirmed(document: Mapping, where: str, found: list[Unconfirmed]) -> None:
    if document.get("unconfirmed") is not None:
        found.append(Unconfirmed(where, text_of(document["unconfirmed"], join_path(where, "unconfirmed"), 1000)))
