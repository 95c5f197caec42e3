"""Calibration of a scale (EURAMET cg-18) on a case worked by hand.

Scale: Max 10 kg, d = d0 = 1 g (0.001 kg), values in kg.
Repeatability at 5 kg: 4.999, 5.001, 5.000 -> s = √((0.001² + 0.001² + 0)/2) = 0.001 kg, ν = 2.
Eccentricity at 3 kg: 3.000 (centre), 3.001, 2.999, 3.002, 3.000 -> |ΔI|max = 0.002 kg.
Load point at 10 kg: reference of conventional mass 10 000.010 g, U = 30 mg (k = 2), drift D = 10 mg;
indication 10.002 kg, zero 0.
  E = 10.002 − 0 − 10.00001 = 0.00199 kg
  u(rounding at load) = u(rounding at zero) = 0.001/√12 = 2.886751e-4
  u(repeatability) = s = 0.001 (one reading), ν = 2
  u(eccentricity) = 0.002 × 10.002 / (2 × 3 × √3) = 1.924886e-3
  u(reference) = 30 mg / 2 = 1.5e-5; u(drift) = 10 mg/√3 = 5.7735e-6
  u(air buoyancy), the balance not adjusted just before (cg-18 7.1.2): 10 kg × 0.1 × 1.2 / (√3 × 8000)
    = 10 × 8.660254e-6 = 8.660254e-5 kg
  u² = 2 × 8.33333e-8 + 1e-6 + 3.705186e-6 + 2.25e-10 + 3.3333e-11 + 7.5e-9 = 4.879610e-6 -> u = 2.208984e-3 kg
  ν_eff = u⁴ / (0.001⁴/2) = 47.62 -> ν = 47; k = t(0.97725; 47) = 2.054608; U = 4.538597e-3 kg
"""

import copy
import math

import pytest

from instruments.errors import InputError
from instruments.procedures.scale_calibration import ScaleCalibrationCg18

CASE = {
    "scale": {"max": 10, "d": 0.001, "unit": "kg"},
    "repeatability": {"load": 5, "indications": [4.999, 5.001, 5.000]},
    "eccentricity": {"load": 3, "indications": [3.000, 3.001, 2.999, 3.002, 3.000]},
    "loads": [
        {
            "indication": 10.002,
            "reference": {
                "nominal": 10,
                "conventional_mass": "10000.010 g",
                "expanded_uncertainty": "30 mg",
                "coverage_factor": 2,
                "drift": "10 mg",
            },
        }
    ],
}


def run(document=None):
    return ScaleCalibrationCg18().calculate(document or CASE)


def test_error_of_indication_and_its_uncertainty():
    row = run().values["errors"][0]
    assert row["error"] == pytest.approx(0.00199, abs=1e-12)
    assert row["uncertainty"]["standard_uncertainty"] == pytest.approx(2.208984e-3, rel=1e-6)
    assert row["uncertainty"]["dof_effective"] == pytest.approx(47.6212, rel=1e-4)
    assert row["coverage_factor"] == pytest.approx(2.054608, rel=1e-6)
    assert row["expanded_uncertainty"] == pytest.approx(4.538597e-3, rel=1e-6)
    assert row["buoyancy_basis"] == "cg-18 7.1.2"
    budget = {item["name"]: item for item in row["budget"]}
    assert budget["eccentricity"]["standard_uncertainty"] == pytest.approx(1.924886e-3, rel=1e-6)
    assert budget["reference_mass"]["sensitivity"] == -1.0
    assert budget["zero_indication"]["standard_uncertainty"] == pytest.approx(0.001 / math.sqrt(12))


def test_repeatability_and_eccentricity_results():
    values = run().values
    assert values["repeatability"]["standard_deviation"] == pytest.approx(0.001)
    assert values["eccentricity"]["deviations"] == pytest.approx([0, 0.001, -0.001, 0.002, 0], abs=1e-12)
    assert values["eccentricity"]["largest_deviation"] == pytest.approx(0.002)


def test_weights_at_nominal_value_have_u_mpe_over_root_3_and_averaged_readings_s_over_root_n():
    # 2 kg of class M1: MPE 100 mg -> u = 100/√3 mg = 5.7735e-5 kg; I = 2.001 kg as a mean of 3 readings:
    # u(repeatability) = 0.001/√3.
    document = copy.deepcopy(CASE)
    document["loads"] = [{"indication": 2.001, "readings": 3, "reference": {"nominal": 2, "class": "M1"}}]
    row = run(document).values["errors"][0]
    budget = {item["name"]: item for item in row["budget"]}
    assert row["error"] == pytest.approx(0.001, abs=1e-12)
    assert budget["reference_mass"]["standard_uncertainty"] == pytest.approx(1e-4 / math.sqrt(3))
    assert budget["repeatability"]["standard_uncertainty"] == pytest.approx(0.001 / math.sqrt(3))


