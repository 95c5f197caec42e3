"""OIML R 111-1:2004 weights: classes, maximum permissible errors (Table 1), density limits (Table 5), the minimum
number of weighing cycles (Annex C), air density (Annex E.3), air buoyancy and the conformity rule (clauses 5, 10).

The tables are packaged CSV files that seed the database; every function taking a table accepts another one, so
the values the lab manager keeps in the database are the ones used.
"""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from instruments.decision import Decision, at_most, decide, guarded_acceptance
from instruments.errors import InputError
from instruments.formatting import exact
from instruments.quantities import mapping, number, parse_mass_mg, required

CLASSES: tuple[str, ...] = ("E1", "E2", "F1", "F2", "M1", "M1-2", "M2", "M2-3", "M3")
CYCLES: tuple[str, ...] = ("ABBA", "ABA", "AB1...BnA")
# Density of the reference for conventional mass (R 111-1 2.7) and the reference air density rho_0.
CONVENTIONAL_DENSITY = 8000.0
REFERENCE_AIR_DENSITY = 1.2
# Relative standard uncertainty of the approximation formula E.3 (R 111-1 E.3).
AIR_FORMULA_RELATIVE_UNCERTAINTY = 2e-4

# Table 1 keyed by nominal value in exact mg, then class -> MPE in mg.
MpeTable = dict[Decimal, dict[str, float]]
# Table 5 keyed by nominal value in exact mg (the row applies from that value up to the next row), class -> limits.
DensityTable = dict[Decimal, dict[str, tuple[float | None, float | None]]]
CycleTable = dict[str, dict[str, int]]


def _data_rows(name: str) -> list[dict[str, str]]:
    text = resources.files("instruments.data").joinpath(name).read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


@cache
def default_mpe_table() -> MpeTable:
    """Return R 111-1 Table 1 from the packaged data file."""
    table: MpeTable = {}
    for row in _data_rows("oiml_r111_mpe.csv"):
        nominal = parse_mass_mg(row["nominal"], "nominal")
        table[nominal] = {cls: float(row[cls]) for cls in CLASSES if row.get(cls, "").strip()}
    return table


@cache
def default_density_table() -> DensityTable:
    """Return R 111-1 Table 5 from the packaged data file."""
    table: DensityTable = {}
    for row in _data_rows("oiml_r111_density_limits.csv"):
        low = float(row["minimum"]) if row["minimum"].strip() else None
        high = float(row["maximum"]) if row["maximum"].strip() else None
        table.setdefault(parse_mass_mg(row["nominal"], "nominal"), {})[row["class"]] = (low, high)
    return table


@cache
def default_cycle_table() -> CycleTable:
    """Return the minimum numbers of weighing cycles of R 111-1 Annex C from the packaged data file."""
    return {row["cycle"]: {cls: int(row[cls]) for cls in CLASSES} for row in _data_rows("oiml_r111_min_cycles.csv")}


def normalize_class(value: Any, field: str = "class") -> str:
    """Return the canonical class name (E1 ... M3); "M1–2" with an en dash is the same class as "M1-2"."""
    if not isinstance(value, str):
        raise InputError(field, f"must be one of {', '.join(CLASSES)}")
    name = value.strip().upper().replace("\u2013", "-").replace("\u2012", "-").replace("\u2212", "-")
    if name not in CLASSES:
        raise InputError(field, f"unknown weight class {value!r}; use one of {', '.join(CLASSES)}")
    return name


def format_nominal(nominal_mg: Decimal) -> str:
    """Write a nominal value the way R 111 tables do: "500 g", "1 kg", "2 mg"."""
    for unit, factor in (("kg", Decimal(1000000)), ("g", Decimal(1000)), ("mg", Decimal(1))):
        if nominal_mg >= factor:
            return f"{(nominal_mg / factor).normalize():f} {unit}"
    return f"{nominal_mg.normalize():f} mg"


def nominal_mg(nominal: Any, field: str = "nominal", table: MpeTable | None = None) -> Decimal:
    """Read a nominal value ("500 g", or a number of kilograms) and check it is in R 111's 1-2-5 series."""
    table = table if table is not None else default_mpe_table()
    if isinstance(nominal, bool):
        raise InputError(field, 'must be a mass such as "500 g"')
    if isinstance(nominal, int | float):
        kilograms = number(nominal, field, minimum=0)
        value = Decimal(repr(kilograms)) * Decimal(1000000)
    else:
        value = parse_mass_mg(nominal, field)
    for key in table:
        if key == value:
            return key
    raise InputError(field, f"{nominal!r} is not a nominal value of R 111-1 (1-2-5 series from 1 mg to 5000 kg)")


