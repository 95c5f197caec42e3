# ruff: noqa: F811 - the `lab` fixture is imported from the procedures tests
"""A procedure defined as data, in the browser: a manager uploads the shipped pressure-gauge definition, a second
manager approves it and confirms its unconfirmed legal values, a technician records a gauge with it (increasing and
decreasing pressure, hysteresis), a colleague reviews, and the signed certificate's table is the definition's."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from lims.procedures.models import ProcedureVersion
from tests.browser.test_jobs import fill_readings, pick_instrument, sign_in
from tests.conftest import TEST_PASSWORD
from tests.lims.test_procedures_data import GAUGE_FILE, KEY, OBSERVATIONS, authorise, lab  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_gauge_goes_from_an_uploaded_definition_to_a_signed_certificate_with_its_table(page, session, lab):
    # A manager uploads the definition: it is checked (worked examples run) and stored as a draft.
    sign_in(page, lab["first"])
    page.goto("/procedures/")
    page.set_input_files("#definition", str(GAUGE_FILE))
    page.click("[data-testid=upload]")
    expect(page.locator("[data-testid=version-status]")).to_contain_text("dự thảo")
    expect(page.locator("[data-testid=validation-report]")).to_contain_text("hợp lệ")
    assert page.locator("[data-testid=approve]").count() == 0  # the uploader does not approve
    version_url = page.url

    # A second manager approves it, then confirms each value the definition marks unconfirmed, saying against what.
    sign_in(page, lab["second"])
    page.goto(version_url)
    page.click("[data-testid=approve]")
    expect(page.locator("[data-testid=version-status]")).to_contain_text("đã phê duyệt")
    waiting = page.locator("[data-testid=unconfirmed-values] form").count()
    assert waiting == 4
    for _ in range(waiting):
        # each confirmation reloads the page; the first form left is always index 0 of those still waiting
        form = page.locator("[data-testid=unconfirmed-values] form").first
        form.locator("input[name=reason]").fill("Đã đối chiếu ĐLVN 08:2011 bản ban hành")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
    expect(page.locator("[data-testid=unconfirmed-values] form")).to_have_count(0)
    session.expire_all()
    version = session.query(ProcedureVersion).one()
    assert version.waiting_confirmation == []
    authorise(session, lab)  # the technician's authorisation and pressure card (the authorisations page's work)
    session.commit()

    # The manager records the request with the approved procedure, accepts it and schedules the technician.
    page.goto("/jobs/requests/new")
    page.select_option("#organisation_id", str(lab["world"].customer.id))
    pick_instrument(page, 0, lab["gauge"].serial)
    page.select_option("[data-testid=item-service-0]", "periodic_verification")
    page.select_option("[data-testid=item-procedure-0]", KEY)
    page.click("[data-testid=request-submit]")
    page.click("[data-testid=request-accept]")
    page.click("[data-testid=job-link]")
    page.select_option("#technician_id", str(lab["technician"].id))
    page.fill("#day", lab["today"].isoformat())
    page.click("[data-testid=job-schedule]")
    job_url = page.url

    # The technician records the gauge on the form generated from the definition: up and down at each point.
    sign_in(page, lab["technician"])
    page.goto(job_url)
    page.click("[data-testid=job-start]")
    page.check(f"#standard-{lab['reference'].id}")
    page.fill('[name="env.temperature"]', "21")
    fill_readings(page, OBSERVATIONS)
    expect(page.locator("[data-testid=preview-decision]")).to_have_text("Kết luận: Đạt")
    page.click("[data-testid=record-save]")
    page.wait_for_selector("[data-testid=history]")
    page.goto(job_url)
    page.click("[data-testid=job-finish]")

    # A colleague reviews; the signatory signs; the certificate's table is the one the definition declares.
    sign_in(page, lab["second"])
    page.goto(job_url)
    page.fill("#notes", "Số liệu và tính toán đúng")
    page.click("[data-testid=job-review]")
    assert page.get_attribute("[data-testid=job-status]", "data-status") == "reviewed"
    lab["world"].stickers()
    sign_in(page, lab["world"].signatory)
    page.goto("/issuing/ready")
    page.click("[data-testid^=issue-]")
    page.fill("#sticker_serial", "VL 0000001")
    page.fill("#password", TEST_PASSWORD)
    page.click("[data-testid=sign-submit]")
    expect(page.locator("[data-testid=certificate-number]")).to_be_visible()
    pdf = page.request.get(page.get_attribute("[data-testid=download-pdf]", "href")).body()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Kết quả kiểm tra sai số và độ trễ" in text  # the definition's table title
    assert "0,41" in text and "0,42" in text  # readings ↑ and ↓ at 0.40 MPa, to the definition's digits
    assert "ĐLVN 08:2011" in text
