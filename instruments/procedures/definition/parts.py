"""The parts of a procedure definition, once read and checked: frozen dataclasses, and the format's limits."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from instruments.decision import DecisionRule
from instruments.errors import InputError
from instruments.procedures.base import EnvironmentLimit, MethodReference
from instruments.uncertainty.expression import Model

FORMAT = 1
MAX_TEXT = 200_000  # characters of a definition: a real one is a few thousand
MAX_EXPRESSION = 400  # characters of one expression
MAX_DEPTH = 24  # nesting of one expression's tree
MAX_ITEMS = 200  # entries of any one list (points, fields, examples...)
MAX_NAME = 40

KINDS = ("verification", "calibration")
# What the instrument register knows of an instrument, which a parameter may start from (``from_instrument``).
INSTRUMENT_FACTS = ("accuracy_class", "range_min", "range_max", "unit", "resolution", "verification_interval")
PLACES = ("lab", "on_site")
PER = ("run", "point")
SHOWS = ("value", "point", "run", "verdict")
# Units a definition may name. A field whose unit varies with the instrument names a parameter of kind "unit"
# instead, written "@name" (a gauge graduated in bar or in MPa).
UNITS = frozenset(
    {
        "1", "%", "%RH", "ppm",
        "Pa", "hPa", "kPa", "MPa", "bar", "mbar", "mmHg", "mmH2O", "kgf/cm2", "psi", "mmHg/min", "mmHg/s",
        "°C", "K",
        "mg", "g", "kg", "t",
        "mL", "L", "dm3", "m3", "L/min", "L/h", "m3/h",
        "mm", "cm", "m", "km",
        "s", "min", "h",
        "V", "A", "W", "kW", "Wh", "kWh", "var", "Hz", "Ω",
        "VND",
    }
)  # fmt: skip


# --- the parts of a definition -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A text in Vietnamese and in English."""

    vi: str
    en: str

    def both(self) -> str:
        return f"{self.vi} / {self.en}" if self.en and self.en != self.vi else self.vi


@dataclass(frozen=True)
class Expression:
    """An expression of the safe model language, parsed over the names declared where it stands."""

    text: str
    model: Model
    path: str

    def value(self, scope: Mapping[str, float]) -> float:
        """Evaluate over the scope's values; InputError naming the definition element when it has no finite value."""
        result = float(self.model.evaluate([scope[name] for name in self.model.names]))
        if not math.isfinite(result):
            raise InputError(self.path, f"'{self.text}' has no finite value here (a division by zero?)")
        # Readings are typed as decimals: 2.46 − 2.5 is −0.040000000000000036 in binary floating point. Twelve
        # significant digits, far beyond any instrument's resolution, give back the decimal the lab worked by hand.
        return float(f"{result:.12g}")


@dataclass(frozen=True)
class Unconfirmed:
    """A legal value whose source is not confirmed: it cannot decide a certificate until a manager confirms it."""

    path: str
    note: str


@dataclass(frozen=True)
class Parameter:
    """A value the record declares once: an instrument parameter, a standard's certificate value, a field."""

    name: str
    label: Text
    kind: str = "number"  # number | choice (numbers) | unit (one of UNITS) | text
    unit: str | None = None  # a unit of UNITS, or "@name" of a unit parameter
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    required: bool = True
    from_instrument: str | None = None  # the register's fact a new record starts from (one of INSTRUMENT_FACTS)


@dataclass(frozen=True)
class Adequacy:
    """The rule a standard must meet: its value (usually U) at most ``fraction`` of the MPE at each point of a check."""

    check: str
    value: Expression
    fraction: float
    path: str


@dataclass(frozen=True)
class StandardRole:
    """A standard a procedure needs, by role, with the certificate values the record carries for it."""

    role: str
    label: Text
    values: tuple[Parameter, ...]
    adequacy: Adequacy | None = None


@dataclass(frozen=True)
class Zone:
    """One zone of a zoned MPE: lower ≤ quantity < upper (an absent bound is open)."""

    lower: Expression | None
    upper: Expression | None
    mpe: Mpe


@dataclass(frozen=True)
class Mpe:
    """A maximum permissible error as data: absolute, % of reading, % of span, the greatest of several, or zones."""

    form: str  # absolute | percent_of_reading | percent_of_span | greatest | zones
    path: str
    amount: Expression | None = None
    basis: Expression | None = None  # the reading or the span
    parts: tuple[Mpe, ...] = ()
    zones: tuple[Zone, ...] = ()
    by: Expression | None = None
    in_service_factor: float = 1.0

    def limit(self, scope: Mapping[str, float], in_service: bool = False) -> float:
        """Return the MPE at this scope (a point or a run); InputError when no zone holds the quantity."""
        if self.form == "absolute":
            value = abs(self.amount.value(scope))
        elif self.form in ("percent_of_reading", "percent_of_span"):
            value = abs(self.amount.value(scope)) / 100.0 * abs(self.basis.value(scope))
        elif self.form == "greatest":
            value = max(part.limit(scope, in_service) for part in self.parts)
        else:
            quantity = self.by.value(scope)
            for zone in self.zones:
                if (zone.lower is None or quantity >= zone.lower.value(scope)) and (
                    zone.upper is None or quantity < zone.upper.value(scope)
                ):
                    value = zone.mpe.limit(scope, in_service)
                    break
            else:
                raise InputError(self.path, f"{quantity:g} lies in none of the zones")
        return value * self.in_service_factor if in_service else value


