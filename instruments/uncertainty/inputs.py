"""Input quantities of a measurement model (Type A and Type B) and the correlations between them."""

from __future__ import annotations

import keyword
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from instruments.errors import InputError
from instruments.uncertainty.expression import RESERVED

DISTRIBUTIONS = ("normal", "t", "rectangular", "triangular", "arcsine")
# u = a / divisor for a distribution given by its half-width a (GUM 4.3.7, 4.3.9; JCGM 101 6.4.2-6.4.6).
MAX_INPUTS = 1000
HALF_WIDTH_DIVISORS = {"rectangular": math.sqrt(3.0), "triangular": math.sqrt(6.0), "arcsine": math.sqrt(2.0)}


@dataclass(frozen=True)
class InputQuantity:
    """One input x_i of the model: its estimate, standard uncertainty, degrees of freedom and distribution."""

    name: str
    value: float
    standard_uncertainty: float
    dof: float = math.inf
    distribution: str = "normal"
    half_width: float | None = None
    readings: tuple[float, ...] | None = None

    @classmethod
    def normal(cls, name: str, value: float, u: float, dof: float = math.inf) -> InputQuantity:
        """Return a Type B input with a standard uncertainty (a t distribution when dof is finite)."""
        return cls(name, value, u, dof, "normal" if math.isinf(dof) else "t")

    @classmethod
    def from_expanded(
        cls, name: str, value: float, expanded_uncertainty: float, k: float, dof: float = math.inf
    ) -> InputQuantity:
        """Return a Type B input from an expanded uncertainty U and its coverage factor k (u = U / k)."""
        return cls.normal(name, value, expanded_uncertainty / k, dof)

    @classmethod
    def rectangular(cls, name: str, value: float, half_width: float, dof: float = math.inf) -> InputQuantity:
        """Return a Type B input uniform on value ± half_width (u = a/√3)."""
        return cls._bounded(name, value, half_width, "rectangular", dof)

    @classmethod
    def triangular(cls, name: str, value: float, half_width: float, dof: float = math.inf) -> InputQuantity:
        """Return a Type B input with a triangular distribution on value ± half_width (u = a/√6)."""
        return cls._bounded(name, value, half_width, "triangular", dof)

    @classmethod
    def arcsine(cls, name: str, value: float, half_width: float, dof: float = math.inf) -> InputQuantity:
        """Return a Type B input with the U-shaped arcsine distribution on value ± half_width (u = a/√2)."""
        return cls._bounded(name, value, half_width, "arcsine", dof)

    @classmethod
    def _bounded(cls, name: str, value: float, half_width: float, distribution: str, dof: float) -> InputQuantity:
        u = half_width / HALF_WIDTH_DIVISORS[distribution]
        return cls(name, value, u, dof, distribution, half_width=half_width)

    @classmethod
    def from_readings(cls, name: str, readings: Sequence[float], value: float | None = None) -> InputQuantity:
        """Return a Type A input from repeated readings: mean (unless value is given), u = s/√n, dof = n − 1."""
        observed = tuple(float(reading) for reading in readings)
        n = len(observed)
        if n < 2:
            # Left for check_inputs to refuse with the field's full path.
            return cls(name, math.nan if value is None else value, math.nan, math.nan, "t", readings=observed)
        mean = math.fsum(observed) / n
        s = math.sqrt(math.fsum((reading - mean) ** 2 for reading in observed) / (n - 1))
        return cls(name, mean if value is None else value, s / math.sqrt(n), n - 1, "t", readings=observed)


@dataclass(frozen=True)
class Correlation:
    """The correlation coefficient r between two inputs, named."""

    first: str
    second: str
    r: float


def check_name(name: object, field: str) -> str:
    """Return the name if it can stand in a model expression; raise InputError naming the field otherwise."""
    if not isinstance(name, str) or not name:
        raise InputError(field, "a name must be non-empty text")
    # Python folds identifiers to NFKC, so a name that changes under NFKC would not match itself in the model.
    if not name.isidentifier() or keyword.iskeyword(name) or unicodedata.normalize("NFKC", name) != name:
        raise InputError(field, f"'{name}' cannot be used as a name (letters, digits and _, not starting with a digit)")
    if name in RESERVED:
        raise InputError(field, f"'{name}' is the name of a function or constant of the model language")
    return name


