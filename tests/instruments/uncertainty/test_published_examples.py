"""Published worked examples reproduced to their published digits."""

import math

import pytest

from instruments.uncertainty import InputQuantity, evaluate_budget, run_monte_carlo
from instruments.uncertainty.contract import calculate

END_GAUGE_MODEL = "l_s + d - l_s*(d_alpha*theta + alpha_s*d_theta)"


def end_gauge_inputs():
    # JCGM 100:2008 (GUM) H.1, Table H.1, in mm, °C and 1/°C. d combines the three comparator components with
    # u(d) = 9.7 nm and ν_eff(d) = 25.6 (H.1.3.2); the rectangular inputs are given by their half-widths (H.1.3.3-6).
    return [
        InputQuantity.normal("l_s", 50.000623, 25e-6, 18),
        InputQuantity.normal("d", 215e-6, 9.7e-6, 25.6),
        InputQuantity.rectangular("alpha_s", 11.5e-6, 2e-6),
        InputQuantity.normal("theta", -0.1, 0.41),
        InputQuantity.rectangular("d_alpha", 0.0, 1e-6, dof=50),
        InputQuantity.rectangular("d_theta", 0.0, 0.05, dof=2),
    ]


def test_gum_h1_end_gauge_reproduces_published_budget():
    budget = evaluate_budget(end_gauge_inputs(), END_GAUGE_MODEL, coverage_probability=0.99)
    rows = {row.name: row for row in budget.rows}
    # H.1.4: l = 50.000 838 mm; H.1.3: u_c(l) = 32 nm; H.1.6: ν_eff = 16 (16.7 before truncation), t_99(16) = 2.92.
    assert budget.value == pytest.approx(50.000838, abs=1e-12)
    assert round(budget.standard_uncertainty * 1e6) == 32
    assert math.floor(budget.dof_effective) == 16
    assert round(budget.coverage_factor, 2) == 2.92
    # H.1.6: U_99 = 2.92 × 32 nm = 93 nm; with the unrounded u_c = 31.7 nm it is 92.5 nm.
    assert budget.expanded_uncertainty * 1e6 == pytest.approx(92.5, abs=0.05)
    # Table H.1: sensitivities c(δα) = -l_s·θ = 5 mm·°C... and c(δθ) = -l_s·α_s = -575 nm/°C; contributions in nm.
    assert rows["d_theta"].sensitivity * 1e6 == pytest.approx(-575.0, rel=1e-4)
    assert round(rows["d_theta"].contribution * 1e6, 1) == 16.6
    assert round(rows["d_alpha"].contribution * 1e6, 1) == 2.9
    assert rows["theta"].sensitivity == 0.0 and rows["alpha_s"].sensitivity == 0.0


def test_ea_4_02_s2_ten_kilogram_weight():
    # EA-4/02 M:2022 Example S2, in g: m_X = m_S + δm_D + δm + δm_C + δB. U(m_S) = 45 mg (k = 2); drift ±15 mg
    # rectangular; δm = 0.020 g from three readings with a pooled s = 25 mg (u = 14.4 mg); δm_C and δB ±10 mg.
    inputs = [
        InputQuantity.from_expanded("m_S", 10000.005, 0.045, 2),
        InputQuantity.rectangular("dm_D", 0.0, 0.015),
        InputQuantity.normal("dm", 0.020, 0.025 / math.sqrt(3)),
        InputQuantity.rectangular("dm_C", 0.0, 0.010),
        InputQuantity.rectangular("dB", 0.0, 0.010),
    ]
    budget = evaluate_budget(inputs, "m_S + dm_D + dm + dm_C + dB")
    assert budget.value == pytest.approx(10000.025, abs=1e-9)
    assert round(budget.standard_uncertainty * 1000, 1) == 29.3
    # Published U = 59 mg (k = 2); with the exact divisors U = 58.5 mg, which still reports as 0.059 g.
    assert budget.expanded_uncertainty * 1000 == pytest.approx(58.5, abs=0.05)
    assert budget.reported.expanded_uncertainty == "0.059"
    assert budget.reported.value == "10000.025"


def test_contract_example_of_calc_spec_gives_its_printed_figures():
    # shared/spec/calc.md, "Output for the example above".
    document = {
        "measurand": {"name": "l", "unit": "mm"},
        "model": END_GAUGE_MODEL,
        "inputs": [
            {"name": "l_s", "value": 50.000623, "standard_uncertainty": 25e-6, "dof": 18},
            {"name": "d", "readings": [0.000215, 0.000221, 0.000209]},
            {"name": "alpha_s", "value": 11.5e-6, "distribution": "rectangular", "half_width": 2e-6},
            {
                "name": "theta",
                "value": -0.1,
                "distribution": "normal",
                "expanded_uncertainty": 0.82,
                "coverage_factor": 2,
            },
            {"name": "d_alpha", "value": 0, "distribution": "triangular", "half_width": 1e-6},
            {"name": "d_theta", "value": 0, "distribution": "arcsine", "half_width": 0.05, "dof": 2},
        ],
        "correlations": [{"between": ["l_s", "theta"], "r": 0.0}],
        "coverage_probability": 0.9545,
    }
    result = calculate(document)
    assert result["measurand"] == {"name": "l", "unit": "mm"}
    assert f"{result['standard_uncertainty']:.4e}" == "3.2472e-05"
    assert round(result["dof_effective"], 3) == 10.374
    assert round(result["coverage_factor"], 4) == 2.2837
    assert f"{result['expanded_uncertainty']:.4e}" == "7.4157e-05"
    assert result["reported"] == {"value": "50.000838", "expanded_uncertainty": "0.000074"}
    rows = {row["name"]: row for row in result["budget"]}
    assert round(rows["l_s"]["variance_share"], 3) == 0.593
    assert round(rows["d_theta"]["variance_share"], 3) == 0.392
    assert f"{rows['d_theta']['contribution']:.3e}" == "2.033e-05"
    assert rows["alpha_s"]["dof"] is None


