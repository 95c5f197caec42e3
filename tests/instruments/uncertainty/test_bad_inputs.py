"""Every kind of input that cannot be computed is refused with an InputError naming the right field."""

import copy
import math

import pytest

from instruments.errors import InputError
from instruments.uncertainty import Correlation, InputQuantity, evaluate_budget, run_monte_carlo
from instruments.uncertainty.contract import calculate

GOOD = {
    "model": "a + b*c",
    "inputs": [
        {"name": "a", "value": 1.0, "standard_uncertainty": 0.1},
        {"name": "b", "value": 2.0, "distribution": "rectangular", "half_width": 0.3},
        {"name": "c", "value": 3.0, "expanded_uncertainty": 0.2, "coverage_factor": 2},
    ],
}


def _with(change):
    document = copy.deepcopy(GOOD)
    change(document)
    return document


def _set(path, value):
    def change(document):
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _correlate(first, second, r):
    return _set(("correlations",), [{"between": [first, second], "r": r}])


CASES = {
    "NaN value": (_set(("inputs", 0, "value"), math.nan), "inputs[0].value"),
    "infinite uncertainty": (_set(("inputs", 0, "standard_uncertainty"), math.inf), "inputs[0].standard_uncertainty"),
    "negative uncertainty": (_set(("inputs", 0, "standard_uncertainty"), -0.1), "inputs[0].standard_uncertainty"),
    "negative half-width": (_set(("inputs", 1, "half_width"), -0.3), "inputs[1].half_width"),
    "negative expanded": (_set(("inputs", 2, "expanded_uncertainty"), -0.2), "inputs[2].expanded_uncertainty"),
    "zero coverage factor": (_set(("inputs", 2, "coverage_factor"), 0), "inputs[2].coverage_factor"),
    "expanded without k": (lambda d: d["inputs"][2].pop("coverage_factor"), "inputs[2].coverage_factor"),
    "duplicate name": (_set(("inputs", 2, "name"), "a"), "inputs[2].name"),
    "unknown name in model": (_set(("model",), "a + b*c + q"), "model"),
    "unused input": (_set(("model",), "a + b"), "inputs[2].name"),
    "correlation above 1": (_correlate("a", "c", 1.5), "correlations[0].r"),
    "correlation below -1": (_correlate("a", "c", -1.01), "correlations[0].r"),
    "correlation of an unknown input": (_correlate("a", "zz", 0.5), "correlations[0].between"),
    "correlation of an input with itself": (_correlate("a", "a", 0.5), "correlations[0].between"),
    "correlation with a finite-dof input": (
        lambda d: (_set(("inputs", 0, "dof"), 5)(d), _correlate("a", "c", 0.5)(d)),
        "correlations[0]",
    ),
    "correlation that is not a number": (_correlate("a", "c", "0.5"), "correlations[0].r"),
    "correlation pair given twice": (
        _set(("correlations",), [{"between": ["a", "c"], "r": 0.1}, {"between": ["c", "a"], "r": 0.1}]),
        "correlations[1]",
    ),
    "non-PSD correlation matrix": (
        _set(
            ("correlations",),
            [
                {"between": ["a", "b"], "r": 0.9},
                {"between": ["a", "c"], "r": 0.9},
                {"between": ["b", "c"], "r": -0.9},
            ],
        ),
        "correlations",
    ),
    "one reading": (_set(("inputs", 0), {"name": "a", "readings": [1.0]}), "inputs[0].readings"),
    "reading that is text": (_set(("inputs", 0), {"name": "a", "readings": [1.0, "2"]}), "inputs[0].readings[1]"),
    "readings not a list": (_set(("inputs", 0), {"name": "a", "readings": 1.0}), "inputs[0].readings"),
    "dof given with readings": (
        _set(("inputs", 0), {"name": "a", "readings": [1.0, 1.1], "dof": 5}),
        "inputs[0].dof",
    ),
    "value that is text": (_set(("inputs", 0, "value"), "1.0"), "inputs[0].value"),
    "value that is a boolean": (_set(("inputs", 0, "value"), True), "inputs[0].value"),
    "missing value": (lambda d: d["inputs"][0].pop("value"), "inputs[0].value"),
    "no uncertainty at all": (lambda d: d["inputs"][0].pop("standard_uncertainty"), "inputs[0]"),
    "two ways of giving u": (_set(("inputs", 0, "half_width"), 0.1), "inputs[0].half_width"),
    "zero dof": (_set(("inputs", 0, "dof"), 0), "inputs[0].dof"),
    "negative dof": (_set(("inputs", 0, "dof"), -3), "inputs[0].dof"),
    "unknown distribution": (_set(("inputs", 1, "distribution"), "gaussian"), "inputs[1].distribution"),
    "rectangular without half-width": (
        _set(("inputs", 0, "distribution"), "rectangular"),
        "inputs[0].half_width",
    ),
    "half-width of a normal input": (_set(("inputs", 1, "distribution"), "normal"), "inputs[1].distribution"),
    "name that is a keyword": (_set(("inputs", 0, "name"), "lambda"), "inputs[0].name"),
    "name of a constant": (_set(("inputs", 0, "name"), "pi"), "inputs[0].name"),
    "name with a dot": (_set(("inputs", 0, "name"), "a.b"), "inputs[0].name"),
    "name that is a number": (_set(("inputs", 0, "name"), 3), "inputs[0].name"),
    "missing name": (lambda d: d["inputs"][0].pop("name"), "inputs[0].name"),
    "input that is not an object": (_set(("inputs", 0), 5), "inputs[0]"),
    "unknown field of an input": (_set(("inputs", 0, "uncertainty"), 0.1), "inputs[0].uncertainty"),
    "inputs not a list": (_set(("inputs",), {"a": 1}), "inputs"),
    "no inputs": (_set(("inputs",), []), "inputs"),
    "model that is a number": (_set(("model",), 3), "model"),
    "model with attribute access": (_set(("model",), "a.real + b + c"), "model"),
    "model calling an unlisted function": (_set(("model",), "max(a, b) + c"), "model"),
    "model with a lambda": (_set(("model",), "(lambda: a)() + b + c"), "model"),
    "model with a comparison": (_set(("model",), "a < b + c"), "model"),
    "model undefined at the estimates": (_set(("model",), "log(a - 5) + b + c"), "model"),
    "sensitivity with a model": (_set(("inputs", 0, "sensitivity"), 2.0), "inputs[0].sensitivity"),
    "sensitivity that is not finite": (
        lambda d: (d.pop("model"), _set(("inputs", 0, "sensitivity"), math.inf)(d)),
        "inputs[0].sensitivity",
    ),
    "coverage probability in percent": (_set(("coverage_probability",), 95), "coverage_probability"),
    "coverage probability of 1": (_set(("coverage_probability",), 1.0), "coverage_probability"),
    "unknown top-level field": (_set(("modle",), "a"), "modle"),
    "measurand not an object": (_set(("measurand",), "l"), "measurand"),
    "trials not a whole number": (_set(("monte_carlo",), {"trials": 1e5}), "monte_carlo.trials"),
    "too many trials": (_set(("monte_carlo",), {"trials": 10**9}), "monte_carlo.trials"),
    "negative seed": (_set(("monte_carlo",), {"trials": 1000, "seed": -1}), "monte_carlo.seed"),
    "unknown Monte Carlo field": (_set(("monte_carlo",), {"trails": 1000}), "monte_carlo.trails"),
    "Monte Carlo of a correlated rectangular input": (
        lambda d: (_correlate("a", "b", 0.5)(d), _set(("monte_carlo",), {"trials": 1000})(d)),
        "correlations[0]",
    ),
    "Monte Carlo where the model is undefined for some trials": (
        lambda d: (_set(("model",), "sqrt(a - 0.9) + b + c")(d), _set(("monte_carlo",), {"trials": 1000})(d)),
        "model",
    ),
}


