"""The parts of a cg-18 calibration of a weighing instrument (EURAMET cg-18 v4.0): the instrument as calibrated, the
reference loads with their buoyancy term, repeatability and eccentricity, the uncertainty budget of the error at one
load, and the least-squares error curve over the range with the correlation between its points.

:mod:`instruments.procedures.scale_calibration` reads a record into these parts and makes the certificate's tables.
"""

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import numpy as np
from scipy import stats

from instruments import oiml_r76, oiml_r111
from instruments.decision import DecisionRule, rule_from_input
from instruments.errors import InputError
from instruments.procedures import weighing
from instruments.quantities import mapping, mass_mg, mass_unit_factor, number, path, required
from instruments.uncertainty import InputQuantity, UncertaintyBudget, evaluate_budget

CURVES = ("proportional", "linear")
# cg-18 7.1.2: the reference air density ρ0 and the conventional density ρc of weights (OIML D 28), kg/m³. A balance
# not adjusted just before calibration was adjusted at an air density that may differ from today's by up to 10 % of
# ρ0 (rectangular): the relative uncertainty of the buoyancy effect on the test loads is 0.1·ρ0/(√3·ρc), about
# 8.7·10⁻⁶ (1.7 mg at 200 g).
RHO_0 = 1.2
RHO_C = 8000.0
UNADJUSTED_BUOYANCY_RELATIVE = 0.1 * RHO_0 / (math.sqrt(3.0) * RHO_C)
# Error components every load point shares (the same repeatability s, eccentricity test, zero, weights and air),
# fully correlated between points; only the rounding of each indication is the point's own.
SHARED_COMPONENTS = (
    "zero_indication",
    "repeatability",
    "eccentricity",
    "reference_mass",
    "reference_drift",
    "air_buoyancy",
    "convection",
)


@dataclass(frozen=True)
class CalibratedScale:
    """The instrument as calibrated: Max, scale interval d (d0 at zero) and unit."""

    maximum: float
    d: float
    d0: float
    unit: str


@dataclass(frozen=True)
class ReferenceLoad:
    """The test load: its mass (calibrated value, or nominal) with standard uncertainty, drift and buoyancy."""

    nominal: float
    mass: float
    standard_uncertainty: float
    drift: float = 0.0  # half-width D of a rectangular distribution
    buoyancy_uncertainty: float = 0.0
    convection: float = (
        0.0  # half-width of a rectangular distribution (cg-18 7.1.2: weights not at balance temperature)
    )
    buoyancy_basis: str = "typed"  # "typed", or "cg-18 7.1.2" when derived for a balance not adjusted just before


@dataclass(frozen=True)
class LoadPoint:
    """One error-of-indication measurement: the reference load, the indication (mean of ``readings``) and zero."""

    reference: ReferenceLoad
    indication: float
    zero_indication: float = 0.0
    readings: int = 1
    d: float | None = None


@dataclass(frozen=True)
class ErrorResult:
    """The error of indication at one load and its uncertainty budget."""

    point: LoadPoint
    budget: UncertaintyBudget

    @property
    def error(self) -> float:
        return self.budget.value


def read_scale(document: Any) -> CalibratedScale:
    field = "scale"
    document = mapping(document, field)
    unit, maximum = weighing.read_unit_and_max(document, field)
    d = number(required(document, "d", field), path(field, "d"), minimum=0)
    d0 = number(document.get("d0", d), path(field, "d0"), minimum=0)
    for name, value in (("max", maximum), ("d", d), ("d0", d0)):
        if value <= 0:
            raise InputError(path(field, name), "must be positive")
    return CalibratedScale(maximum, d, d0, unit)


def _in_scale_unit(text: Any, field: str, scale: CalibratedScale) -> float:
    return mass_mg(text, field, minimum=None) / float(mass_unit_factor(scale.unit, "scale.unit"))


