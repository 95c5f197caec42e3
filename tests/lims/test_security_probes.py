"""The security probes of the December 2026 walkthrough that failed, each replayed as it was run.

One test per failed probe (../shared/reviews/walkthrough-2026-12.md, "Security probes that failed"), named after it.
The inspector's audit-trail reads belong to the permission vocabulary and are tested with it.
"""

import io
import json
import re
from datetime import date, timedelta

import pytest
from flask import g
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.http import parse_options_header

from lims.auth.permissions import SYSTEM
from lims.customers import services as customers
from lims.customers.importing import UnreadableFile
from lims.customers.models import Instrument, InstrumentType
from lims.plan.demo import load_plan_38
from lims.quality import services as quality
from tests.conftest import TEST_PASSWORD


def _sign_in(client, user, remember=False):
    data = {"username": user.username, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    _fresh()
    response = client.post("/login", data=data)
    _fresh()
    assert response.status_code == 302, response.text
    return response


def _fresh() -> None:
    # The tests' requests share one app context, where Flask-Login caches the last user in `g`; a real request
    # starts with a fresh one, which is what these probes replay.
    g.pop("_login_user", None)


def _signed_in(client) -> bool:
    _fresh()
    response = client.get("/home")
    _fresh()
    return response.status_code == 200


# --- sessions that end ------------------------------------------------------------------------------------------


def test_probe_session_cookie_after_logout_no_longer_opens_home(app, client, make_user):
    user = make_user("technician")
    _sign_in(client, user)
    stolen = client.get_cookie("session").value
    client.post("/logout")
    other = app.test_client()
    other.set_cookie("session", stolen)
    assert not _signed_in(other)


def test_probe_remember_me_cookie_after_logout_no_longer_opens_home(app, client, make_user):
    user = make_user("technician")
    _sign_in(client, user, remember=True)
    remembered = client.get_cookie("remember_token").value
    client.post("/logout")
    other = app.test_client()
    other.set_cookie("remember_token", remembered)
    assert not _signed_in(other)


def test_probe_session_and_remember_me_after_a_password_change_no_longer_open_home(app, client, make_user):
    user = make_user("technician")
    elsewhere = app.test_client()
    _sign_in(elsewhere, user, remember=True)
    remembered = elsewhere.get_cookie("remember_token").value
    _sign_in(client, user)
    new_password = "a new and long passphrase for the scale room"
    response = client.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "password": new_password, "password_again": new_password},
    )
    assert response.status_code == 302, response.text
    assert _signed_in(client), "the device that changed the password stays signed in"
    assert not _signed_in(elsewhere)
    third = app.test_client()
    third.set_cookie("remember_token", remembered)
    assert not _signed_in(third)


def test_a_deactivated_account_and_an_admins_sign_out_everywhere_end_every_session(app, client, make_user, login):
    admin = login("admin")
    user = make_user("technician")
    device = app.test_client()
    _sign_in(device, user, remember=True)
    _fresh()
    response = client.post(f"/admin/users/{user.id}/sign-out")
    assert response.status_code == 302
    assert not _signed_in(device)
    _sign_in(device, user)
    form = {"full_name": user.full_name, "roles": ["technician"], "organisation_id": "0"}
    _fresh()
    assert client.post(f"/admin/users/{user.id}", data=form).status_code == 302  # "active" unticked
    assert not _signed_in(device)
    assert _signed_in(client) and admin.active


def test_probe_remember_me_cookie_lasts_30_days_at_most_with_samesite(app, client, make_user):
    user = make_user("technician")
    response = _sign_in(client, user, remember=True)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert app.config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)
    expires = client.get_cookie("remember_token").expires
    assert expires is not None and expires.date() <= date.today() + timedelta(days=31)


def test_remember_me_and_session_cookies_are_secure_in_production(monkeypatch):
    from lims.config import Config

    monkeypatch.setenv("LIMS_ENV", "production")
    config = Config()
    assert config.REMEMBER_COOKIE_SECURE and config.SESSION_COOKIE_SECURE
    assert config.REMEMBER_COOKIE_SAMESITE == "Lax"


