"""One writer of measured numbers (instruments.formatting), with cases worked by hand."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instruments.decision import at_most, decide
from instruments.errors import InputError
from instruments.formatting import (
    decimal_places,
    format_cell,
    format_column_value,
    format_coverage_factor,
    format_measured,
    format_probability,
    format_result,
    format_uncertainty,
    table_cells,
)


def test_a_decimal_comma_in_vietnamese_and_a_point_in_english_never_a_thousands_group():
    """500,0019 g is five hundred grams: a point would read as a thousands separator in Vietnamese."""
    assert format_measured(500.0019, unit="g") == "500,0019 g"
    assert format_measured(500.0019, unit="g", locale="en") == "500.0019 g"
    assert format_measured(10000.005) == "10000,005"  # no grouping at all


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.07500000000000001, "0,075"),  # 0.025 * 3 in binary
        (0.1 + 0.2, "0,3"),
        (20.1 - 20, "0,1"),  # 0.10000000000000142
        (2.000904395836009, "2,00090439584"),  # a plain number keeps twelve significant digits, not its noise
        (-0.0, "0"),
        (1e-05, "0,00001"),  # fixed point, never "1e-05"
        (15, "15"),
    ],
)
def test_binary_noise_never_reaches_paper(value, shown):
    assert format_measured(value) == shown


def test_text_already_rounded_keeps_its_trailing_zeros():
    """A result rounded by the science as "15.00" stays 15,00: its zeros say where the uncertainty starts."""
    assert format_measured("15.00") == "15,00"
    assert format_cell("0.5 kg") == "0,5 kg"
    assert format_cell("Đạt") == "Đạt"
    assert format_cell("ĐLVN 16:2021") == "ĐLVN 16:2021"


@pytest.mark.parametrize(
    ("value", "resolution", "shown"),
    [
        (15, 0.01, "15,00"),  # d = 0,01 kg: an indication of 15 kg is written 15,00 kg
        (15, 0.02, "15,00"),  # the place of 0,02 is the hundredths
        (60, 0.5, "60,0"),
        (60, 5, "60"),
        (60, 20, "60"),
        (0.30000000000000004, 0.1, "0,3"),
        (1.005, 0.01, "1,01"),  # half up on the decimal 1.005, not on the binary 1.00499999...
    ],
)
def test_an_indication_shows_the_digits_of_the_resolution(value, resolution, shown):
    assert format_measured(value, resolution=resolution) == shown


def test_an_error_found_with_the_change_point_method_is_written_one_place_finer():
    """R 76: E = I + ½e − ΔL − L = 20,00 + 0,005 − 0,003 − 20 = 0,002 with d = e = 0,01: a place finer than d."""
    assert format_measured(0.002, resolution=0.01, finer=1) == "0,002"
    assert decimal_places(0.01) == 2 and decimal_places(5) == 0 and decimal_places("0.50") == 1
    with pytest.raises(InputError):
        decimal_places(0)


@pytest.mark.parametrize(
    ("value", "u", "shown"),
    [
        # GUM 7.2.6: U to two significant digits, the value to the same place, trailing zeros kept.
        (9, 5.4, ("9,0", "5,4")),  # the sample's "+ 9" with U "5,4"
        (500.00192, 0.0012, ("500,0019", "0,0012")),
        (100.02147, 0.0996, ("100,02", "0,10")),  # 0,0996 -> 0,10 (two digits), the value to the hundredths
        (15, 0.012, ("15,000", "0,012")),
        (0.12345, 0, ("0,12345", "0")),
    ],
)
def test_a_result_is_rounded_to_the_place_of_its_uncertainty(value, u, shown):
    assert format_result(value, u) == shown
    if u:
        assert format_measured(value, uncertainty=u) == shown[0]


def test_an_uncertainty_alone_has_two_significant_digits():
    assert format_uncertainty(0.00015275252316251288) == "0,00015"
    assert format_uncertainty(110.08) == "110"


@pytest.mark.parametrize(
    ("k", "shown"),
    [
        (2.000904395836009, "2"),  # the weight certificate that printed k = 2,000904395836009
        (2, "2"),
        (2.2837, "2,28"),  # calc.md example
        (13.97, "14"),  # ν_eff = 1.169: three significant digits are 14,0
        (3.71, "3,71"),
        (5.84, "5,84"),
        (9.996, "10"),
    ],
)
def test_a_coverage_factor_has_at_most_three_significant_digits(k, shown):
    assert format_coverage_factor(k) == shown


def test_a_coverage_probability_is_the_percentage_stated():
    assert format_probability(0.9545) == "95"
    assert format_probability(0.99) == "99"
    assert format_probability(0.9973) == "99,7"


def test_a_table_is_written_as_its_columns_say():
    """cg-18 row: E = 0,00123 with U = 0,0031 (k = 2,0009) and d = 0,001; indication 100 at d = 0,001 is 100,000."""
    table = {
        "columns": [
            {"key": "load", "resolution": 0.001},
            {"key": "indication", "resolution": 0.001},
            {"key": "error", "uncertainty": "expanded_uncertainty"},
            {"key": "expanded_uncertainty", "printed": "uncertainty"},
            {"key": "coverage_factor", "printed": "coverage_factor"},
            {"key": "verdict"},
        ],
        "rows": [
            {
                "load": 100,
                "indication": 100.001,
                "error": 0.00123,
                "expanded_uncertainty": 0.00312,
                "coverage_factor": 2.0009,
                "verdict": "",
            }
        ],
    }
    assert table_cells(table) == [["100,000", "100,001", "0,0012", "0,0031", "2", ""]]
    assert table_cells(table, locale="en")[0][:3] == ["100.000", "100.001", "0.0012"]
    assert format_column_value({"key": "conforms"}, {"conforms": True}) == "Đạt"  # a record stored before


@settings(deadline=None)  # a loaded machine is slow, not wrong
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda x: abs(x) > 1e-6))
def test_no_written_number_carries_a_run_of_noise(value):
    shown = format_measured(value)
    assert "." not in shown and "e" not in shown.lower()
    assert float(shown.replace(",", ".")) == pytest.approx(value, rel=1e-11)


def test_limits_are_compared_as_decimals():
    """0,1 ≤ 0,3/3 holds (U = δm/3 passes); 0.1 <= 0.3 / 3 is False in floats."""
    assert not 0.1 <= 0.3 / 3
    assert at_most(0.1, 0.3 / 3) and at_most(0.1, Decimal("0.3") / 3)
    assert not at_most(0.1000001, 0.1)
    # guarded acceptance: MPE 0,3, U 0,1: limit 0,2 exactly; an error of 0,2 passes, 0,2001 does not
    assert decide(0.2, 0.3, 0.1, rule=_guarded()).passed
    assert decide(0.2, 0.3, 0.1, rule=_guarded()).acceptance_limit == 0.2
    assert not decide(0.2001, 0.3, 0.1, rule=_guarded()).passed
    assert decide(20.1 - 20, 0.1).passed  # an error equal to the MPE passes (limits inclusive)


def _guarded():
    from instruments.decision import guarded_acceptance

    return guarded_acceptance(1.0)