@dataclass(frozen=True)
class UncertaintyInput:
    """One input of a check's uncertainty model: its value and how its standard uncertainty is obtained."""

    name: str
    value: Expression
    source: str  # standard | resolution | normal | rectangular | expanded
    amount: Expression | None = None
    k: Expression | None = None
    role: str | None = None


@dataclass(frozen=True)
class UncertaintyModel:
    """The GUM model of a check at one point: y = f(inputs), evaluated by the GUM engine."""

    model: Model
    inputs: tuple[UncertaintyInput, ...]
    coverage_probability: float


@dataclass(frozen=True)
class Check:
    """A quantity judged (or reported) at each point or each run of a test: value, MPE, uncertainty, rule."""

    key: str
    label: Text
    per: str
    value: Expression
    mpe: Mpe | None
    uncertainty: UncertaintyModel | None
    rule: DecisionRule
    path: str


@dataclass(frozen=True)
class Run:
    """One pass through a test's points: increasing, decreasing, or a repetition."""

    key: str
    label: Text


@dataclass(frozen=True)
class Point:
    """A test point: its label and the nominal value derived from the parameters."""

    label: Text | None
    nominal: Expression
    fraction: float | None = None


@dataclass(frozen=True)
class Test:
    """A test of the procedure: its points, runs, fields per point and per run, derived quantities and checks."""

    key: str
    title: Text
    points: tuple[Point, ...]
    runs: tuple[Run, ...]
    point_fields: tuple[Parameter, ...]
    run_fields: tuple[Parameter, ...]
    run_derived: tuple[tuple[str, Expression], ...]
    point_derived: tuple[tuple[str, Expression], ...]
    checks: tuple[Check, ...]
    path: str
    run_scope: tuple[str, ...] = ()  # the names an expression evaluated per run may use
    point_scope: tuple[str, ...] = ()  # the names an expression evaluated per point may use


@dataclass(frozen=True)
class Column:
    """A column of a certificate table: what it shows, its bilingual heading, unit and digits after the point."""

    key: str
    heading: Text
    show: str  # value | point | run | verdict
    value: Expression | None = None
    unit: str | None = None
    digits: int | tuple[str, int] | None = None  # decimals, or (parameter, n): the parameter's decimals plus n


@dataclass(frozen=True)
class Table:
    """A certificate result table: one row per point (or per run at each point) of a test."""

    key: str
    title: Text
    test: str
    rows: str  # point | run
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Example:
    """A worked example: a record's observations and the results expected of them."""

    name: str
    observations: Mapping[str, Any]
    expect: Mapping[str, Any]
    path: str


@dataclass(frozen=True)
class UnitsUnderTest:
    """How many instruments one record holds; with several, which parameters each unit has of its own."""

    several: bool = False
    max_units: int = 1
    per_unit_parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Definition:
    """A procedure definition, read and checked: everything the engine needs to compute and print a record."""

    key: str
    version: str
    effective: dt.date
    title: Text
    kind: str
    places: tuple[str, ...]
    instrument_types: tuple[str, ...]
    methods: tuple[MethodReference, ...]
    reference_document: str
    parameters: tuple[Parameter, ...]
    constants: Mapping[str, float]
    standards: tuple[StandardRole, ...]
    environment: tuple[EnvironmentLimit, ...]
    tests: tuple[Test, ...]
    tables: tuple[Table, ...]
    failure_notice: Text
    examples: tuple[Example, ...]
    unconfirmed: tuple[Unconfirmed, ...]
    units_under_test: UnitsUnderTest = field(default_factory=UnitsUnderTest)
    verifier_field: str | None = None  # the field of measurement a verifier's card must cover

    @property
    def has_in_service(self) -> bool:
        return any(check.mpe is not None and _in_service(check.mpe) for test in self.tests for check in test.checks)


def _in_service(mpe: Mpe) -> bool:
    return (
        mpe.in_service_factor != 1.0
        or any(_in_service(part) for part in mpe.parts)
        or any(_in_service(zone.mpe) for zone in mpe.zones)
    )


class DefinitionError(Exception):
    """A definition that cannot be used, with every problem found (each an InputError naming its path)."""

    def __init__(self, problems: Iterable[InputError]):
        self.problems = tuple(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems[:5]))


__all__ = [
    "INSTRUMENT_FACTS",
    "FORMAT",
    "MAX_TEXT",
    "MAX_EXPRESSION",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_NAME",
    "KINDS",
    "PLACES",
    "PER",
    "SHOWS",
    "UNITS",
    "Text",
    "Expression",
    "Unconfirmed",
    "Parameter",
    "Adequacy",
    "StandardRole",
    "Zone",
    "Mpe",
    "UncertaintyInput",
    "UncertaintyModel",
    "Check",
    "Run",
    "Point",
    "Test",
    "Column",
    "Table",
    "Example",
    "UnitsUnderTest",
    "Definition",
    "_in_service",
    "DefinitionError",
]
