"""The model-expression language: what it accepts, what it refuses, and its exact derivatives."""

import math

import numpy as np
import pytest

from instruments.errors import InputError
from instruments.uncertainty import parse_model

NAMES = ("x", "y", "z")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x + y*z", 2.0 + 3.0 * 5.0),
        ("-x**2", -4.0),
        ("(x - y)/z", -0.2),
        ("sqrt(z) + exp(x) - log(y) + log10(z)", math.sqrt(5) + math.exp(2) - math.log(3) + math.log10(5)),
        ("sin(x)*cos(y)/tan(z)", math.sin(2) * math.cos(3) / math.tan(5)),
        ("asin(x/4) + acos(y/4) + atan(z)", math.asin(0.5) + math.acos(0.75) + math.atan(5)),
        ("abs(x - z) * pi + e", 3 * math.pi + math.e),
        ("2.5e-3*x + 1_000*y", 5e-3 + 3000.0),
    ],
)
def test_allowed_expressions_evaluate_like_the_arithmetic_they_write(text, expected):
    model = parse_model(text, NAMES)
    assert model.evaluate([2.0, 3.0, 5.0]) == pytest.approx(expected, rel=1e-15)


def test_a_model_evaluates_over_arrays_elementwise():
    model = parse_model("x*y + sqrt(z)", NAMES)
    values = model.evaluate([np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([4.0, 9.0])])
    assert values.tolist() == [5.0, 11.0]


@pytest.mark.parametrize(
    ("text", "offending"),
    [
        ("x.real", "attribute access"),
        ("x.__class__.__bases__", "attribute access"),
        ("__import__('os').system('true')", "__import__"),
        ("open('/etc/passwd')", "open"),
        ("max(x, y)", "max"),
        ("lambda: x", "lambda"),
        ("x < y", "comparison"),
        ("x if y else z", "conditional"),
        ("x and y", "boolean"),
        ("x[0]", "indexing"),
        ("[x, y]", "list"),
        ("(x, y)", "tuple"),
        ("'text'", "real number"),
        ("True", "real number"),
        ("1j*x", "real number"),
        ("x ^ 2", "**"),
        ("x % 2", "'%'"),
        ("x // 2", "'//'"),
        ("+x", "unary"),
        ("not x", "unary"),
        ("(y := 2)", "assignment"),
        ("[v for v in (x,)]", "comprehension"),
        ("f'{x}'", "text"),
        ("sqrt(x, y)", "one argument"),
        ("sqrt(x=y)", "one argument"),
        ("sqrt", "called"),
        ("x + q", "'q'"),
        ("x = 1", "not a valid expression"),
        ("x +", "not a valid expression"),
        ("", "empty"),
        ("(" * 300 + "x" + ")" * 300, ""),
        ("-" * 300 + "x", "nested"),
    ],
)
def test_forbidden_syntax_is_refused_naming_the_offending_part(text, offending):
    with pytest.raises(InputError) as refused:
        parse_model(text, NAMES)
    assert refused.value.field == "model"
    assert offending in refused.value.message


def test_the_refusal_quotes_the_offending_source():
    with pytest.raises(InputError, match=r"'x\.real'"):
        parse_model("y + x.real", NAMES)


def _complex_step(text: str, point: list[float]) -> list[float]:
    # An independent check: d f/dx_i = Im f(x + i·h·e_i)/h, exact to rounding for analytic f and tiny h.
    model = parse_model(text, NAMES)
    step = 1e-30
    derivatives = []
    for index in range(len(point)):
        shifted = [complex(value) for value in point]
        shifted[index] += complex(0.0, step)
        derivatives.append(np.imag(model.evaluate([np.complex128(v) for v in shifted])) / step)
    return derivatives


@pytest.mark.parametrize(
    "text",
    [
        "x*y/z",
        "x**y + z**2.5",
        "sqrt(x*y) * exp(-z/10)",
        "log(x) + log10(y) + sin(z)*cos(x) - tan(y/10)",
        "asin(x/5) + acos(y/7) + atan(z)",
        "(x + y*z)**-3",
        "x**(y/z)",
    ],
)
def test_sensitivities_match_complex_step_derivatives_to_1e_9(text):
    point = [1.7, 2.3, 4.1]
    _, gradient = parse_model(text, NAMES).value_and_gradient(point)
    expected = _complex_step(text, point)
    for got, want in zip(gradient, expected, strict=True):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-300)


def test_a_constant_power_of_a_negative_estimate_has_its_derivative():
    _, gradient = parse_model("x**3 + y + z", NAMES).value_and_gradient([-2.0, 0.0, 0.0])
    assert gradient[0] == pytest.approx(12.0, rel=1e-15)


def test_an_input_outside_a_singular_function_keeps_its_derivative():
    # d/dy of sqrt(x) + y at x = 0 is 1, even though d/dx is infinite there.
    _, gradient = parse_model("sqrt(x) + y + z", NAMES).value_and_gradient([0.0, 1.0, 1.0])
    assert gradient[1] == 1.0
    assert math.isinf(gradient[0])
