"""OIML R 111-1 weights: MPE table look-ups, classes, density limits, air density (E.3), buoyancy, conformity."""

import math

import pytest

from instruments import oiml_r111
from instruments.errors import InputError


@pytest.mark.parametrize(
    ("weight_class", "nominal", "expected_mg"),
    [
        # R 111-1 Table 1 cells (shared/data/oiml-r111-mpe.csv).
        ("M1", "500 g", 25.0),
        ("F2", "1 kg", 16.0),
        ("E1", "1 mg", 0.003),
        ("M1-2", "50 kg", 5000.0),
        ("M3", "5000 kg", 2500000.0),
        ("F1", "0.5 kg", 2.5),  # the same nominal value written in another unit
    ],
)
def test_mpe_is_read_from_table_1(weight_class, nominal, expected_mg):
    assert oiml_r111.mpe_mg(weight_class, nominal) == expected_mg


def test_en_dash_class_name_is_the_same_class():
    assert oiml_r111.normalize_class("M1–2") == "M1-2"
    assert oiml_r111.mpe_mg("M2–3", "100 kg") == 30000.0


def test_nominal_in_kilograms_as_a_number_is_accepted():
    assert oiml_r111.mpe_mg("M1", 0.5) == 25.0


@pytest.mark.parametrize(
    ("weight_class", "nominal", "field"),
    [
        ("M4", "1 kg", "class"),  # no such class
        ("M1", "3 g", "nominal"),  # not in the 1-2-5 series
        ("E1", "100 kg", "nominal"),  # E1 stops at 50 kg
        ("M1-2", "20 kg", "nominal"),  # M1-2 starts at 50 kg
        ("M1", "500", "nominal"),  # no unit
        ("M1", "500 lb", "nominal"),  # not a mass unit R 111 uses
    ],
)
def test_mpe_refuses_what_the_table_does_not_hold(weight_class, nominal, field):
    with pytest.raises(InputError) as caught:
        oiml_r111.mpe_mg(weight_class, nominal)
    assert caught.value.field == field


def test_mpe_contract_matches_calc_md():
    assert oiml_r111.mpe_contract({"class": "M1", "nominal": "500 g"}) == {
        "class": "M1",
        "nominal": "500 g",
        "nominal_kg": 0.5,
        "mpe_mg": 25.0,
    }


def test_mpe_contract_names_a_missing_field():
    with pytest.raises(InputError) as caught:
        oiml_r111.mpe_contract({"class": "M1"})
    assert caught.value.field == "nominal"


def test_density_limits_use_the_row_for_the_nominal_value():
    # Table 5: the ≥ 100 g row applies to 1 kg; 50 g has its own row; M classes have only a lower limit.
    assert oiml_r111.density_limits("E2", "1 kg") == (7810.0, 8210.0)
    assert oiml_r111.density_limits("M1", "50 g") == (4000.0, None)
    assert oiml_r111.density_limits("M3", "1 kg") == (None, None)


def test_minimum_cycles_depend_on_class_and_cycle():
    assert oiml_r111.min_cycles("E1", "ABBA") == 3
    assert oiml_r111.min_cycles("E1", "ABA") == 5
    assert oiml_r111.min_cycles("M1", "ABBA") == 1


def test_minimum_cycles_come_from_the_table_passed_in():
    table = {"ABBA": dict.fromkeys(oiml_r111.CLASSES, 4)}
    assert oiml_r111.min_cycles("M1", "ABBA", table) == 4


def test_air_density_follows_e3_and_its_uncertainty_the_formula_term():
    # ρa = (0.34848·1013.25 − 0.009·50·exp(0.061·20)) / 293.15
    #    = (353.097360 − 0.45·3.387188) / 293.15 = 351.573125 / 293.15 = 1.1992943 kg/m³
    # With no uncertainty on the conditions, u = 2×10⁻⁴·ρa = 2.39859×10⁻⁴ kg/m³.
    air = oiml_r111.air_density(oiml_r111.AirConditions(20, 1013.25, 50))
    assert air.value == pytest.approx(1.1992943050, rel=1e-9)
    assert air.standard_uncertainty == pytest.approx(2.3985886e-4, rel=1e-6)


def test_air_density_uncertainty_adds_the_pressure_term():
    # ∂ρa/∂p = 0.34848 / (273.15 + 20) = 1.18874×10⁻³ per hPa; with u(p) = 1 hPa:
    # u = √((2.39859×10⁻⁴)² + (1.18874×10⁻³)²) = 1.21270×10⁻³ kg/m³.
    air = oiml_r111.air_density(oiml_r111.AirConditions(20, 1013.25, 50, pressure_uncertainty=1.0))
    assert air.standard_uncertainty == pytest.approx(1.2127003e-3, rel=1e-6)


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        (oiml_r111.AirConditions(35, 1013, 50), "air.temperature"),
        (oiml_r111.AirConditions(20, 880, 50), "air.pressure"),
        (oiml_r111.AirConditions(20, 1013, 85), "air.humidity"),
    ],
)
def test_air_density_refuses_conditions_outside_the_formula_range(conditions, field):
    with pytest.raises(InputError) as caught:
        oiml_r111.air_density(conditions)
    assert caught.value.field == field


