"""Calibration of a weight by comparison (R 111-1 Annex C), `calc weight`, on cases worked by hand."""

import copy
import math

import pytest
from scipy import stats

from instruments import oiml_r111
from instruments.errors import InputError
from instruments.procedures import weight_comparison as wc

# Case A, worked by hand. ρa = ρ0 = 1.2 kg/m³ exactly, so the buoyancy correction and u_b are 0.
#   ABBA cycles (mg): ΔI = (I_t1 − I_r1 − I_r2 + I_t2)/2
#     [0, 5, 5, 0]   -> (5 − 0 − 0 + 5)/2 = 5.0
#     [1, 7, 6, 1]   -> (7 − 1 − 1 + 6)/2 = 5.5
#     [0, 4.5, 4.5, 0] -> 4.5
#   mean ΔI = 5.0 mg; s = √((0² + 0.5² + 0.5²)/2) = 0.5 mg; u_w = 0.5/√3 = 0.288675 mg, ν = 2
#   m_ct = 1 000 002 mg + 5.0 mg = 1 000 007 mg; correction +7 mg
#   u(m_cr) = U/k = 2/2 = 1 mg (no instability)
#   u_d = (0.1/(2√3))·√2 = 0.040825 mg; u_E = 0.2 mg
#   u_c² = 0.083333 + 1 + 0.0016667 + 0.04 = 1.125 mg²; u_c = 1.0606602 mg
#   ν_eff = 1.125² / (0.083333²/2) = 364.5 -> ν = 364; k = t(0.97725; 364) = 2.0068938
#   U = 2.0068938 × 1.0606602 = 2.1286323 mg
#   F2 1 kg: δm = 16 mg; U ≤ 16/3 = 5.33 (ok); |7| ≤ 16 − 2.13 (conforms)
CASE_A = {
    "weight": {"nominal": "1 kg", "class": "F2", "density": 8000, "density_uncertainty": 0},
    "reference": {
        "conventional_mass": "1000.002 g",
        "expanded_uncertainty": "2 mg",
        "coverage_factor": 2,
        "density": 8000,
    },
    "air": {"density": 1.2, "density_uncertainty": 0},
    "cycle": "ABBA",
    "readings": [[0, 5, 5, 0], [1, 7, 6, 1], [0, 4.5, 4.5, 0]],
    "reading_unit": "mg",
    "balance": {"resolution": "0.1 mg", "eccentricity_uncertainty": "0.2 mg"},
}


# The input shown in shared/spec/weight-calibration.md (its "Input" section); other tests reuse it.
SPEC_EXAMPLE = {
    "weight": {"nominal": "10 kg", "class": "M1", "density": 7950, "density_uncertainty": 70},
    "reference": {
        "conventional_mass": "10000.005 g",
        "expanded_uncertainty": "45 mg",
        "coverage_factor": 2,
        "density": 8000,
        "density_uncertainty": 30,
        "instability": "15 mg",
        "air_density_at_calibration": 1.2,
    },
    "air": {
        "temperature": 20.5,
        "pressure": 1012.3,
        "humidity": 55,
        "temperature_uncertainty": 0.1,
        "pressure_uncertainty": 0.5,
        "humidity_uncertainty": 3,
    },
    "cycle": "ABBA",
    "readings": [[0.0, 21.0, 20.0, 1.0], [0.5, 22.0, 21.0, 0.5], [0.0, 20.5, 21.5, 1.0]],
    "reading_unit": "mg",
    "balance": {
        "resolution": "1 mg",
        "sensitivity_uncertainty": "0 mg",
        "eccentricity_uncertainty": "2 mg",
        "magnetism_uncertainty": "0 mg",
    },
}


def case(**changes):
    document = copy.deepcopy(CASE_A)
    document.update(changes)
    return document


def test_case_a_conventional_mass_and_correction():
    result = wc.calculate_contract(case())
    assert result["conventional_mass"] == {"value": pytest.approx(1000007.0, abs=1e-9), "unit": "mg"}
    assert result["correction"]["value"] == pytest.approx(7.0, abs=1e-9)
    assert result["mean_difference"]["value"] == pytest.approx(5.0)