# --- input that cannot break the server -------------------------------------------------------------------------


def test_probe_nul_in_verify_query_answers_400(client):
    response = client.get("/verify?number=%00&code=x")
    assert response.status_code == 400
    assert "number" in response.text


def test_probe_nul_in_login_form_answers_400(client):
    assert client.post("/login", data={"username": "admin\x00", "password": "x"}).status_code == 400


def test_probe_nul_in_public_verification_path_answers_400(client):
    assert client.get("/v/%00abc").status_code == 400


def test_probe_nul_in_calendar_feed_token_answers_400(client):
    assert client.get("/customers/calendar/%00aaaaaaaaaaaaaaaaaaaaaaaaa.ics").status_code == 400


def test_probe_nul_in_search_filter_and_form_field_answers_400(client, login, session):
    login("manager")
    assert client.get("/customers/instruments?q=%00").status_code == 400
    response = client.post("/customers/new", data={"name": "Công ty\x00", "tax_code": ""})
    assert response.status_code == 400 and "name" in response.text


@pytest.mark.parametrize("character", ["\x01", "\x1b", "\x7f", "\x85", "\x9f"])
def test_other_control_characters_are_refused_and_tab_newline_return_pass(client, character):
    assert client.get("/verify", query_string={"number": f"GCN{character}1"}).status_code == 400
    assert client.get("/lang/en", query_string={"next": "/home\t\r\n"}).status_code == 302


def test_probe_deeply_nested_json_to_the_calculation_api_answers_400(client, login):
    login("technician")
    body = "[" * 5000 + "]" * 5000
    response = client.post("/api/v1/calc/uncertainty", data=body, content_type="application/json")
    assert response.status_code == 400
    # an RFC 9457 problem document, as every error of the API
    assert response.mimetype == "application/problem+json" and "JSON" in response.json["detail"]


def test_json_strings_with_nul_and_non_finite_numbers_answer_400_naming_the_path(client, login):
    login("technician")
    response = client.post("/api/v1/calc/uncertainty", json={"inputs": [{"name": "a\x00"}]})
    assert response.status_code == 400 and response.json["field"] == "inputs[0].name"
    for literal in ("NaN", "Infinity", "-Infinity", "1e400"):
        response = client.post("/api/v1/calc/uncertainty", data=f'{{"x": {literal}}}', content_type="application/json")
        assert response.status_code == 400 and response.json["field"] == "x", literal


def test_bodies_beyond_the_limits_answer_413(app, client, login, monkeypatch):
    login("manager")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)
    response = client.post("/customers/new", data={"name": "x" * 2000})
    assert response.status_code == 413
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000_000)
    # Built by hand: the test client spools a large multipart body to a temporary file it never closes.
    body = (
        b'--B\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
        + b"x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)
        + b"\r\n--B--\r\n"
    )
    response = client.post("/customers/new", data=body, content_type="multipart/form-data; boundary=B")
    assert response.status_code == 413


@pytest.fixture()
def scale_type(session):
    customers.seed_catalogue(session, SYSTEM)
    session.commit()
    return session.scalar(select(InstrumentType).where(InstrumentType.code == "scale-platform"))


@pytest.mark.parametrize("typed", ["nan", "inf", "-Infinity", "1e400", "NaN"])
def test_probe_instrument_range_nan_inf_1e400_is_refused(client, login, session, make_organisation, scale_type, typed):
    login("manager")
    owner = make_organisation()
    form = {"instrument_type_id": scale_type.id, "serial": "P-1", "range_max": typed, "last_service_kind": ""}
    response = client.post(f"/customers/{owner.id}/instruments/new", data=form)
    assert response.status_code == 400
    assert session.scalar(select(func.count(Instrument.id))) == 0


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_probe_instrument_dates_outside_1900_2100_are_refused(
    client, login, session, make_organisation, scale_type, typed
):
    login("manager")
    owner = make_organisation()
    form = {"instrument_type_id": scale_type.id, "serial": "P-1", "next_due_on": typed, "last_service_kind": ""}
    response = client.post(f"/customers/{owner.id}/instruments/new", data=form)
    assert response.status_code == 400 and "1900" in response.text
    assert session.scalar(select(func.count(Instrument.id))) == 0


