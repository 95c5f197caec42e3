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
    assert result.missing == () and result.as_dict()["missing"] == []


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


def test_missing_required_loads_are_named_and_leave_the_verification_undecided():
    document = copy.deepcopy(CASE)
    document["weighing"] = document["weighing"][2:]  # no Min, no 2.5 kg change point
    result = run(document)
    assert result.values["missing_loads"] == [0.1, 2.5]
    assert [item.field for item in result.missing] == ["weighing", "weighing"]
    assert "0.1 kg (Min, 20 e)" in result.missing[0].message_en
    assert "2.5 kg (an MPE change point, 500 e)" in result.missing[1].message_en
    assert result.passed is None  # every test that was made passed, but a verification without them is not one


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
        (lambda d: d["scale"].update(d=0.001), "scale.d"),  # d < e only on class I and II (R 76-1 3.4.2)
        (lambda d: d["scale"].update(range_type="two"), "scale.range_type"),
        (
            lambda d: d.update(discrimination=[{"load": 16, "indication": 16, "indication_with_extra": 16}]),
            "discrimination[0].load",
        ),
        (lambda d: d.update(discrimination=[{"load": 5, "indication": 5}]), "discrimination[0].indication_with_extra"),
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
    # Class IIII spring scale, e = d = 0.1 kg: at 20 kg (200 e) the MPE is 1 e = 0.1 kg. With ΔL = ½e = 0.05 kg,
    # E = I + ½e − ΔL − L = I − L: 20.1 at 20 kg is an error of exactly 0.1 — in binary floating point 20.1 − 20 is
    # 0.10000000000000142, which failed the limit.
    half = {"additional_load": 0.05}
    document = {
        "scale": {"accuracy_class": "IIII", "max": 30, "min": 1, "e": 0.1, "unit": "kg"},
        "zero": {"indication": 0, **half},
        "weighing": [
            {"load": 1, "indication": 1.0, **half},
            {"load": 5, "indication": 5.1, **half},  # 50 e: MPE 0.5 e = 0.05 -> 0.1 fails
            {"load": 20, "indication": 20.1, **half},
            {"load": 30, "indication": 30.15, **half},  # 300 e: MPE 1.5 e = 0.15, equal again
        ],
        "eccentricity": {"load": 10, "positions": [{"indication": v, **half} for v in (10.0, 10.1, 10.0, 9.9, 10.0)]},
        "repeatability": {"load": 20, "loadings": [{"indication": v, **half} for v in (20.0, 20.1, 20.0)]},
        "standard_weights": {"class": "M2"},
    }
    result = run(document)
    rows = result.values["weighing"]["rows"]
    assert [row["error"] for row in rows] == [0.0, 0.1, 0.1, 0.15]  # exact, as typed
    assert [row["passed"] for row in rows] == [True, False, True, True]
    assert result.missing == () and result.passed is False


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


PLATFORM_60 = {
    # The review's demo certificate 1-26-VL: a 60 kg platform scale, class III, e = d = 20 g, Min 400 g (20 e).
    # MPE bands (R 76-1 Table 6, class III): 0.5 e up to 500 e = 10 kg, 1 e up to 2000 e = 40 kg, 1.5 e to Max.
    # Required loads: Min 0.4 kg, the change points 10 kg and 40 kg, Max 60 kg. Every indication reads its load and
    # ΔL = ½e = 0.01 kg, so E = I + ½e − ΔL − L = 0 everywhere.
    "scale": {"accuracy_class": "III", "max": 60, "min": 0.4, "e": 0.02, "unit": "kg"},
    "zero": {"indication": 0, "additional_load": 0.01},
    "weighing": [{"load": load, "indication": load, "additional_load": 0.01} for load in (0.4, 15, 30, 60)],
    "eccentricity": {"load": 20, "positions": [{"indication": 20, "additional_load": 0.01}] * 5},
    "repeatability": {"load": 30, "loadings": [{"indication": 30, "additional_load": 0.01}] * 3},
    "standard_weights": {"class": "M1"},
}


