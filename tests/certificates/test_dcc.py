"""Digital Calibration Certificates: built from the certificate and its numbers, valid against DCC 3.3.0, signed so
that a changed byte shows, carried inside the PDF, and read back to the same numbers."""

import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from certificates import dcc
from certificates.render import render_certificate
from certificates.signing import Attachment, CertificateSigner, verify_signature
from instruments.errors import InputError

# The project's shared folder (beside the clone in CI) holds a valid and an invalid example from a public DCC
# toolkit's tests; they are fixtures for the validator, so they are read there rather than copied.
EXAMPLES = next(
    (
        folder / "shared" / "data" / "dcc" / "examples"
        for folder in Path(__file__).resolve().parents
        if (folder / "shared" / "data" / "dcc" / "examples").is_dir()
    ),
    Path("shared/data/dcc/examples"),
)


def weights_table() -> dcc.Table:
    """Three weights of an M1 set, as the weight procedure reports them (corrections and U in mg, k per weight)."""
    return dcc.Table(
        "Kết quả hiệu chuẩn quả cân",
        "Calibration results of weights",
        (
            dcc.Column("Giá trị danh định", "Nominal value", ("1 kg", "500 g", "200 g")),
            dcc.Column("Cấp chính xác", "Accuracy class", ("M1", "M1", "M1")),
            dcc.Column(
                "Khối lượng quy ước",
                "Conventional mass",
                ("1000.009", "499.9958", "200.0018"),
                unit="g",
                uncertainties=("0.0054", "0.0027", "0.0011"),
                coverage_factors=("2.00", "2.00", "2.05"),
            ),
            dcc.Column(
                "Số hiệu chính",
                "Correction",
                ("9", "-4.2", "1.8"),
                unit="mg",
                uncertainties=("5.4", "2.7", "1.1"),
                coverage_factors=("2.00", "2.00", "2.05"),
            ),
            dcc.Column("Phù hợp cấp chính xác", "Conforms to class", (True, True, False)),
        ),
    )


@pytest.fixture(scope="module")
def built(calibration):
    conditions = (dcc.Condition("Nhiệt độ", "Temperature", 21.3, "°C", 0.4),)
    return dcc.build_dcc(dcc.Dcc(calibration, (weights_table(),), conditions, software_release="0.1.0"))


@pytest.fixture(scope="module")
def signer(demo_key):
    return CertificateSigner(demo_key["pkcs12"], "pw-1")


def test_the_dcc_of_a_calibration_validates_against_the_shipped_schema(built):
    dcc.validate_dcc(built)
    text = built.decode()
    assert 'schemaVersion="3.3.0"' in text
    assert "<dcc:uniqueIdentifier>3702-26</dcc:uniqueIdentifier>" in text
    assert r"<si:unitXMLList>\milli\gram</si:unitXMLList>" in text
    # the expanded uncertainty in D-SI 2.2's form, not the deprecated si:expandedUnc
    assert "expandedMUXMLList" in text and "expandedUnc" not in text
    assert '<dcc:content lang="vi">Khối lượng quy ước</dcc:content>' in text
    assert '<dcc:content lang="en">Conventional mass</dcc:content>' in text


def test_the_shipped_schema_accepts_the_valid_example_and_refuses_the_invalid_one():
    dcc.validate_dcc((EXAMPLES / "valid.xml").read_bytes())
    with pytest.raises(dcc.DccInvalid) as refused:
        dcc.validate_dcc((EXAMPLES / "invalid_schema.xml").read_bytes())
    assert "uniqueIdentifier" in str(refused.value)


def test_a_verification_gets_no_dcc(verification):
    with pytest.raises(InputError, match="calibration"):
        dcc.build_dcc(dcc.Dcc(verification, (weights_table(),)))


def test_a_unit_without_d_si_notation_is_named(calibration):
    table = dcc.Table("T", "T", (dcc.Column("Độ dài", "Length", (1,), unit="furlong"),))
    with pytest.raises(InputError) as refused:
        dcc.build_dcc(dcc.Dcc(calibration, (table,)))
    assert refused.value.field == "tables[0].columns[0].unit"