def test_the_good_document_is_computed():
    assert calculate(copy.deepcopy(GOOD))["value"] == pytest.approx(7.0)


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_is_refused_naming_the_field(case):
    change, field = CASES[case]
    with pytest.raises(InputError) as refused:
        calculate(_with(change))
    assert refused.value.field == field
    assert refused.value.message


def test_python_api_names_the_field_of_a_bad_input():
    good = InputQuantity.normal("a", 1.0, 0.1)
    with pytest.raises(InputError) as refused:
        evaluate_budget([good, InputQuantity.normal("b", 1.0, -0.1)], "a + b")
    assert refused.value.field == "inputs[1].standard_uncertainty"
    with pytest.raises(InputError) as refused:
        evaluate_budget([good, InputQuantity.from_readings("b", [1.0])], "a + b")
    assert refused.value.field == "inputs[1].readings"
    with pytest.raises(InputError) as refused:
        evaluate_budget([good, InputQuantity.rectangular("b", 1.0, math.nan)], "a + b")
    assert refused.value.field == "inputs[1].half_width"
    with pytest.raises(InputError) as refused:
        evaluate_budget([good, InputQuantity.normal("b", 1.0, 0.1)], "a + b", [Correlation("a", "b", 2.0)])
    assert refused.value.field == "correlations[0].r"
    with pytest.raises(InputError) as refused:
        run_monte_carlo([good], "a", trials=10)
    assert refused.value.field == "monte_carlo.trials"


def test_a_budget_with_more_inputs_than_the_limit_is_refused_before_any_large_allocation():
    document = {"inputs": [{"name": f"x{i}", "value": 1.0, "standard_uncertainty": 0.1} for i in range(1001)]}
    with pytest.raises(InputError) as refused:
        calculate(document)
    assert refused.value.field == "inputs"