def test_the_demo_platform_scale_without_its_change_points_is_not_passed():
    """Loads 0.4, 15, 30 and 60 kg leave 10 kg (500 e) and 40 kg (2000 e) untested: no decision, both named."""
    result = run(copy.deepcopy(PLATFORM_60))
    assert result.values["required_loads"] == [0.4, 10, 40, 60]
    assert result.values["missing_loads"] == [10, 40]
    assert [item.message_en for item in result.missing] == [
        "no weighing-test loading at or near 10 kg (an MPE change point, 500 e)",
        "no weighing-test loading at or near 40 kg (an MPE change point, 2000 e)",
    ]
    assert result.passed is None


def test_a_load_within_the_documented_tolerance_counts_as_at_the_change_point():
    """The tolerance is data (10 % of the load): 9.2 kg is 0.8 kg from 10 kg (≤ 1.0 kg), 8.9 kg is 1.1 kg (> 1.0)."""
    from instruments import oiml_r76

    assert oiml_r76.test_plan_settings()["required_load_tolerance"] == 0.10
    document = copy.deepcopy(PLATFORM_60)
    document["weighing"] += [{"load": 9.2, "indication": 9.2, "additional_load": 0.01}]
    document["weighing"] += [{"load": 40, "indication": 40, "additional_load": 0.01}]
    assert run(document).passed is True
    document["weighing"][4]["load"] = document["weighing"][4]["indication"] = 8.9
    assert run(document).values["missing_loads"] == [10]


CLASS_II = {
    # The review's class II balance: Max 220 g, e = d = 0.01 g, Min 0.2 g. At 200 g (20 000 e) the MPE is 1 e =
    # 10 mg, so the test weights may err by 10/3 = 3.33 mg: an M1 200 g weight (MPE 10 mg, R 111-1 Table 1) is not
    # adequate, an F1 one (1.0 mg) is. Indications read their loads with ΔL = ½e = 0.005 g: every E is 0.
    "scale": {"accuracy_class": "II", "max": 220, "min": 0.2, "e": 0.01, "unit": "g"},
    "zero": {"indication": 0, "additional_load": 0.005},
    "weighing": [{"load": load, "indication": load, "additional_load": 0.005} for load in (0.2, 50, 200, 220)],
    "eccentricity": {"load": 70, "positions": [{"indication": 70, "additional_load": 0.005}] * 5},
    "repeatability": {"load": 100, "loadings": [{"indication": 100, "additional_load": 0.005}] * 6},
    "standard_weights": {"class": "F1"},
}


def test_inadequate_test_weights_are_named_and_block_the_decision():
    assert run(copy.deepcopy(CLASS_II)).passed is True
    document = copy.deepcopy(CLASS_II)
    document["standard_weights"] = {"class": "M1"}
    result = run(document)
    weights = result.values["standard_weights"]
    assert weights["adequate"] is False and 200 in weights["inadequate_loads"]
    at_200 = next(entry for entry in weights["by_load"] if entry["load"] == 200)
    assert at_200["mpe"] == pytest.approx(0.01) and "M1" not in at_200["sufficient_classes"]
    assert [item.field for item in result.missing] == ["standard_weights.class"]
    assert "class M1 weights are not adequate at" in result.missing[0].message_en
    assert result.passed is None


def test_weights_of_unknown_class_cannot_show_adequacy():
    document = copy.deepcopy(CLASS_II)
    del document["standard_weights"]
    result = run(document)
    assert [item.field for item in result.missing] == ["standard_weights.class"]
    assert result.passed is None


def test_where_d_equals_e_an_error_rounded_to_the_digit_is_not_an_error():
    """d = e = 20 g, 20 kg read as 20.02 kg: I − L = 20 g = 1 e = the MPE at 1000 e, which passed as an error.

    The indication only says the true value lies within 20.02 ± 0.01 kg, so E may be anywhere in 10…30 g; the
    change-point method (ΔL) is required, and its absence is named at the loading.
    """
    document = copy.deepcopy(PLATFORM_60)
    document["weighing"] = [{"load": load, "indication": load, "additional_load": 0.01} for load in (0.4, 10, 40, 60)]
    document["weighing"].append({"load": 20, "indication": 20.02})
    result = run(document)
    assert [item.field for item in result.missing] == ["weighing[4].additional_load"]
    assert result.values["weighing"]["rows"][4]["error"] == pytest.approx(0.02)
    assert result.passed is None
    del document["zero"]
    assert "zero.additional_load" in [item.field for item in run(document).missing]


