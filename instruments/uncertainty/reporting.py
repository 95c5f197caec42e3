"""Rounding of a result for a certificate (GUM 7.2.6): U to two significant digits, the value to the same place."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from instruments.errors import InputError


@dataclass(frozen=True)
class Reported:
    """A value and its expanded uncertainty as fixed-point strings, rounded for a certificate."""

    value: str
    expanded_uncertainty: str


def _fixed(number: Decimal) -> str:
    # A rounded zero prints without a sign: "-0.00" on a certificate would read as a measured negative.
    if number.is_zero():
        number = number.copy_abs()
    return format(number, "f")


def report_gum(value: float, expanded_uncertainty: float) -> Reported:
    """Round U half-up to two significant digits (on its decimal form) and the value to the same decimal place."""
    if not (math.isfinite(value) and math.isfinite(expanded_uncertainty)):
        raise InputError("value", "only finite numbers can be reported")
    if expanded_uncertainty < 0:
        raise InputError("expanded_uncertainty", "the expanded uncertainty must not be negative")
    # repr gives the shortest decimal that reads back as the float, so 0.0585 is rounded as 0.0585, not 0.05849...
    exact_u = Decimal(repr(float(expanded_uncertainty)))
    exact_value = Decimal(repr(float(value)))
    if exact_u.is_zero():
        return Reported(_fixed(exact_value), "0")
    place = Decimal(1).scaleb(exact_u.adjusted() - 1)
    rounded_u = exact_u.quantize(place, rounding=ROUND_HALF_UP)
    if rounded_u.adjusted() > exact_u.adjusted():
        # 0.0996 -> 0.100 has three significant digits: keep two (0.10), and round the value one place coarser.
        place = place.scaleb(1)
        rounded_u = exact_u.quantize(place, rounding=ROUND_HALF_UP)
    # A value far larger than its U (1e24 ± 0.01) has more digits than the default 28 of a decimal context.
    with localcontext() as context:
        context.prec = max(context.prec, exact_value.adjusted() - place.adjusted() + 2)
        rounded_value = exact_value.quantize(place, rounding=ROUND_HALF_UP)
    return Reported(_fixed(rounded_value), _fixed(rounded_u))