def test_the_instrument_import_refuses_non_finite_numbers_and_far_dates_naming_row_and_column(session, scale_type):
    owner = customers.create_organisation(session, SYSTEM, name="Chợ Trà Vinh", tax_code="2100562341")
    session.commit()
    rows = [
        "tax_code,type_code,serial,range_max,next_due_on",
        f"{owner.tax_code},scale-platform,A-1,nan,",
        f"{owner.tax_code},scale-platform,A-2,1e400,",
        f"{owner.tax_code},scale-platform,A-3,150,9999-12-31",
        f"{owner.tax_code},scale-platform,A-4,150,01/01/0001",
    ]
    report = customers.import_instruments(session, SYSTEM, "\n".join(rows).encode(), "list.csv")
    problems = {(problem.row, problem.column) for problem in report.problems}
    assert {(2, "range_max"), (3, "range_max"), (4, "next_due_on"), (5, "next_due_on")} <= problems
    assert session.scalar(select(func.count(Instrument.id))) == 0


def test_probe_plan_report_xlsx_writes_a_goal_starting_with_equals_as_text(client, login, session):
    plan = load_plan_38(session)
    item = plan.items[0]
    item.title_vi = '=HYPERLINK("http://evil.example","Bấm vào đây")'
    session.commit()
    login("manager")
    response = client.get("/plan/report.xlsx?year=2025")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["Chỉ tiêu - nhiệm vụ"]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert item.title_vi and any(cell.value == "'" + item.title_vi for cell in cells)
    money = load_workbook(io.BytesIO(response.data))["Kinh phí"]
    assert any(isinstance(cell.value, int) for row in money.iter_rows(min_row=2) for cell in row)


def test_every_csv_export_quotes_formula_text_and_keeps_numbers(client, login, session, make_organisation, scale_type):
    login("manager")
    owner = make_organisation(tax_code="2100562341")
    customers.create_instrument(
        session, SYSTEM, owner, instrument_type_id=scale_type.id, serial="-2+3", location="@SUM(A1)", range_max=150.0
    )
    session.commit()
    text = client.get("/customers/instruments.csv").get_data(as_text=True)
    assert ",'-2+3," in text and ",'@SUM(A1)," in text
    assert re.search(r",150(\.0)?,", text), "a number stays a number (no apostrophe, no quotes)"


def test_probe_quote_in_document_code_keeps_content_disposition_whole(client, login, session, make_user):
    from lims.core.files import store_bytes

    login("manager")
    document = quality.create_document(session, SYSTEM, code='QT"01\\Ω', title="Quy trình", kind="procedure")
    version = quality.add_document_version(
        session,
        make_user("technician"),
        document,
        store_bytes(b"%PDF-1.4 probe"),
        file_name="x.pdf",
        review_due_on=date(2027, 1, 1),
        change_note=None,
    )
    session.commit()
    response = client.get(f"/quality/versions/{version.id}/file")
    assert response.status_code == 200
    disposition, options = parse_options_header(response.headers["Content-Disposition"])
    assert (disposition, options["filename"]) == ("inline", 'QT"01\\Ω-v1-draft.pdf')


