"""The calculations reachable by name from the CLI (`lims calc NAME`) and the API (`POST /api/v1/calc/NAME`).

Each entry maps a name to ``module:function``; the function takes the decoded JSON document (a dict) and returns a
JSON-ready dict, or raises :class:`instruments.errors.InputError`. Imported lazily so that one calculation's heavy
imports do not slow the others.
"""

import math
from collections.abc import Callable
from importlib import import_module
from typing import Any

CALCULATIONS: dict[str, str] = {
    "uncertainty": "instruments.uncertainty.contract:calculate",
    "mpe": "instruments.oiml_r111:mpe_contract",
    "weight": "instruments.procedures.weight_comparison:calculate_contract",
}


def json_ready(value: Any) -> Any:
    """Replace non-finite floats by null, so a result is strict JSON (the contract prints infinite dof as null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    return value


def calculation(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Return the contract function registered under ``name``; KeyError if there is none."""
    module_name, function_name = CALCULATIONS[name].split(":")
    return getattr(import_module(module_name), function_name)