def _finite(value: object, field: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(field, f"{what} must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(field, f"{what} must be finite")
    return number


def check_inputs(inputs: Sequence[InputQuantity]) -> None:
    """Refuse inputs that cannot be computed, naming the field as ``inputs[i].<field>``."""
    if len(inputs) == 0:
        raise InputError("inputs", "a budget needs at least one input")
    if len(inputs) > MAX_INPUTS:
        raise InputError("inputs", f"a budget has at most {MAX_INPUTS} inputs")
    seen: dict[str, int] = {}
    for index, item in enumerate(inputs):
        field = f"inputs[{index}]"
        if not isinstance(item, InputQuantity):
            raise InputError(field, "each input must be an InputQuantity")
        check_name(item.name, f"{field}.name")
        if item.name in seen:
            raise InputError(f"{field}.name", f"duplicate name '{item.name}' (also inputs[{seen[item.name]}])")
        seen[item.name] = index
        if item.distribution not in DISTRIBUTIONS:
            raise InputError(f"{field}.distribution", f"distribution must be one of {', '.join(DISTRIBUTIONS)}")
        if item.readings is not None:
            if len(item.readings) < 2:
                raise InputError(f"{field}.readings", "a Type A input needs at least 2 readings")
            for j, reading in enumerate(item.readings):
                _finite(reading, f"{field}.readings[{j}]", "a reading")
        if item.distribution in HALF_WIDTH_DIVISORS:
            if item.half_width is None:
                raise InputError(f"{field}.half_width", f"a {item.distribution} input needs a half_width")
            if _finite(item.half_width, f"{field}.half_width", "half_width") < 0:
                raise InputError(f"{field}.half_width", "half_width must not be negative")
        _finite(item.value, f"{field}.value", "value")
        u = _finite(item.standard_uncertainty, f"{field}.standard_uncertainty", "the standard uncertainty")
        if u < 0:
            raise InputError(f"{field}.standard_uncertainty", "the standard uncertainty must not be negative")
        dof = item.dof
        if isinstance(dof, bool) or not isinstance(dof, int | float | np.integer | np.floating) or math.isnan(dof):
            raise InputError(f"{field}.dof", "dof must be a positive number (or infinite)")
        if dof < 1:
            # Student's t has no usable coverage factor below one degree of freedom: refused, never clamped.
            raise InputError(f"{field}.dof", f"dof = {dof:g} is below 1: an input needs at least 1 degree of freedom")
        if item.distribution == "t" and math.isinf(dof):
            raise InputError(f"{field}.dof", "a t-distributed input needs finite degrees of freedom")


def correlation_matrix(inputs: Sequence[InputQuantity], correlations: Sequence[Correlation]) -> np.ndarray:
    """Return the full correlation matrix, refusing bad pairs and a matrix that is not positive semi-definite."""
    indices = {item.name: index for index, item in enumerate(inputs)}
    matrix = np.eye(len(inputs))
    pairs: set[frozenset[str]] = set()
    for j, correlation in enumerate(correlations):
        field = f"correlations[{j}]"
        if not isinstance(correlation, Correlation):
            raise InputError(field, "each correlation must be a Correlation")
        for name in (correlation.first, correlation.second):
            if name not in indices:
                raise InputError(f"{field}.between", f"'{name}' is not an input")
        if correlation.first == correlation.second:
            raise InputError(f"{field}.between", "a correlation joins two different inputs")
        r = _finite(correlation.r, f"{field}.r", "r")
        if not -1.0 <= r <= 1.0:
            raise InputError(f"{field}.r", f"r = {r} is outside [-1, 1]")
        a, b = indices[correlation.first], indices[correlation.second]
        pair = frozenset((correlation.first, correlation.second))
        if pair in pairs:
            raise InputError(field, f"the pair {correlation.first}, {correlation.second} is given twice")
        pairs.add(pair)
        if r == 0.0:
            continue
        for name in (correlation.first, correlation.second):
            if not math.isinf(inputs[indices[name]].dof):
                # Welch-Satterthwaite assumes independent inputs wherever dof is finite (GUM G.4.1).
                raise InputError(field, f"'{name}' has finite degrees of freedom and cannot be correlated")
        matrix[a, b] = matrix[b, a] = r
    if correlations and np.linalg.eigvalsh(matrix).min() < -1e-12:
        raise InputError("correlations", "the correlation matrix is not positive semi-definite")
    return matrix
