"""Verification of a class III scale (R 76-1) on a case worked by hand.

The scale: class III, Max 15 kg, Min 0.1 kg, e = d = 5 g (0.005 kg), loads in kg. MPE on verification: 0.5 e =
0.0025 kg up to 500 e = 2.5 kg; 1 e = 0.005 kg up to 2000 e = 10 kg; 1.5 e = 0.0075 kg up to Max.
Every error below is E = I + ½e − ΔL − L with ½e = 0.0025 kg, then E_c = E − E0.
"""

import copy

import pytest

from instruments.errors import InputError
from instruments.procedures.base import Stage
from instruments.procedures.scale_verification import ScaleVerificationR76

CASE = {
    "scale": {"accuracy_class": "III", "max": 15, "min": 0.1, "e": 0.005, "unit": "kg"},
    # E0 = 0 + 0.0025 − 0.002 − 0 = 0.0005 kg
    "zero": {"indication": 0, "additional_load": 0.002},
    "weighing": [
        # L     I       ΔL     E        E_c     MPE
        # 0.1   0.1     0.002  0.0005   0.0     0.0025
        # 2.5   2.5     0.001  0.0015   0.001   0.0025 (500 e, inclusive)
        # 10    10.005  0.004  0.0035   0.003   0.005  (2000 e, inclusive)
        # 15    15.005  0.001  0.0065   0.006   0.0075
        # 10 ↓  10.005  0.003  0.0045   0.004   0.005
        {"load": 0.1, "indication": 0.1, "additional_load": 0.002},
        {"load": 2.5, "indication": 2.5, "additional_load": 0.001},
        {"load": 10, "indication": 10.005, "additional_load": 0.004},
        {"load": 15, "indication": 15.005, "additional_load": 0.001},
        {"load": 10, "indication": 10.005, "additional_load": 0.003, "direction": "decreasing"},
    ],
    "eccentricity": {
        # 5 kg = 1000 e: MPE 0.005 kg. E_c: 0, 0.003, 0.001, −0.004, −0.001.
        "load": 5,
        "positions": [
            {"indication": 5.000, "additional_load": 0.002},
            {"indication": 5.005, "additional_load": 0.004},
            {"indication": 5.000, "additional_load": 0.001},
            {"indication": 4.995, "additional_load": 0.001},
            {"indication": 5.000, "additional_load": 0.003},
        ],
    },
    "repeatability": {
        # E: 0.0035, 0.0055, 0.0015 -> largest difference 0.004 ≤ MPE at 10 kg = 0.005
        "load": 10,
        "loadings": [
            {"indication": 10.005, "additional_load": 0.004},
            {"indication": 10.005, "additional_load": 0.002},
            {"indication": 10.000, "additional_load": 0.001},
        ],
    },
    "standard_weights": {"class": "M1"},
}


def run(document=None, stage=Stage.AS_FOUND):
    return ScaleVerificationR76().calculate(document or CASE, stage)


def changed(**changes):
    document = copy.deepcopy(CASE)
    document.update(changes)
    return document


def test_weighing_test_errors_are_corrected_for_zero():
    values = run().values
    assert values["zero_error"] == pytest.approx(0.0005)
    rows = values["weighing"]["rows"]
    assert [row["error"] for row in rows] == pytest.approx([0.0, 0.001, 0.003, 0.006, 0.004], abs=1e-12)
    assert [row["mpe"] for row in rows] == pytest.approx([0.0025, 0.0025, 0.005, 0.0075, 0.005])
    assert all(row["passed"] for row in rows)


def test_eccentricity_and_repeatability():
    values = run().values
    assert [row["error"] for row in values["eccentricity"]["rows"]] == pytest.approx(
        [0.0, 0.003, 0.001, -0.004, -0.001], abs=1e-12
    )
    assert values["repeatability"]["spread"] == pytest.approx(0.004)
    assert values["repeatability"]["mpe"] == pytest.approx(0.005)


def test_the_scale_passes_every_test_and_overall():
    result = run()
    assert result.values["tests"] == {"weighing": True, "eccentricity": True, "repeatability": True}
    assert result.passed is True
    assert result.rule.code == "ILAC-G8:simple"
    assert result.values["missing_loads"] == []


def test_an_error_beyond_the_mpe_fails_on_verification_but_not_in_service():
    # 15 kg, I = 15.010, ΔL = 0.001: E = 0.0115, E_c = 0.011 > 0.0075 (verification) but ≤ 0.015 (in service).
    document = copy.deepcopy(CASE)
    document["weighing"][3] = {"load": 15, "indication": 15.010, "additional_load": 0.001}
    failed = run(document)
    assert failed.values["tests"]["weighing"] is False
    assert failed.passed is False
    assert {row["verdict"] for row in failed.tables[0].rows} == {"Đạt", "Không đạt"}
    document["mpe_basis"] = "in_service"
    assert run(document).passed is True


def test_guarded_acceptance_narrows_the_limit():
    # U = 0.002 kg, w = U: at 15 kg the limit is 0.0075 − 0.002 = 0.0055 < E_c = 0.006.
    result = run(changed(decision_rule="guarded", expanded_uncertainty=0.002))
    assert result.values["weighing"]["rows"][3]["passed"] is False
    assert result.rule.guard_factor == 1.0