def test_case_a_uncertainty_budget():
    result = wc.calculate_contract(case())
    assert result["standard_uncertainty"]["value"] == pytest.approx(1.0606602, rel=1e-7)
    assert result["dof_effective"] == pytest.approx(364.5, rel=1e-9)
    assert result["coverage_factor"] == pytest.approx(stats.t.ppf(0.97725, 364), rel=1e-6)
    assert result["coverage_factor"] == pytest.approx(2.0068938, rel=1e-6)
    assert result["expanded_uncertainty"]["value"] == pytest.approx(2.1286323, rel=1e-6)
    rows = {row["name"]: row for row in result["budget"]}
    assert rows["weighing_process"]["standard_uncertainty"] == pytest.approx(0.5 / math.sqrt(3))
    assert rows["weighing_process"]["dof"] == 2
    assert rows["reference"]["standard_uncertainty"] == pytest.approx(1.0)
    assert rows["balance_display"]["standard_uncertainty"] == pytest.approx(0.1 / (2 * math.sqrt(3)) * math.sqrt(2))
    assert rows["air_buoyancy"]["standard_uncertainty"] == 0.0


def test_case_a_decision_and_reported_strings():
    result = wc.calculate_contract(case())
    assert result["mpe"] == {"value": 16.0, "unit": "mg"}
    assert result["uncertainty_ok"] is True
    assert result["conforms"] is True
    # U = 2.1286 mg -> "2.1"; the value to the same place.
    assert result["reported"]["expanded_uncertainty"] == "2.1"
    assert result["reported"]["value"] == "1000007.0"
    assert result["reported"]["correction"] == "7.0"


def test_output_unit_converts_every_mass():
    result = wc.calculate_contract(case(output_unit="g"))
    assert result["conventional_mass"] == {"value": pytest.approx(1000.007, abs=1e-12), "unit": "g"}
    assert result["mpe"]["value"] == pytest.approx(0.016)
    assert result["reported"]["expanded_uncertainty"] == "0.0021"


def test_a_correction_beyond_mpe_minus_u_does_not_conform():
    # Reference 1000.012 g: correction 17 mg > 16 − 2.13.
    document = case()
    document["reference"]["conventional_mass"] = "1000.012 g"
    result = wc.calculate_contract(document)
    assert result["correction"]["value"] == pytest.approx(17.0)
    assert result["conforms"] is False


def test_buoyancy_uncertainty_follows_c63():
    # m_cr = 500 000 mg, ρa = 1.1 ± 0.01, ρt = 7800 ± 50, ρr = 8000 ± 20, ρa1 = 1.2:
    #   [m(ρr − ρt)/(ρr ρt)]² u²(ρa) = (500 000·200/62.4e6)² · 1e-4 = 1.602564² · 1e-4 = 2.568212e-4
    #   m²(ρa − ρ0)² u²(ρt)/ρt⁴      = 2.5e11 · 0.01 · 2500 / 7800⁴       = 1.688502e-3
    #   m²(ρa − ρ0)[(ρa − ρ0) − 2(ρa1 − ρ0)] u²(ρr)/ρr⁴ = 2.5e11 · 0.01 · 400 / 8000⁴ = 2.441406e-4
    #   u_b = √(2.189465e-3) = 0.0467917 mg
    air = oiml_r111.AirDensity(1.1, 0.01)
    test = wc.WeightUnderTest(500000, "500 g", "F1", 7800, 50)
    reference = wc.ReferenceWeight(500000, 1, 2, 8000, 20)
    assert wc.buoyancy_uncertainty_mg(500000, air, test, reference) == pytest.approx(0.0467917, rel=1e-5)


def test_buoyancy_correction_enters_the_conventional_mass():
    # Same densities as above with a 500 g F1 weight: m_cr·C = 500 000 × (−3.2051282e-7) = −0.1602564 mg.
    document = case(
        weight={"nominal": "500 g", "class": "F1", "density": 7800, "density_uncertainty": 50},
        air={"density": 1.1, "density_uncertainty": 0.01},
        readings=[[0, 5, 5, 0], [0, 5, 5, 0]],
    )
    document["reference"].update(conventional_mass="500 g", density=8000, density_uncertainty=20)
    result = wc.calculate_contract(document)
    assert result["buoyancy_correction"]["value"] == pytest.approx(-0.1602564, rel=1e-6)
    assert result["conventional_mass"]["value"] == pytest.approx(500000 + 5 - 0.1602564, abs=1e-6)
    rows = {row["name"]: row for row in result["budget"]}
    assert rows["air_buoyancy"]["standard_uncertainty"] == pytest.approx(0.0467917, rel=1e-5)


