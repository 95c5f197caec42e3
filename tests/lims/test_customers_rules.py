"""The customers domain's pure rules: the tax-code check digit, month arithmetic, the "valid until" date."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lims.customers.rules import (
    add_months,
    is_valid_tax_code,
    normalise_tax_code,
    tax_code_check_digit,
    valid_until_after,
)

# Tax codes of well-known enterprises, as printed on their public invoices and registration pages:
# Viettel 0100109106, FPT Corporation 0101248141, Vinamilk 0300588569, and the example of the national
# business registration portal's guidance 0312687878 (with its branch 0312687878-001).
REAL_TAX_CODES = ["0100109106", "0101248141", "0300588569", "0312687878", "0312687878-001"]


@pytest.mark.parametrize("code", REAL_TAX_CODES)
def test_real_enterprise_tax_codes_pass_the_check_digit(code):
    assert is_valid_tax_code(code)


@pytest.mark.parametrize("code", ["0100109107", "0101248142", "0300588560", "2100123456"])
def test_a_wrong_tenth_digit_is_refused(code):
    assert not is_valid_tax_code(code)


def test_check_digit_is_ten_minus_the_weighted_sum_modulo_eleven():
    # 2,1,0,0,1,2,3,4,5 weighted by 31,29,23,19,17,13,7,5,3 sum to 190; 190 mod 11 = 3; 10 - 3 = 7.
    assert tax_code_check_digit("210012345") == 7
    assert normalise_tax_code("2100123457") == "2100123457"


def test_nine_digits_whose_sum_divides_by_eleven_start_no_valid_code():
    # 0,0,0,0,0,0,0,0,0 sums to 0: the check "digit" would be 10, which the tax office never issues.
    assert tax_code_check_digit("000000000") is None
    assert not any(is_valid_tax_code("000000000" + str(digit)) for digit in range(10))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0100109106-001", "0100109106-001"),
        ("0100109106001", "0100109106-001"),
        (" 0100 109 106 ", "0100109106"),
    ],
)
def test_branch_codes_and_spacing_are_normalised(text, expected):
    assert normalise_tax_code(text) == expected


@pytest.mark.parametrize("text", ["010010910", "01001091061", "0100109106-01", "0100109106-000", "01001O9106", ""])
def test_malformed_codes_are_refused(text):
    assert not is_valid_tax_code(text)


@settings(deadline=None, max_examples=200)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_tenth_digit_completes_any_nine_digits_unless_none_can(first_nine):
    valid = [digit for digit in range(10) if is_valid_tax_code(first_nine + str(digit))]
    expected = tax_code_check_digit(first_nine)
    assert valid == ([] if expected is None else [expected])


def test_add_months_keeps_the_day_or_falls_back_to_the_end_of_a_short_month():
    assert add_months(date(2026, 4, 15), 12) == date(2027, 4, 15)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 18) == date(2028, 5, 30)


@pytest.mark.parametrize(
    "rule, expected",
    [("same_day", date(2027, 3, 10)), ("day_before", date(2027, 3, 9)), ("end_of_month", date(2027, 3, 31))],
)
def test_valid_until_follows_the_labs_rule(rule, expected):
    assert valid_until_after(date(2026, 3, 10), 12, rule) == expected


def test_valid_until_day_before_a_first_of_month_anniversary_is_the_previous_months_last_day():
    assert valid_until_after(date(2026, 3, 1), 24, "day_before") == date(2028, 2, 29)


def test_an_unknown_rule_is_an_error():
    with pytest.raises(ValueError):
        valid_until_after(date(2026, 3, 1), 12, "whenever")
