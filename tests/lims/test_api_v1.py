"""API v1: personal access tokens, the same permission checks as the pages, problem documents naming the field, and
an enterprise's request served end to end (three instruments, one new; then its certificates downloaded)."""

import csv
import hashlib
import io
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lims.auth.models import ApiToken, ApiTokenUse
from lims.auth.permissions import SYSTEM
from lims.auth.tokens import create_token
from lims.core.model import utcnow
from lims.customers.models import Instrument, InstrumentType
from lims.jobs.models import JobStandard, MeasurementRecord, ServiceRequest
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import MEASURED_ON, SCALE_RESULT, make_world


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture()
def token_for(session):
    """Make a token for an account: token_for(user, scope="read") -> the secret."""

    def make(user, scope: str = "read", days: int | None = 30) -> str:
        made = create_token(session, SYSTEM, user, name="test", scope=scope, days=days)
        session.commit()
        return made.secret

    return make


@pytest.fixture()
def scale_type(session):
    found = InstrumentType(code="can-ban", name_vi="Cân bàn", name_en="Platform scale",
                           procedure_keys="scale-verification-r76")  # fmt: skip
    session.add(found)
    session.commit()
    return found


def _instrument(session, organisation, instrument_type, serial: str) -> Instrument:
    item = Instrument(organisation_id=organisation.id, instrument_type_id=instrument_type.id, serial=serial, unit="kg")
    session.add(item)
    session.commit()
    return item


# --- tokens ----------------------------------------------------------------------------------------------------


