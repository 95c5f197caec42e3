"""Propagation of distributions by the Monte Carlo method (JCGM 101:2008), drawn in chunks of bounded memory."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from instruments.errors import InputError
from instruments.uncertainty.expression import Model
from instruments.uncertainty.gum import (
    DEFAULT_COVERAGE_PROBABILITY,
    UncertaintyBudget,
    build_model,
    check_coverage_probability,
)
from instruments.uncertainty.inputs import Correlation, InputQuantity, check_inputs, correlation_matrix

DEFAULT_TRIALS = 1_000_000
MAX_TRIALS = 10_000_000
CHUNK_SIZE = 100_000
# At most this many input draws (8 bytes each) exist at once, however many inputs the model has.
CHUNK_VALUES = 2_000_000


@dataclass(frozen=True)
class MonteCarloResult:
    """The Monte Carlo estimate, standard uncertainty, coverage interval and the clause 8 check of the GUM result."""

    trials: int
    seed: int | None
    coverage_probability: float
    value: float
    standard_uncertainty: float | None
    interval: tuple[float, float]
    d_low: float | None
    d_high: float | None
    delta: float | None
    agrees_with_gum: bool | None
    warnings: tuple[str, ...]

    def as_dict(self) -> dict:
        """Return the ``monte_carlo`` part of the calc contract's output."""
        return {
            "trials": self.trials,
            "seed": self.seed,
            "value": self.value,
            "standard_uncertainty": self.standard_uncertainty,
            "interval": list(self.interval),
            "d_low": self.d_low,
            "d_high": self.d_high,
            "delta": self.delta,
            "agrees_with_gum": self.agrees_with_gum,
            "warnings": list(self.warnings),
        }


def _check_trials(trials: object, seed: object) -> tuple[int, int | None]:
    if isinstance(trials, bool) or not isinstance(trials, int):
        raise InputError("monte_carlo.trials", "trials must be a whole number")
    if not 100 <= trials <= MAX_TRIALS:
        raise InputError("monte_carlo.trials", f"trials must be between 100 and {MAX_TRIALS}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InputError("monte_carlo.seed", "the seed must be a whole number, 0 or more")
    return trials, seed


class _Sampler:
    """Draws every input for a chunk of trials, in a fixed order so that a seed always gives the same numbers."""

    def __init__(self, inputs: Sequence[InputQuantity], correlations: Sequence[Correlation], matrix: np.ndarray):
        self.inputs = inputs
        correlated = sorted({i for i in range(len(inputs)) for j in range(len(inputs)) if i != j and matrix[i, j]})
        for index, correlation in enumerate(correlations):
            if correlation.r == 0:
                continue
            for name in (correlation.first, correlation.second):
                item = next(x for x in inputs if x.name == name)
                if item.distribution != "normal":
                    raise InputError(
                        f"correlations[{index}]", f"Monte Carlo can correlate normal inputs only; '{name}' is not"
                    )
        self.correlated = correlated
        if correlated:
            block = matrix[np.ix_(correlated, correlated)]
            # Eigen-decomposition rather than Cholesky: a semi-definite matrix (r = ±1) is allowed.
            eigenvalues, eigenvectors = np.linalg.eigh(block)
            self.factor = eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))
            self.correlated_u = np.array([inputs[i].standard_uncertainty for i in correlated])
            self.correlated_x = np.array([inputs[i].value for i in correlated])

    def draw(self, rng: np.random.Generator, size: int) -> list:
        values: list = [None] * len(self.inputs)
        if self.correlated:
            normal = rng.standard_normal((size, len(self.correlated))) @ self.factor.T
            for column, index in enumerate(self.correlated):
                values[index] = self.correlated_x[column] + self.correlated_u[column] * normal[:, column]
        for index, item in enumerate(self.inputs):
            if values[index] is not None:
                continue
            x, u = float(item.value), float(item.standard_uncertainty)
            if u == 0.0:
                values[index] = x
            elif item.distribution == "normal":
                values[index] = x + u * rng.standard_normal(size)
            elif item.distribution == "t":
                # JCGM 101 6.4.9: a scaled and shifted t with ν degrees of freedom.
                values[index] = x + u * rng.standard_t(item.dof, size)
            else:
                a = float(item.half_width)
                uniform = rng.random(size)
                if item.distribution == "rectangular":
                    values[index] = x + a * (2.0 * uniform - 1.0)
                elif item.distribution == "triangular":
                    values[index] = x + a * (uniform + rng.random(size) - 1.0)
                else:
                    values[index] = x + a * np.sin(2.0 * math.pi * uniform)
        return values


