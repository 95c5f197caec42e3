"""Quantities typed as text with their unit ("10 kg", "45 mg") and the checks every JSON input shares."""

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from instruments.errors import InputError

# Mass units to milligrams; exact decimals so "10000.005 g" becomes exactly 10000005 mg.
MASS_UNITS_MG: dict[str, Decimal] = {
    "µg": Decimal("0.001"),
    "ug": Decimal("0.001"),
    "mg": Decimal(1),
    "g": Decimal(1000),
    "kg": Decimal(1000000),
    "t": Decimal(1000000000),
}

# The number may carry a decimal comma, as Vietnamese write it ("0,5 kg"), or a decimal point.
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+[.,]?\d*|[.,]\d+)(?:[eE][-+]?\d+)?)\s*([^\s\d].*?)\s*$")


def mass_unit_factor(unit: Any, field: str) -> Decimal:
    """Return how many milligrams one ``unit`` is; InputError for a unit that is not a mass unit."""
    if not isinstance(unit, str) or unit.strip() not in MASS_UNITS_MG:
        raise InputError(field, f"unknown mass unit {unit!r}; use one of {', '.join(MASS_UNITS_MG)}")
    return MASS_UNITS_MG[unit.strip()]


def parse_mass_mg(text: Any, field: str) -> Decimal:
    """Parse a mass written with its unit ("10 kg", "45 mg") into exact milligrams."""
    if isinstance(text, int | float):  # bool is an int too
        raise InputError(field, f'a mass needs its unit, e.g. "{text} g"')
    if not isinstance(text, str):
        raise InputError(field, 'a mass must be text such as "10 kg"')
    match = _QUANTITY.match(text.replace("\u00b5", "µ"))
    if not match:
        raise InputError(field, f'cannot read {text!r} as a mass with its unit, e.g. "10 kg"')
    try:
        number = Decimal(match.group(1).replace(",", "."))
    except InvalidOperation as exc:
        raise InputError(field, f"cannot read the number in {text!r}") from exc
    return number * mass_unit_factor(match.group(2), field)


def mass_mg(text: Any, field: str, *, minimum: float | None = 0.0) -> float:
    """Parse a mass with its unit into float milligrams, refusing values below ``minimum``."""
    value = float(parse_mass_mg(text, field))
    if not math.isfinite(value):
        raise InputError(field, "must be a finite mass")
    if minimum is not None and value < minimum:
        raise InputError(field, f"must not be below {minimum} mg")
    return value


def number(value: Any, field: str, *, minimum: float | None = None, maximum: float | None = None) -> float:
    """Check that ``value`` is a finite JSON number within the given bounds and return it as float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(field, "must be a number")
    result = float(value)
    if not math.isfinite(result):
        raise InputError(field, "must be a finite number")
    if minimum is not None and result < minimum:
        raise InputError(field, f"must be at least {minimum}")
    if maximum is not None and result > maximum:
        raise InputError(field, f"must be at most {maximum}")
    return result


def mapping(value: Any, field: str) -> dict:
    """Check that ``value`` is a JSON object."""
    if not isinstance(value, dict):
        raise InputError(field, "must be an object")
    return value


def required(document: dict, key: str, prefix: str = "") -> Any:
    """Return ``document[key]``, or raise InputError naming the missing field."""
    field = f"{prefix}.{key}" if prefix else key
    if key not in document or document[key] is None:
        raise InputError(field, "is required")
    return document[key]


def path(prefix: str, key: str | int) -> str:
    """Join a JSON path: ``path("weights", 2)`` -> ``weights[2]``, ``path("air", "t")`` -> ``air.t``."""
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else key
