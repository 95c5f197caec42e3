"""The first-order law with a zero sensitivity, and inputs with fewer than one degree of freedom (calc.md).

Worked case (by hand): y = x1·x2 at x1 = x2 = 0 with u(x1) = 0.1 and u(x2) = 0.2, both normal. The sensitivities
c1 = ∂y/∂x1 = x2 = 0 and c2 = x1 = 0, so the first-order law gives u_c = 0 and U "0" — although y varies. The
second-order term of GUM 5.1.2 note, Σ ½(∂²f/∂x1∂x2)² u1²u2² counted for (1, 2) and (2, 1), gives
u² = u1²·u2², u = 0.1 × 0.2 = 0.020, which is also the exact standard deviation of the product of two independent
zero-mean normals. The product's density is K0(|z|/(u1 u2))/(π u1 u2), whose 95.45 % symmetric interval is
± 2.2633 × 0.020 = ± 0.04527: Monte Carlo reports U = 0.045.
"""

import json

import pytest

from instruments.errors import InputError
from instruments.uncertainty import InputQuantity, evaluate_budget
from instruments.uncertainty.contract import calculate

PRODUCT = {
    "model": "x1*x2",
    "inputs": [
        {"name": "x1", "value": 0, "standard_uncertainty": 0.1},
        {"name": "x2", "value": 0, "standard_uncertainty": 0.2},
    ],
}


def test_a_zero_sensitivity_with_a_non_zero_uncertainty_is_warned_naming_the_input():
    result = calculate(json.loads(json.dumps(PRODUCT)))
    assert result["standard_uncertainty"] == 0.0
    assert [warning["field"] for warning in result["warnings"]] == ["inputs[0]", "inputs[1]"]
    assert "'x1'" in result["warnings"][0]["message"] and "GUM 5.1.2" in result["warnings"][0]["message"]
    assert result["reported"]["expanded_uncertainty"] == "0"  # first order: no Monte Carlo was asked


def test_with_monte_carlo_asked_the_reported_result_comes_from_it():
    document = {**json.loads(json.dumps(PRODUCT)), "monte_carlo": {"trials": 1_000_000, "seed": 3}}
    result = calculate(document)
    monte_carlo = result["monte_carlo"]
    assert monte_carlo["standard_uncertainty"] == pytest.approx(0.020, rel=0.01)
    low, high = monte_carlo["interval"]
    assert high == pytest.approx(0.04527, abs=0.0005) and low == pytest.approx(-0.04527, abs=0.0005)
    assert result["reported"]["source"] == "monte_carlo"
    assert result["reported"]["expanded_uncertainty"] == "0.045"
    assert result["reported"]["value"] == "0.000"


def test_no_warning_where_the_sensitivity_is_not_zero_or_the_uncertainty_is():
    # y = x1·x2 at x1 = 2, x2 = 0 with u(x1) = 0: c1 = 0 but x1 is exact, so nothing is lost; c2 = 2.
    budget = evaluate_budget([InputQuantity.normal("x1", 2.0, 0.0), InputQuantity.normal("x2", 0.0, 0.2)], "x1*x2")
    assert budget.warnings == ()
    assert budget.standard_uncertainty == pytest.approx(0.4)


def test_a_linear_budget_given_by_sensitivities_never_warns():
    # Σ c_i x_i is exact to first order: a zero coefficient means the input does not matter at all.
    budget = evaluate_budget(
        [InputQuantity.normal("a", 1.0, 0.1), InputQuantity.normal("b", 1.0, 0.1)], sensitivities={"a": 1.0, "b": 0.0}
    )
    assert budget.warnings == ()


@pytest.mark.parametrize("dof", [0.5, 0.999])
def test_an_input_with_fewer_than_one_degree_of_freedom_is_refused_not_clamped(dof):
    document = {"inputs": [{"name": "a", "value": 1, "standard_uncertainty": 0.1, "dof": dof}]}
    with pytest.raises(InputError) as caught:
        calculate(document)
    assert caught.value.field == "inputs[0].dof"
    with pytest.raises(InputError) as caught:
        evaluate_budget([InputQuantity.normal("a", 1.0, 0.1, dof=dof)])
    assert caught.value.field == "inputs[0].dof"


def test_one_degree_of_freedom_is_accepted():
    # ν = 1: k = t_{0.97725}(1) = 13.97 (GUM G.2; the review's n = 2 case).
    result = calculate({"inputs": [{"name": "a", "value": 1, "standard_uncertainty": 0.1, "dof": 1}]})
    assert result["coverage_factor"] == pytest.approx(13.97, abs=0.005)