def _buoyancy(document: Mapping, field: str, nominal: float, scale: CalibratedScale, adjusted: bool):
    """Return the standard uncertainty of the air buoyancy on the load and where it comes from; never silently 0."""
    if document.get("buoyancy_uncertainty") not in (None, ""):
        return _in_scale_unit(document["buoyancy_uncertainty"], path(field, "buoyancy_uncertainty"), scale), "typed"
    if adjusted:
        raise InputError(
            path(field, "buoyancy_uncertainty"),
            "the balance was adjusted just before calibration: give the buoyancy uncertainty of the weights "
            "(cg-18 7.1.2, from their density and the air density)",
        )
    return nominal * UNADJUSTED_BUOYANCY_RELATIVE, "cg-18 7.1.2"


def read_reference(document: Any, field: str, scale: CalibratedScale, adjusted: bool = False) -> ReferenceLoad:
    document = mapping(document, field)
    nominal = number(required(document, "nominal", field), path(field, "nominal"), minimum=0)
    weighing.refuse_above_max(nominal, scale, path(field, "nominal"))
    drift = _in_scale_unit(document.get("drift", "0 mg"), path(field, "drift"), scale)
    buoyancy, basis = _buoyancy(document, field, nominal, scale, adjusted)
    convection = _in_scale_unit(document.get("convection", "0 mg"), path(field, "convection"), scale)
    for name, value in (("drift", drift), ("buoyancy_uncertainty", buoyancy), ("convection", convection)):
        if value < 0:
            raise InputError(path(field, name), "must not be negative")
    extra = {"convection": convection, "buoyancy_basis": basis}
    if document.get("conventional_mass") is not None:
        mass = _in_scale_unit(document["conventional_mass"], path(field, "conventional_mass"), scale)
        expanded = _in_scale_unit(
            required(document, "expanded_uncertainty", field), path(field, "expanded_uncertainty"), scale
        )
        k = number(required(document, "coverage_factor", field), path(field, "coverage_factor"), minimum=1e-9)
        if expanded < 0:
            raise InputError(path(field, "expanded_uncertainty"), "must not be negative")
        return ReferenceLoad(nominal, mass, expanded / k, drift, buoyancy, **extra)
    if document.get("class") is None:
        raise InputError(path(field, "conventional_mass"), "give the weights' calibrated values or their class")
    # Weights used at nominal value: their error is only known to be within the MPE, u = MPE/√3 (cg-18 7.1.2).
    weight_class = oiml_r111.normalize_class(document["class"], path(field, "class"))
    load_mg = Decimal(repr(nominal)) * mass_unit_factor(scale.unit, "scale.unit")
    total = oiml_r76.composition_mpe_mg(load_mg, weight_class)
    if total is None:
        raise InputError(path(field, "nominal"), f"cannot be composed of class {weight_class} weights")
    mpe = total / float(mass_unit_factor(scale.unit, "scale.unit"))
    return ReferenceLoad(nominal, nominal, mpe / math.sqrt(3.0), drift, buoyancy, **extra)


def read_indications(document: Mapping, key: str, prefix: str, minimum: int) -> list[float]:
    values = weighing.reading_list(document, key, prefix, minimum, "indications")
    return [number(value, f"{path(prefix, key)}[{i}]") for i, value in enumerate(values)]


@dataclass(frozen=True)
class Repeatability:
    """The repeatability test: n indications at one load; s with n − 1 degrees of freedom."""

    load: float
    indications: tuple[float, ...]

    @property
    def standard_deviation(self) -> float:
        return statistics.stdev(self.indications)

    @property
    def dof(self) -> int:
        return len(self.indications) - 1


@dataclass(frozen=True)
class Eccentricity:
    """The eccentricity test: indications of one load, the centre first, then the off-centre positions."""

    load: float
    indications: tuple[float, ...]

    @property
    def deviations(self) -> tuple[float, ...]:
        return tuple(value - self.indications[0] for value in self.indications)

    @property
    def largest_deviation(self) -> float:
        return max(abs(value) for value in self.deviations)

    def standard_uncertainty(self, indication: float) -> float:
        """Return u(δI_ecc) = |ΔI_ecc|max·I / (2·L_ecc·√3) (cg-18 7.1.1.4), scaled to the indication I."""
        return self.largest_deviation * abs(indication) / (2.0 * self.load * math.sqrt(3.0))


