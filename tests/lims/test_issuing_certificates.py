"""Issuing: a reviewed job becomes one signed, numbered, immutable certificate that the public can verify."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from lims.auth.permissions import SYSTEM
from lims.core.errors import PermissionDenied, RuleViolation
from lims.issuing import services
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


def issue(world, job, **kwargs):
    certificate = services.issue_certificate(world.session, world.signatory, job, TEST_PASSWORD, **kwargs)
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
    assert text.count("Authorised signatory") == 1 and "NGƯỜI ĐƯỢC ỦY QUYỀN KÝ" in text
    assert certificate.job.status == "certified"
    assert certificate.instrument.next_due_on == date(2027, 11, 17)


def test_the_issued_pdf_carries_a_valid_pades_signature_of_the_lab_key(app, world):
    from lims.core.files import read_bytes
    from lims.issuing.keys import certificate_path

    certificate = issue(world, world.job(kind="calibration"))
    from certificates.signing import verify_signature

    status = verify_signature(read_bytes(certificate.pdf_sha256), [certificate_path(app.config["SIGNING_KEY_PATH"])])
    assert status.ok, status.problem
    assert certificate.signature_meaning.endswith("approved and issued")


def test_the_qr_code_opens_the_public_page_of_that_certificate(app, world, client):
    import pypdfium2
    import zxingcpp

    from lims.core.files import read_bytes

    certificate = issue(world, world.job(kind="calibration"))
    image = pypdfium2.PdfDocument(read_bytes(certificate.pdf_sha256))[0].render(scale=2).to_pil()
    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
    assert decoded == [f"http://lims.test/v/{certificate.token}"]
    assert len(certificate.token) >= 32  # unguessable, not the number
    response = client.get(decoded[0].removeprefix("http://lims.test"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-outcome="genuine"' in page and certificate.number in page


def test_a_calibration_states_coverage_factor_and_probability(world):
    from lims.core.files import read_bytes

    certificate = issue(world, world.job(kind="calibration"))
    text = pdf_text(read_bytes(certificate.pdf_sha256))
    assert "GIẤY CHỨNG NHẬN HIỆU CHUẨN" in text and "ĐLVN 286:2015" in text
    assert "k = 2" in text and "95" in text
    assert "5,4" in text  # U of the 1 kg weight, with the decimal comma


def test_the_downloaded_pdf_is_exactly_the_stored_signed_bytes(world, client, login):
    import hashlib

    certificate = issue(world, world.job(kind="calibration"))
    login("manager")
    response = client.get(f"/certificates/{certificate.id}/pdf")
    assert response.status_code == 200
    assert hashlib.sha256(response.data).hexdigest() == certificate.pdf_sha256


@pytest.mark.parametrize(
    "column, value",
    [("number", "9999-26-VL"), ("pdf_sha256", "0" * 64), ("valid_until", date(2030, 1, 1)), ("customer_name", "X")],
)
def test_no_change_to_an_issued_certificate_content_is_ever_flushed(world, column, value):
    certificate = issue(world, world.job(kind="calibration"))
    setattr(certificate, column, value)
    with pytest.raises(PermissionDenied):
        world.session.flush()
    world.session.rollback()


def test_an_issued_certificate_cannot_be_deleted(world):
    certificate = issue(world, world.job(kind="calibration"))
    world.session.delete(certificate)
    with pytest.raises(PermissionDenied):
        world.session.flush()
    world.session.rollback()


def test_a_later_rename_of_the_lab_does_not_change_an_issued_certificate(app, world, client):
    certificate = issue(world, world.job(kind="calibration"))
    original = app.config["LAB_NAME"]
    app.config["LAB_NAME"] = "Trung tâm mới sau sáp nhập"
    try:
        page = client.get(f"/v/{certificate.token}").get_data(as_text=True)
    finally:
        app.config["LAB_NAME"] = original
    assert certificate.lab_snapshot["name"] == original
    assert original in page and "Trung tâm mới sau sáp nhập" not in page.split("<main")[1].split("</main>")[0]


def test_only_a_reviewed_job_can_be_certified(world):
    job = world.job()
    job.status = "measured"
    world.session.commit()
    with pytest.raises(RuleViolation, match="đã soát xét"):
        services.issue_certificate(world.session, world.signatory, job, TEST_PASSWORD)


def test_signing_needs_the_signatory_password_again(world):
    with pytest.raises(RuleViolation) as refused:
        services.issue_certificate(world.session, world.signatory, world.job(kind="calibration"), "wrong-password")
    assert refused.value.field == "password"


def test_the_signatory_may_not_sign_what_they_measured(world, make_user):
    both = make_user("technician", "signatory")
    job = world.job(kind="calibration")
    job.measured_by_id = both.id
    world.session.commit()
    with pytest.raises(PermissionDenied, match="người đã đo"):
        services.issue_certificate(world.session, both, job, TEST_PASSWORD)


def test_a_technician_cannot_sign(world):
    with pytest.raises(PermissionDenied):
        services.issue_certificate(world.session, world.technician, world.job(kind="calibration"), TEST_PASSWORD)


def test_an_unconfirmed_cycle_blocks_certification_until_a_manager_confirms_it(world):
    from lims.customers.models import VerificationCycle

    world.session.add(
        VerificationCycle(
            instrument_type_id=world.scale_type.id,
            months=24,
            effective_from=date(2026, 4, 15),
            legal_source="Thông tư 04/2026/TT-BKHCN",
            confirmed=False,
        )
    )
    world.session.commit()
    world.stickers()
    job = world.job()
    with pytest.raises(RuleViolation, match="xác nhận"):
        services.issue_certificate(world.session, world.signatory, job, TEST_PASSWORD, sticker_serial="VL 0000001")
    world.session.rollback()


def test_a_passed_verification_needs_an_available_sticker(world):
    world.stickers(1, 2)
    with pytest.raises(RuleViolation) as refused:
        services.issue_certificate(world.session, world.signatory, world.job(), TEST_PASSWORD)
    assert refused.value.field == "sticker_serial"
    world.session.rollback()
    issue(world, world.job(), sticker_serial="VL 0000001")
    with pytest.raises(RuleViolation, match="used"):
        services.issue_certificate(
            world.session, world.signatory, world.job(), TEST_PASSWORD, sticker_serial="VL 0000001"
        )
    world.session.rollback()


def test_a_failed_verification_has_no_validity_and_no_sticker(world):
    from lims.core.files import read_bytes

    certificate = issue(world, world.job(passed=False))
    assert certificate.valid_until is None and certificate.sticker_serial is None
    assert "Không đạt yêu cầu kỹ thuật đo lường" in pdf_text(read_bytes(certificate.pdf_sha256))


def test_numbers_follow_the_series_format_and_count_per_series(world):
    from lims.issuing.numbering import set_number_format

    set_number_format(world.session, SYSTEM, "calibration", "HC{seq:04d}/{yyyy}-{unit}")
    world.session.commit()
    first = issue(world, world.job(kind="calibration"), issued_on=date(2026, 11, 20))
    second = issue(world, world.job(kind="calibration"), issued_on=date(2026, 11, 20))
    world.stickers()
    verification = issue(world, world.job(), sticker_serial="VL 0000001", issued_on=date(2026, 11, 20))
    assert (first.number, second.number, verification.number) == ("HC0001/2026-VL", "HC0002/2026-VL", "1-26-VL")


def test_a_record_the_certificate_cannot_state_is_refused_as_a_rule_not_a_crash(world):
    job = world.job(kind="calibration")
    job.received_on = date(2026, 12, 1)  # after the measurement day
    world.session.commit()
    with pytest.raises(RuleViolation, match="received ≤ measured"):
        services.issue_certificate(world.session, world.signatory, job, TEST_PASSWORD)
    world.session.rollback()


def test_the_two_series_cannot_be_given_formats_that_collide(world):
    from lims.issuing.numbering import set_number_format

    with pytest.raises(RuleViolation, match="Mẫu số trùng"):
        set_number_format(world.session, SYSTEM, "calibration", "{seq}-{yy}-{unit}")