def test_repeatability_spread_beyond_the_mpe_fails():
    # E: 0.0035, 0.0095, 0.0015 -> spread 0.008 > 0.005.
    document = copy.deepcopy(CASE)
    document["repeatability"]["loadings"][1] = {"indication": 10.010, "additional_load": 0.003}
    assert run(document).values["repeatability"]["passed"] is False


def test_standard_weights_sufficient_at_every_load():
    # At 15 kg the MPE is 7.5 g, so the weights may err by 2.5 g: M1 (10 kg + 5 kg) 500 + 250 = 750 mg suffices,
    # M3 5000 + 2500 = 7500 mg does not.
    standards = run().values["standard_weights"]
    assert standards["adequate"] is True
    at_max = next(entry for entry in standards["by_load"] if entry["load"] == 15)
    assert "M1" in at_max["sufficient_classes"] and "M3" not in at_max["sufficient_classes"]
    assert run(changed(standard_weights={"class": "M3"})).values["standard_weights"]["adequate"] is False


def test_missing_required_loads_are_reported():
    document = copy.deepcopy(CASE)
    document["weighing"] = document["weighing"][2:]  # no Min, no 2.5 kg change point
    assert run(document).values["missing_loads"] == [0.1, 2.5]


def test_both_stages_of_one_job_are_kept():
    before = copy.deepcopy(CASE)
    before["weighing"][3] = {"load": 15, "indication": 15.010, "additional_load": 0.001}
    results = ScaleVerificationR76().run_stages({"as_found": before, "as_left": CASE})
    assert results[Stage.AS_FOUND].passed is False
    assert results[Stage.AS_LEFT].passed is True
    assert results[Stage.AS_LEFT].as_dict()["stage"] == "as_left"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["weighing"][1].update(load=15.5), "weighing[1].load"),
        (lambda d: d["weighing"][0].pop("indication"), "weighing[0].indication"),
        (lambda d: d["eccentricity"]["positions"].pop(), "eccentricity.positions"),
        (lambda d: d["repeatability"]["loadings"].pop(), "repeatability.loadings"),
        (lambda d: d["scale"].update(accuracy_class="V"), "scale.accuracy_class"),
        (lambda d: d["scale"].pop("unit"), "scale.unit"),
        (lambda d: d["scale"].update(d=0.001), "zero.additional_load"),  # change points need d = e
        (lambda d: d["scale"].update(max=150), "scale.max"),  # 30 000 e is beyond class III
        (lambda d: d.update(mpe_basis="later"), "mpe_basis"),
    ],
)
def test_bad_input_names_the_field(mutate, field):
    document = copy.deepcopy(CASE)
    mutate(document)
    with pytest.raises(InputError) as caught:
        run(document)
    assert caught.value.field == field


def test_certificate_tables_carry_the_scale_unit_and_bilingual_verdicts():
    weighing = run().tables[0]
    assert {column.key: column.unit for column in weighing.columns}["error"] == "kg"
    assert weighing.columns[0].heading_vi == "Tải trọng L"
    assert weighing.rows[0]["verdict"] == "Đạt"


def test_an_error_equal_to_the_mpe_passes_and_is_reported_exactly():
    # Class IIII spring scale, e = 0.1 kg: at 20 kg (200 e) the MPE is 1 e = 0.1 kg. Read without ΔL, 20.1 at 20 kg is
    # an error of exactly 0.1 — in binary floating point 20.1 − 20 is 0.10000000000000142, which failed the limit.
    document = {
        "scale": {"accuracy_class": "IIII", "max": 30, "min": 1, "e": 0.1, "unit": "kg"},
        "weighing": [
            {"load": 1, "indication": 1.0},
            {"load": 5, "indication": 5.1},  # 50 e: MPE 0.5 e = 0.05 -> 0.1 fails
            {"load": 20, "indication": 20.1},
            {"load": 30, "indication": 30.15},  # 300 e: MPE 1.5 e = 0.15, equal again
        ],
        "eccentricity": {"load": 10, "positions": [{"indication": v} for v in (10.0, 10.1, 10.0, 9.9, 10.0)]},
        "repeatability": {"load": 20, "loadings": [{"indication": v} for v in (20.0, 20.1, 20.0)]},
        "standard_weights": {"class": "M2"},
    }
    rows = run(document).values["weighing"]["rows"]
    assert [row["error"] for row in rows] == [0.0, 0.1, 0.1, 0.15]  # exact, as typed
    assert [row["passed"] for row in rows] == [True, False, True, True]


def test_the_certificate_tables_print_words_not_the_codes_of_the_values():
    result = run()
    weighing, _, _, summary = result.tables
    assert [row["direction"] for row in weighing.rows] == ["↑ tăng"] * 4 + ["↓ giảm"]
    assert [row["test"] for row in summary.rows] == [
        "Khả năng cân / Weighing",
        "Độ lệch tâm / Eccentricity",
        "Độ lặp lại / Repeatability",
    ]
    assert result.values["weighing"]["rows"][4]["direction"] == "decreasing"  # the values keep their codes
    assert all("_" not in column.heading_vi for table in result.tables for column in table.columns)
