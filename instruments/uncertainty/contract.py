"""`lims calc uncertainty`: the JSON budget of shared/spec/calc.md in, the GUM (and Monte Carlo) result out."""

from __future__ import annotations

import math
from typing import Any

from instruments.errors import InputError
from instruments.uncertainty.gum import (
    DEFAULT_COVERAGE_PROBABILITY,
    build_model,
    check_coverage_probability,
    evaluate_budget,
)
from instruments.uncertainty.inputs import DISTRIBUTIONS, HALF_WIDTH_DIVISORS, Correlation, InputQuantity, check_name
from instruments.uncertainty.monte_carlo import DEFAULT_TRIALS, run_monte_carlo
from instruments.uncertainty.reporting import report_gum

_DOCUMENT_KEYS = {"measurand", "model", "inputs", "correlations", "coverage_probability", "monte_carlo"}
_INPUT_KEYS = {
    "name",
    "value",
    "standard_uncertainty",
    "expanded_uncertainty",
    "coverage_factor",
    "distribution",
    "half_width",
    "readings",
    "dof",
    "sensitivity",
    "unit",
    "description",
}
# The four ways of stating an input's uncertainty; exactly one of them per input.
_WAYS = ("standard_uncertainty", "expanded_uncertainty", "half_width", "readings")


