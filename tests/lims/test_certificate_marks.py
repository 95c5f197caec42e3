"""A revoked certificate downloads with a visible mark; the stored original stays byte-identical for verification."""

import hashlib
import io

import pytest
from pypdf import PdfReader

from lims.core.files import read_bytes
from lims.issuing import services
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_certificates import issue, pdf_text
from tests.lims.test_issuing_support import make_world


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


def test_a_revoked_certificate_downloads_marked_with_the_original_intact(world, client, login, make_user):
    certificate = issue(world, world.job(kind="calibration"))
    original = read_bytes(certificate.pdf_sha256)
    manager = make_user("manager")
    services.revoke_certificate(world.session, manager, certificate, "Sai số liệu chuẩn", TEST_PASSWORD)
    world.session.commit()
    login("manager")
    response = client.get(f"/certificates/{certificate.id}/pdf")
    assert response.status_code == 200
    marked = response.data
    # The original, signed bytes are the first part of the file, unchanged; the mark is an incremental update.
    assert marked.startswith(original) and len(marked) > len(original)
    assert hashlib.sha256(read_bytes(certificate.pdf_sha256)).hexdigest() == certificate.pdf_sha256
    assert response.headers["X-Original-SHA256"] == certificate.pdf_sha256
    assert "thu-hoi" in response.headers["Content-Disposition"]
    pages = PdfReader(io.BytesIO(marked)).pages
    assert all("ĐÃ THU HỒI" in page.extract_text() and "REVOKED" in page.extract_text() for page in pages)
    assert "ĐÃ THU HỒI" not in pdf_text(original)


def test_a_certificate_in_force_downloads_unmarked(world, client, login):
    certificate = issue(world, world.job(kind="calibration"))
    login("manager")
    response = client.get(f"/certificates/{certificate.id}/pdf")
    assert hashlib.sha256(response.data).hexdigest() == certificate.pdf_sha256
    assert "THU HỒI" not in pdf_text(response.data)