def test_numbers_are_written_without_float_noise_or_exponent():
    """0.1 + 0.2 is 0.30000000000000004 in floats; the DCC writes what was reported, never an exponent."""
    assert dcc.decimal_text(0.3) == "0.3"
    assert dcc.decimal_text("1E-7") == "0.0000001"
    assert dcc.decimal_text(Decimal("200.0018")) == "200.0018"
    with pytest.raises(InputError):
        dcc.decimal_text(float("nan"))


def test_an_amendment_names_the_certificate_it_replaces(calibration):
    amended = replace(calibration, number="3702-26/R1", revision=1, supersedes="3702-26")
    xml = dcc.build_dcc(dcc.Dcc(amended, (weights_table(),), replaces=dcc.Replaced("3702-26", "ab" * 32)))
    dcc.validate_dcc(xml)
    read = dcc.read_dcc(xml)
    assert read.replaces == "3702-26"
    assert b"<dcc:previousReport>" in xml and b"<dcc:referralID>3702-26</dcc:referralID>" in xml


def test_read_back_gives_the_same_values_uncertainties_and_units(built):
    read = dcc.read_dcc(built)
    assert read.number == "3702-26"
    ((name, columns),) = read.tables
    assert name == "Calibration results of weights"
    by_name = {column.name: column for column in columns}
    mass = by_name["Conventional mass"]
    assert mass.unit == "g"
    assert mass.values == (Decimal("1000.009"), Decimal("499.9958"), Decimal("200.0018"))
    assert mass.uncertainties == (Decimal("0.0054"), Decimal("0.0027"), Decimal("0.0011"))
    assert mass.coverage_factors == (Decimal("2.00"), Decimal("2.00"), Decimal("2.05"))
    assert by_name["Correction"].unit == "mg"
    assert by_name["Nominal value"].values == ("1 kg", "500 g", "200 g")
    assert by_name["Conforms to class"].values == ("pass", "pass", "fail")


def test_the_signature_holds_and_a_changed_byte_breaks_it(built, signer):
    signed = signer.sign_xml(built)
    dcc.validate_dcc(signed)  # ds:Signature sits where the schema allows it
    assert dcc.verify_dcc_signature(signed, signer.certificate_pem).valid
    assert dcc.verify_dcc_signature(signed).valid  # by the certificate it carries
    changed = signed.replace(b"1000.009", b"1000.008")
    status = dcc.verify_dcc_signature(changed, signer.certificate_pem)
    assert not status.valid and status.problem


def test_an_unsigned_dcc_is_not_taken_for_a_signed_one(built):
    status = dcc.verify_dcc_signature(built)
    assert not status.valid and "no signature" in status.problem


def test_a_dcc_with_entities_is_refused_before_parsing():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b'<dcc:digitalCalibrationCertificate xmlns:dcc="https://ptb.de/dcc">&b;</dcc:digitalCalibrationCertificate>'
    )
    with pytest.raises(dcc.DccInvalid, match="entities"):
        dcc.validate_dcc(bomb)
    external = b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://127.0.0.1:9/x.dtd"><d/>'
    with pytest.raises(dcc.DccInvalid):
        dcc.parse(external)
    with pytest.raises(dcc.DccInvalid, match="larger"):
        dcc.parse(b" " * (dcc.MAX_DCC_BYTES + 1))


def test_the_pdf_carries_the_dcc_as_an_associated_file_under_its_signature(calibration, built, signer):
    signed_xml = signer.sign_xml(built)
    attachment = Attachment(dcc.FILE_NAME, signed_xml, dcc.MIME_TYPE, "Digital Calibration Certificate (DCC 3.3.0)")
    pdf = signer.sign(render_certificate(calibration), "test", "Vĩnh Long", "Signer", attachments=(attachment,))
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments[dcc.FILE_NAME] == [signed_xml]
    catalogue = reader.trailer["/Root"]
    (associated,) = catalogue["/AF"]
    assert associated.get_object()["/AFRelationship"] == "/Alternative"
    status = verify_signature(pdf)
    assert status.intact and status.valid and status.covers_whole_document
