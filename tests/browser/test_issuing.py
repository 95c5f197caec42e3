"""A signatory issues a certificate in the browser; a member of the public then verifies it, and a forged copy."""

import pytest

from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world

pytestmark = pytest.mark.browser


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


def test_a_signatory_issues_and_the_public_verifies_by_number_and_code_and_by_file(
    page, browser, live_server, world, tmp_path
):
    world.stickers(1, 5)
    job = world.job()
    page.goto("/login")
    page.fill("#username", world.signatory.username)
    page.fill("#password", TEST_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=home-title]")

    page.goto("/issuing/ready")
    page.click(f"[data-testid=issue-{job.number}]")
    page.fill("#sticker_serial", "VL 0000002")
    page.fill("#password", TEST_PASSWORD)
    page.click("[data-testid=sign-submit]")
    number = page.inner_text("[data-testid=certificate-number]").split()[-1]
    assert number == "1-26-VL"
    with page.expect_download() as download_info:
        page.evaluate(
            "url => { const a = document.createElement('a'); a.href = url; a.download = 'gcn.pdf'; a.click(); }",
            page.get_attribute("[data-testid=download-pdf]", "href"),
        )
    issued_pdf = tmp_path / "gcn.pdf"
    download_info.value.save_as(issued_pdf)

    world.session.expire_all()
    from lims.issuing.models import Certificate

    certificate = world.session.query(Certificate).one()
    public = browser.new_context(base_url=live_server, locale="vi-VN").new_page()
    public.goto("/verify")
    public.fill("#number", number)
    public.fill("#code", certificate.short_code)
    public.click("[data-testid=lookup-submit]")
    assert public.get_attribute("[data-testid=verdict]", "data-outcome") == "genuine"
    assert public.inner_text("[data-testid=verdict-number]") == number

    public.goto(f"/v/{certificate.token}")
    assert public.get_attribute("[data-testid=verdict]", "data-outcome") == "genuine"
    public.set_input_files("#file", str(issued_pdf))
    public.click("[data-testid=upload-submit]")
    assert public.get_attribute("[data-testid=file-verdict]", "data-match") == "yes"

    forged = tmp_path / "forged.pdf"
    data = bytearray(issued_pdf.read_bytes())
    data[len(data) // 3] ^= 1
    forged.write_bytes(bytes(data))
    public.goto(f"/v/{certificate.token}")
    public.set_input_files("#file", str(forged))
    public.click("[data-testid=upload-submit]")
    assert public.get_attribute("[data-testid=file-verdict]", "data-match") == "no"
    public.context.close()