def mpe_mg(weight_class: Any, nominal: Any, table: MpeTable | None = None) -> float:
    """Return the maximum permissible error (mg) of a weight of this class and nominal value (R 111-1 Table 1)."""
    table = table if table is not None else default_mpe_table()
    cls = normalize_class(weight_class)
    key = nominal_mg(nominal, table=table)
    if cls not in table[key]:
        raise InputError("nominal", f"there is no class {cls} weight of {format_nominal(key)} in R 111-1")
    return table[key][cls]


def density_limits(
    weight_class: Any, nominal: Any, table: DensityTable | None = None
) -> tuple[float | None, float | None]:
    """Return (minimum, maximum) density in kg/m³ for the class at this nominal value (R 111-1 Table 5)."""
    table = table if table is not None else default_density_table()
    cls = normalize_class(weight_class)
    value = nominal_mg(nominal)
    # Table 5 rows read "≥ 100 g", "50 g", ...: the applicable row is the largest listed value not above the weight.
    rows = sorted((key for key in table if key <= value), reverse=True)
    if not rows or cls not in table[rows[0]]:
        return (None, None)
    return table[rows[0]][cls]


def min_cycles(weight_class: Any, cycle: str, table: CycleTable | None = None) -> int:
    """Return the minimum number of weighing cycles for the class and cycle (R 111-1 Annex C)."""
    table = table if table is not None else default_cycle_table()
    cls = normalize_class(weight_class)
    if cycle not in table:
        raise InputError("cycle", f"unknown weighing cycle {cycle!r}; use one of {', '.join(CYCLES)}")
    return table[cycle][cls]


@dataclass(frozen=True)
class AirConditions:
    """Ambient conditions during a weighing, with standard uncertainties (k = 1)."""

    temperature: float  # °C
    pressure: float  # hPa
    humidity: float  # %RH
    temperature_uncertainty: float = 0.0
    pressure_uncertainty: float = 0.0
    humidity_uncertainty: float = 0.0


AIR_LIMITS = {"temperature": (10.0, 30.0), "pressure": (900.0, 1100.0), "humidity": (0.0, 80.0)}


@dataclass(frozen=True)
class AirDensity:
    """Air density and its standard uncertainty, in kg/m³."""

    value: float
    standard_uncertainty: float


def air_density(conditions: AirConditions, field: str = "air") -> AirDensity:
    """Compute air density from the conditions with R 111-1 E.3 and its uncertainty through the engine.

    ρa = (0.34848·p − 0.009·hr·exp(0.061·t)) / (273.15 + t), with the formula's own relative uncertainty 2×10⁻⁴
    entering as a factor (1 + f), so u²(ρa) = (2×10⁻⁴·ρa)² + Σ(∂ρa/∂x·u_x)² with exact derivatives.
    """
    # Imported here: the engine loads scipy.stats (about 2 s), which MPE look-ups and conformity checks never need.
    from instruments.uncertainty import InputQuantity, evaluate_budget

    for name, (low, high) in AIR_LIMITS.items():
        value = getattr(conditions, name)
        if not low <= value <= high:
            raise InputError(f"{field}.{name}", f"{value} is outside {low:g} to {high:g}, where E.3 may be used")
    budget = evaluate_budget(
        [
            InputQuantity.normal("t", conditions.temperature, conditions.temperature_uncertainty),
            InputQuantity.normal("p", conditions.pressure, conditions.pressure_uncertainty),
            InputQuantity.normal("hr", conditions.humidity, conditions.humidity_uncertainty),
            InputQuantity.normal("f", 0.0, AIR_FORMULA_RELATIVE_UNCERTAINTY),
        ],
        model="(0.34848*p - 0.009*hr*exp(0.061*t)) / (273.15 + t) * (1 + f)",
    )
    return AirDensity(budget.value, budget.standard_uncertainty)


def buoyancy_correction(air: float, test_density: float, reference_density: float) -> float:
    """Return C = (ρa − ρ0)(1/ρt − 1/ρr), the relative air buoyancy correction of R 111-1 C.4.2 (C.4.2-2)."""
    return (air - REFERENCE_AIR_DENSITY) * (1.0 / test_density - 1.0 / reference_density)