def test_aba_cycle_difference():
    # ABA: ΔI = I_t − (I_r1 + I_r2)/2: [0, 5, 1] -> 4.5; [1, 6, 1] -> 5.0 -> mean 4.75.
    document = case(cycle="ABA", readings=[[0, 5, 1], [1, 6, 1]])
    assert wc.calculate_contract(document)["mean_difference"]["value"] == pytest.approx(4.75)


def test_ab1_bna_gives_one_result_per_weight():
    # [0, 3, −2, 1]: ΔI_1 = 3 − 0.5 = 2.5, ΔI_2 = −2 − 0.5 = −2.5; second cycle [1, 4, −1, 1]: 3, −2.
    weights = [CASE_A["weight"], {"nominal": "1 kg", "class": "M1", "density": 8000}]
    document = case(cycle="AB1...BnA", weights=weights, readings=[[0, 3, -2, 1], [1, 4, -1, 1]])
    del document["weight"]
    result = wc.calculate_contract(document)
    assert [w["mean_difference"]["value"] for w in result["weights"]] == pytest.approx([2.75, -2.25])
    assert [w["class"] for w in result["weights"]] == ["F2", "M1"]


def test_pooled_standard_deviation_allows_one_cycle():
    # u_w = s_p/√n = 0.6/√1 with the pooled dof 20.
    document = case(readings=[[0, 5, 5, 0]], weighing_process={"pooled_standard_deviation": "0.6 mg", "dof": 20})
    rows = {row["name"]: row for row in wc.calculate_contract(document)["budget"]}
    assert rows["weighing_process"]["standard_uncertainty"] == pytest.approx(0.6)
    assert rows["weighing_process"]["dof"] == 20


def test_unknown_density_takes_its_uncertainty_from_table_5():
    # F1 1 kg: Table 5 limits 7390..8730 kg/m³ -> a = 670, u = 670/√3 = 386.82 kg/m³. With ρa = ρ0 the
    # density uncertainty has no effect, so look at the parsed weight.
    document = case(weight={"nominal": "1 kg", "class": "F1", "assumed_density": 7950})
    weight = wc.parse_input(document).weights[0]
    assert weight.density == 7950
    assert weight.density_uncertainty == pytest.approx(670 / math.sqrt(3))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"readings": [[0, 5, 5, 0], [1, 7, 6]]}, "readings[1]"),
        ({"readings": [[0, 5, 5, 0]]}, "readings"),  # one cycle, no pooled s
        ({"cycle": "BABA"}, "cycle"),
        ({"reading_unit": "lb"}, "reading_unit"),
        ({"weight": {"nominal": "1 kg", "class": "M4", "density": 8000}}, "weight.class"),
        ({"weight": {"nominal": "3 kg", "class": "M1", "density": 8000}}, "weight.nominal"),
        ({"weight": {"nominal": "1 kg", "class": "M1"}}, "weight.density"),
        ({"air": {"temperature": 20, "pressure": 1200, "humidity": 50}}, "air.pressure"),
        ({"balance": {"resolution": 0.1}}, "balance.resolution"),  # a mass without its unit
        ({"readings": [[0, 5, 5, float("nan")], [0, 5, 5, 0]]}, "readings[0][3]"),
    ],
)
def test_bad_input_names_the_field(change, field):
    with pytest.raises(InputError) as caught:
        wc.calculate_contract(case(**change))
    assert caught.value.field == field


def test_reference_uncertainty_without_unit_names_the_field():
    document = case()
    document["reference"]["expanded_uncertainty"] = 45
    with pytest.raises(InputError) as caught:
        wc.calculate_contract(document)
    assert caught.value.field == "reference.expanded_uncertainty"


