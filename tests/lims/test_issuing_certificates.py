"""Issuing: a reviewed job becomes one signed, numbered, immutable certificate that the public can verify."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from lims.core.errors import PermissionDenied, RuleViolation
from lims.issuing import services
from lims.issuing.models import Certificate
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


def issue(world, job, **kwargs):
    certificate = services.issue_certificate(world.session, job, world.signatory, TEST_PASSWORD, **kwargs)
    world.session.commit()
    return certificate


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_a_passed_verification_certificate_states_what_the_circular_requires(world):
    from lims.core.files import read_bytes

    world.stickers()
    certificate = issue(world, world.job(), sticker_serial="VL 0000003", issued_on=date(2026, 11, 20))
    text = pdf_text(read_bytes(certificate.pdf_sha256))
    assert certificate.number == "1-26-VL"
    for expected in (
        "1-26-VL",
        "GIẤY CHỨNG NHẬN KIỂM ĐỊNH",
        "Công ty TNHH Thủy sản Cửu Long",
        "NH-0001",
        "ĐLVN 14:2009",
        "Đạt yêu cầu kỹ thuật đo lường",
        "VL 0000003",
        "17/11/2027",  # valid until: 12-month cycle from 18/11/2026, the day before the anniversary
        "KĐV 0123",
        "Lê Văn An",
        "Trần Thị Mai",
        "V09.HC.1234-26",
        "ĐK 000/TĐC-ĐL",
        certificate.short_code,
    ):
        assert expected in text, expected
    pages = len(PdfReader(io.BytesIO(read_bytes(certificate.pdf_sha256))).pages)
    assert f"Trang {pages} / {pages}" in text
    assert certificate.job.status == "certified"
    assert certificate.instrument.next_due_on == date(2027, 11, 17)
