"""The En number of proficiency tests and interlaboratory comparisons."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instruments.errors import InputError
from instruments.proficiency import ComparisonResult, en_number


def test_en_of_a_hand_worked_example_is_the_difference_over_the_combined_uncertainty():
    # (100.012 - 100.000) / sqrt(0.009² + 0.012²) = 0.012 / 0.015 = 0.8 (a 3-4-5 triangle: easy to check by hand)
    assessment = en_number(ComparisonResult(100.012, 0.009, 100.000, 0.012))
    assert assessment.en == pytest.approx(0.8, abs=1e-12)
    assert assessment.satisfactory


def test_en_keeps_its_sign_when_the_lab_reads_low():
    assessment = en_number(ComparisonResult(99.991, 0.009, 100.000, 0.012))
    assert assessment.en == pytest.approx(-0.6, abs=1e-9)
    assert assessment.satisfactory


def test_en_of_exactly_one_is_still_satisfactory():
    # 5 / sqrt(3² + 4²) = 1 exactly in binary floating point; ISO 13528 9.7 counts |En| <= 1 as satisfactory.
    assessment = en_number(ComparisonResult(5.0, 3.0, 0.0, 4.0))
    assert assessment.en == 1.0
    assert assessment.satisfactory


def test_en_above_one_is_unsatisfactory():
    # 0.030 / 0.015 = 2.0
    assessment = en_number(ComparisonResult(100.030, 0.009, 100.000, 0.012))
    assert assessment.en == pytest.approx(2.0, abs=1e-12)
    assert not assessment.satisfactory


def test_just_over_the_limit_is_unsatisfactory():
    assert not en_number(ComparisonResult(1.0000001, 0.6, 0.0, 0.8)).satisfactory


@pytest.mark.parametrize(
    ("result", "field"),
    [
        (ComparisonResult(1.0, -0.1, 1.0, 0.1), "lab_uncertainty"),
        (ComparisonResult(1.0, 0.1, 1.0, -0.1), "reference_uncertainty"),
        (ComparisonResult(1.0, 0.0, 1.0, 0.0), "lab_uncertainty"),
        (ComparisonResult(float("nan"), 0.1, 1.0, 0.1), "lab_value"),
        (ComparisonResult(1.0, 0.1, float("inf"), 0.1), "reference_value"),
        (ComparisonResult("abc", 0.1, 1.0, 0.1), "lab_value"),
    ],
)
def test_input_that_cannot_be_computed_names_its_field(result, field):
    with pytest.raises(InputError) as error:
        en_number(result)
    assert error.value.field == field


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
positive = st.floats(min_value=1e-6, max_value=1e3, allow_nan=False)


@settings(deadline=None, max_examples=60)
@given(x_lab=finite, x_ref=finite, u_lab=positive, u_ref=positive)
def test_en_is_antisymmetric_and_its_verdict_matches_the_limit(x_lab, x_ref, u_lab, u_ref):
    forward = en_number(ComparisonResult(x_lab, u_lab, x_ref, u_ref))
    backward = en_number(ComparisonResult(x_ref, u_ref, x_lab, u_lab))
    assert forward.en == pytest.approx(-backward.en, rel=1e-12, abs=1e-12)
    assert forward.satisfactory == (abs(forward.en) <= 1.0)
    assert forward.en == pytest.approx((x_lab - x_ref) / math.sqrt(u_lab**2 + u_ref**2), rel=1e-9, abs=1e-9)