def test_tolerance_decision_simple_and_guarded():
    # Class III, e = 5 g: MPE at 10 kg (2000 e) = 1 e = 0.005 kg. E = 0.00199, U = 0.004535:
    # simple: |E| ≤ 0.005 passes; guarded (w = U): limit 0.005 − 0.004535 = 0.000465 < |E| fails.
    document = copy.deepcopy(CASE)
    document["tolerance"] = {"accuracy_class": "III", "e": 0.005}
    assert run(document).passed is True
    document["tolerance"]["decision_rule"] = "guarded"
    result = run(document)
    assert result.passed is False
    assert result.values["errors"][0]["acceptance_limit"] == pytest.approx(0.005 - 4.538597e-3, rel=1e-4)
    assert result.rule.code == "ILAC-G8:guarded-1U"


def test_without_tolerance_a_calibration_states_no_pass_or_fail():
    result = run()
    assert result.passed is None
    assert result.tables[0].rows[0]["verdict"] == ""


def test_proportional_error_curve():
    # Two points: (I = 10.002, E = 0.00199, u_1) and (I = 2.001, E = 0.001, u_2 from the budget).
    # Weighted least squares E = b·I: b = Σ(I E/u²) / Σ(I²/u²). The fitted value at I is b·I = Σ h_j E_j with
    # h_j = I·(I_j/u_j²) / Σ(I_k²/u_k²).
    document = copy.deepcopy(CASE)
    document["loads"].append({"indication": 2.001, "reference": {"nominal": 2, "class": "M1"}})
    document["error_curve"] = "proportional"
    values = run(document).values
    errors = [row["error"] for row in values["errors"]]
    u = [row["uncertainty"]["standard_uncertainty"] for row in values["errors"]]
    loads = [10.002, 2.001]
    denominator = sum(i * i / s**2 for i, s in zip(loads, u, strict=True))
    slope = sum(i * e / s**2 for i, e, s in zip(loads, errors, u, strict=True)) / denominator
    curve = values["error_curve"]
    assert curve["coefficients"] == pytest.approx([slope])
    assert curve["dof"] == 1
    at_max = next(point for point in curve["points"] if point["load"] == 10)
    assert at_max["value"] == pytest.approx(slope * 10)
    # The points share repeatability, eccentricity, zero and weights: the fit's u is not Σ h_j² u_j² (independent).
    h = [10 * i / s**2 / denominator for i, s in zip(loads, u, strict=True)]
    independent = math.sqrt(sum((hj * s) ** 2 for hj, s in zip(h, u, strict=True)))
    assert at_max["standard_uncertainty"] > independent


TWO_POINTS = {
    # d = d0 = 1 g; repeatability s = 0.001 kg (ν = 2); eccentricity all equal (0); weights with U = 0, no drift,
    # buoyancy typed 0: each error has only the rounding of its indication (own), the rounding at zero and the
    # repeatability (both shared by the points).
    "scale": {"max": 10, "d": 0.001, "unit": "kg"},
    "repeatability": {"load": 5, "indications": [4.999, 5.001, 5.000]},
    "eccentricity": {"load": 3, "indications": [3.0, 3.0, 3.0, 3.0, 3.0]},
    "loads": [
        {
            "indication": 2.0,
            "reference": {
                "nominal": 2,
                "conventional_mass": "2000 g",
                "expanded_uncertainty": "0 mg",
                "coverage_factor": 2,
                "buoyancy_uncertainty": "0 mg",
            },
        },
        {
            "indication": 6.0,
            "reference": {
                "nominal": 6,
                "conventional_mass": "5998 g",
                "expanded_uncertainty": "0 mg",
                "coverage_factor": 2,
                "buoyancy_uncertainty": "0 mg",
            },
        },
    ],
    "error_curve": "linear",
}


def test_the_error_curve_keeps_the_correlation_of_its_points():
    """A line through two points, read half-way (I = 4 kg): E_fit = ½E_1 + ½E_2 = ½·0 + ½·0.002 = 0.001 kg.

    u(E_j)² = u_own² + u_zero² + s² = 8.33333e-8 + 8.33333e-8 + 1e-6 = 1.166667e-6 (u_own = u_zero = 0.001/√12).
    As independent points: u² = ¼(u_1² + u_2²) = 5.833333e-7, u = 7.637626e-4 kg — smaller than either point.
    Shared components add coherently: zero (½u_zero + ½u_zero)² = 8.33333e-8, repeatability s² = 1e-6; the own
    roundings ¼·2·8.33333e-8 = 4.16667e-8; u² = 1.125e-6, u = 1.060660e-3 kg.
    ν_eff = u⁴ / (s⁴/2) = (1.125e-6)² × 2 / 1e-12 = 2.53 -> ν = 2.
    """
    from instruments.procedures.scale_calibration_parts import ErrorResult, LoadPoint, ReferenceLoad, fit_error_curve

    values = run(copy.deepcopy(TWO_POINTS)).values
    assert [row["error"] for row in values["errors"]] == pytest.approx([0.0, 0.002], abs=1e-12)
    assert values["errors"][0]["uncertainty"]["standard_uncertainty"] == pytest.approx(math.sqrt(1.166667e-6))
    procedure = ScaleCalibrationCg18()
    results = procedure.error_results(copy.deepcopy(TWO_POINTS))
    assert all(isinstance(result, ErrorResult) for result in results)
    assert isinstance(results[0].point, LoadPoint) and isinstance(results[0].point.reference, ReferenceLoad)
    middle = fit_error_curve(results, "linear").evaluate(4.0)
    assert middle.value == pytest.approx(0.001, abs=1e-12)
    assert middle.standard_uncertainty == pytest.approx(1.060660e-3, rel=1e-6)
    assert middle.dof_effective == pytest.approx(2.53125, rel=1e-6)
    at_first = fit_error_curve(results, "linear").evaluate(2.0)
    assert at_first.standard_uncertainty == pytest.approx(math.sqrt(1.166667e-6), rel=1e-6)