def test_probe_refused_upload_is_not_written_to_disk(app, client, login, session, make_user, tmp_path):
    from pathlib import Path

    login("manager")
    document = quality.create_document(session, SYSTEM, code="QT-09", title="Quy trình", kind="procedure")
    document.withdrawn = True
    session.commit()
    before = {p for p in Path(app.config["UPLOAD_PATH"]).rglob("*") if p.is_file()}
    unique = b"%PDF-1.4 refused " + str(tmp_path).encode()
    response = client.post(
        f"/quality/documents/{document.id}/versions",
        data={"file": (io.BytesIO(unique), "v2.pdf"), "review_due_on": "2027-01-01"},
        content_type="multipart/form-data",
    )
    assert response.status_code in (400, 422)
    after = {p for p in Path(app.config["UPLOAD_PATH"]).rglob("*") if p.is_file()}
    assert after == before


def test_a_stored_file_is_written_when_its_record_commits(app, session):
    from lims.core.files import file_store, read_bytes, store_bytes

    stored = store_bytes(b"%PDF-1.4 kept until commit")
    assert not file_store().exists(stored.sha256) and read_bytes(stored.sha256).startswith(b"%PDF")
    session.commit()
    assert file_store().read(stored.sha256) == b"%PDF-1.4 kept until commit"


def test_probe_ics_event_ids_ignore_the_requests_host_header(client, session, make_organisation, scale_type):
    owner = make_organisation()
    customers.create_instrument(
        session, SYSTEM, owner, instrument_type_id=scale_type.id, serial="S-1", next_due_on=date(2027, 3, 1)
    )
    token = customers.calendar_token(session, SYSTEM, owner)
    session.commit()
    body = client.get(f"/customers/calendar/{token}.ics", headers={"Host": "evil.example"}).get_data(as_text=True)
    uids = re.findall(r"UID:(\S+)", body)
    assert uids and all(uid.endswith("@lims.test") for uid in uids), uids


def test_probe_demo_load_refuses_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV", "production")
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "production" in result.output
    with app.app_context():
        from lims.auth.models import User
        from lims.extensions import db

        assert db.session.scalar(select(func.count(User.id))) == 0