def error_budget(
    point: LoadPoint,
    scale: CalibratedScale,
    repeatability: Repeatability,
    eccentricity: Eccentricity,
    coverage_probability: float = 0.9545,
) -> UncertaintyBudget:
    """Return the budget of E = I − I0 − m_ref at one load (cg-18 7.1, 7.2, 7.3) through the engine."""
    d_load = point.d if point.d is not None else scale.d
    # cg-18 7.1.1.2: s for a single indication; s/√n only when I is the mean of n readings.
    u_rep = repeatability.standard_deviation / math.sqrt(point.readings)
    ref = point.reference
    inputs = [
        InputQuantity.rectangular("indication", point.indication, d_load / 2.0),
        InputQuantity.rectangular("zero_indication", point.zero_indication, scale.d0 / 2.0),
        InputQuantity.normal("repeatability", 0.0, u_rep, repeatability.dof),
        InputQuantity.normal("eccentricity", 0.0, eccentricity.standard_uncertainty(point.indication)),
        InputQuantity.normal("reference_mass", ref.mass, ref.standard_uncertainty),
        InputQuantity.rectangular("reference_drift", 0.0, ref.drift),
        InputQuantity.normal("air_buoyancy", 0.0, ref.buoyancy_uncertainty),
        InputQuantity.rectangular("convection", 0.0, ref.convection),
    ]
    sensitivities = {
        "indication": 1.0,
        "zero_indication": -1.0,
        "repeatability": 1.0,
        "eccentricity": 1.0,
        "reference_mass": -1.0,
        "reference_drift": -1.0,
        "air_buoyancy": -1.0,
        "convection": -1.0,
    }
    return evaluate_budget(inputs, coverage_probability=coverage_probability, sensitivities=sensitivities)


@dataclass(frozen=True)
class ErrorCurve:
    """A weighted least-squares error curve E(R) = a + b·R (or b·R) through the calibration points (cg-18 C.2).

    The points are not independent: they share the repeatability s, the eccentricity test, the zero, the reference
    weights and the air. The fitted value Σ h_j·E_j is therefore propagated component by component: a shared
    component adds coherently over the points (Σ_j h_j·c_j·u_j, fully correlated), only the rounding of each
    indication adds in quadrature. Treating the points as independent understated u between and at the points.
    """

    form: str
    loads: tuple[float, ...]
    errors: tuple[float, ...]
    uncertainties: tuple[float, ...]
    dofs: tuple[float, ...]
    coefficients: tuple[float, ...]
    chi_squared: float
    dof: int
    coverage_probability: float = 0.9545
    # Per point, each budget row as (name, signed contribution c·u, dof).
    components: tuple[tuple[tuple[str, float, float], ...], ...] = ()

    def _design(self, loads) -> np.ndarray:
        loads = np.asarray(loads, dtype=float)
        return loads[:, None] if self.form == "proportional" else np.column_stack([np.ones_like(loads), loads])

    def weights_at(self, load: float) -> np.ndarray:
        """Return the coefficients h_j with E(load) = Σ h_j·E_j (the fitted value is linear in the errors)."""
        x = self._design(self.loads)
        w = np.diag(1.0 / np.square(self.uncertainties))
        solver = np.linalg.solve(x.T @ w @ x, x.T @ w)
        return (self._design([load]) @ solver)[0]

    def evaluate(self, load: float) -> UncertaintyBudget:
        """Return the fitted error at ``load`` with its uncertainty, the shared components taken as correlated."""
        h = self.weights_at(load)
        shared: dict[str, list[float]] = {}
        own = []
        for j, rows in enumerate(self.components):
            for name, contribution, dof in rows:
                if name in SHARED_COMPONENTS:
                    total = shared.setdefault(name, [0.0, dof])
                    total[0] += float(h[j]) * contribution
                else:
                    own.append((f"{name}_{j + 1}", abs(float(h[j]) * contribution), dof))
        fitted = math.fsum(float(h[j]) * self.errors[j] for j in range(len(self.errors)))
        inputs = [InputQuantity.normal("fitted_error", fitted, 0.0)]
        inputs += [InputQuantity.normal(name, 0.0, abs(total), dof) for name, (total, dof) in shared.items()]
        inputs += [InputQuantity.normal(name, 0.0, u, dof) for name, u, dof in own]
        return evaluate_budget(inputs, coverage_probability=self.coverage_probability)

    @property
    def consistent(self) -> bool | None:
        """χ² test of the fit at 95 % (cg-18 C.2.3); None with no residual degrees of freedom."""
        return None if self.dof < 1 else bool(self.chi_squared <= stats.chi2.ppf(0.95, self.dof))


