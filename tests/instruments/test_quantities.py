"""Masses typed as text with their unit, as technicians type them."""

from decimal import Decimal

import pytest

from instruments.errors import InputError
from instruments.quantities import parse_mass_mg


@pytest.mark.parametrize(
    ("text", "milligrams"),
    [
        ("10 kg", Decimal(10_000_000)),
        ("10000.005 g", Decimal("10000005.000")),
        ("0,5 kg", Decimal("500000.0")),  # a Vietnamese decimal comma
        ("2,5mg", Decimal("2.5")),
        (",5 g", Decimal("500")),
        ("45 µg", Decimal("0.045")),
    ],
)
def test_a_mass_is_read_exactly_with_a_decimal_point_or_comma(text, milligrams):
    assert parse_mass_mg(text, "nominal") == milligrams


@pytest.mark.parametrize("text", ["1,000.5 g", "1.000,5 g", "5", "5 lb", "kg 5", ""])
def test_an_unreadable_mass_is_refused_naming_the_field(text):
    with pytest.raises(InputError) as caught:
        parse_mass_mg(text, "items[0].nominal")
    assert caught.value.field == "items[0].nominal"
