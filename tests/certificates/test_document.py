import unicodedata
from dataclasses import replace
from datetime import date

import pytest

from certificates.document import Column, Customer, Decision, Kind, ResultTable
from instruments.errors import InputError


def test_decomposed_vietnamese_is_stored_composed(verification):
    decomposed = unicodedata.normalize("NFD", "Công ty Thủy sản Cửu Long")
    customer = Customer(name=decomposed, address=unicodedata.normalize("NFD", "Vĩnh Long"))
    assert customer.name == "Công ty Thủy sản Cửu Long"
    assert unicodedata.is_normalized("NFC", customer.address)
    assert customer.name != decomposed


def test_result_rows_are_normalised_and_kept_as_tuples():
    table = ResultTable(columns=(Column("Sai số", "Error", "g"),), rows=[[unicodedata.normalize("NFD", "± 5 độ")]])
    assert table.rows == (("± 5 độ",),)


def test_a_row_with_the_wrong_number_of_cells_names_the_row():
    with pytest.raises(InputError) as caught:
        ResultTable(columns=(Column("A", "A"), Column("B", "B")), rows=(("1", "2"), ("3",)))
    assert caught.value.field == "rows[1]"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"valid_until": None}, "valid_until"),
        ({"sticker_serial": None}, "sticker_serial"),
        ({"decision": None}, "decision"),
        ({"revision": 1, "supersedes": None}, "supersedes"),
        ({"issued": date(2026, 11, 1)}, "issued"),
        ({"decision": Decision(passed=False)}, "valid_until"),
        ({"number": "  "}, "number"),
        ({"decision": Decision(passed=True, statement_vi="Phù hợp")}, "decision.statement_vi"),
    ],
)
def test_an_incomplete_verification_is_refused_naming_the_field(verification, change, field):
    with pytest.raises(InputError) as caught:
        replace(verification, **change)
    assert caught.value.field == field


def test_a_failed_verification_needs_no_validity_date_or_sticker(verification):
    failed = replace(verification, decision=Decision(passed=False), valid_until=None, sticker_serial=None)
    assert failed.decision.text_vi == "Không đạt yêu cầu kỹ thuật đo lường"


def test_a_calibration_carries_no_legal_validity_date(calibration):
    with pytest.raises(InputError) as caught:
        replace(calibration, valid_until=date(2027, 11, 1))
    assert caught.value.field == "valid_until"


def test_kind_accepts_its_plain_string(calibration):
    assert replace(calibration, kind="calibration").kind is Kind.CALIBRATION


def test_a_calibration_never_states_the_verification_wording(calibration):
    """ISO/IEC 17025 7.8.6: a calibration's conformity names its specification; "Đạt yêu cầu kỹ thuật đo lường"
    is the legal wording of a verification."""
    with pytest.raises(InputError) as caught:
        replace(calibration, decision=Decision(passed=True))
    assert caught.value.field == "decision.statement_vi"
    assert replace(calibration, decision=None).decision is None  # no statement asked: none printed
