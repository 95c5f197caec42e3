"""An inspector reads everything and changes nothing: no page shows them a form that would then answer 403."""

import io
import re
from urllib.parse import urljoin, urlsplit

from flask import g

from lims.core.web import may_use
from lims.demo import DEMO_PASSWORD, load_demo
from tests.conftest import TEST_PASSWORD

LINK = re.compile(r'href="(/[^"#]*)"')
FORM = re.compile(r"<form\b[^>]*>", re.IGNORECASE)
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
# Pages a crawl should not open: they act (sign out, change language) or are files rather than pages.
SKIPPED = re.compile(r"^/(logout|lang/|static/)|\.(pdf|csv|xlsx|ics|zip|png)(\?|$)|/(pdf|file|sheet|document)(\?|$)")


def _forms(page: str, here: str):
    for tag in FORM.findall(page):
        attributes = dict(ATTRIBUTE.findall(tag))
        if attributes.get("method", "get").lower() == "post":
            yield urljoin(here, attributes.get("action") or here)


def test_probe_the_inspector_is_shown_no_form_that_answers_403(app, client, session):
    load_demo()
    response = client.post("/login", data={"username": "thanhtra", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    from lims.auth.models import User

    inspector = session.query(User).filter_by(username="thanhtra").one()
    adapter = app.url_map.bind("lims.test")
    queue, seen, shapes, offending = ["/home"], set(), {}, set()
    while queue and len(seen) < 100:
        path = queue.pop(0)
        # Two pages of each shape (/jobs/<id>, ?page=<n>) show every form that shape has; the rest repeat them.
        shape = re.sub(r"\d+", "N", path)
        if path in seen or SKIPPED.search(path) or shapes.get(shape, 0) >= 2:
            continue
        shapes[shape] = shapes.get(shape, 0) + 1
        seen.add(path)
        g.pop("_login_user", None)
        response = client.get(path)
        page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()
        if response.status_code != 200:
            continue
        for action in _forms(page, path):
            endpoint, _args = adapter.match(urlsplit(action).path, method="POST")
            if not may_use(endpoint, inspector):
                offending.add((path, endpoint))
        for link in LINK.findall(page):
            link = link.replace("&amp;", "&")
            if link not in seen and not link.startswith("//"):
                queue.append(link)
    assert len(seen) > 50
    assert sorted(offending) == []


def test_the_inspector_changes_their_own_password_and_verifies_by_upload(client, login):
    login("inspector")
    new_password = "inspecting the weights of Vinh Long"
    response = client.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "password": new_password, "password_again": new_password},
    )
    assert response.status_code == 302, response.text
    g.pop("_login_user", None)
    upload = {"file": (io.BytesIO(b"%PDF-1.4 x"), "x.pdf")}
    response = client.post("/verify/file", data=upload, content_type="multipart/form-data")
    assert response.status_code != 403
