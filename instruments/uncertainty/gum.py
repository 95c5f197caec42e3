"""The GUM law of propagation of uncertainty, Welch-Satterthwaite and the coverage factor (JCGM 100:2008)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from instruments.errors import InputError
from instruments.uncertainty.expression import Model, linear_model, parse_model
from instruments.uncertainty.inputs import Correlation, InputQuantity, check_inputs, correlation_matrix
from instruments.uncertainty.reporting import Reported, report_gum

DEFAULT_COVERAGE_PROBABILITY = 0.9545


@dataclass(frozen=True)
class BudgetRow:
    """One line of the uncertainty budget: an input, its sensitivity coefficient and its share of the variance."""

    name: str
    value: float
    standard_uncertainty: float
    dof: float
    sensitivity: float
    contribution: float
    variance_share: float

    def as_dict(self) -> dict:
        """Return the row in the shape of the calc contract (infinite dof as None)."""
        return {
            "name": self.name,
            "value": self.value,
            "standard_uncertainty": self.standard_uncertainty,
            "dof": None if math.isinf(self.dof) else self.dof,
            "sensitivity": self.sensitivity,
            "contribution": self.contribution,
            "variance_share": self.variance_share,
        }


@dataclass(frozen=True)
class BudgetWarning:
    """Something the reader of a result must know, naming the input it concerns (``inputs[i]``)."""

    field: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class UncertaintyBudget:
    """The GUM result: estimate, combined and expanded uncertainty, coverage factor and the budget table."""

    value: float
    standard_uncertainty: float
    dof_effective: float
    coverage_probability: float
    coverage_factor: float
    expanded_uncertainty: float
    rows: tuple[BudgetRow, ...]
    reported: Reported
    warnings: tuple[BudgetWarning, ...] = ()

    def as_dict(self) -> dict:
        """Return the calc contract's output shape (without measurand and monte_carlo); infinities become None."""
        return {
            "value": self.value,
            "standard_uncertainty": self.standard_uncertainty,
            "dof_effective": None if math.isinf(self.dof_effective) else self.dof_effective,
            "coverage_probability": self.coverage_probability,
            "coverage_factor": self.coverage_factor,
            "expanded_uncertainty": self.expanded_uncertainty,
            "reported": {"value": self.reported.value, "expanded_uncertainty": self.reported.expanded_uncertainty},
            "budget": [row.as_dict() for row in self.rows],
            "warnings": [warning.as_dict() for warning in self.warnings],
        }


def check_coverage_probability(p: object, field: str = "coverage_probability") -> float:
    """Return p if it is a probability strictly between 0 and 1; raise InputError otherwise."""
    if isinstance(p, bool) or not isinstance(p, int | float) or not math.isfinite(p) or not 0.0 < p < 1.0:
        raise InputError(field, "the coverage probability must be a number strictly between 0 and 1")
    return float(p)


def truncated_dof(dof_effective: float) -> float:
    """Return ν_eff truncated to an integer (GUM G.6.4), at least 1, guarded against floating-point noise."""
    if math.isinf(dof_effective):
        return math.inf
    return float(max(1, math.floor(dof_effective + 1e-9 * max(1.0, dof_effective))))


def coverage_factor(dof_effective: float, coverage_probability: float = DEFAULT_COVERAGE_PROBABILITY) -> float:
    """Return k: Student's t quantile at (1 + p)/2 for the truncated ν_eff, the normal quantile when ν is infinite."""
    p = check_coverage_probability(coverage_probability)
    if isinstance(dof_effective, bool) or not isinstance(dof_effective, int | float) or math.isnan(dof_effective):
        raise InputError("dof_effective", "the degrees of freedom must be a number")
    if dof_effective <= 0:
        raise InputError("dof_effective", "the degrees of freedom must be positive")
    nu = truncated_dof(float(dof_effective))
    quantile = (1.0 + p) / 2.0
    if math.isinf(nu):
        return float(special.ndtri(quantile))
    return float(special.stdtrit(nu, quantile))


def build_model(
    inputs: Sequence[InputQuantity], model: str | Model | None, sensitivities: Mapping[str, float] | None
) -> Model:
    """Return the parsed model over the inputs, or Σ c_i·x_i without one; every input must appear in it."""
    names = [item.name for item in inputs]
    if model is None:
        given = dict(sensitivities or {})
        for name in given:
            if name not in names:
                raise InputError("sensitivities", f"'{name}' is not an input")
        coefficients = []
        for index, name in enumerate(names):
            c = given.get(name, 1.0)
            if isinstance(c, bool) or not isinstance(c, int | float) or not math.isfinite(c):
                raise InputError(f"inputs[{index}].sensitivity", "the sensitivity must be a finite number")
            coefficients.append(float(c))
        return linear_model(names, coefficients)
    if sensitivities:
        raise InputError("sensitivities", "sensitivities apply only to a budget without a model")
    parsed = model if isinstance(model, Model) else parse_model(model, names)
    if parsed.names != tuple(names):
        parsed = parse_model(parsed.text, names)
    for index, name in enumerate(names):
        if name not in parsed.used:
            raise InputError(f"inputs[{index}].name", f"the input '{name}' does not appear in the model")
    return parsed