def test_buoyancy_correction():
    # C = (1.1 − 1.2)(1/7800 − 1/8000) = −0.1 × 200/62 400 000 = −3.2051282×10⁻⁷
    assert oiml_r111.buoyancy_correction(1.1, 7800, 8000) == pytest.approx(-3.2051282e-7, rel=1e-7)
    assert oiml_r111.buoyancy_correction(1.2, 7800, 8000) == 0.0


@pytest.mark.parametrize(
    ("correction", "uncertainty", "uncertainty_ok", "within_mpe"),
    [
        # M1 1 kg: δm = 50 mg, so U ≤ 16.67 mg and |correction| ≤ 50 − U.
        (30.0, 10.0, True, True),
        (40.0, 10.0, True, True),  # on the limit 50 − 10: within (limits inclusive)
        (-40.0, 10.0, True, True),
        (40.5, 10.0, True, False),
        (0.0, 20.0, False, True),  # within δm − U, but U > δm/3: the class cannot be shown (5.2)
        (45.0, 20.0, False, False),
    ],
)
def test_weight_conformity_from_certificate_values(correction, uncertainty, uncertainty_ok, within_mpe):
    """R 111-1 clause 5: ``conforms`` only when U ≤ δm/3 and |m_c − m0| ≤ δm − U; each condition is exposed."""
    result = oiml_r111.weight_conformity("1 kg", "M1", correction, uncertainty)
    assert result.mpe_mg == 50.0
    assert result.uncertainty_ok is uncertainty_ok
    assert result.within_mpe is within_mpe
    assert result.density_ok is True and result.density_assumed  # a certificate's value states no density
    assert result.conforms is (uncertainty_ok and within_mpe)
    assert result.decision.rule.code == "ILAC-G8:guarded-1U"


def test_uncertainty_equal_to_a_third_of_the_mpe_passes():
    """U = δm/3 exactly passes (5.2 says U ≤ δm/3), although 0.1 <= 0.3 / 3 is False in binary floats.

    F1 50 g: δm = 0,3 mg (Table 1), δm/3 = 0,1 mg; U = 0,1 mg; correction 0,2 mg = δm − U, on the limit.
    """
    assert not 0.1 <= 0.3 / 3  # the trap
    result = oiml_r111.weight_conformity("50 g", "F1", 0.2, 0.1)
    assert result.mpe_mg == 0.3
    assert result.uncertainty_ok and result.within_mpe and result.conforms


@pytest.mark.parametrize(
    ("density", "ok"),
    [
        # F2 10 kg (≥ 100 g row of Table 5): 6400 to 10700 kg/m³, inclusive.
        (5000.0, False),
        (6400.0, True),
        (7950.0, True),
        (10700.0, True),
        (10700.5, False),
    ],
)
def test_a_measured_density_outside_table_5_fails_the_class(density, ok):
    """R 111-1 clause 10: a measured density of 5000 kg/m³ for an F2 10 kg weight (limits 6400–10700) fails the
    class even with a perfect value (correction 0, U = 50 mg ≤ δm/3 = 160/3 = 53,3 mg)."""
    limits = oiml_r111.density_limits("F2", "10 kg")
    assert limits == (6400.0, 10700.0)
    result = oiml_r111.conformity_from_mpe(160.0, 0.0, 50.0, density=density, density_limits=limits)
    assert result.uncertainty_ok and result.within_mpe
    assert result.density_ok is ok and result.conforms is ok
    assert result.failed == (() if ok else ("density",))


def test_the_printed_verdict_names_each_failed_condition():
    """F2 case of the review: U = 110,08 mg against δm/3 = 160/3 = 53,3 mg, correction 10 mg ≤ δm − U = 49,92 mg:
    within the MPE but not shown to conform; with a density of 5000 kg/m³ as well, both are named."""
    limits = oiml_r111.density_limits("F2", "10 kg")
    result = oiml_r111.conformity_from_mpe(160.0, 10.0, 110.08, density=5000.0, density_limits=limits)
    assert result.within_mpe and not result.uncertainty_ok and not result.density_ok
    assert oiml_r111.conformity_text(result) == "Không đạt: U > δm/3; khối lượng riêng ngoài giới hạn của cấp"
    good = oiml_r111.conformity_from_mpe(160.0, 10.0, 50.0, density=7950.0, density_limits=limits)
    assert oiml_r111.conformity_text(good) == "Đạt"


def test_weight_conformity_takes_the_nominal_in_kilograms():
    assert oiml_r111.weight_conformity(1.0, "F1", 1.0, 1.0).mpe_mg == 5.0


def test_weight_conformity_refuses_a_negative_uncertainty():
    with pytest.raises(InputError) as caught:
        oiml_r111.weight_conformity("1 kg", "M1", 0.0, -1.0)
    assert caught.value.field == "expanded_uncertainty_mg"


def test_every_class_has_an_mpe_that_grows_with_the_nominal_value():
    table = oiml_r111.default_mpe_table()
    for weight_class in oiml_r111.CLASSES:
        values = [row[weight_class] for _, row in sorted(table.items()) if weight_class in row]
        assert values == sorted(values)
        assert all(math.isfinite(v) and v > 0 for v in values)
