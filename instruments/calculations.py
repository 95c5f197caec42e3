"""The calculations reachable by name from the CLI (`lims calc NAME`) and the API (`POST /api/v1/calc/NAME`).

Each entry maps a name to ``module:function``; the function takes the decoded JSON document (a dict) and returns a
JSON-ready dict, or raises :class:`instruments.errors.InputError`. Imported lazily so that one calculation's heavy
imports do not slow the others.
"""

from collections.abc import Callable
from importlib import import_module
from typing import Any

CALCULATIONS: dict[str, str] = {
    "uncertainty": "instruments.uncertainty.contract:calculate",
    "mpe": "instruments.oiml_r111:mpe_contract",
    "weight": "instruments.procedures.weight_comparison:calculate_contract",
}


def calculation(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Return the contract function registered under ``name``; KeyError if there is none."""
    module_name, function_name = CALCULATIONS[name].split(":")
    return getattr(import_module(module_name), function_name)
