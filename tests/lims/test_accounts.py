"""Sign-in, throttling, roles, and the safety settings of the web layer."""

import pytest

from lims.auth.models import User
from lims.config import Config, ConfigError
from tests.conftest import TEST_PASSWORD


def test_signing_in_with_the_right_password_opens_the_home_page(client, make_user):
    user = make_user("technician")
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/home")
    assert 'data-role="technician"' in client.get("/home").text


def test_a_wrong_password_is_refused_with_a_clear_message(client, make_user):
    user = make_user("technician")
    response = client.post("/login", data={"username": user.username, "password": "wrong-password"})
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.text


def test_repeated_failures_make_the_next_attempt_wait_even_with_the_right_password(app, client, make_user):
    from lims.auth.throttle import PAIR_BACKOFF

    user = make_user("technician")
    for _ in range(PAIR_BACKOFF.free):
        client.post("/login", data={"username": user.username, "password": "guess"})
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1


def test_an_inactive_account_cannot_sign_in(client, session, make_user):
    user = make_user("technician")
    user.active = False
    session.commit()
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 401


def test_passwords_are_stored_as_argon2_hashes(session, make_user):
    user = make_user("technician")
    assert session.get(User, user.id).password_hash.startswith("$argon2id$")


def test_sign_in_never_redirects_off_site(client, make_user):
    user = make_user("technician")
    response = client.post("/login?next=//evil.example/x", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.location.endswith("/home")


def test_pages_carry_security_headers_and_a_content_security_policy(client):
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_use_no_inline_script_or_style_so_the_policy_holds(client, login):
    login("admin")
    for path in ("/login", "/home", "/admin/users", "/audit/"):
        page = client.get(path).text
        assert "<script>" not in page and "style=" not in page, path


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user("technician")
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_a_missing_or_default_secret_key(monkeypatch):
    monkeypatch.setenv("LIMS_ENV", "production")
    monkeypatch.delenv("LIMS_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="LIMS_SECRET_KEY"):
        Config().validate()
    monkeypatch.setenv("LIMS_SECRET_KEY", "x" * 48)
    config = Config()
    config.validate()
    assert config.SESSION_COOKIE_SECURE


def test_forms_refuse_a_post_without_csrf_token(app, tmp_path, new_database_url):
    from lims.app import create_app
    from tests.conftest import make_config

    protected = create_app(make_config(new_database_url("sqlite", "csrf"), tmp_path, WTF_CSRF_ENABLED=True))
    response = protected.test_client().post("/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400


def test_errors_leak_no_internals(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()


def test_admin_creates_an_account_with_roles_and_the_trail_records_it(client, login, session):
    login("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "ktv.moi",
            "full_name": "Kỹ thuật viên mới",
            "roles": ["technician", "signatory"],
            "organisation_id": 0,
            "password": "a-long-password-1",
            "password_again": "a-long-password-1",
        },
    )
    assert response.status_code == 302, response.text
    user = session.query(User).filter_by(username="ktv.moi").one()
    assert user.roles == {"technician", "signatory"}


def test_an_enterprise_account_must_belong_to_an_organisation(client, login):
    login("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "dn.x",
            "full_name": "Doanh nghiệp",
            "roles": ["enterprise"],
            "organisation_id": 0,
            "password": "a-long-password-1",
            "password_again": "a-long-password-1",
        },
    )
    assert response.status_code == 422
    assert "phải thuộc một doanh nghiệp" in response.text


def test_user_create_command(app_context, session):
    result = app_context.test_cli_runner().invoke(
        args=["user", "create", "ql.moi", "--name", "Quản lý", "--role", "manager", "--password", "a-long-password-2"]
    )
    assert result.exit_code == 0, result.output
    assert session.query(User).filter_by(username="ql.moi").one().roles == {"manager"}


def test_demo_data_loads_twice_without_change(app_context, session):
    from lims.audit.models import AuditEvent
    from lims.demo import load_demo

    load_demo()
    events_after_first = session.query(AuditEvent).count()
    load_demo()
    assert session.query(AuditEvent).count() == events_after_first
