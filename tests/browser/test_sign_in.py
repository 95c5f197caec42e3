"""Each role signs in through the browser, sees its own home page, and signs out."""

import pytest

from lims.auth.models import ROLES
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", ROLES)
def test_each_role_signs_in_sees_its_home_and_signs_out(page, sign_in_as, role):
    sign_in_as(role)
    assert page.get_attribute("[data-testid=home-title]", "data-role") == role
    page.click("[data-testid=logout]")
    page.wait_for_selector("[data-testid=login-submit]")
    assert "/login" in page.url


def test_a_wrong_password_shows_a_clear_message(page, make_user):
    user = make_user("technician")
    page.goto("/login")
    page.fill("#username", user.username)
    page.fill("#password", TEST_PASSWORD + "x")
    page.click("[data-testid=login-submit]")
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in page.inner_text("[data-testid=flash]")


def test_the_interface_switches_to_english(page, sign_in_as):
    sign_in_as("manager")
    page.click("[data-testid=lang-switch]")
    page.wait_for_selector("[data-testid=logout]")
    assert page.inner_text("[data-testid=logout]") == "Sign out"


def test_pages_raise_no_content_security_policy_violations(page, sign_in_as):
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    sign_in_as("admin")
    for path in ("/home", "/admin/users", "/audit/", "/audit/verify"):
        page.goto(path)
    assert violations == []
