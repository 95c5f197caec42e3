"""The demo tells one story: every demo account's home page and menu open, and show what that role needs."""

import re
from contextlib import contextmanager

from jinja2 import Undefined
from sqlalchemy import select

from lims.demo import DEMO_PASSWORD, load_demo

DEMO_USERS = ("admin", "truongphong", "ktv.an", "ktv.binh", "dn.cuulong", "thanhtra")
# Boxes each role must find on its home page (the keys the domains register their panels under).
EXPECTED_PANELS = {
    "admin": {"customers", "standards_due", "quality", "audit"},
    "truongphong": {"jobs-board", "issuing-ready", "standards_due", "quality", "audit"},
    "ktv.an": {"jobs-worklist", "customers", "standards_due"},
    "ktv.binh": {"jobs-worklist", "issuing-ready"},
    "dn.cuulong": {"portal", "customers"},
    "thanhtra": {"quality", "audit", "standards_due", "customers"},
}
NAV_LINK = re.compile(r'<a class="nav-link[^"]*" href="(/[^"]*)"')
PANEL = re.compile(r'data-testid="panel-([\w-]+)"')
PANEL_LINK = re.compile(r'<a class="btn btn-sm[^"]*" href="(/[^"]*)"')


class PrintedUndefined(Undefined):
    """Undefined that may be tested (``if x``, ``x is defined``, ``default``) but fails when printed."""

    def __str__(self) -> str:
        self._fail_with_undefined_error()


@contextmanager
def strict_pages(app):
    """Render as in production (forms carry their CSRF field) and fail on any value printed but never passed."""
    previous = app.jinja_env.undefined, app.config["WTF_CSRF_ENABLED"]
    app.jinja_env.undefined, app.config["WTF_CSRF_ENABLED"] = PrintedUndefined, True
    try:
        yield
    finally:
        app.jinja_env.undefined, app.config["WTF_CSRF_ENABLED"] = previous


def _sign_in(client, username: str) -> None:
    client.post("/logout")
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, username


def test_every_demo_account_opens_its_home_page_panels_and_menu(app, client):
    load_demo()
    failures = []
    for username in DEMO_USERS:
        _sign_in(client, username)
        with strict_pages(app):
            home = client.get("/home")
            assert home.status_code == 200, username
            page = home.get_data(as_text=True)
            missing = EXPECTED_PANELS[username] - set(PANEL.findall(page))
            assert not missing, f"{username} lacks home boxes {sorted(missing)}"
            links = set(NAV_LINK.findall(page)) | set(PANEL_LINK.findall(page))
            assert links, username
            for link in sorted(links):
                status = client.get(link).status_code
                if status != 200:
                    failures.append((username, link, status))
    assert failures == []


def test_the_enterprise_home_lists_its_certificates_due_instruments_and_requests(app, client, session):
    from lims.auth.models import User
    from lims.issuing.models import Certificate

    load_demo()
    enterprise = session.scalar(select(User).where(User.username == "dn.cuulong"))
    from lims.portal.views import PANEL_ROWS

    # The home panel shows the newest few; the list page holds the rest.
    own = session.scalars(
        select(Certificate)
        .where(Certificate.organisation_id == enterprise.organisation_id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(PANEL_ROWS)
    ).all()
    others = session.scalars(select(Certificate).where(Certificate.organisation_id != enterprise.organisation_id)).all()
    _sign_in(client, "dn.cuulong")
    page = client.get("/home").get_data(as_text=True)
    portal = page[page.index('data-testid="portal-certificates"') :]
    assert own, "the demo issues certificates to the enterprise with a login"
    for certificate in own:
        assert certificate.display_number in portal
    for certificate in others:
        assert f">{certificate.display_number}<" not in page
    assert 'data-testid="portal-due"' in page and 'data-testid="portal-requests"' in page
    assert "YC" in page[page.index('data-testid="portal-requests"') :]


def test_the_demo_certificates_tell_a_coherent_story(app_context, session):
    from lims.issuing.models import Certificate
    from lims.jobs.models import Job

    load_demo()
    certificates = session.scalars(select(Certificate).order_by(Certificate.id)).all()
    statuses = {c.status for c in certificates}
    assert statuses == {"issued", "superseded"}
    superseded = next(c for c in certificates if c.status == "superseded")
    assert any(c.supersedes_id == superseded.id and c.revision == 1 for c in certificates)
    assert any(c.kind == "verification" and c.passed and c.sticker_serial for c in certificates)
    assert any(c.kind == "calibration" for c in certificates)
    # No job is certified or returned without a certificate behind it.
    certified = session.scalars(select(Job).where(Job.status.in_(("certified", "returned")))).all()
    assert {job.id for job in certified} == {c.job_id for c in certificates}
    assert "returned" in {job.status for job in certified}
    # Some reviewed work is left for a signatory to find.
    assert session.scalar(select(Job.id).where(Job.status == "reviewed").limit(1)) is not None