@dataclass(frozen=True)
class WeightConformity:
    """Whether a weight meets its class (R 111-1 clauses 5 and 10), condition by condition.

    - ``uncertainty_ok``: U ≤ δm/3 (5.2);
    - ``within_mpe``: m0 − (δm − U) ≤ m_c ≤ m0 + (δm − U), with the unrounded U (5.3.1);
    - ``density_ok``: a measured density lies within Table 5 (10); true when the density was only assumed, which
      ``density_assumed`` says;
    - ``conforms``: all three. A weight whose U is too large cannot be shown to conform.
    """

    mpe_mg: float
    uncertainty_ok: bool
    within_mpe: bool
    density_ok: bool
    decision: Decision
    density_assumed: bool = True
    density_limits: tuple[float | None, float | None] = (None, None)

    @property
    def conforms(self) -> bool:
        return self.uncertainty_ok and self.within_mpe and self.density_ok

    @property
    def failed(self) -> tuple[str, ...]:
        """The conditions not met, in the order of the standard: "uncertainty", "mpe", "density"."""
        flags = (("uncertainty", self.uncertainty_ok), ("mpe", self.within_mpe), ("density", self.density_ok))
        return tuple(name for name, ok in flags if not ok)

    def as_dict(self) -> dict:
        return {
            "mpe_mg": self.mpe_mg,
            "uncertainty_ok": self.uncertainty_ok,
            "within_mpe": self.within_mpe,
            "density_ok": self.density_ok,
            "density_assumed": self.density_assumed,
            "conforms": self.conforms,
            "failed": list(self.failed),
            "decision": self.decision.as_dict(),
        }


# What a certificate says of each failed condition (R 111-1 5.2, 5.3.1, 10).
FAILED_PRINTED = {
    "uncertainty": ("U > δm/3", "U > δm/3"),
    "mpe": ("|m − m0| > δm − U", "|m − m0| > δm − U"),
    "density": ("khối lượng riêng ngoài giới hạn của cấp", "density outside the class limits"),
}


def conformity_text(conformity: WeightConformity) -> str:
    """Return the verdict a certificate prints for one weight: "Đạt", or "Không đạt" and each condition that failed."""
    if conformity.conforms:
        return "Đạt"
    return "Không đạt: " + "; ".join(FAILED_PRINTED[name][0] for name in conformity.failed)


def density_within(density: float, limits: tuple[float | None, float | None]) -> bool:
    """Return whether a density lies within Table 5 limits (inclusive; an empty side has no limit)."""
    low, high = limits
    return (low is None or at_most(low, density)) and (high is None or at_most(density, high))


def conformity_from_mpe(
    mpe: float,
    correction: float,
    expanded_uncertainty: float,
    *,
    density: float | None = None,
    density_limits: tuple[float | None, float | None] = (None, None),
) -> WeightConformity:
    """Apply R 111-1 clauses 5 and 10 to a correction m_c − m0 and its U, all in one unit (mg).

    :param density: the measured density in kg/m³; None when it was only assumed (then ``density_ok`` is true).
    """
    # m0 − (δm − U) ≤ m_c ≤ m0 + (δm − U) is guarded acceptance with w = U.
    decision = decide(correction, mpe, expanded_uncertainty, guarded_acceptance(1.0))
    # U ≤ δm/3 on exact decimals: U = δm/3 passes however the division falls in binary.
    uncertainty_ok = at_most(expanded_uncertainty, exact(mpe) / 3)
    density_ok = True if density is None else density_within(density, density_limits)
    return WeightConformity(
        mpe, uncertainty_ok, decision.passed, density_ok, decision, density is None, tuple(density_limits)
    )


def weight_conformity(
    nominal: Any, weight_class: Any, correction_mg: float, expanded_uncertainty_mg: float, table: MpeTable | None = None
) -> WeightConformity:
    """Judge the class of an existing weight from its certificate (correction and U in mg).

    :param nominal: nominal value as text ("500 g") or a number of kilograms.
    """
    correction = number(correction_mg, "correction_mg")
    uncertainty = number(expanded_uncertainty_mg, "expanded_uncertainty_mg", minimum=0)
    # A certificate of an existing weight rarely states its density: that condition is judged at calibration.
    return conformity_from_mpe(mpe_mg(weight_class, nominal, table), correction, uncertainty)


def mpe_contract(document: dict) -> dict:
    """Serve `lims calc mpe`: {"class", "nominal"} -> the class's MPE at that nominal value."""
    mapping(document, "")
    cls = normalize_class(required(document, "class"))
    nominal = required(document, "nominal")
    if not isinstance(nominal, str):
        raise InputError("nominal", 'must be a mass with its unit, e.g. "500 g"')
    key = nominal_mg(nominal)
    mpe = mpe_mg(cls, nominal)
    return {"class": cls, "nominal": nominal, "nominal_kg": float(key / Decimal(1000000)), "mpe_mg": mpe}
