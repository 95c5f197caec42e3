"""Public verification, amendment and revocation, and who may see which certificates."""

import io
from datetime import date

import pytest

from lims.core.errors import RuleViolation
from lims.issuing import services
from lims.issuing.models import CertificateCheck
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


@pytest.fixture()
def issued(world):
    certificate = services.issue_certificate(
        world.session, world.signatory, world.job(kind="calibration"), TEST_PASSWORD
    )
    world.session.commit()
    return certificate


def outcome(response) -> str:
    page = response.get_data(as_text=True)
    return page.split('data-outcome="')[1].split('"')[0]


def test_the_public_finds_a_certificate_by_number_and_printed_code(client, issued):
    response = client.get("/verify", query_string={"number": issued.number, "code": issued.short_code.lower()})
    assert response.status_code == 200 and outcome(response) == "genuine"
    page = response.get_data(as_text=True)
    assert issued.instrument_summary in page
    assert issued.pdf_sha256 not in page  # a few identifying fields, not the whole record


def test_the_number_alone_or_a_wrong_code_finds_nothing(client, issued):
    response = client.get("/verify", query_string={"number": issued.number, "code": "AAAA-AAAA"})
    assert outcome(response) == "not_found"
    assert outcome(client.get("/v/not-a-token")) == "not_found"


def test_an_amendment_supersedes_the_original_which_then_verifies_as_superseded(world, client, issued):
    from lims.core.files import read_bytes
    from tests.lims.test_issuing_certificates import pdf_text

    amended = services.amend_certificate(
        world.session, world.signatory, issued, TEST_PASSWORD, "Sai số hiệu máy / wrong model name"
    )
    world.session.commit()
    assert (amended.number, amended.revision, amended.display_number) == (issued.number, 1, f"{issued.number}/R1")
    assert amended.supersedes_id == issued.id and issued.status == "superseded"
    text = pdf_text(read_bytes(amended.pdf_sha256))
    assert f"{issued.number}/R1" in text and "Supersedes certificate No. " + issued.number in text
    old = client.get(f"/v/{issued.token}")
    assert outcome(old) == "superseded" and f"{issued.number}/R1" in old.get_data(as_text=True)
    assert outcome(client.get(f"/v/{amended.token}")) == "genuine"
    by_number = client.get("/verify", query_string={"number": f"{issued.number}/R1", "code": amended.short_code})
    assert outcome(by_number) == "genuine"
    with pytest.raises(RuleViolation):
        services.amend_certificate(world.session, world.signatory, issued, TEST_PASSWORD, "again")


def test_a_revoked_certificate_verifies_as_revoked_with_the_reason_recorded(world, client, issued, make_user):
    manager = make_user("manager")
    with pytest.raises(RuleViolation) as refused:
        services.revoke_certificate(world.session, manager, issued, "Thay linh kiện", "not-the-password")
    assert refused.value.field == "password" and issued.status == "issued"
    services.revoke_certificate(world.session, manager, issued, "Phương tiện đo bị thay thế linh kiện", TEST_PASSWORD)
    world.session.commit()
    assert issued.revoked_by_id == manager.id and issued.revoke_reason.startswith("Phương tiện")
    assert outcome(client.get(f"/v/{issued.token}")) == "revoked"
    with pytest.raises(RuleViolation):
        services.revoke_certificate(world.session, world.technician, issued, "x", TEST_PASSWORD)