def fit_error_curve(results: list[ErrorResult], form: str, coverage_probability: float = 0.9545) -> ErrorCurve:
    """Fit E(R) by least squares weighted with 1/u²(E_j); its uncertainty keeps the points' shared components."""
    if form not in CURVES:
        raise InputError("error_curve", f"must be one of {', '.join(CURVES)}")
    parameters = 1 if form == "proportional" else 2
    if len(results) < parameters:
        raise InputError("loads", f"a {form} error curve needs at least {parameters} loads")
    loads = tuple(result.point.indication for result in results)
    errors = tuple(result.error for result in results)
    uncertainties = tuple(result.budget.standard_uncertainty for result in results)
    if min(uncertainties) <= 0:
        raise InputError("loads", "an error curve needs a non-zero uncertainty at every load")
    dofs = tuple(result.budget.dof_effective for result in results)
    components = tuple(
        tuple((row.name, row.sensitivity * row.standard_uncertainty, row.dof) for row in result.budget.rows)
        for result in results
    )
    curve = ErrorCurve(
        form,
        loads,
        errors,
        uncertainties,
        dofs,
        (),
        0.0,
        len(results) - parameters,
        coverage_probability,
        components,
    )
    x = curve._design(loads)
    if np.linalg.matrix_rank(x) < parameters:
        # a line through indications that are all zero (or all one value) is not determined by them
        needs = "an indication above zero" if form == "proportional" else "at least two different indications"
        raise InputError("loads", f"a {form} error curve needs {needs}")
    w = np.diag(1.0 / np.square(uncertainties))
    coefficients = np.linalg.solve(x.T @ w @ x, x.T @ w @ np.asarray(errors))
    residuals = np.asarray(errors) - x @ coefficients
    chi_squared = float(np.sum(np.square(residuals) / np.square(uncertainties)))
    return replace(curve, coefficients=tuple(float(c) for c in coefficients), chi_squared=chi_squared)


@dataclass(frozen=True)
class Tolerance:
    """Optional conformity check of the errors against R 76 MPEs, with the decision rule to use."""

    accuracy_class: str
    e: float
    in_service: bool
    rule: DecisionRule


def read_tolerance(document: Any) -> Tolerance | None:
    if document is None:
        return None
    field = "tolerance"
    document = mapping(document, field)
    in_service = weighing.read_in_service(document, path(field, "mpe_basis"))
    e = number(required(document, "e", field), path(field, "e"), minimum=0)
    if e <= 0:
        raise InputError(path(field, "e"), "must be positive")
    return Tolerance(
        oiml_r76.normalize_accuracy_class(required(document, "accuracy_class", field), path(field, "accuracy_class")),
        e,
        in_service,
        rule_from_input(document.get("decision_rule"), path(field, "decision_rule")),
    )


def budget_rows(budget: UncertaintyBudget) -> list[dict]:
    return [
        {
            "name": row.name,
            "value": row.value,
            "standard_uncertainty": row.standard_uncertainty,
            "dof": row.dof if math.isfinite(row.dof) else None,
            "sensitivity": row.sensitivity,
            "contribution": row.contribution,
            "variance_share": row.variance_share,
        }
        for row in budget.rows
    ]


def budget_summary(budget: UncertaintyBudget) -> dict:
    return {
        "value": budget.value,
        "standard_uncertainty": budget.standard_uncertainty,
        "dof_effective": budget.dof_effective if math.isfinite(budget.dof_effective) else None,
        "coverage_factor": budget.coverage_factor,
        "expanded_uncertainty": budget.expanded_uncertainty,
        "reported": {"value": budget.reported.value, "expanded_uncertainty": budget.reported.expanded_uncertainty},
    }