def _additive(inputs):
    budget = evaluate_budget(inputs, "x1 + x2 + x3 + x4", coverage_probability=0.95)
    monte_carlo = run_monte_carlo(
        inputs, "x1 + x2 + x3 + x4", coverage_probability=0.95, trials=10**6, seed=2008, gum=budget
    )
    return budget, monte_carlo


# JCGM 101:2008 9.2, Y = X1 + X2 + X3 + X4, p = 95 %, M = 10^6: (GUM u, GUM interval end, MCM u, MCM interval end),
# from Tables 2 (9.2.2, Gaussian inputs u = 1), 3 (9.2.3, rectangular inputs u = 1) and 4 (9.2.4, X4 rectangular
# with u = 10). Monte Carlo figures are compared within their own noise: ±0.02 on the ends at 10^6 trials.
ADDITIVE_CASES = {
    "9.2.2 gaussian": ([InputQuantity.normal(f"x{i}", 0.0, 1.0) for i in range(1, 5)], 2.00, 3.92, 2.00, 3.92),
    "9.2.3 rectangular": (
        [InputQuantity.rectangular(f"x{i}", 0.0, math.sqrt(3)) for i in range(1, 5)],
        2.00,
        3.92,
        2.00,
        3.88,
    ),
    "9.2.4 one dominant rectangular": (
        [InputQuantity.normal(f"x{i}", 0.0, 1.0) for i in range(1, 4)]
        + [InputQuantity.rectangular("x4", 0.0, 10 * math.sqrt(3))],
        10.1,
        19.9,
        10.2,
        17.0,
    ),
}


@pytest.mark.parametrize("case", ADDITIVE_CASES, ids=list(ADDITIVE_CASES))
def test_jcgm_101_additive_model(case):
    inputs, gum_u, gum_end, mc_u, mc_end = ADDITIVE_CASES[case]
    budget, monte_carlo = _additive(inputs)
    digits = 2 if gum_u < 10 else 1
    assert round(budget.standard_uncertainty, digits) == gum_u
    assert round(budget.expanded_uncertainty, digits) == gum_end
    assert monte_carlo.value == pytest.approx(0.0, abs=0.03)
    assert monte_carlo.standard_uncertainty == pytest.approx(mc_u, abs=0.01 if digits == 2 else 0.05)
    low, high = monte_carlo.interval
    assert low == pytest.approx(-mc_end, abs=0.02 if digits == 2 else 0.1)
    assert high == pytest.approx(mc_end, abs=0.02 if digits == 2 else 0.1)


def test_jcgm_101_mass_calibration():
    # JCGM 101:2008 9.3, in mg and kg/m³: δm = (m_R,c + δm_R,c)[1 + (ρ_a − ρ_a0)(1/ρ_W − 1/ρ_R)] − m_nom with
    # m_nom = 100 g, ρ_a0 = 1.2 kg/m³; Gaussian m_R,c (u 0.050 mg) and δm_R,c = 1.234 mg (u 0.020 mg); rectangular
    # ρ_a in [1.10, 1.30], ρ_W in [7000, 9000], ρ_R in [7950, 8050].
    inputs = [
        InputQuantity.normal("m_Rc", 100000.0, 0.050),
        InputQuantity.normal("dm_Rc", 1.234, 0.020),
        InputQuantity.rectangular("rho_a", 1.20, 0.10),
        InputQuantity.rectangular("rho_W", 8000.0, 1000.0),
        InputQuantity.rectangular("rho_R", 8000.0, 50.0),
    ]
    model = "(m_Rc + dm_Rc)*(1 + (rho_a - 1.2)*(1/rho_W - 1/rho_R)) - 100000"
    budget = evaluate_budget(inputs, model, coverage_probability=0.95)
    monte_carlo = run_monte_carlo(inputs, model, coverage_probability=0.95, trials=10**6, seed=2008, gum=budget)
    # Table 5, GUF (first order): 1.2340 mg, u = 0.0539 mg, [1.1285, 1.3395] mg.
    assert round(budget.value, 4) == 1.2340
    assert round(budget.standard_uncertainty, 4) == 0.0539
    assert round(budget.value - budget.expanded_uncertainty, 4) == 1.1285
    assert round(budget.value + budget.expanded_uncertainty, 4) == 1.3395
    # Table 5, MCM: 1.2341 mg, u = 0.0754 mg, [1.0834, 1.3825] mg, within the noise of 10^6 trials; the first-order
    # GUM result fails the clause 8 check (d_low = 0.0451 mg, d_high = 0.0430 mg).
    assert monte_carlo.value == pytest.approx(1.2341, abs=2e-4)
    assert monte_carlo.standard_uncertainty == pytest.approx(0.0754, abs=3e-4)
    assert monte_carlo.interval[0] == pytest.approx(1.0834, abs=1.5e-3)
    assert monte_carlo.interval[1] == pytest.approx(1.3825, abs=1.5e-3)
    assert monte_carlo.d_low == pytest.approx(0.0451, abs=1.5e-3)
    assert monte_carlo.d_high == pytest.approx(0.0430, abs=1.5e-3)
    assert monte_carlo.agrees_with_gum is False
