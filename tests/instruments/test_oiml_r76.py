"""OIML R 76-1: MPE bands, change points, the change-point error and which weight classes suffice."""

import pytest

from instruments import oiml_r76
from instruments.errors import InputError


@pytest.mark.parametrize(
    ("load", "expected"),
    [
        # Class III, e = 10 g = 0.01 kg. Bands (scales.md): ≤ 500 e: 0.5 e; ≤ 2000 e: 1 e; ≤ 10 000 e: 1.5 e.
        (0.0, 0.005),
        (5.0, 0.005),  # 500 e: upper limit inclusive
        (5.01, 0.01),  # 501 e
        (20.0, 0.01),  # 2000 e
        (20.01, 0.015),
        (100.0, 0.015),  # 10 000 e
    ],
)
def test_class_iii_mpe_on_verification(load, expected):
    assert oiml_r76.mpe(load, 0.01, "III") == pytest.approx(expected)


def test_band_limits_hold_for_decimal_intervals():
    # 2.5 kg / 0.005 kg is 500 e exactly, though 2.5/0.005 in binary floating point is not.
    assert oiml_r76.mpe(2.5, 0.005, "III") == pytest.approx(0.0025)


@pytest.mark.parametrize(
    ("cls", "load_in_e", "mpe_in_e"),
    [
        ("I", 50_000, 0.5),
        ("I", 200_000, 1.0),
        ("I", 1_000_000, 1.5),  # class I has no upper band limit
        ("II", 5_000, 0.5),
        ("II", 5_001, 1.0),
        ("II", 100_000, 1.5),
        ("IIII", 50, 0.5),
        ("IIII", 200, 1.0),
        ("IIII", 1_000, 1.5),
    ],
)
def test_mpe_bands_of_every_class(cls, load_in_e, mpe_in_e):
    assert oiml_r76.mpe(load_in_e * 1.0, 1.0, cls) == mpe_in_e


def test_mpe_in_service_is_twice_the_mpe_on_verification():
    assert oiml_r76.mpe(15.0, 0.005, "III", in_service=True) == pytest.approx(2 * 0.0075)


@pytest.mark.parametrize(("load", "cls", "field"), [(100.02, "III", "load"), (1.0, "V", "accuracy_class")])
def test_mpe_refuses_loads_beyond_the_class_and_unknown_classes(load, cls, field):
    with pytest.raises(InputError) as caught:
        oiml_r76.mpe(load, 0.01, cls)
    assert caught.value.field == field


def test_scale_refuses_a_load_above_max():
    scale = oiml_r76.Scale("III", 15.0, 0.1, 0.005, 0.005)
    with pytest.raises(InputError) as caught:
        scale.mpe(15.5, field="weighing[3].load")
    assert caught.value.field == "weighing[3].load"


def test_change_points_and_required_loads():
    # Class III, e = 5 g, Max 15 kg: 500 e = 2.5 kg, 2000 e = 10 kg; with Min = 20 e = 0.1 kg.
    assert oiml_r76.change_points(0.005, "III", 15.0) == (2.5, 10.0)
    assert oiml_r76.required_test_loads(0.1, 15.0, 0.005, "III") == (0.1, 2.5, 10.0, 15.0)


def test_error_before_rounding_by_change_point():
    # e = 5 g, L = 1000 g, I = 1000 g; the indication changes to 1005 g after ΔL = 1.5 g of small weights:
    # E = I + ½e − ΔL − L = 1000 + 2.5 − 1.5 − 1000 = 1.0 g.
    assert oiml_r76.error_before_rounding(1000.0, 1.5, 1000.0, 5.0) == pytest.approx(1.0)


def test_weight_composition_uses_a_1_2_2_5_set():
    assert [str(part) for part in oiml_r76.weight_composition(oiml_r76.Decimal(9000000), "M1")] == [
        "5000000",
        "2000000",
        "2000000",
    ]
    # M1-2 weights start at 50 kg: 10 kg cannot be built from them.
    assert oiml_r76.weight_composition(oiml_r76.Decimal(10000000), "M1-2") == []


def test_sufficient_weight_classes_at_a_load():
    # Class III scale, e = 10 g, load 10 kg = 1000 e -> MPE 1 e = 10 g; MPE/3 = 3333 mg.
    # 10 kg weights (Table 1): E1 5, E2 16, F1 50, F2 160, M1 500, M2 1600, M3 5000 mg; none of M1-2, M2-3.
    assert oiml_r76.sufficient_weight_classes(10.0, 0.01, "kg") == ("E1", "E2", "F1", "F2", "M1", "M2")


def test_sufficient_weight_classes_sum_over_the_composition():
    # Class II scale, e = 0.1 g, load 300 g = 200 g + 100 g -> 3000 e -> MPE 0.5 e = 50 mg; MPE/3 = 16.7 mg.
    # F2: 3.0 + 1.6 = 4.6 mg (ok); M1: 10 + 5 = 15 mg (ok); M2: 30 + 16 = 46 mg (too large).
    classes = oiml_r76.sufficient_weight_classes(300.0, 0.05, "g")
    assert classes == ("E1", "E2", "F1", "F2", "M1")