def test_probe_json_error_body_never_echoes_the_control_character(client):
    response = client.get("/verify", query_string={"number\x00": "1"}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "\x00" not in json.dumps(response.json, ensure_ascii=False)


@pytest.mark.parametrize("rows, numbered", [(3_000_000, False), (150_000, True)])
def test_probe_xlsx_with_3_million_empty_rows_is_refused_before_a_row_is_parsed(session, monkeypatch, rows, numbered):
    import openpyxl

    from lims.customers.importing import read_sheet
    from tests.lims.zip_bombs import empty_rows_xlsx

    def never(*_args, **_kwargs):
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    content = empty_rows_xlsx(rows, numbered=numbered)
    with pytest.raises(UnreadableFile):
        read_sheet(content, "bomb.xlsx")
    report = customers.import_instruments(session, SYSTEM, content, "bomb.xlsx")
    assert report.imported == 0 and report.problems[0].row == 1


def test_an_ordinary_xlsx_list_still_imports(session, scale_type):
    from openpyxl import Workbook

    from lims.core.exports import xlsx_bytes

    owner = customers.create_organisation(session, SYSTEM, name="Chợ Trà Vinh", tax_code="2100562341")
    session.commit()
    workbook = Workbook()
    workbook.active.append(["tax_code", "type_code", "serial", "range_max", "unit"])
    for number in range(200):
        workbook.active.append([owner.tax_code, "scale-platform", f"S-{number}", 150, "kg"])
    report = customers.import_instruments(session, SYSTEM, xlsx_bytes(workbook), "list.xlsx")
    assert report.problems == [] and report.imported == 200


# --- throttling that cannot be turned against users -------------------------------------------------------------


def _attempt(client, username, password="a wrong guess", address="203.0.113.7"):
    _fresh()
    response = client.post(
        "/login", data={"username": username, "password": password}, environ_base={"REMOTE_ADDR": address}
    )
    _fresh()
    return response


def _let_time_pass(session):
    from lims.auth.models import LoginThrottle

    session.expire_all()
    for row in session.scalars(select(LoginThrottle)):
        row.not_before = None
    session.commit()


def test_probe_failures_from_one_address_lock_no_other_account(client, session, make_user):
    victims = [make_user("technician"), make_user("admin")]
    for number in range(30):  # many guesses at many (made-up) names from one address, with time to wait between
        _attempt(client, f"someone{number % 10}")
        _let_time_pass(session)
    for victim in victims:
        assert _attempt(client, victim.username, TEST_PASSWORD).status_code == 302, victim.username
        client.post("/logout")


def test_failures_push_back_the_next_attempt_of_that_account_without_sleeping(client, session, make_user):
    from lims.auth.throttle import ACCOUNT_BACKOFF, PAIR_BACKOFF

    user = make_user("technician")
    for _ in range(PAIR_BACKOFF.free):
        assert _attempt(client, user.username).status_code == 401
    refused = _attempt(client, user.username, TEST_PASSWORD)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 2
    # Another address is held only by the account's own, gentler wait, which has not started yet.
    assert PAIR_BACKOFF.free < ACCOUNT_BACKOFF.free
    assert _attempt(client, user.username, TEST_PASSWORD, address="198.51.100.9").status_code == 302
    client.post("/logout")
    _let_time_pass(session)
    assert _attempt(client, user.username, TEST_PASSWORD).status_code == 302


def test_waits_grow_with_failures_and_stay_bounded():
    from lims.auth.throttle import ACCOUNT_BACKOFF, PAIR_BACKOFF

    assert [PAIR_BACKOFF.wait(n).total_seconds() for n in range(1, 8)] == [0, 0, 1, 2, 4, 8, 16]
    assert PAIR_BACKOFF.wait(10_000) == timedelta(hours=1)
    assert ACCOUNT_BACKOFF.wait(99) == timedelta(minutes=5)


def _fail_up_to_the_lock(client, session, user, address="203.0.113.7"):
    from lims.auth.models import LoginThrottle

    lock_after = client.application.config["LOGIN_LOCK_AFTER"]
    assert lock_after == 100
    for _ in range(3):
        _attempt(client, user.username, address=address)
    session.expire_all()
    account = session.scalar(
        select(LoginThrottle).where(LoginThrottle.username == user.username, LoginThrottle.remote_addr == "")
    )
    account.failures = lock_after - 1  # as if 96 more had come, from anywhere, over the hours the waits take
    session.commit()
    _let_time_pass(session)
    return _attempt(client, user.username, address=address)


def test_100_consecutive_failures_lock_that_account_only_and_its_owner_unlocks_it_by_email(client, session, make_user):
    from lims.auth.models import User
    from lims.customers.models import OutboxMessage

    user = make_user("technician", email="an@lab.example.vn")
    bystander = make_user("technician")
    response = _fail_up_to_the_lock(client, session, user)
    assert response.status_code == 423
    session.expire_all()
    assert session.get(User, user.id).locked_at is not None
    _let_time_pass(session)
    assert _attempt(client, user.username, TEST_PASSWORD).status_code == 423, "even the right password"
    assert _attempt(client, bystander.username, TEST_PASSWORD).status_code == 302
    client.post("/logout")
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "an@lab.example.vn"))
    link = re.search(r"http://lims\.test(/account/unlock/\S+)", message.body).group(1)
    _fresh()
    assert client.get(link).status_code == 200
    weak = {"password": "aaaaaaaaaaaaaaaa", "password_again": "aaaaaaaaaaaaaaaa"}
    assert client.post(link, data=weak).status_code == 422
    chosen = "the owner is back at the balance room"
    assert client.post(link, data={"password": chosen, "password_again": chosen}).status_code == 302
    assert client.get(link).status_code == 404, "the link works once"
    assert _attempt(client, user.username, chosen).status_code == 302


