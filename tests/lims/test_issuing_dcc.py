"""Every calibration certificate is also issued as a signed DCC 3.3.0: stored beside the PDF, carried inside it,
downloadable, verifiable on the public page, and an amendment names the certificate it replaces."""

import hashlib
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from certificates import dcc
from lims.core.files import read_bytes
from lims.issuing import services
from lims.issuing.keys import lab_signer
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


def issue(world, job):
    certificate = services.issue_certificate(world.session, world.signatory, job, TEST_PASSWORD)
    world.session.commit()
    return certificate


def test_a_calibration_certificate_gets_a_valid_signed_dcc_inside_its_pdf(app, world):
    certificate = issue(world, world.job(kind="calibration"))
    assert certificate.dcc_sha256 and certificate.dcc_size
    xml = read_bytes(certificate.dcc_sha256)
    dcc.validate_dcc(xml)
    assert dcc.verify_dcc_signature(xml, lab_signer().certificate_pem).valid
    pdf = PdfReader(io.BytesIO(read_bytes(certificate.pdf_sha256)))
    assert pdf.attachments[dcc.FILE_NAME] == [xml]
    read = dcc.read_dcc(xml)
    assert read.number == certificate.display_number
    ((_name, columns),) = read.tables
    correction = next(c for c in columns if c.name == "Correction")
    # the record's numbers, not the printed text: 9.0 mg
    assert correction.unit == "mg" and correction.values == (Decimal("9.0"),)


def test_a_verification_certificate_has_no_dcc(world):
    certificate = issue(world, world.job(kind="verification", passed=False))
    assert certificate.dcc_sha256 is None


def test_an_amendment_dcc_names_the_certificate_it_replaces(world):
    original = issue(world, world.job(kind="calibration"))
    amended = services.amend_certificate(
        world.session, world.signatory, original, TEST_PASSWORD, reason="Sửa địa chỉ khách hàng"
    )
    world.session.commit()
    read = dcc.read_dcc(read_bytes(amended.dcc_sha256))
    assert read.number == f"{original.number}/R1"
    assert read.replaces == original.display_number
    assert original.dcc_sha256.encode() in read_bytes(amended.dcc_sha256)


def test_the_dcc_downloads_exactly_as_stored(world, client, login):
    certificate = issue(world, world.job(kind="calibration"))
    login("manager")
    response = client.get(f"/certificates/{certificate.id}/dcc.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert hashlib.sha256(response.data).hexdigest() == certificate.dcc_sha256
    page = client.get(f"/certificates/{certificate.id}").get_data(as_text=True)
    assert 'data-testid="download-dcc"' in page


def test_an_enterprise_downloads_only_its_own_dcc(world, client, login, make_organisation):
    certificate = issue(world, world.job(kind="calibration"))
    login("enterprise", organisation=make_organisation("Công ty khác"))
    assert client.get(f"/certificates/{certificate.id}/dcc.xml").status_code == 404


def _upload(client, data: bytes, name: str = "dcc.xml"):
    return client.post(
        "/verify/file", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    ).get_data(as_text=True)


def test_the_public_page_verifies_an_uploaded_dcc(world, client):
    certificate = issue(world, world.job(kind="calibration"))
    xml = read_bytes(certificate.dcc_sha256)
    page = _upload(client, xml)
    assert 'data-outcome="genuine"' in page and 'data-match="yes"' in page
    changed = xml.replace(b"<si:valueXMLList>9", b"<si:valueXMLList>8", 1)
    assert changed != xml
    page = _upload(client, changed)
    # the certificate it names is found, and the file is told apart from the issued one
    assert certificate.display_number in page and 'data-match="no"' in page


def test_the_public_page_tells_a_revoked_certificate_by_its_dcc(world, client):
    certificate = issue(world, world.job(kind="calibration"))
    services.revoke_certificate(world.session, world.signatory, certificate, "Sai khách hàng", TEST_PASSWORD)
    world.session.commit()
    page = _upload(client, read_bytes(certificate.dcc_sha256))
    assert 'data-outcome="revoked"' in page


def test_an_uploaded_xml_with_entities_is_not_expanded(world, client):
    bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "x">]><d>&a;</d>'
    page = _upload(client, bomb)
    assert 'data-outcome="not_found"' in page


def test_every_demo_calibration_certificate_round_trips_through_its_dcc(app, session):
    """The demo's calibration certificates: each DCC validates, its signature holds, the PDF carries it, and its
    numbers, uncertainties and units are the record's."""
    from sqlalchemy import select

    from lims.demo import load_demo
    from lims.issuing import document
    from lims.issuing.dcc import tables_of
    from lims.issuing.models import Certificate

    load_demo()
    certificates = session.scalars(select(Certificate).where(Certificate.kind == "calibration")).all()
    assert certificates, "the demo issues calibration certificates"
    pem = lab_signer().certificate_pem
    for certificate in certificates:
        xml = read_bytes(certificate.dcc_sha256)
        dcc.validate_dcc(xml)
        assert dcc.verify_dcc_signature(xml, pem).valid, certificate.display_number
        attached = PdfReader(io.BytesIO(read_bytes(certificate.pdf_sha256))).attachments[dcc.FILE_NAME]
        assert attached == [xml]
        read = dcc.read_dcc(xml)
        states_conformity = document.conformity_specification(certificate.job) is not None
        expected = tables_of(document.final_record(certificate.job).result, conformity=states_conformity)
        assert len(read.tables) == len(expected)
        for (_name, columns), table in zip(read.tables, expected, strict=True):
            for got, want in zip(columns, table.columns, strict=True):
                if want.kind != "real":
                    continue
                assert got.unit == want.unit
                assert got.values == tuple(Decimal(dcc.decimal_text(v)) for v in want.values)
                if want.uncertainties is not None:
                    assert got.uncertainties == tuple(Decimal(dcc.decimal_text(u)) for u in want.uncertainties)


def test_lims_dcc_read_prints_the_results_and_refuses_an_invalid_file(app, world, tmp_path):
    certificate = issue(world, world.job(kind="calibration"))
    path = tmp_path / "dcc.xml"
    path.write_bytes(read_bytes(certificate.dcc_sha256))
    result = app.test_cli_runner().invoke(args=["dcc", "read", str(path)])
    assert result.exit_code == 0, result.output
    assert f"DCC {certificate.display_number}" in result.output
    assert "signature: intact" in result.output
    assert "Correction [mg]" in result.output and "9.0" in result.output
    path.write_bytes(b"<not-a-dcc/>")
    result = app.test_cli_runner().invoke(args=["dcc", "read", str(path)])
    assert result.exit_code == 1 and "not a valid DCC 3.3.0" in result.output


def test_other_systems_fetch_the_dcc_from_the_api(world, client, login):
    certificate = issue(world, world.job(kind="calibration"))
    login("manager")
    response = client.get(f"/api/v1/certificates/{certificate.id}/dcc")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert hashlib.sha256(response.data).hexdigest() == certificate.dcc_sha256