def test_with_d_below_e_the_indication_minus_load_is_the_error():
    """Class II, Max 25 kg, e = 5 g, d = 1 g (n = 5000, Min = 50 e = 0.25 kg, R 76-1 Table 3): no change point is
    asked (the rounding is ±0.5 g, within 0.1 e); E = I − L: 0.001 kg at 25 kg within MPE 0.5 e = 0.0025 kg."""
    document = {
        "scale": {"accuracy_class": "II", "max": 25, "min": 0.25, "e": 0.005, "d": 0.001, "unit": "kg"},
        "weighing": [
            {"load": 0.25, "indication": 0.25},
            {"load": 10, "indication": 10.001},
            {"load": 25, "indication": 25.001},
            {"load": 10, "indication": 10.001, "direction": "decreasing"},
        ],
        "eccentricity": {"load": 10, "positions": [{"indication": 10.0 + i / 1000} for i in (0, 1, 1, 0, 2)]},
        "repeatability": {"load": 20, "loadings": [{"indication": 20.0 + i / 1000} for i in (0, 1, 0, 1, 1, 0)]},
        "standard_weights": {"class": "F1"},
    }
    result = run(document)
    assert result.missing == ()
    assert result.values["weighing"]["rows"][2]["error"] == pytest.approx(0.001)
    assert result.passed is True


@pytest.mark.parametrize(
    ("scale", "field", "words"),
    [
        # R 76-1 3.4.2: an auxiliary indicating device (d < e) only on class I and II instruments.
        ({"d": 0.002}, "scale.d", "class I and II"),
        # R 76-1 3.1.2: scale intervals are 1, 2 or 5 × 10^k.
        ({"e": 0.004, "d": 0.004}, "scale.e", "1, 2 or 5"),
        # Table 3, class III, 0.1 g ≤ e ≤ 2 g: Min at least 20 e = 20 g for e = 1 g.
        ({"max": 5, "e": 0.001, "d": 0.001, "min": 0.01}, "scale.min", "20 e"),
        # Table 3, class III, e ≥ 5 g: n = Max/e at least 500; 2 kg / 5 g = 400.
        ({"max": 2, "min": 0.1}, "scale.max", "n = Max/e = 400"),
        # Table 3: class III has no e below 0.1 g.
        ({"e": 0.00005, "d": 0.00005, "min": 0.001}, "scale.e", "outside the intervals"),
    ],
)
def test_an_instrument_outside_r76_table_3_is_refused_naming_the_field(scale, field, words):
    document = copy.deepcopy(CASE)
    document["scale"].update(scale)
    with pytest.raises(InputError) as refused:
        run(document)
    assert refused.value.field == field and words in refused.value.message


def test_the_discrimination_test_asks_one_d_more_for_1_4_d_added():
    """R 76-1 A.4.8.2: at 15 kg with I = 15.000 kg, adding 1.4 d = 7 g must read 15.005 kg (I + d, d = 5 g)."""
    document = copy.deepcopy(CASE)
    document["discrimination"] = [{"load": 15, "indication": 15.0, "indication_with_extra": 15.005}]
    result = run(document)
    assert result.values["discrimination"]["rows"][0]["increase"] == 0.005
    assert result.values["tests"]["discrimination"] is True and result.passed is True
    assert [table.key for table in result.tables][-2:] == ["discrimination", "summary"]
    document["discrimination"][0]["indication_with_extra"] = 15.0  # the indication did not change
    failed = run(document)
    assert failed.values["tests"]["discrimination"] is False and failed.passed is False


@pytest.mark.parametrize("range_type", ["multi_interval", "multiple_range"])
def test_multi_interval_and_multiple_range_instruments_are_stated_unsupported(range_type):
    document = copy.deepcopy(CASE)
    document["scale"]["range_type"] = range_type
    result = run(document)
    assert result.passed is None and result.tables == ()
    assert result.values["supported"] is False
    assert [item.field for item in result.missing] == ["scale.range_type"]
    assert "not supported" in result.missing[0].message_en
