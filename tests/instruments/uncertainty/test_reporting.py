"""GUM 7.2.6 rounding for certificates and the coverage factor (GUM G.6.4)."""

import math

import pytest

from instruments.errors import InputError
from instruments.uncertainty import coverage_factor, report_gum


@pytest.mark.parametrize(
    ("value", "expanded", "reported_value", "reported_u"),
    [
        (50.000837999999995, 7.415667759634495e-05, "50.000838", "0.000074"),
        (10000.025, 0.0585, "10000.025", "0.059"),  # half-up on the decimal 0.0585, not on the float 0.05849999...
        (1.2345, 0.0125, "1.235", "0.013"),
        (1.2, 0.1, "1.20", "0.10"),  # trailing zeros are kept
        (3.14159, 0.0996, "3.14", "0.10"),  # rounding up to 0.100 keeps two significant digits
        (10000.025, 1234.0, "10000", "1200"),
        (123456.0, 25000.0, "123000", "25000"),
        (-0.0004, 0.012, "0.000", "0.012"),  # no "-0.000"
        (-5.4321, 0.21, "-5.43", "0.21"),
        (7.0, 0.0, "7.0", "0"),
    ],
)
def test_expanded_uncertainty_is_reported_to_two_significant_digits_and_the_value_to_the_same_place(
    value, expanded, reported_value, reported_u
):
    reported = report_gum(value, expanded)
    assert (reported.value, reported.expanded_uncertainty) == (reported_value, reported_u)


def test_reporting_refuses_a_negative_or_non_finite_uncertainty():
    with pytest.raises(InputError):
        report_gum(1.0, -0.1)
    with pytest.raises(InputError):
        report_gum(math.nan, 0.1)


@pytest.mark.parametrize(
    ("dof", "p", "k"),
    [
        (math.inf, 0.9545, 2.000),
        (math.inf, 0.95, 1.960),
        (16.76, 0.99, 2.921),  # GUM H.1.6: t_99(16)
        (10.374, 0.9545, 2.284),  # calc.md example: ν = 10
        (1.9999999999999996, 0.9545, 4.527),  # floating-point noise below 2 still truncates to 2
        (0.4, 0.9545, 13.968),  # ν at least 1
        (2.5, 0.9545, 4.527),
    ],
)
def test_coverage_factor_is_student_t_at_the_truncated_dof(dof, p, k):
    assert coverage_factor(dof, p) == pytest.approx(k, abs=5e-4)


@pytest.mark.parametrize("p", [0.0, 1.0, -0.5, 1.5, math.nan, True])
def test_coverage_factor_refuses_a_probability_outside_0_1(p):
    with pytest.raises(InputError) as refused:
        coverage_factor(10, p)
    assert refused.value.field == "coverage_probability"
