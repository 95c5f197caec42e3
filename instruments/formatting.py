"""How a measured number is written, everywhere the lab shows one: certificates, record pages, previews, reports,
exports. One rule each, so a number never reads one way on paper and another on screen.

- Vietnamese writes a decimal comma; a point is its thousands separator, so "500.0019 g" would read as five million
  grams. Measured values are never grouped in thousands. English pages use the decimal point.
- A float is read through its shortest repr and cut to :data:`SIGNIFICANT` significant digits, so binary noise
  ("0.07500000000000001") never reaches paper.
- An indication shows the digits of the instrument's resolution, trailing zeros kept ("15,00 kg" when d = 0,01 kg).
- A result with an expanded uncertainty follows GUM 7.2.6: U to at most two significant digits and the value to the
  same decimal place (the rule itself is :func:`instruments.uncertainty.report_gum`).
- A coverage factor shows at most three significant digits.
- Limits are compared by :func:`instruments.decision.at_most`, on the same exact decimals.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from instruments.errors import InputError

DECIMAL_MARK = {"vi": ",", "en": "."}
# More digits than any instrument resolves (a 1 µg reading of a 10 kg weight has 11), fewer than a float's noise.
SIGNIFICANT = 12
COVERAGE_FACTOR_DIGITS = 3
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(\s+\S.*)?$")


def exact(value: Any, field: str = "value") -> Decimal:
    """Return ``value`` as the decimal it was meant to be: a float through its shortest repr, text as written.

    Text keeps its trailing zeros ("15.00" stays 15.00): a result already rounded by the science keeps its place.
    """
    if isinstance(value, bool):
        raise InputError(field, "must be a number, not true/false")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(field, "must be a finite number")
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", "."))
        except InvalidOperation as exc:
            raise InputError(field, f"cannot read {value!r} as a number") from exc
    else:
        raise InputError(field, "must be a number")
    if not number.is_finite():
        raise InputError(field, "must be a finite number")
    return number


def without_noise(number: Decimal) -> Decimal:
    """Cut binary noise: at most SIGNIFICANT significant digits, trailing zeros beyond them dropped."""
    if number.is_zero():
        return Decimal(0)
    digits = len(number.as_tuple().digits)
    if digits <= SIGNIFICANT:
        return number
    place = Decimal(1).scaleb(number.adjusted() - SIGNIFICANT + 1)
    rounded = number.quantize(place, rounding=ROUND_HALF_UP)
    # Only the noise goes: 0.07500000000000001 -> 0.075, while "15.00" typed as text never came here.
    return rounded.normalize() if rounded.as_tuple().exponent < 0 else rounded


def decimal_places(resolution: Any, field: str = "resolution") -> int:
    """Return how many decimal places a resolution shows: 0,01 -> 2; 0,02 -> 2; 0,5 -> 1; 5 -> 0; 20 -> 0."""
    step = without_noise(exact(resolution, field))
    if step <= 0:
        raise InputError(field, "a resolution must be positive")
    return max(0, -step.normalize().as_tuple().exponent)


def _fixed(number: Decimal, locale: str) -> str:
    # A rounded zero has no sign: "-0,00" would read as a measured negative value.
    if number.is_zero():
        number = number.copy_abs()
    text = format(number, "f")
    return text.replace(".", DECIMAL_MARK.get(locale, ","))


def _with_unit(text: str, unit: str | None) -> str:
    return f"{text} {unit}" if unit and text else text


def rounded(
    value: Any,
    *,
    uncertainty: Any = None,
    resolution: Any = None,
    finer: int = 0,
) -> Decimal:
    """Return the decimal that :func:`format_measured` writes (same arguments), for sums and comparisons."""
    number = exact(value)
    if uncertainty is not None and not exact(uncertainty, "uncertainty").is_zero():
        # Imported here: the uncertainty package loads scipy, which formatting a plain number never needs.
        from instruments.uncertainty.reporting import report_gum

        return Decimal(report_gum(float(number), float(exact(uncertainty, "uncertainty"))).value)
    if resolution is not None:
        place = Decimal(1).scaleb(-(decimal_places(resolution) + finer))
        return without_noise(number).quantize(place, rounding=ROUND_HALF_UP)
    if isinstance(value, str | Decimal):
        return number  # written or computed as a decimal: its places are meant
    # A float or int carries no trailing zeros worth keeping: 60.0 is written 60.
    cleaned = without_noise(number).normalize()
    return cleaned.quantize(Decimal(1)) if cleaned == cleaned.to_integral() else cleaned


def format_measured(
    value: Any,
    *,
    uncertainty: Any = None,
    resolution: Any = None,
    finer: int = 0,
    unit: str | None = None,
    locale: str = "vi",
) -> str:
    """Write a measured value: to the place of its expanded ``uncertainty`` (GUM 7.2.6), else to the decimal place
    of the instrument's ``resolution`` (plus ``finer`` places, e.g. 1 for R 76 errors found with the change-point
    method in steps of e/10), else with the places it was written with. ``None`` writes nothing.

    >>> format_measured(15, resolution=0.01, unit="kg")
    '15,00 kg'
    >>> format_measured(0.07500000000000001, locale="en")
    '0.075'
    """
    if value is None:
        return ""
    return _with_unit(_fixed(rounded(value, uncertainty=uncertainty, resolution=resolution, finer=finer), locale), unit)


def format_result(value: Any, uncertainty: Any, *, unit: str | None = None, locale: str = "vi") -> tuple[str, str]:
    """Write a result and its expanded uncertainty per GUM 7.2.6: U to two significant digits, value to its place.

    >>> format_result(9, 5.4)
    ('9,0', '5,4')
    """
    u = exact(uncertainty, "uncertainty")
    if u.is_zero():
        return format_measured(value, unit=unit, locale=locale), format_measured(0, unit=unit, locale=locale)
    from instruments.uncertainty.reporting import report_gum

    reported = report_gum(float(exact(value)), float(u))
    return (
        _with_unit(_fixed(Decimal(reported.value), locale), unit),
        _with_unit(_fixed(Decimal(reported.expanded_uncertainty), locale), unit),
    )


def format_uncertainty(uncertainty: Any, *, unit: str | None = None, locale: str = "vi") -> str:
    """Write an uncertainty (or a standard deviation) alone: at most two significant digits (GUM 7.2.6)."""
    if uncertainty is None:
        return ""
    return format_result(0, uncertainty, unit=unit, locale=locale)[1]


def format_coverage_factor(k: Any, *, locale: str = "vi") -> str:
    """Write a coverage factor with at most three significant digits, trailing zeros dropped: 2,000904 -> "2";
    2,2837 -> "2,28"; 13,97 -> "14"."""
    if k is None:
        return ""
    number = exact(k, "coverage_factor")
    if number <= 0:
        raise InputError("coverage_factor", "must be positive")
    place = Decimal(1).scaleb(number.adjusted() - COVERAGE_FACTOR_DIGITS + 1)
    shown = number.quantize(place, rounding=ROUND_HALF_UP)
    if shown.adjusted() > number.adjusted():  # 9,996 -> 10,0: still three digits
        shown = number.quantize(place.scaleb(1), rounding=ROUND_HALF_UP)
    shown = shown.normalize()
    return _fixed(shown.quantize(Decimal(1)) if shown == shown.to_integral() else shown, locale)


def format_probability(p: Any, *, locale: str = "vi") -> str:
    """Write a coverage probability as the percentage certificates state ("khoảng 95 %"): whole percent, or tenths
    above 99 % where a whole percent would hide the difference (0,9545 -> "95"; 0,99 -> "99"; 0,9973 -> "99,7")."""
    if p is None:
        return ""
    number = exact(p, "coverage_probability")
    if not 0 < number < 1:
        raise InputError("coverage_probability", "must lie between 0 and 1")
    percent = number * 100
    place = Decimal("0.1") if percent > 99 else Decimal(1)
    return _fixed(percent.quantize(place, rounding=ROUND_HALF_UP).normalize(), locale)


def format_cell(value: Any, *, locale: str = "vi") -> str:
    """Write one cell of a results table whose column says nothing of its digits: numbers with the places they were
    written with (text such as "15.00" or "0.5 kg" gets the locale's mark), other text unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise InputError("value", "a verdict is text, not true/false")
    if isinstance(value, int | float | Decimal):
        return format_measured(value, locale=locale)
    text = str(value)
    match = _NUMBER.match(text)
    if match is None:
        return text
    return format_measured(match.group(1), locale=locale) + (match.group(2) or "")


def format_column_value(column: Mapping[str, Any], row: Mapping[str, Any], *, locale: str = "vi") -> str:
    """Write one cell of a results table as its column says (``ResultTable.as_dict`` form, as records store it):
    a coverage factor, an uncertainty, a value to the place of the row's U, a value to the instrument's resolution,
    or else as written (:func:`format_cell`). Text cells (verdicts, nominal values) pass through."""
    value = row.get(column["key"])
    if isinstance(value, bool):  # tables stored before verdicts were written as text
        return "Đạt" if value else "Không đạt"
    if value is None or (isinstance(value, str) and _NUMBER.match(value) is None):
        return "" if value is None else value
    printed = column.get("printed")
    if printed == "coverage_factor":
        return format_coverage_factor(value, locale=locale)
    if printed == "uncertainty":
        return format_uncertainty(value, locale=locale)
    if column.get("uncertainty") and row.get(column["uncertainty"]) is not None:
        return format_measured(value, uncertainty=row[column["uncertainty"]], locale=locale)
    if column.get("digits") is not None:  # decimals fixed by a procedure defined as data
        return format_measured(value, resolution=Decimal(1).scaleb(-int(column["digits"])), locale=locale)
    if column.get("resolution") is not None:
        return format_measured(value, resolution=column["resolution"], finer=column.get("finer", 0), locale=locale)
    return format_cell(value, locale=locale)


def table_cells(table: Mapping[str, Any], *, locale: str = "vi") -> list[list[str]]:
    """Write every cell of a results table (``ResultTable.as_dict`` form), row by row, column by column."""
    columns = table.get("columns") or []
    return [[format_column_value(column, row, locale=locale) for column in columns] for row in table.get("rows") or []]
