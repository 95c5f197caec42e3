"""OIML R 76-1 non-automatic weighing instruments: accuracy classes, maximum permissible errors, the
change-point method for the error before rounding, and which weight classes are good enough as test loads.

Loads are numbers in the instrument's unit (kg, g or mg); a multi-interval instrument passes the e_i of the partial
range the load falls in.
"""

import csv
import io
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from instruments import oiml_r111
from instruments.errors import InputError
from instruments.quantities import mass_unit_factor, number

ACCURACY_CLASSES: tuple[str, ...] = ("I", "II", "III", "IIII")
# R 76-1 T.3.2.6 and 3.2: one interval over the whole range, several partial ranges with their own e_i
# (multi-interval), or several ranges each from zero to its Max_i (multiple range). Only the first is computed.
RANGE_TYPES: tuple[str, ...] = ("single_interval", "multi_interval", "multiple_range")

# R 76-1 Table 6 (3.5.1): MPE on initial verification, in e, for loads m expressed in e; upper limits inclusive.
# The last band of class I is open; above the last band of the others there is no MPE (n ≤ n_max of Table 3).
MPE_BANDS: dict[str, tuple[tuple[float, float], ...]] = {
    "I": ((50_000, 0.5), (200_000, 1.0), (math.inf, 1.5)),
    "II": ((5_000, 0.5), (20_000, 1.0), (100_000, 1.5)),
    "III": ((500, 0.5), (2_000, 1.0), (10_000, 1.5)),
    "IIII": ((50, 0.5), (200, 1.0), (1_000, 1.5)),
}
# R 76-1 Table 3 (3.2): for each class, the ranges of e (in g; None = no bound) with the number of verification
# scale intervals n = Max/e allowed and the lowest Min, in e. Rows are tried in order; the first whose e-range holds e
# applies. An e outside every row is not an e that class may have.
TABLE_3: dict[str, tuple[tuple[Decimal, Decimal | None, int, int | None, int], ...]] = {
    # (e from, e to (inclusive), n_min, n_max, Min in e)
    "I": ((Decimal("0.001"), None, 50_000, None, 100),),
    "II": (
        (Decimal("0.001"), Decimal("0.05"), 100, 100_000, 20),
        (Decimal("0.1"), None, 5_000, 100_000, 50),
    ),
    "III": (
        (Decimal("0.1"), Decimal("2"), 100, 10_000, 20),
        (Decimal("5"), None, 500, 10_000, 20),
    ),
    "IIII": ((Decimal("5"), None, 100, 1_000, 10),),
}
# R 76-1 3.4.2 (auxiliary indicating devices): d < e only on class I and II instruments, with d < e ≤ 10 d.
CLASSES_WITH_D_BELOW_E = ("I", "II")
# R 76-1 A.4.10: number of loadings in the repeatability test (editable; a procedure may ask for more).
REPEATABILITY_LOADINGS = {"I": 6, "II": 6, "III": 3, "IIII": 3}
MPE_BASES = ("verification", "in_service")


def normalize_accuracy_class(value: Any, field: str = "accuracy_class") -> str:
    """Return the accuracy class I, II, III or IIII (roman numerals, or "1".."4")."""
    aliases = {"1": "I", "2": "II", "3": "III", "4": "IIII"}
    name = aliases.get(str(value).strip(), str(value).strip().upper()) if isinstance(value, str | int) else None
    if isinstance(value, bool) or name not in ACCURACY_CLASSES:
        raise InputError(field, f"unknown accuracy class {value!r}; use one of {', '.join(ACCURACY_CLASSES)}")
    return name


def _in_intervals(load: float, e: float) -> Decimal:
    # Decimal on the shortest repr, so 2.5 kg / 0.005 kg is exactly 500 e and falls in the inclusive band.
    return Decimal(repr(load)) / Decimal(repr(e))