def _two_digit_delta(u_c: float) -> float:
    # JCGM 101 8.2: u_c = c·10^ℓ with c a two-digit integer; the numerical tolerance is δ = ½·10^ℓ.
    exact = Decimal(repr(float(u_c)))
    place = exact.adjusted() - 1
    if exact.quantize(Decimal(1).scaleb(place), rounding=ROUND_HALF_UP).adjusted() > exact.adjusted():
        place += 1
    return float(Decimal(5).scaleb(place - 1))


def coverage_interval(outputs: np.ndarray, coverage_probability: float) -> tuple[float, float]:
    """Return the probabilistically symmetric coverage interval (JCGM 101 7.7); reorders ``outputs`` in place."""
    trials = outputs.size
    q = math.floor(coverage_probability * trials + 0.5)
    r = (trials - q + 1) // 2
    if r < 1 or q < 1:
        raise InputError("monte_carlo.trials", "too few trials for a coverage interval at this probability")
    outputs.partition([r - 1, r + q - 1])
    return float(outputs[r - 1]), float(outputs[r + q - 1])


def run_monte_carlo(
    inputs: Sequence[InputQuantity],
    model: str | Model | None,
    correlations: Sequence[Correlation] = (),
    coverage_probability: float = DEFAULT_COVERAGE_PROBABILITY,
    trials: int = DEFAULT_TRIALS,
    seed: int | None = None,
    gum: UncertaintyBudget | None = None,
    chunk_size: int | None = None,
) -> MonteCarloResult:
    """Propagate the input distributions through the model; with ``gum``, validate it per JCGM 101 clause 8."""
    inputs = tuple(inputs)
    check_inputs(inputs)
    p = check_coverage_probability(coverage_probability)
    trials, seed = _check_trials(trials, seed)
    parsed = build_model(inputs, model, None)
    correlations = tuple(correlations)
    sampler = _Sampler(inputs, correlations, correlation_matrix(inputs, correlations))
    rng = np.random.default_rng(seed)
    if chunk_size is None:
        chunk_size = max(1000, min(CHUNK_SIZE, CHUNK_VALUES // len(inputs)))
    # Only the outputs are kept (8 bytes a trial); the inputs exist one chunk at a time.
    outputs = np.empty(trials)
    for start in range(0, trials, chunk_size):
        size = min(chunk_size, trials - start)
        with np.errstate(all="ignore"):
            outputs[start : start + size] = np.broadcast_to(parsed.evaluate(sampler.draw(rng, size)), (size,))
    finite = np.isfinite(outputs)
    if not finite.all():
        bad = int(trials - finite.sum())
        raise InputError("model", f"the model has no finite value in {bad} of {trials} Monte Carlo trials")
    value = float(np.mean(outputs))
    warnings = []
    heavy_tails = [item.name for item in inputs if item.distribution == "t" and item.dof <= 2]
    # A t input with ν ≤ 2 has no variance, so neither has the output: a sample standard deviation would mislead.
    u = None if heavy_tails else float(np.std(outputs, ddof=1))
    if heavy_tails:
        warnings.append(f"no standard uncertainty: {', '.join(heavy_tails)} follow a t distribution with dof <= 2")
    low, high = coverage_interval(outputs, p)
    recommended = 1e4 / (1.0 - p)
    if trials < recommended:
        warnings.append(f"{trials} trials are fewer than the 10^4/(1 - p) = {math.ceil(recommended)} of JCGM 101 7.2.2")
    d_low = d_high = delta = agrees = None
    if gum is not None:
        delta = _two_digit_delta(gum.standard_uncertainty) if gum.standard_uncertainty > 0 else 0.0
        d_low = abs(gum.value - gum.expanded_uncertainty - low)
        d_high = abs(gum.value + gum.expanded_uncertainty - high)
        agrees = d_low <= delta and d_high <= delta
    return MonteCarloResult(
        trials=trials,
        seed=seed,
        coverage_probability=p,
        value=value,
        standard_uncertainty=u,
        interval=(low, high),
        d_low=d_low,
        d_high=d_high,
        delta=delta,
        agrees_with_gum=agrees,
        warnings=tuple(warnings),
    )