def _object(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise InputError(field, "must be a JSON object")
    return value


def _refuse_unknown(document: dict, allowed: set[str], prefix: str) -> None:
    for key in document:
        if key not in allowed:
            path = f"{prefix}.{key}" if prefix else str(key)
            raise InputError(path, f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")


def _number(document: dict, key: str, field: str, *, minimum: float | None = None, positive: bool = False) -> float:
    value = document[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(field, f"{key} must be a number")
    if not math.isfinite(value):
        raise InputError(field, f"{key} must be finite")
    if positive and value <= 0:
        raise InputError(field, f"{key} must be positive")
    if minimum is not None and value < minimum:
        raise InputError(field, f"{key} must not be negative")
    return float(value)


def _dof(item: dict, field: str) -> float:
    if item.get("dof") is None:
        return math.inf
    dof = _number(item, "dof", f"{field}.dof", positive=True)
    if dof < 1:
        raise InputError(f"{field}.dof", f"dof = {dof:g} is below 1: an input needs at least 1 degree of freedom")
    return dof


def _input(item: Any, field: str) -> tuple[InputQuantity, float | None]:
    item = _object(item, field)
    _refuse_unknown(item, _INPUT_KEYS, field)
    if "name" not in item:
        raise InputError(f"{field}.name", "every input needs a name")
    name = check_name(item["name"], f"{field}.name")
    ways = [way for way in _WAYS if way in item]
    if not ways:
        raise InputError(field, f"give one of {', '.join(_WAYS)} for the input '{name}'")
    if len(ways) > 1:
        raise InputError(f"{field}.{ways[1]}", f"give only one of {', '.join(_WAYS)} (found {ways[0]} too)")
    if "coverage_factor" in item and ways[0] != "expanded_uncertainty":
        raise InputError(f"{field}.coverage_factor", "coverage_factor goes with expanded_uncertainty")
    distribution = item.get("distribution", "normal")
    if distribution not in DISTRIBUTIONS:
        raise InputError(f"{field}.distribution", f"distribution must be one of {', '.join(DISTRIBUTIONS)}")
    sensitivity = _number(item, "sensitivity", f"{field}.sensitivity") if "sensitivity" in item else None
    for key in ("unit", "description"):
        if key in item and not isinstance(item[key], str):
            raise InputError(f"{field}.{key}", f"{key} must be text")
    way = ways[0]
    if way == "readings":
        return _type_a(item, field, name, distribution), sensitivity
    if "value" not in item:
        raise InputError(f"{field}.value", f"the input '{name}' needs a value")
    value = _number(item, "value", f"{field}.value")
    dof = _dof(item, field)
    if way == "half_width":
        if distribution not in HALF_WIDTH_DIVISORS:
            raise InputError(
                f"{field}.distribution", "a half_width needs a rectangular, triangular or arcsine distribution"
            )
        half_width = _number(item, "half_width", f"{field}.half_width", minimum=0)
        return getattr(InputQuantity, distribution)(name, value, half_width, dof), sensitivity
    if distribution in HALF_WIDTH_DIVISORS:
        raise InputError(f"{field}.half_width", f"a {distribution} input is given by its half_width")
    if distribution == "t" and math.isinf(dof):
        raise InputError(f"{field}.dof", "a t-distributed input needs finite dof")
    if way == "standard_uncertainty":
        u = _number(item, "standard_uncertainty", f"{field}.standard_uncertainty", minimum=0)
    else:
        expanded = _number(item, "expanded_uncertainty", f"{field}.expanded_uncertainty", minimum=0)
        if "coverage_factor" not in item:
            raise InputError(f"{field}.coverage_factor", "an expanded_uncertainty needs its coverage_factor")
        u = expanded / _number(item, "coverage_factor", f"{field}.coverage_factor", positive=True)
    return InputQuantity.normal(name, value, u, dof), sensitivity


def _type_a(item: dict, field: str, name: str, distribution: str) -> InputQuantity:
    readings = item["readings"]
    if not isinstance(readings, list):
        raise InputError(f"{field}.readings", "readings must be a list of numbers")
    if len(readings) < 2:
        raise InputError(f"{field}.readings", "a Type A input needs at least 2 readings")
    for j, reading in enumerate(readings):
        if isinstance(reading, bool) or not isinstance(reading, int | float) or not math.isfinite(reading):
            raise InputError(f"{field}.readings[{j}]", "each reading must be a finite number")
    if distribution not in ("normal", "t"):
        raise InputError(f"{field}.distribution", "readings give a Type A input: its distribution is t")
    if item.get("dof") is not None:
        raise InputError(f"{field}.dof", "the dof of a Type A input is n - 1 from its readings")
    value = _number(item, "value", f"{field}.value") if "value" in item else None
    quantity = InputQuantity.from_readings(name, readings, value)
    if not math.isfinite(quantity.standard_uncertainty):
        raise InputError(f"{field}.readings", "the readings are too large to compute their standard deviation")
    return quantity


def _correlations(raw: Any) -> tuple[Correlation, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError("correlations", "correlations must be a list")
    result = []
    for j, item in enumerate(raw):
        field = f"correlations[{j}]"
        item = _object(item, field)
        _refuse_unknown(item, {"between", "r"}, field)
        between = item.get("between")
        if not (isinstance(between, list) and len(between) == 2 and all(isinstance(n, str) for n in between)):
            raise InputError(f"{field}.between", "between must be a list of two input names")
        if "r" not in item:
            raise InputError(f"{field}.r", "a correlation needs r")
        result.append(Correlation(between[0], between[1], _number(item, "r", f"{field}.r")))
    return tuple(result)


def _measurand(raw: Any) -> dict | None:
    if raw is None:
        return None
    measurand = _object(raw, "measurand")
    for key, value in measurand.items():
        if key not in ("name", "unit", "description"):
            raise InputError(f"measurand.{key}", "the measurand has a name, a unit and a description")
        if not isinstance(value, str):
            raise InputError(f"measurand.{key}", f"{key} must be text")
    return dict(measurand)


def calculate(document: dict[str, Any]) -> dict[str, Any]:
    """Compute the GUM budget (and the Monte Carlo check, when asked) of one calc-contract document."""
    document = _object(document, "")
    _refuse_unknown(document, _DOCUMENT_KEYS, "")
    measurand = _measurand(document.get("measurand"))
    raw_inputs = document.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise InputError("inputs", "inputs must be a non-empty list")
    inputs, sensitivities = [], {}
    for index, raw in enumerate(raw_inputs):
        quantity, sensitivity = _input(raw, f"inputs[{index}]")
        inputs.append(quantity)
        if sensitivity is not None:
            sensitivities[quantity.name] = sensitivity
    model = document.get("model")
    if model is not None and sensitivities:
        first = next(i for i, item in enumerate(inputs) if item.name in sensitivities)
        raise InputError(f"inputs[{first}].sensitivity", "sensitivity applies only to a budget without a model")
    if model is not None and not isinstance(model, str):
        raise InputError("model", "the model must be text")
    correlations = _correlations(document.get("correlations"))
    p = document.get("coverage_probability", DEFAULT_COVERAGE_PROBABILITY)
    check_coverage_probability(p)
    budget = evaluate_budget(inputs, model, correlations, p, sensitivities or None)
    result = {"measurand": measurand, **budget.as_dict()}
    if "monte_carlo" in document:
        settings = _object(document["monte_carlo"], "monte_carlo")
        _refuse_unknown(settings, {"trials", "seed"}, "monte_carlo")
        monte_carlo = run_monte_carlo(
            inputs,
            build_model(inputs, model, sensitivities or None),
            correlations,
            p,
            trials=settings.get("trials", DEFAULT_TRIALS),
            seed=settings.get("seed"),
            gum=budget,
        )
        result["monte_carlo"] = monte_carlo.as_dict()
        if budget.warnings:
            result["reported"] = reported_from_monte_carlo(monte_carlo.value, monte_carlo.interval)
    return result


def reported_from_monte_carlo(value: float, interval: tuple[float, float]) -> dict[str, str]:
    """Report the Monte Carlo result as value ± U, U the larger distance from the mean to the interval's ends.

    Used when the first-order law is known to under-estimate (a zero sensitivity): the interval is then the result,
    and the larger half covers an interval that is not symmetric about the mean.
    """
    low, high = interval
    reported = report_gum(value, max(high - value, value - low, 0.0))
    return {"value": reported.value, "expanded_uncertainty": reported.expanded_uncertainty, "source": "monte_carlo"}
