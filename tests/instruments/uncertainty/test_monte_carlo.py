"""Monte Carlo (JCGM 101): the input distributions, the coverage interval and the clause 8 check."""

import math

import numpy as np
import pytest

from instruments.uncertainty import Correlation, InputQuantity, evaluate_budget, run_monte_carlo
from instruments.uncertainty.monte_carlo import coverage_interval

TRIALS = 400_000


@pytest.mark.parametrize(
    ("quantity", "expected_u"),
    [
        (InputQuantity.rectangular("x", 1.0, 0.3), 0.3 / math.sqrt(3)),
        (InputQuantity.triangular("x", 1.0, 0.3), 0.3 / math.sqrt(6)),
        (InputQuantity.arcsine("x", 1.0, 0.3), 0.3 / math.sqrt(2)),
        (InputQuantity.normal("x", 1.0, 0.2), 0.2),
        # JCGM 101 6.4.9: a Type A input from n = 6 readings is x̄ + (s/√n)·t_5, whose variance is (s²/n)·5/3.
        (InputQuantity.from_readings("x", [1.0, 1.2, 0.9, 1.1, 1.05, 0.95]), None),
    ],
)
def test_each_distribution_is_drawn_with_its_declared_standard_deviation(quantity, expected_u):
    if expected_u is None:
        expected_u = quantity.standard_uncertainty * math.sqrt(quantity.dof / (quantity.dof - 2))
    result = run_monte_carlo([quantity], "x", trials=TRIALS, seed=3)
    assert result.value == pytest.approx(quantity.value, abs=5 * expected_u / math.sqrt(TRIALS))
    assert result.standard_uncertainty == pytest.approx(expected_u, rel=0.01)


def test_the_arcsine_draws_stay_inside_their_limits_and_pile_up_at_the_ends():
    result = run_monte_carlo(
        [InputQuantity.arcsine("x", 0.0, 1.0)], "x", trials=TRIALS, seed=3, coverage_probability=0.5
    )
    # The arcsine quartiles are ±sin(π/4): half the mass lies within ±0.707 of the centre.
    assert result.interval == pytest.approx((-math.sqrt(0.5), math.sqrt(0.5)), abs=0.01)


def test_correlated_normal_inputs_are_drawn_with_their_correlation():
    inputs = [InputQuantity.normal("a", 0.0, 1.0), InputQuantity.normal("b", 0.0, 2.0)]
    for r in (-1.0, -0.3, 0.8):
        result = run_monte_carlo(inputs, "a + b", [Correlation("a", "b", r)], trials=TRIALS, seed=5)
        assert result.standard_uncertainty == pytest.approx(math.sqrt(1 + 4 + 2 * 2 * r), rel=0.01)


def test_a_type_a_input_with_two_dof_has_no_monte_carlo_standard_uncertainty():
    inputs = [InputQuantity.from_readings("d", [1.0, 1.1, 0.95]), InputQuantity.normal("f", 0.0, 0.01)]
    result = run_monte_carlo(inputs, "d + f", trials=10_000, seed=1)
    assert result.standard_uncertainty is None
    assert any("dof <= 2" in warning for warning in result.warnings)


def test_fewer_trials_than_jcgm_101_recommends_give_a_warning():
    inputs = [InputQuantity.normal("a", 0.0, 1.0)]
    assert run_monte_carlo(inputs, "a", trials=200_000, seed=1).warnings  # 10^4/(1 − 0.9545) ≈ 219 781
    assert run_monte_carlo(inputs, "a", trials=220_000, seed=1).warnings == ()


def test_the_probabilistically_symmetric_interval_takes_the_order_statistics_of_jcgm_101_7_7():
    # M = 10, p = 0.8: q = 8, r = 1, so the interval is [y_(1), y_(9)] of the sorted values.
    values = np.array([9.0, 1.0, 8.0, 2.0, 7.0, 3.0, 6.0, 4.0, 5.0, 10.0])
    assert coverage_interval(values, 0.8) == (1.0, 9.0)


def test_the_chunks_do_not_change_the_size_or_statistics_of_the_run():
    inputs = [InputQuantity.normal("a", 1.0, 0.1), InputQuantity.rectangular("b", 2.0, 0.1)]
    small = run_monte_carlo(inputs, "a*b", trials=123_457, seed=9, chunk_size=10_000)
    large = run_monte_carlo(inputs, "a*b", trials=123_457, seed=9)
    assert small.trials == large.trials == 123_457
    assert small.standard_uncertainty == pytest.approx(large.standard_uncertainty, rel=0.02)


def test_clause_8_check_passes_for_a_linear_gaussian_model_and_reports_delta():
    # u_c = 0.5 = 50·10^-2, so δ = ½·10^-2 (JCGM 101 8.2).
    inputs = [InputQuantity.normal("a", 10.0, 0.3), InputQuantity.normal("b", 5.0, 0.4)]
    gum = evaluate_budget(inputs, "a + b")
    result = run_monte_carlo(inputs, "a + b", trials=10**6, seed=21, gum=gum)
    assert result.delta == pytest.approx(0.005)
    assert result.d_low <= result.delta and result.d_high <= result.delta
    assert result.agrees_with_gum is True


def test_the_calc_spec_example_gives_delta_of_half_a_unit_in_the_second_digit_of_u():
    # calc.md: u_c = 3.2472e-5 mm, so δ = 5e-7 mm.
    inputs = [
        InputQuantity.normal("l_s", 50.000623, 25e-6, 18),
        InputQuantity.from_readings("d", [0.000215, 0.000221, 0.000209]),
        InputQuantity.rectangular("alpha_s", 11.5e-6, 2e-6),
        InputQuantity.from_expanded("theta", -0.1, 0.82, 2),
        InputQuantity.triangular("d_alpha", 0.0, 1e-6),
        InputQuantity.arcsine("d_theta", 0.0, 0.05, dof=2),
    ]
    model = "l_s + d - l_s*(d_alpha*theta + alpha_s*d_theta)"
    gum = evaluate_budget(inputs, model)
    result = run_monte_carlo(inputs, model, trials=250_000, seed=7, gum=gum)
    assert result.delta == 5e-7
    assert result.standard_uncertainty is None
    assert result.as_dict()["interval"][0] < gum.value < result.as_dict()["interval"][1]