def test_an_uploaded_pdf_is_recognised_only_when_byte_for_byte_the_issued_one(client, issued):
    from lims.core.files import read_bytes

    original = read_bytes(issued.pdf_sha256)
    same = client.post(
        "/verify/file",
        data={"file": (io.BytesIO(original), "gcn.pdf"), "token": issued.token},
        content_type="multipart/form-data",
    )
    assert same.status_code == 200 and 'data-match="yes"' in same.get_data(as_text=True)
    tampered = bytearray(original)
    tampered[len(original) // 2] ^= 1
    changed = client.post(
        "/verify/file",
        data={"file": (io.BytesIO(bytes(tampered)), "gcn.pdf"), "token": issued.token},
        content_type="multipart/form-data",
    )
    assert 'data-match="no"' in changed.get_data(as_text=True)
    anonymous = client.post(
        "/verify/file", data={"file": (io.BytesIO(original), "gcn.pdf")}, content_type="multipart/form-data"
    )
    assert 'data-match="yes"' in anonymous.get_data(as_text=True) and issued.number in anonymous.get_data(as_text=True)


def test_each_lookup_is_logged_and_an_address_is_limited_without_a_database_write(app, client, session, issued):
    app.config["VERIFY_RATE_LIMIT"] = 5
    try:
        codes = [client.get(f"/v/{issued.token}").status_code for _ in range(6)]
        codes.append(client.get("/verify?number=1-26-VL&code=XXXX-XXXX").status_code)  # one count for every kind
        other = client.get(f"/v/{issued.token}", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code
    finally:
        app.config.pop("VERIFY_RATE_LIMIT")
    assert codes == [200] * 5 + [429, 429] and other == 200
    outcomes = session.scalars(CertificateCheck.__table__.select().with_only_columns(CertificateCheck.outcome)).all()
    assert outcomes.count("genuine") == 6 and len(outcomes) == 6  # refused look-ups wrote nothing


def test_an_enterprise_sees_and_downloads_only_its_own_certificates(world, client, login, make_organisation):
    other = make_organisation("Công ty khác")
    mine = services.issue_certificate(world.session, world.signatory, world.job(kind="calibration"), TEST_PASSWORD)
    theirs = services.issue_certificate(
        world.session, world.signatory, world.job(kind="calibration", organisation=other), TEST_PASSWORD
    )
    world.session.commit()
    login("enterprise", organisation=world.customer)
    listing = client.get("/certificates").get_data(as_text=True)
    assert mine.number in listing and theirs.number not in listing
    assert client.get(f"/certificates/{mine.id}/pdf").status_code == 200
    assert client.get(f"/certificates/{theirs.id}/pdf").status_code == 404
    assert client.get(f"/certificates/{theirs.id}").status_code == 404


def test_a_signatory_issues_through_the_page_with_a_second_password_entry(world, client):
    client.post("/login", data={"username": world.signatory.username, "password": TEST_PASSWORD})
    job = world.job(kind="calibration")
    refused = client.post(f"/issuing/jobs/{job.id}", data={"password": "nope"})
    assert refused.status_code == 422
    response = client.post(f"/issuing/jobs/{job.id}", data={"password": TEST_PASSWORD})
    assert response.status_code == 302
    world.session.expire_all()
    assert job.status == "certified"


def test_the_certificate_date_is_the_lab_day(world):
    certificate = services.issue_certificate(
        world.session, world.signatory, world.job(kind="calibration"), TEST_PASSWORD, issued_on=date(2026, 11, 21)
    )
    assert certificate.issued_on == date(2026, 11, 21)


def test_an_amendment_keeps_the_remarks_of_the_certificate_it_replaces(world):
    original = services.issue_certificate(
        world.session,
        world.signatory,
        world.job(kind="calibration"),
        TEST_PASSWORD,
        remarks=("Kiểm định định kỳ năm 2026.",),
    )
    first = services.amend_certificate(
        world.session, world.signatory, original, TEST_PASSWORD, "Sai tên kiểu", remarks=("Vị trí: kho lạnh số 2.",)
    )
    second = services.amend_certificate(world.session, world.signatory, first, TEST_PASSWORD, "Sai số sản xuất")
    world.session.commit()
    assert first.content["remarks"][:3] == [
        "Kiểm định định kỳ năm 2026.",
        "Vị trí: kho lạnh số 2.",
        "Sửa đổi / Amendment: Sai tên kiểu",
    ]
    # each revision states its own amendment; the remarks it carries stay
    assert second.content["remarks"][:3] == [
        "Kiểm định định kỳ năm 2026.",
        "Vị trí: kho lạnh số 2.",
        "Sửa đổi / Amendment: Sai số sản xuất",
    ]


def test_a_number_typed_in_small_letters_finds_the_certificate(world, client, issued):
    amended = services.amend_certificate(world.session, world.signatory, issued, TEST_PASSWORD, "Sai tên kiểu")
    world.session.commit()
    typed = {"number": f"{issued.number.lower()}/r1", "code": amended.short_code.lower()}
    assert outcome(client.get("/verify", query_string=typed)) == "genuine"


def test_the_replaced_original_uploaded_on_its_revisions_page_is_told_as_superseded_not_as_forged(
    world, client, issued
):
    from lims.core.files import read_bytes

    amended = services.amend_certificate(world.session, world.signatory, issued, TEST_PASSWORD, "Sai tên kiểu")
    world.session.commit()
    response = client.post(
        "/verify/file",
        data={"file": (io.BytesIO(read_bytes(issued.pdf_sha256)), "gcn.pdf"), "token": amended.token},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert outcome(response) == "superseded" and 'data-match="yes"' in page
    assert amended.display_number in page
