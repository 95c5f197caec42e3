"""Any input a user can type is either computed or refused with InputError naming a field: never a traceback."""

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instruments.errors import InputError
from instruments.procedures.scale_calibration import ScaleCalibrationCg18
from instruments.procedures.scale_verification import ScaleVerificationR76
from instruments.procedures.weight_comparison import calculate_contract
from tests.instruments.test_scale_calibration import CASE as CALIBRATION
from tests.instruments.test_scale_verification import CASE as VERIFICATION
from tests.instruments.test_weight_comparison import CASE_A as WEIGHT

JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "1 kg", "45 mg", "-3 g", "1e400 g", "abc", "M1–2", "ABA", "III", "0 mg", "10"]),
    st.lists(st.integers(-5, 5), max_size=5),
    st.just({}),
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replace(document, where, value):
    document = copy.deepcopy(document)
    if not where:
        return value
    target = document
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return document


def _check(compute, document):
    try:
        compute(document)
    except InputError as exc:
        assert isinstance(exc.field, str) and exc.message


def _mutations(base):
    return st.tuples(st.sampled_from(list(_paths(base))), JSON_VALUES)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(_mutations(WEIGHT))
def test_calc_weight_never_fails_unexpectedly(mutation):
    _check(calculate_contract, _replace(WEIGHT, *mutation))


@FUZZ
@given(_mutations(VERIFICATION))
def test_scale_verification_never_fails_unexpectedly(mutation):
    _check(ScaleVerificationR76().calculate, _replace(VERIFICATION, *mutation))


@FUZZ
@given(_mutations(CALIBRATION))
def test_scale_calibration_never_fails_unexpectedly(mutation):
    _check(ScaleCalibrationCg18().calculate, _replace(CALIBRATION, *mutation))