def test_an_admin_unlocks_a_locked_account(app, client, session, make_user, login):
    user = make_user("technician")
    _fail_up_to_the_lock(client, session, user)
    admin_client = app.test_client()
    _fresh()
    admin = make_user("admin")
    admin_client.post("/login", data={"username": admin.username, "password": TEST_PASSWORD})
    _fresh()
    assert 'data-testid="locked"' in admin_client.get(f"/admin/users/{user.id}").text
    _fresh()
    assert admin_client.post(f"/admin/users/{user.id}/unlock").status_code == 302
    assert _attempt(client, user.username, TEST_PASSWORD).status_code == 302


def test_the_client_address_is_the_forwarded_one_only_behind_the_configured_proxies():
    from flask import Flask

    from lims.app import trust_proxies
    from lims.core.web import client_address

    def app_with(proxies: int) -> Flask:
        app = Flask("probe")
        app.config["TRUSTED_PROXIES"] = proxies
        trust_proxies(app)
        app.add_url_rule("/", "address", lambda: client_address() or "")
        return app

    forwarded = {"X-Forwarded-For": "192.0.2.99, 198.51.100.1"}
    peer = {"REMOTE_ADDR": "10.0.0.2"}
    assert app_with(0).test_client().get("/", headers=forwarded, environ_base=peer).text == "10.0.0.2"
    assert app_with(1).test_client().get("/", headers=forwarded, environ_base=peer).text == "198.51.100.1"
    assert app_with(2).test_client().get("/", headers=forwarded, environ_base=peer).text == "192.0.2.99"


# --- passwords --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "chosen",
    [
        "aaaaaaaaaa",
        "1234567890",
        "aaaaaaaaaaaaaaaa",
        "1234567890123456",
        "passwordpassword",
        "qwertyuiopasdfghjkl",
        "iloveyou12345678",
        TEST_PASSWORD,
    ],
)
def test_probe_short_repeated_common_and_current_passwords_are_refused(client, login, chosen):
    user = login("technician")
    response = client.post(
        "/account/password", data={"current_password": TEST_PASSWORD, "password": chosen, "password_again": chosen}
    )
    assert response.status_code == 422, chosen
    assert user.username


def test_the_username_is_no_password_and_64_characters_without_composition_are_fine(session, make_user):
    from lims.auth.passwords import password_problem

    assert password_problem("ktv.nguyen.van.an", username="ktv.nguyen.van.an")
    assert password_problem("ktv.nguyen.van.an2026", username="ktv.nguyen.van.an")
    assert password_problem("cân điện tử phòng ba", username="ktv.an") is None
    assert password_problem("bốn con mèo ngồi trên bàn cân " * 2 + "abcd", username="ktv.an") is None
    assert len("bốn con mèo ngồi trên bàn cân " * 2 + "abcd") == 64


def test_the_admin_and_the_command_line_are_held_to_the_password_policy(app, client, login, session):
    login("admin")
    form = {"username": "ktv.moi", "full_name": "Kỹ thuật viên mới", "roles": ["technician"], "organisation_id": 0}
    weak = {**form, "password": "abcdefghijklmnop", "password_again": "abcdefghijklmnop"}
    assert client.post("/admin/users/new", data=weak).status_code == 422
    result = app.test_cli_runner().invoke(
        args=["user", "create", "ql.moi", "--name", "Quản lý", "--role", "manager", "--password", "1234567890"]
    )
    assert result.exit_code != 0 and "15" in result.output


def test_a_nul_in_the_user_agent_of_a_sign_in_is_not_stored(client, session, make_user):
    from lims.auth.models import LoginAttempt

    user = make_user("technician")
    response = client.post(
        "/login", data={"username": user.username, "password": "wrong"}, headers={"User-Agent": "probe\x00agent"}
    )
    assert response.status_code == 401
    assert session.scalar(select(LoginAttempt.user_agent).where(LoginAttempt.username == user.username)) == "probeagent"


def test_a_json_body_that_is_not_an_object_is_refused_by_a_page_route_not_a_500(client, login):
    """Found by the random-input tests: `false` posted as JSON to a form route answered 500."""
    login("manager")
    response = client.post("/jobs/1/cancel", data="false", content_type="application/json")
    assert response.status_code == 400