def test_class_e1_needs_three_abba_cycles():
    document = case(weight={"nominal": "1 kg", "class": "E1", "density": 8000}, readings=CASE_A["readings"][:2])
    with pytest.raises(InputError) as caught:
        wc.calculate_contract(document)
    assert caught.value.field == "readings"


def test_procedure_result_keeps_the_stage_and_prints_a_table():
    procedure = wc.WeightComparisonR111()
    result = procedure.calculate(case(), wc.Stage.AS_LEFT)
    assert result.stage == wc.Stage.AS_LEFT
    assert result.passed is True
    table = result.tables[0]
    assert [column.key for column in table.columns][:3] == ["nominal", "class", "conventional_mass"]
    assert table.rows[0]["conventional_mass"] == "1000.0070"
    assert table.rows[0]["expanded_uncertainty"] == "2.1"


def test_the_example_document_of_weight_calibration_md():
    """The input shown in shared/spec/weight-calibration.md, worked by hand.

    Air (E.3): exp(0.061 × 20.5) = 3.4920886; N = 0.34848 × 1012.3 − 0.009 × 55 × 3.4920886 = 351.03772;
      ρa = N / 293.65 = 1.1954290 kg/m³.
      ∂ρa/∂p = 0.34848/293.65 = 1.1867189e-3; ∂ρa/∂hr = −0.009 × 3.4920886/293.65 = −1.0702808e-4;
      ∂ρa/∂t = −0.009 × 55 × 0.061 × 3.4920886/293.65 − N/293.65² = −4.4300105e-3;
      u(ρa) = √((2e-4 ρa)² + (1.1867e-3 × 0.5)² + (1.0703e-4 × 3)² + (4.4300e-3 × 0.1)²) = 8.417734e-4.
    Buoyancy: C = (1.1954290 − 1.2)(1/7950 − 1/8000) = −3.5935687e-9; m_cr·C = −0.0359357 mg.
      u_b² = 4.379420e-5 + 2.563033e-3 + 4.591019e-4 (the three C.6.3 terms) -> u_b = 0.0553708 mg.
    ΔI per ABBA cycle: 20, 21, 20.5 -> mean 20.5 mg, s = 0.5, u_w = 0.288675 mg (ν = 2).
    u(m_cr) = 45/2 = 22.5 mg; u_inst = 15/√3 = 8.660254 mg; u_d = (1/(2√3))·√2 = 0.408248 mg; u_E = 2 mg.
    u_c = √(0.083333 + 506.25 + 75 + 0.003066 + 0.166667 + 4) = 24.197171 mg; ν_eff ≈ 9.9e7 -> k = 2.0000025;
    U = 48.394401 mg. m_ct = 10 000 005 + 20.5 − 0.0359357 = 10 000 025.464064 mg.
    """
    document = copy.deepcopy(SPEC_EXAMPLE)
    result = wc.calculate_contract(document)
    assert result["air_density"]["value"] == pytest.approx(1.1954290, rel=1e-7)
    assert result["air_density"]["standard_uncertainty"] == pytest.approx(8.417734e-4, rel=1e-6)
    assert result["buoyancy_correction"]["value"] == pytest.approx(-0.0359357, rel=1e-5)
    rows = {row["name"]: row for row in result["budget"]}
    assert rows["air_buoyancy"]["standard_uncertainty"] == pytest.approx(0.0553708, rel=1e-5)
    assert rows["reference_instability"]["standard_uncertainty"] == pytest.approx(15 / math.sqrt(3))
    assert result["conventional_mass"]["value"] == pytest.approx(10000025.464064, abs=1e-5)
    assert result["standard_uncertainty"]["value"] == pytest.approx(24.197171, rel=1e-7)
    assert result["coverage_factor"] == pytest.approx(2.0000025, rel=1e-7)
    assert result["expanded_uncertainty"]["value"] == pytest.approx(48.394401, rel=1e-7)
    assert result["reported"] == {"value": "10000025", "expanded_uncertainty": "48", "correction": "25", "unit": "mg"}
    assert result["uncertainty_ok"] is True  # 48.4 ≤ 500/3
    assert result["conforms"] is True  # |25.46| ≤ 500 − 48.4
