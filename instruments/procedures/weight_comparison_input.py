"""Reading a weight calibration record (OIML R 111-1:2004 Annex C): the weights under test, the reference weight, the
air, the balance and the pooled standard deviation of the process, refused with the field's path where they cannot be
computed. :mod:`instruments.procedures.weight_comparison` works the calibration from what this reads.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from instruments import oiml_r111
from instruments.errors import InputError
from instruments.quantities import mapping, mass_mg, mass_unit_factor, number, path, required

CYCLE_ROW_LENGTH = {"ABBA": 4, "ABA": 3}


@dataclass(frozen=True)
class WeightUnderTest:
    """A weight being calibrated: nominal value, class and density (known, or assumed with Table 5 limits)."""

    nominal_mg: Decimal
    nominal_text: str
    weight_class: str
    density: float
    density_uncertainty: float
    density_measured: bool = True  # False: the material's assumed density (Table 5 then gives its uncertainty)


@dataclass(frozen=True)
class ReferenceWeight:
    """The reference weight A: its certificate values, density, drift bound and the air it was calibrated in."""

    conventional_mass_mg: float
    expanded_uncertainty_mg: float
    coverage_factor: float
    density: float
    density_uncertainty: float = 0.0
    instability_mg: float = 0.0
    air_density_at_calibration: float = oiml_r111.REFERENCE_AIR_DENSITY


@dataclass(frozen=True)
class Balance:
    """The comparator: scale interval d and the standard uncertainties of sensitivity, eccentricity, magnetism."""

    resolution_mg: float
    sensitivity_uncertainty_mg: float = 0.0
    eccentricity_uncertainty_mg: float = 0.0
    magnetism_uncertainty_mg: float = 0.0


@dataclass(frozen=True)
class PooledProcess:
    """A standard deviation of the weighing process known from earlier measurements (R 111-1 C.6.1)."""

    standard_deviation_mg: float
    dof: float


@dataclass(frozen=True)
class ComparisonInput:
    """Everything one comparison needs, checked and in milligrams."""

    weights: tuple[WeightUnderTest, ...]
    reference: ReferenceWeight
    air: oiml_r111.AirDensity
    cycle: str
    readings_mg: tuple[tuple[float, ...], ...]
    balance: Balance
    pooled: PooledProcess | None = None
    output_unit: str = "mg"


# --- reading the JSON document -------------------------------------------------------------------------------


def _weight(document: Any, field: str) -> WeightUnderTest:
    document = mapping(document, field)
    nominal_text = required(document, "nominal", field)
    if not isinstance(nominal_text, str):
        raise InputError(path(field, "nominal"), 'must be a mass with its unit, e.g. "10 kg"')
    weight_class = oiml_r111.normalize_class(required(document, "class", field), path(field, "class"))
    try:
        nominal = oiml_r111.nominal_mg(nominal_text, path(field, "nominal"))
        oiml_r111.mpe_mg(weight_class, nominal_text)
    except InputError as exc:
        raise InputError(path(field, "nominal"), exc.message) from exc
    measured = document.get("density") is not None
    if measured:
        density = number(document["density"], path(field, "density"), minimum=1e-9)
        u_density = number(document.get("density_uncertainty", 0), path(field, "density_uncertainty"), minimum=0)
    else:
        # Unknown density (R 111-1 C.6.3): an assumed material density, with an uncertainty from the class's
        # Table 5 limits taken as rectangular.
        if document.get("assumed_density") is None:
            raise InputError(path(field, "density"), "give the measured density or the material's assumed_density")
        density = number(document["assumed_density"], path(field, "assumed_density"), minimum=1e-9)
        low, high = oiml_r111.density_limits(weight_class, nominal_text)
        if low is None:
            raise InputError(
                path(field, "density"), f"class {weight_class} has no density limits: the density must be given"
            )
        if density < low or (high is not None and density > high):
            raise InputError(path(field, "assumed_density"), f"{density:g} kg/m³ is outside the class's limits")
        # With only a lower limit (M classes), the interval is taken symmetric about the assumed density.
        half_width = (high - low) / 2.0 if high is not None else density - low
        u_density = half_width / math.sqrt(3.0)
    return WeightUnderTest(nominal, nominal_text, weight_class, density, u_density, measured)


def _reference(document: Any) -> ReferenceWeight:
    field = "reference"
    document = mapping(document, field)
    return ReferenceWeight(
        conventional_mass_mg=mass_mg(required(document, "conventional_mass", field), path(field, "conventional_mass")),
        expanded_uncertainty_mg=mass_mg(
            required(document, "expanded_uncertainty", field), path(field, "expanded_uncertainty")
        ),
        coverage_factor=number(
            required(document, "coverage_factor", field), path(field, "coverage_factor"), minimum=1e-9
        ),
        density=number(required(document, "density", field), path(field, "density"), minimum=1e-9),
        density_uncertainty=number(
            document.get("density_uncertainty", 0), path(field, "density_uncertainty"), minimum=0
        ),
        instability_mg=mass_mg(document.get("instability", "0 mg"), path(field, "instability")),
        air_density_at_calibration=number(
            document.get("air_density_at_calibration", oiml_r111.REFERENCE_AIR_DENSITY),
            path(field, "air_density_at_calibration"),
            minimum=1e-9,
        ),
    )


def _air(document: Any) -> oiml_r111.AirDensity:
    document = mapping(document, "air")
    if "density" in document:
        return oiml_r111.AirDensity(
            number(document["density"], "air.density", minimum=1e-9),
            number(document.get("density_uncertainty", 0), "air.density_uncertainty", minimum=0),
        )
    conditions = oiml_r111.AirConditions(
        temperature=number(required(document, "temperature", "air"), "air.temperature"),
        pressure=number(required(document, "pressure", "air"), "air.pressure"),
        humidity=number(required(document, "humidity", "air"), "air.humidity"),
        temperature_uncertainty=number(
            document.get("temperature_uncertainty", 0), "air.temperature_uncertainty", minimum=0
        ),
        pressure_uncertainty=number(document.get("pressure_uncertainty", 0), "air.pressure_uncertainty", minimum=0),
        humidity_uncertainty=number(document.get("humidity_uncertainty", 0), "air.humidity_uncertainty", minimum=0),
    )
    return oiml_r111.air_density(conditions)


def _balance(document: Any) -> Balance:
    field = "balance"
    document = mapping(document, field)

    def optional(key: str) -> float:
        return mass_mg(document.get(key, "0 mg"), path(field, key))

    resolution = mass_mg(required(document, "resolution", field), path(field, "resolution"))
    if resolution <= 0:
        raise InputError(path(field, "resolution"), "must be positive")
    return Balance(
        resolution,
        optional("sensitivity_uncertainty"),
        optional("eccentricity_uncertainty"),
        optional("magnetism_uncertainty"),
    )


def _pooled(document: Any) -> PooledProcess | None:
    if document is None:
        return None
    field = "weighing_process"
    document = mapping(document, field)
    deviation = mass_mg(
        required(document, "pooled_standard_deviation", field), path(field, "pooled_standard_deviation")
    )
    dof = document.get("dof")
    dof = math.inf if dof is None else number(dof, path(field, "dof"), minimum=1)
    return PooledProcess(deviation, dof)


def parse_input(document: Mapping[str, Any], cycle_table: oiml_r111.CycleTable | None = None) -> ComparisonInput:
    """Check a `calc weight` document and turn it into a :class:`ComparisonInput`."""
    mapping(document, "")
    cycle = required(document, "cycle")
    if cycle not in oiml_r111.CYCLES:
        raise InputError("cycle", f"unknown weighing cycle {cycle!r}; use one of {', '.join(oiml_r111.CYCLES)}")
    if cycle == "AB1...BnA":
        items = required(document, "weights")
        if not isinstance(items, list) or not items:
            raise InputError("weights", "must be a non-empty list of weights (one per B in AB1...BnA)")
        weights = tuple(_weight(item, path("weights", i)) for i, item in enumerate(items))
        row_length = len(weights) + 2
    else:
        weights = (_weight(required(document, "weight"), "weight"),)
        row_length = CYCLE_ROW_LENGTH[cycle]
    reference = _reference(required(document, "reference"))
    air = _air(required(document, "air"))
    balance = _balance(required(document, "balance"))
    pooled = _pooled(document.get("weighing_process"))

    unit = required(document, "reading_unit")
    factor = float(mass_unit_factor(unit, "reading_unit"))
    rows = required(document, "readings")
    if not isinstance(rows, list) or not rows:
        raise InputError("readings", "must be a list of weighing cycles")
    readings = []
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != row_length:
            raise InputError(path("readings", i), f"a {cycle} cycle has {row_length} readings")
        readings.append(tuple(number(value, f"readings[{i}][{j}]") * factor for j, value in enumerate(row)))

    needed = (
        1
        if pooled is not None
        else max([2] + [oiml_r111.min_cycles(weight.weight_class, cycle, cycle_table) for weight in weights])
    )
    if len(readings) < needed:
        raise InputError(
            "readings", f"{len(readings)} cycle(s) given; at least {needed} needed for {cycle} and these classes"
        )
    output_unit = document.get("output_unit", "mg")
    mass_unit_factor(output_unit, "output_unit")
    return ComparisonInput(weights, reference, air, cycle, tuple(readings), balance, pooled, output_unit)