def mpe(load: float, e: float, accuracy_class: str, in_service: bool = False, field: str = "load") -> float:
    """Return the maximum permissible error (in the load's unit) at ``load`` for verification scale interval e.

    :param in_service: True for the MPE in service, twice the MPE on verification (R 76-1 3.5.2).
    """
    cls = normalize_accuracy_class(accuracy_class)
    if not (math.isfinite(load) and load >= 0):
        raise InputError(field, "must be a non-negative number")
    if not (math.isfinite(e) and e > 0):
        raise InputError("e", "must be positive")
    m = _in_intervals(load, e)
    for upper, multiple in MPE_BANDS[cls]:
        if not math.isfinite(upper) or m <= Decimal(upper):
            return multiple * e * (2.0 if in_service else 1.0)
    raise InputError(field, f"{load:g} is {m:f} e, beyond the largest load class {cls} allows")


def change_points(e: float, accuracy_class: str, maximum: float) -> tuple[float, ...]:
    """Return the loads, up to ``maximum``, where the MPE steps from one band to the next."""
    cls = normalize_accuracy_class(accuracy_class)
    points = []
    for upper, _ in MPE_BANDS[cls][:-1]:
        load = float(Decimal(upper) * Decimal(repr(e)))
        if load < maximum:
            points.append(load)
    return tuple(points)


def required_test_loads(minimum: float, maximum: float, e: float, accuracy_class: str) -> tuple[float, ...]:
    """Return the loads a weighing test must include: Min, the MPE change points, and Max (R 76-1 A.4.4.1)."""
    points = {minimum, maximum, *(p for p in change_points(e, accuracy_class, maximum) if p > minimum)}
    return tuple(sorted(points))