def propagate(
    model: Model, inputs: Sequence[InputQuantity], correlations: np.ndarray
) -> tuple[float, np.ndarray, float]:
    """Return y, the sensitivity coefficients and u_c for the inputs (GUM 5.1.2 and 5.2.2)."""
    estimates = [item.value for item in inputs]
    y, c = model.value_and_gradient(estimates)
    if not math.isfinite(y):
        raise InputError("model", "the model has no finite value at the input estimates")
    for index, derivative in enumerate(c):
        if not math.isfinite(derivative):
            raise InputError("model", f"the model has no finite derivative in '{inputs[index].name}' at the estimates")
    u = np.array([item.standard_uncertainty for item in inputs])
    weighted = c * u
    variance = float(weighted @ correlations @ weighted)
    if not math.isfinite(variance):
        raise InputError("model", "the combined variance overflows")
    # Rounding can leave a tiny negative value for a perfectly anti-correlated pair that cancels.
    return y, c, math.sqrt(max(variance, 0.0))


def welch_satterthwaite(u_c: float, contributions: np.ndarray, dofs: Sequence[float]) -> float:
    """Return ν_eff = u_c⁴ / Σ (c_i u_i)⁴ / ν_i over the inputs with finite ν_i (GUM G.4.2)."""
    denominator = math.fsum(
        float(contribution) ** 4 / dof
        for contribution, dof in zip(contributions, dofs, strict=True)
        if math.isfinite(dof)
    )
    if denominator == 0.0 or u_c == 0.0:
        return math.inf
    return u_c**4 / denominator


def zero_sensitivity_warnings(inputs: Sequence[InputQuantity], c: np.ndarray) -> tuple[BudgetWarning, ...]:
    """Warn of each input whose sensitivity is zero at the estimate while its uncertainty is not.

    The first-order law then drops the input entirely although the output still varies with it (y = x1·x2 at
    x1 = x2 = 0 gives u_c = 0): GUM 5.1.2 note asks for higher-order terms or, simpler here, the Monte Carlo method.
    """
    return tuple(
        BudgetWarning(
            f"inputs[{index}]",
            f"the sensitivity coefficient of '{item.name}' is zero at the estimate while its uncertainty is not: "
            "the first-order law under-estimates the combined uncertainty (GUM 5.1.2 note); use the Monte Carlo "
            "result",
        )
        for index, item in enumerate(inputs)
        if c[index] == 0.0 and item.standard_uncertainty > 0.0
    )


def evaluate_budget(
    inputs: Sequence[InputQuantity],
    model: str | Model | None = None,
    correlations: Sequence[Correlation] = (),
    coverage_probability: float = DEFAULT_COVERAGE_PROBABILITY,
    sensitivities: Mapping[str, float] | None = None,
) -> UncertaintyBudget:
    """Return the GUM uncertainty budget of y = f(inputs); without a model, y = Σ sensitivity·x (default 1)."""
    inputs = tuple(inputs)
    check_inputs(inputs)
    p = check_coverage_probability(coverage_probability)
    parsed = build_model(inputs, model, sensitivities)
    matrix = correlation_matrix(inputs, tuple(correlations))
    y, c, u_c = propagate(parsed, inputs, matrix)
    weighted = c * np.array([item.standard_uncertainty for item in inputs])
    dof_effective = welch_satterthwaite(u_c, weighted, [item.dof for item in inputs])
    k = coverage_factor(dof_effective, p)
    expanded = k * u_c
    rows = tuple(
        BudgetRow(
            name=item.name,
            value=float(item.value),
            standard_uncertainty=float(item.standard_uncertainty),
            dof=float(item.dof),
            sensitivity=float(c[index]),
            contribution=abs(float(weighted[index])),
            variance_share=float(weighted[index]) ** 2 / u_c**2 if u_c > 0 else 0.0,
        )
        for index, item in enumerate(inputs)
    )
    return UncertaintyBudget(
        value=y,
        standard_uncertainty=u_c,
        dof_effective=dof_effective,
        coverage_probability=p,
        coverage_factor=k,
        expanded_uncertainty=expanded,
        rows=rows,
        reported=report_gum(y, expanded),
        # A budget given by sensitivities is linear: a zero coefficient there means the input truly does not matter.
        warnings=zero_sensitivity_warnings(inputs, c) if model is not None else (),
    )
