# ruff: noqa: F811 - the `lab` fixture is imported from the workflow tests
"""One scale from request to reviewed in the browser: request, acceptance, scheduling, readings, live result, review."""

import pytest
from playwright.sync_api import expect

from tests.conftest import TEST_PASSWORD
from tests.lims.test_jobs_pages import form_data
from tests.lims.test_jobs_workflow import SCALE_CASE, in_progress, lab  # noqa: F401

pytestmark = pytest.mark.browser


def sign_in(page, user):
    page.goto("/login")
    if page.locator("[data-testid=logout]").count():
        page.click("[data-testid=logout]")
        page.wait_for_selector("[data-testid=login-submit]")
    page.fill("#username", user.username)
    page.fill("#password", TEST_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_selector("[data-testid=home-title]")


def test_a_scale_goes_from_request_to_reviewed(page, lab):
    # The manager records the request, accepts it and schedules the technician.
    sign_in(page, lab["manager"])
    page.goto("/jobs/requests/new")
    page.select_option("#organisation_id", str(lab["enterprise"].id))
    page.select_option("[data-testid=item-instrument-0]", str(lab["scale"].id))
    page.select_option("[data-testid=item-service-0]", "periodic_verification")
    page.select_option("[data-testid=item-procedure-0]", "scale-verification-r76")
    page.click("[data-testid=request-submit]")
    page.wait_for_selector("[data-testid=request-accept]")
    page.click("[data-testid=request-accept]")
    page.click("[data-testid=job-link]")
    page.select_option("#technician_id", str(lab["technician"].id))
    page.fill("#day", lab["today"].isoformat())
    page.click("[data-testid=job-schedule]")
    assert page.get_attribute("[data-testid=job-status]", "data-status") == "scheduled"
    job_url = page.url

    # The technician starts, types the readings and sees the result computed as they type.
    sign_in(page, lab["technician"])
    page.goto(job_url)
    page.click("[data-testid=job-start]")
    page.click("[data-testid=record-as-found]")
    page.check(f"#standard-{lab['standard'].id}")
    page.fill('[name="env.temperature"]', "24")
    for name, value in form_data(SCALE_CASE).items():
        locator = page.locator(f'[name="{name}"]')
        if locator.evaluate("node => node.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)
    expect(page.locator("#preview-body")).to_contain_text("Kết luận: Đạt")
    assert page.inner_text("[data-testid=preview-decision]") == "Kết luận: Đạt"
    assert page.locator("[data-testid=preview-table-weighing] tbody tr").count() == len(SCALE_CASE["weighing"])
    page.click("[data-testid=record-save]")
    page.wait_for_selector("[data-testid=history]")
    assert page.inner_text("[data-testid=record-passed]") == "Đạt"
    page.goto(job_url)
    page.click("[data-testid=job-finish]")
    assert page.get_attribute("[data-testid=job-status]", "data-status") == "measured"

    # The person who measured cannot review; a colleague does.
    page.click("[data-testid=job-review]")
    assert "must not be the person who measured" in page.inner_text("[data-testid=flash]")
    sign_in(page, lab["other"])
    page.goto(job_url)
    page.fill("#notes", "Số liệu và tính toán đúng")
    page.click("[data-testid=job-review]")
    assert page.get_attribute("[data-testid=job-status]", "data-status") == "reviewed"
    assert lab["other"].full_name in page.inner_text("[data-testid=job-reviewer]")


def test_picking_the_standard_fills_the_reference_weight_and_keeps_what_was_typed_over(page, session, lab):
    job = in_progress(session, lab, instrument="weight", service="calibration", key="weight-comparison-r111")
    session.commit()
    sign_in(page, lab["technician"])
    page.goto(f"/jobs/{job.id}/record?stage=as_found")
    mass = page.locator('[name="obs.reference.conventional_mass"]')
    uncertainty = page.locator('[name="obs.reference.expanded_uncertainty"]')
    assert mass.input_value() == ""
    page.check(f"#standard-{lab['standard'].id}")
    expect(mass).to_have_value("10000.005 g")
    expect(uncertainty).to_have_value("45 mg")
    expect(page.locator('[data-testid="note-obs.reference"]')).to_contain_text("VMI-123")
    uncertainty.fill("30 mg")  # typed over: the next answer keeps it
    page.uncheck(f"#standard-{lab['standard'].id}")
    expect(mass).to_have_value("")
    page.check(f"#standard-{lab['standard'].id}")
    expect(mass).to_have_value("10000.005 g")
    assert uncertainty.input_value() == "30 mg"
