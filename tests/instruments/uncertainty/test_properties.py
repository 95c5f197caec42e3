"""Properties of the GUM propagation and its agreement with Monte Carlo, checked on generated budgets."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instruments.uncertainty import InputQuantity, evaluate_budget, run_monte_carlo

coefficients = st.floats(min_value=-50, max_value=50, allow_nan=False).filter(lambda c: abs(c) > 1e-3)
uncertainties = st.floats(min_value=1e-4, max_value=10, allow_nan=False)
estimates = st.floats(min_value=-100, max_value=100, allow_nan=False)
kinds = st.sampled_from(["normal", "rectangular", "triangular", "arcsine", "t"])


@st.composite
def linear_budgets(draw, kinds=kinds):
    n = draw(st.integers(min_value=1, max_value=6))
    inputs, cs = [], []
    for i in range(n):
        kind, x, u = draw(kinds), draw(estimates), draw(uncertainties)
        if kind == "normal":
            inputs.append(InputQuantity.normal(f"x{i}", x, u))
        elif kind == "t":
            inputs.append(InputQuantity.normal(f"x{i}", x, u, dof=draw(st.integers(min_value=1, max_value=60))))
        else:
            inputs.append(getattr(InputQuantity, kind)(f"x{i}", x, u))
        cs.append(draw(coefficients))
    return inputs, cs


def _text(cs):
    return " + ".join(f"({c!r})*x{i}" for i, c in enumerate(cs))


@settings(deadline=None, max_examples=60)
@given(linear_budgets())
def test_a_linear_models_combined_uncertainty_is_the_root_sum_square(budget):
    inputs, cs = budget
    result = evaluate_budget(inputs, _text(cs))
    expected = math.sqrt(math.fsum((c * item.standard_uncertainty) ** 2 for c, item in zip(cs, inputs, strict=True)))
    assert result.standard_uncertainty == pytest.approx(expected, rel=1e-12)
    assert sum(row.variance_share for row in result.rows) == pytest.approx(1.0, rel=1e-12)
    for row, c in zip(result.rows, cs, strict=True):
        assert row.sensitivity == pytest.approx(c, rel=1e-14)


@settings(deadline=None, max_examples=40)
@given(linear_budgets())
def test_a_budget_without_a_model_is_the_sum_of_sensitivity_times_input(budget):
    inputs, cs = budget
    with_model = evaluate_budget(inputs, _text(cs))
    without = evaluate_budget(inputs, sensitivities={item.name: c for item, c in zip(inputs, cs, strict=True)})
    assert without.value == pytest.approx(with_model.value, rel=1e-12, abs=1e-9)
    assert without.standard_uncertainty == pytest.approx(with_model.standard_uncertainty, rel=1e-12)
    assert without.dof_effective == pytest.approx(with_model.dof_effective, rel=1e-12)


@settings(deadline=None, max_examples=40)
@given(linear_budgets(), st.floats(min_value=0.01, max_value=100), st.data())
def test_scaling_an_inputs_uncertainty_scales_its_contribution_alone(budget, factor, data):
    inputs, cs = budget
    index = data.draw(st.integers(min_value=0, max_value=len(inputs) - 1))
    model = "x0**2*0 + " + _text(cs)  # a model that is not just Σ c·x, to exercise the parser too
    before = evaluate_budget(inputs, model)
    item = inputs[index]
    scaled = list(inputs)
    scaled[index] = InputQuantity(item.name, item.value, item.standard_uncertainty * factor, item.dof, "normal")
    after = evaluate_budget(scaled, model)
    for i, (old, new) in enumerate(zip(before.rows, after.rows, strict=True)):
        expected = old.contribution * factor if i == index else old.contribution
        assert new.contribution == pytest.approx(expected, rel=1e-12)


@settings(deadline=None, max_examples=8)
@given(linear_budgets(kinds=st.just("normal")), st.integers(min_value=0, max_value=2**32))
def test_monte_carlo_agrees_with_gum_for_linear_gaussian_models(budget, seed):
    inputs, cs = budget
    model = _text(cs)
    gum = evaluate_budget(inputs, model, coverage_probability=0.95)
    trials = 200_000
    monte_carlo = run_monte_carlo(inputs, model, coverage_probability=0.95, trials=trials, seed=seed, gum=gum)
    u = gum.standard_uncertainty
    # Tolerances of about five standard errors of each statistic at 2·10^5 trials.
    assert monte_carlo.value == pytest.approx(gum.value, abs=5 * u / math.sqrt(trials))
    assert monte_carlo.standard_uncertainty == pytest.approx(u, rel=0.01)
    assert monte_carlo.interval[0] == pytest.approx(gum.value - gum.expanded_uncertainty, abs=0.03 * u)
    assert monte_carlo.interval[1] == pytest.approx(gum.value + gum.expanded_uncertainty, abs=0.03 * u)


@settings(deadline=None, max_examples=30)
@given(st.integers(min_value=1, max_value=200), uncertainties, coefficients)
def test_welch_satterthwaite_of_one_finite_dof_input_is_its_own_dof(dof, u, c):
    inputs = [InputQuantity.normal("a", 1.0, u, dof=dof), InputQuantity.normal("b", 2.0, 0.0)]
    result = evaluate_budget(inputs, f"({c!r})*a + b")
    assert result.dof_effective == pytest.approx(dof, rel=1e-12)


def test_the_same_seed_gives_the_same_monte_carlo_numbers_and_another_seed_does_not():
    inputs = [InputQuantity.normal("a", 1.0, 0.1, dof=4), InputQuantity.arcsine("b", 2.0, 0.3)]
    first = run_monte_carlo(inputs, "a*b", trials=250_000, seed=11)
    again = run_monte_carlo(inputs, "a*b", trials=250_000, seed=11)
    other = run_monte_carlo(inputs, "a*b", trials=250_000, seed=12)
    assert first == again
    assert first.interval != other.interval