def test_a_token_made_on_the_account_page_is_shown_once_kept_hashed_listed_and_revoked(client, login, session):
    user = login("enterprise")
    page = client.post("/account/tokens", data={"name": "ERP", "scope": "read", "expires_days": "30"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    secret = html.split('data-testid="token-secret">')[1].split("<")[0]
    assert secret.startswith("lims_")
    stored = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest() and secret not in str(stored.__dict__)
    listed = client.get("/account").get_data(as_text=True)
    assert "ERP" in listed and stored.prefix in listed and secret not in listed
    other = client.application.test_client()
    assert other.get("/api/v1/organisation", headers=bearer(secret)).status_code == 200
    assert client.post(f"/account/tokens/{stored.id}/revoke").status_code == 302
    refused = other.get("/api/v1/organisation", headers=bearer(secret))
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_each_use_of_a_token_is_recorded_refusals_too(client, make_user, token_for, session):
    user = make_user("enterprise")
    secret = token_for(user)
    client.get("/api/v1/instruments", headers=bearer(secret))
    client.get("/api/v1/instruments/999999", headers=bearer(secret))
    uses = session.scalars(select(ApiTokenUse).order_by(ApiTokenUse.id)).all()
    assert [(use.method, use.path, use.status) for use in uses] == [
        ("GET", "/api/v1/instruments", 200),
        ("GET", "/api/v1/instruments/999999", 404),
    ]


def test_an_expired_token_or_one_of_a_deactivated_account_is_refused(client, make_user, token_for, session):
    user = make_user("technician")
    secret = token_for(user)
    token = session.scalar(select(ApiToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert client.get("/api/v1/jobs", headers=bearer(secret)).status_code == 401
    token.expires_at = None
    user.active = False
    session.commit()
    assert client.get("/api/v1/jobs", headers=bearer(secret)).status_code == 401


def test_the_command_line_makes_a_token_printed_once(app_context, make_user, session):
    user = make_user("enterprise")
    result = app_context.test_cli_runner().invoke(
        args=["token", "create", user.username, "--scope", "write", "--expires", "7"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    token = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.scope == "write" and token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert timedelta(days=6) < token.expires_at - utcnow() <= timedelta(days=7)
    assert app_context.test_client().get("/api/v1/organisation", headers=bearer(secret)).status_code == 200


def test_a_read_token_may_not_write_and_an_inspector_never_writes(client, make_user, token_for, scale_type):
    enterprise = make_user("enterprise")
    body = {"type_code": "can-ban", "serial": "R-1"}
    assert client.post("/api/v1/instruments", json=body, headers=bearer(token_for(enterprise))).status_code == 403
    inspector = make_user("inspector")
    answer = client.post("/api/v1/instruments", json=body | {"organisation_id": enterprise.organisation_id},
                         headers=bearer(token_for(inspector, "write")))  # fmt: skip
    assert answer.status_code == 403 and answer.mimetype == "application/problem+json"


def test_token_requests_need_no_csrf_and_session_requests_do(app, client, make_user, token_for, scale_type):
    enterprise = make_user("enterprise")
    secret = token_for(enterprise, "write")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        body = {"type_code": "can-ban", "serial": "T-1"}
        made = client.post("/api/v1/instruments", json=body, headers=bearer(secret))
        assert made.status_code == 201, made.get_json()
        session_client = app.test_client()
        with session_client.session_transaction() as cookie:
            cookie["_user_id"] = enterprise.get_id()
            cookie["_fresh"] = True
        refused = session_client.post("/api/v1/instruments", json={"type_code": "can-ban", "serial": "T-2"})
        assert refused.status_code == 400 and "CSRF" in refused.get_json()["detail"]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- scope, problems -------------------------------------------------------------------------------------------


def test_an_enterprise_reads_only_its_own_and_another_s_is_not_found(client, make_user, make_organisation, token_for,
                                                                     scale_type, session):  # fmt: skip
    own, other = make_organisation("Của mình"), make_organisation("Người khác")
    mine = _instrument(session, own, scale_type, "MINE-1")
    theirs = _instrument(session, other, scale_type, "THEIRS-1")
    secret = token_for(make_user("enterprise", organisation=own))
    listed = client.get("/api/v1/instruments", headers=bearer(secret)).get_json()
    assert [item["serial"] for item in listed["items"]] == ["MINE-1"] and listed["next_cursor"] is None
    assert client.get(f"/api/v1/instruments/{mine.id}", headers=bearer(secret)).status_code == 200
    hidden = client.get(f"/api/v1/instruments/{theirs.id}", headers=bearer(secret))
    assert hidden.status_code == 404 and hidden.mimetype == "application/problem+json"
    filtered = client.get(f"/api/v1/instruments?organisation_id={other.id}", headers=bearer(secret))
    assert filtered.get_json()["items"] == []
    assert client.get("/api/v1/organisation", headers=bearer(secret)).get_json()["name"] == "Của mình"
    assert client.get("/api/v1/standards", headers=bearer(secret)).status_code == 403
    assert client.get("/api/v1/recall", headers=bearer(secret)).status_code == 403
    assert client.get("/api/v1/jobs", headers=bearer(secret)).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [("days=abc", "days"), ("due=soon", "due"), ("limit=0", "limit"), ("limit=201", "limit"), ("cursor=zz", "cursor")],
)
def test_a_bad_query_argument_is_a_400_problem_naming_it(client, make_user, token_for, query, field):
    answer = client.get(f"/api/v1/instruments?{query}", headers=bearer(token_for(make_user("manager"))))
    assert answer.status_code == 400 and answer.mimetype == "application/problem+json"
    assert answer.get_json()["field"] == field


def test_pages_follow_the_cursor(client, make_user, token_for, make_organisation, scale_type, session):
    owner = make_organisation()
    for number in range(5):
        _instrument(session, owner, scale_type, f"P-{number}")
    secret = token_for(make_user("manager"))
    seen, url = [], "/api/v1/instruments?limit=2"
    while url:
        page = client.get(url, headers=bearer(secret)).get_json()
        seen += [item["serial"] for item in page["items"]]
        url = f"/api/v1/instruments?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else None
    assert seen == [f"P-{number}" for number in range(5)]


def test_a_refused_request_body_names_each_field_by_its_path(client, make_user, token_for, scale_type, session):
    user = make_user("enterprise")
    known = _instrument(session, user.organisation, scale_type, "K-1")
    body = {"items": [{"instrument_id": known.id}, {"instrument": {"type_code": "can-ban", "serial": "N"}},
                      {"instrument": {"type_code": "can-ban"}}], "colour": "blue"}  # fmt: skip
    answer = client.post("/api/v1/requests", json=body, headers=bearer(token_for(user, "write")))
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    fields = {error["field"] for error in answer.get_json()["errors"]}
    assert fields == {"items[2].instrument.serial", "colour"}
    body = {"items": [{"instrument": {"type_code": "nothing", "serial": "N"}}]}
    answer = client.post("/api/v1/requests", json=body, headers=bearer(token_for(user, "write")))
    assert answer.get_json()["field"] == "items[0].instrument.type_code"
    body = {"items": [{"instrument_id": known.id, "service": "calibration"}]}
    answer = client.post("/api/v1/requests", json=body, headers=bearer(token_for(user, "write")))
    assert answer.status_code == 422 and answer.get_json()["field"].startswith("items[0].")
    assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 0
    assert client.post("/api/v1/requests", data="[1]", content_type="application/json",
                       headers=bearer(token_for(user, "write"))).status_code == 422  # fmt: skip


def test_the_openapi_document_and_its_page_are_served_locally(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert {"/instruments", "/requests", "/requests/{request_id}/cancel", "/certificates/{certificate_id}/pdf",
            "/standards", "/recall", "/jobs", "/organisation"} <= set(document["paths"])  # fmt: skip
    parameters = {p["name"] for p in document["paths"]["/instruments"]["get"]["parameters"]}
    assert {"organisation_id", "type", "q", "due", "days", "cursor", "limit"} <= parameters
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/requests" in page and "https://" not in page.split("<body")[1].replace(
        document["info"]["description"], ""
    )


# --- an enterprise's request, end to end -----------------------------------------------------------------------


def _measure(session, world, job) -> None:
    """What the lab does between accepting and issuing: the job measured (a passed scale verification) and reviewed."""
    job.status, job.technician_id, job.measured_on = "reviewed", world.technician.id, MEASURED_ON
    job.received_on = MEASURED_ON - timedelta(days=1)
    job.measured_by_id, job.passed, job.method_code = world.technician.id, True, "ĐLVN 14:2009"
    session.add(MeasurementRecord(job_id=job.id, stage="as_left", observations={}, conditions={"temperature": 24.5},
                                  standards_snapshot=[], result=dict(SCALE_RESULT), passed=True,
                                  measured_on=MEASURED_ON, recorded_by_id=world.technician.id))  # fmt: skip
    session.add(JobStandard(job_id=job.id, standard_id=world.standard.id, calibration_id=world.calibration.id,
                            used_on=MEASURED_ON))  # fmt: skip


def test_an_enterprise_requests_three_instruments_one_new_and_downloads_the_certificates(
    app, client, session, make_user, make_organisation, token_for
):
    from lims.issuing import services as issuing
    from lims.jobs import services as jobs

    world = make_world(session, make_user, make_organisation, app)
    world.scale_type.procedure_keys = "scale-verification-r76"
    first = _instrument(session, world.customer, world.scale_type, "NH-A1")
    second = _instrument(session, world.customer, world.scale_type, "NH-A2")
    user = make_user("enterprise", organisation=world.customer)
    secret = token_for(user, "write")
    body = {
        "items": [
            {"instrument_id": first.id},
            {"instrument_id": second.id, "service": "initial_verification"},
            {"instrument": {"type_code": "can-ban", "serial": "NH-NEW", "maker": "Nhơn Hòa", "range_max": 30,
                            "unit": "kg", "verification_interval": 0.01, "accuracy_class": "III"}},
        ],
        "wants_conformity_statement": False,
        "preferred_on": "2026-12-15",
        "notes": "Gửi kèm 3 cân",
    }  # fmt: skip
    made = client.post("/api/v1/requests", json=body, headers=bearer(secret))
    assert made.status_code == 201, made.get_json()
    request_id = made.get_json()["id"]
    assert made.headers["Location"].endswith(f"/api/v1/requests/{request_id}")
    assert [item["procedure_key"] for item in made.get_json()["items"]] == ["scale-verification-r76"] * 3
    new = session.scalar(select(Instrument).where(Instrument.serial == "NH-NEW"))
    assert new.organisation_id == world.customer.id
    listed = client.get("/api/v1/requests?status=submitted", headers=bearer(secret)).get_json()
    assert [r["id"] for r in listed["items"]] == [request_id]

    # The lab reviews the contract, measures and issues, as on its pages.
    service_request = session.get(ServiceRequest, request_id)
    assert service_request.preferred_on == date(2026, 12, 15)
    manager = make_user("manager")
    jobs.accept_request(session, manager, service_request)
    session.commit()
    standing = client.get(f"/api/v1/instruments/{first.id}", headers=bearer(secret)).get_json()["status"]
    assert standing == "in_lab"
    for job in service_request.jobs:
        _measure(session, world, job)
    session.commit()
    listed = client.get("/api/v1/instruments", headers=bearer(secret)).get_json()["items"]
    assert {item["status"] for item in listed} == {"in_progress"}
    world.stickers()
    for number, job in enumerate(service_request.jobs, start=1):
        issuing.issue_certificate(session, world.signatory, job, TEST_PASSWORD, sticker_serial=f"VL {number:07d}")
        session.commit()

    listed = client.get("/api/v1/instruments", headers=bearer(secret)).get_json()["items"]
    assert {item["status"] for item in listed} == {"valid"}  # passed: due again in a year
    jobs_seen = client.get(f"/api/v1/requests/{request_id}", headers=bearer(secret)).get_json()["job_ids"]
    assert len(jobs_seen) == 3
    certificates = client.get("/api/v1/certificates?status=issued", headers=bearer(secret)).get_json()["items"]
    assert {c["instrument_id"] for c in certificates} == {first.id, second.id, new.id}
    for certificate in certificates:
        pdf = client.get(f"/api/v1/certificates/{certificate['id']}/pdf", headers=bearer(secret))
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
        assert hashlib.sha256(pdf.data).hexdigest() == certificate["pdf_sha256"]
        verdict = client.get(f"/api/v1/certificates/{certificate['id']}/verification", headers=bearer(secret))
        assert verdict.get_json()["genuine"] is True
    # All at once: one ZIP of the PDFs as issued, with a manifest giving each file's SHA-256.
    archive = client.get("/api/v1/certificates/archive?status=issued", headers=bearer(secret))
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        manifest = list(csv.DictReader(io.StringIO(opened.read("manifest.csv").decode("utf-8-sig"))))
        assert len(manifest) == 3
        for row in manifest:
            assert hashlib.sha256(opened.read(row["file"])).hexdigest() == row["sha256"]
    # A request no longer waiting for review cannot be cancelled; a new one can, by the enterprise.
    refused = client.post(f"/api/v1/requests/{request_id}/cancel", headers=bearer(secret))
    assert refused.status_code == 422 and refused.get_json()["field"] == "status"
    again = client.post("/api/v1/requests", json={"items": [{"instrument_id": first.id}]}, headers=bearer(secret))
    cancelled = client.post(f"/api/v1/requests/{again.get_json()['id']}/cancel", json={"reason": "nhầm"},
                            headers=bearer(secret))  # fmt: skip
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("jobs", "due_in", "expected"),
    [
        ([], None, "unknown"),
        ([], -1, "overdue"),
        ([], 10, "due_30"),
        ([], 45, "due_60"),
        ([], 80, "due_90"),
        ([], 200, "valid"),
        ([("certified", False)], 200, "failed"),
        ([("certified", False), ("returned", True)], 200, "valid"),
        ([("returned", True), ("scheduled", None)], 200, "in_lab"),
        ([("received", None), ("measured", None)], -5, "in_progress"),
    ],
)
def test_an_instrument_s_standing_today(session, make_organisation, scale_type, jobs, due_in, expected):
    from lims.core.dates import lab_today
    from lims.jobs.models import Job
    from lims.portal.status import instrument_statuses

    owner = make_organisation()
    item = _instrument(session, owner, scale_type, "S-1")
    item.next_due_on = lab_today() + timedelta(days=due_in) if due_in is not None else None
    request = ServiceRequest(number="YC-S", organisation_id=owner.id, requested_on=date(2026, 1, 1), status="accepted")
    session.add(request)
    session.flush()
    for number, (status, passed) in enumerate(jobs):
        session.add(Job(number=f"CV-S{number}", request_id=request.id, instrument_id=item.id, service="calibration",
                        procedure_key="x", status=status, passed=passed, received_on=date(2026, 1, 1)))  # fmt: skip
    session.commit()
    assert instrument_statuses(session, [item], lab_today()) == {item.id: expected}