@cache
def test_plan_settings() -> dict[str, float]:
    """Return the editable test-plan figures of instruments/data/oiml_r76_test_plan.csv (setting -> value)."""
    text = resources.files("instruments.data").joinpath("oiml_r76_test_plan.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return {row["setting"]: float(row["value"]) for row in csv.DictReader(io.StringIO("\n".join(lines)))}


def untested_loads(required: tuple[float, ...], tested: list[float], tolerance: float) -> list[float]:
    """Return the required loads no loading lies at or near (within ``tolerance`` × the load)."""
    return [
        load
        for load in required
        if not any(
            decimal_of(abs(exact_difference(t, load))) <= decimal_of(tolerance) * decimal_of(load) for t in tested
        )
    ]


def discrimination_passed(indication: float, indication_with_extra: float, d: float) -> bool:
    """Say whether adding 1.4 d raised the indication by exactly one d (R 76-1 A.4.8.2, digital indication)."""
    return decimal_of(indication_with_extra) - decimal_of(indication) == decimal_of(d)


def decimal_of(value: float) -> Decimal:
    """Return the decimal a reading was typed as (its shortest repr), so sums of readings come out exact."""
    return Decimal(repr(float(value)))


def exact_difference(minuend: float, *subtrahends: float) -> float:
    """Return minuend − Σ subtrahends computed on the typed decimals: 20.1 − 20 is 0.1, not 0.10000000000000142."""
    return float(decimal_of(minuend) - sum((decimal_of(s) for s in subtrahends), Decimal(0)))


def error_before_rounding(indication: float, additional_load: float, load: float, e: float) -> float:
    """Return E = I + ½e − ΔL − L, the change-point error before rounding (R 76-1 A.4.4.3).

    Worked in decimals: an error equal to the MPE must compare equal to it, not a few units of 1e-16 above.
    """
    return float(decimal_of(indication) + decimal_of(e) / 2 - decimal_of(additional_load) - decimal_of(load))


def weight_composition(load_mg: Decimal, weight_class: str, table: oiml_r111.MpeTable | None = None) -> list[Decimal]:
    """Split a load into R 111 nominal values of one class, largest first (a 1-2-2-5 set); [] if impossible."""
    table = table if table is not None else oiml_r111.default_mpe_table()
    nominals = sorted((key for key, row in table.items() if weight_class in row), reverse=True)
    parts, remaining = [], load_mg
    for nominal in nominals:
        while remaining >= nominal:
            parts.append(nominal)
            remaining -= nominal
    return parts if remaining == 0 and parts else []


def composition_mpe_mg(load_mg: Decimal, weight_class: str, table: oiml_r111.MpeTable | None = None) -> float | None:
    """Return the sum of the MPEs of the weights composing the load, or None when the class cannot make it."""
    table = table if table is not None else oiml_r111.default_mpe_table()
    parts = weight_composition(load_mg, weight_class, table)
    return sum(table[part][weight_class] for part in parts) if parts else None


def sufficient_weight_classes(
    load: float, scale_mpe: float, unit: str = "kg", table: oiml_r111.MpeTable | None = None
) -> tuple[str, ...]:
    """Return, best to worst, the weight classes whose MPE at the load's nominal composition is ≤ MPE/3.

    R 76-1 3.7.1: the error of the standard weights shall not exceed one third of the instrument's MPE at the load.
    ``load`` and ``scale_mpe`` are in ``unit``.
    """
    factor = mass_unit_factor(unit, "unit")
    load_mg = Decimal(repr(number(load, "load", minimum=0))) * factor
    limit_mg = number(scale_mpe, "mpe", minimum=0) * float(factor) / 3.0
    suitable = []
    for weight_class in oiml_r111.CLASSES:
        total = composition_mpe_mg(load_mg, weight_class, table)
        if total is not None and total <= limit_mg:
            suitable.append(weight_class)
    return tuple(suitable)


@dataclass(frozen=True)
class Scale:
    """A non-automatic weighing instrument as verified: class, capacity, intervals, in its own unit."""

    accuracy_class: str
    maximum: float
    minimum: float
    e: float
    d: float
    unit: str = "kg"

    def mpe(self, load: float, in_service: bool = False, field: str = "load") -> float:
        """Return the MPE at ``load``, refusing loads above Max."""
        if load > self.maximum * (1 + 1e-12):
            raise InputError(field, f"{load:g} {self.unit} is above Max = {self.maximum:g} {self.unit}")
        return mpe(load, self.e, self.accuracy_class, in_service, field)


def _is_1_2_5(value: Decimal) -> bool:
    """Whether a scale interval has the form 1, 2 or 5 × 10^k (R 76-1 3.1.2)."""
    digits = value.normalize().as_tuple().digits
    return value > 0 and len(digits) == 1 and digits[0] in (1, 2, 5)


def classification_problem(scale: "Scale") -> tuple[str, str] | None:
    """Return (field, reason) when the instrument's marked characteristics break R 76-1 3.1.2, 3.4.2 or Table 3, so
    that it is refused before any error is judged: a scale marked Min = 5 e in class III is not a class III scale.

    Worked on the typed decimals: Max 15 kg, e 5 g is n = 3000 exactly.
    """
    unit_mg = mass_unit_factor(scale.unit, "scale.unit")
    e, d = decimal_of(scale.e), decimal_of(scale.d)
    for name, interval in (("e", e), ("d", d)):
        if not _is_1_2_5(interval):
            return name, f"{interval.normalize():f} {scale.unit} is not 1, 2 or 5 × 10^k (R 76-1 3.1.2)"
    if d < e:
        if scale.accuracy_class not in CLASSES_WITH_D_BELOW_E:
            cls = scale.accuracy_class
            return "d", f"d < e only on class I and II instruments (R 76-1 3.4.2); class {cls} has d = e"
        if e > 10 * d:
            return "e", "e may be at most 10 d (R 76-1 3.4.2)"
    e_g = e * unit_mg / 1000
    for e_from, e_to, n_min, n_max, min_in_e in TABLE_3[scale.accuracy_class]:
        if e_g < e_from or (e_to is not None and e_g > e_to):
            continue
        n = decimal_of(scale.maximum) / e
        if n < n_min or (n_max is not None and n > n_max):
            bounds = f"{n_min} to {n_max}" if n_max is not None else f"at least {n_min}"
            cls = scale.accuracy_class
            return "max", f"n = Max/e = {n.normalize():f}; class {cls} with this e needs {bounds} (R 76-1 Table 3)"
        lowest = min_in_e * e
        if decimal_of(scale.minimum) < lowest:
            return "min", (
                f"Min {decimal_of(scale.minimum).normalize():f} {scale.unit} is below {min_in_e} e = "
                f"{lowest.normalize():f} {scale.unit}, the lowest Min of class {scale.accuracy_class} (R 76-1 Table 3)"
            )
        return None
    cls = scale.accuracy_class
    return "e", f"e = {e.normalize():f} {scale.unit} is outside the intervals class {cls} may have (R 76-1 Table 3)"