def test_the_buoyancy_of_the_weights_is_never_silently_zero():
    """200 g on a balance in g, not adjusted just before: u = 200 g × 0.1 × 1.2/(√3 × 8000) = 1.732 mg (cg-18 7.1.2).

    Adjusted just before, the lab must type the term (from the weights' and the air's density): nothing is assumed.
    """
    document = {
        "scale": {"max": 220, "d": 0.0001, "unit": "g"},
        "repeatability": {"load": 100, "indications": [100.0, 100.0001, 99.9999]},
        "eccentricity": {"load": 70, "indications": [70.0, 70.0, 70.0001, 70.0, 69.9999]},
        "loads": [{"indication": 200.0002, "reference": {"nominal": 200, "class": "E2"}}],
    }
    row = run(copy.deepcopy(document)).values["errors"][0]
    budget = {item["name"]: item for item in row["budget"]}
    assert budget["air_buoyancy"]["standard_uncertainty"] == pytest.approx(1.7320508e-3, rel=1e-7)
    document["balance_adjusted"] = True
    with pytest.raises(InputError) as caught:
        run(copy.deepcopy(document))
    assert caught.value.field == "loads[0].reference.buoyancy_uncertainty"
    document["loads"][0]["reference"]["buoyancy_uncertainty"] = "0.2 mg"
    budget = {item["name"]: item for item in run(document).values["errors"][0]["budget"]}
    assert budget["air_buoyancy"]["standard_uncertainty"] == pytest.approx(0.0002)


def test_the_convection_term_is_a_rectangular_component():
    """A convection effect of at most 3 mg on the 10 kg load: u = 3 mg/√3 = 1.732 mg = 1.732e-6 kg."""
    document = copy.deepcopy(CASE)
    document["loads"][0]["reference"]["convection"] = "3 mg"
    budget = {item["name"]: item for item in run(document).values["errors"][0]["budget"]}
    assert budget["convection"]["standard_uncertainty"] == pytest.approx(3e-6 / math.sqrt(3), rel=1e-9)
    assert budget["convection"]["sensitivity"] == -1.0


def test_linear_error_curve_through_two_points_is_exact():
    document = copy.deepcopy(CASE)
    document["loads"].append({"indication": 2.001, "reference": {"nominal": 2, "class": "M1"}})
    document["error_curve"] = "linear"
    curve = run(document).values["error_curve"]
    # E = a + b·I through (2.001, 0.001) and (10.002, 0.00199): b = 0.00099/8.001, no residual.
    assert curve["coefficients"][1] == pytest.approx(0.00099 / 8.001, rel=1e-6)
    assert curve["chi_squared"] == pytest.approx(0.0, abs=1e-12)
    assert curve["consistent"] is None


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["loads"][0]["reference"].update(nominal=12), "loads[0].reference.nominal"),
        (
            lambda d: d["loads"][0]["reference"].update(expanded_uncertainty=30),
            "loads[0].reference.expanded_uncertainty",
        ),
        (lambda d: d["loads"][0].update(readings=0), "loads[0].readings"),
        (lambda d: d["loads"][0].update(reference={"nominal": 1, "class": "M1-2"}), "loads[0].reference.nominal"),
        (lambda d: d["loads"][0].update(reference={"nominal": 1}), "loads[0].reference.conventional_mass"),
        (lambda d: d["repeatability"].update(indications=[5.0]), "repeatability.indications"),
        (lambda d: d["eccentricity"].update(load=11), "eccentricity.load"),
        (lambda d: d["scale"].pop("unit"), "scale.unit"),
        (lambda d: d.update(error_curve="cubic"), "error_curve"),
        (lambda d: d["scale"].update(d0=0), "scale.d0"),
        (lambda d: d["loads"][0].update(indication=0) or d.update(error_curve="proportional"), "loads"),
        (lambda d: d["loads"].append(copy.deepcopy(d["loads"][0])) or d.update(error_curve="linear"), "loads"),
    ],
)
def test_bad_input_names_the_field(mutate, field):
    document = copy.deepcopy(CASE)
    mutate(document)
    with pytest.raises(InputError) as caught:
        run(document)
    assert caught.value.field == field
