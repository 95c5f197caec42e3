# ruff: noqa: F811 - the `lab` fixture is imported from the workflow tests
"""One scale from request to reviewed in the browser: request, acceptance, scheduling, readings, live result, review."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from lims.standards.models import Standard
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


def pick_instrument(page, row: int, typed: str) -> None:
    """Find an instrument with the request form's picker and take the first answer."""
    page.fill(f"[data-testid=item-search-{row}]", typed)
    page.click(f"[data-testid=item-results-{row}] [data-testid=pick-0]")


def fill_readings(page, document):
    for name, value in form_data(document).items():
        locator = page.locator(f'[name="{name}"]')
        if locator.evaluate("node => node.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)


def test_a_scale_goes_from_request_to_reviewed(page, lab):
    # The manager records the request, accepts it and schedules the technician.
    sign_in(page, lab["manager"])
    page.goto("/jobs/requests/new")
    page.select_option("#organisation_id", str(lab["enterprise"].id))
    pick_instrument(page, 0, lab["scale"].serial)
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
    page.click("[data-testid=job-start]")  # starting opens the record form
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

    # The person who measured is not offered the review; a colleague does it.
    assert page.locator("[data-testid=job-review]").count() == 0
    expect(page.locator("[data-testid=review-by-another]")).to_be_visible()
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


def test_the_record_form_previews_only_once_something_is_typed_and_names_what_is_missing(page, session, lab):
    job = in_progress(session, lab)
    session.commit()
    sign_in(page, lab["technician"])
    refused = []
    page.on("response", lambda response: refused.append(response.url) if response.status >= 400 else None)
    previews = []
    page.on("request", lambda request: previews.append(request.url) if "/preview" in request.url else None)
    page.goto(f"/jobs/{job.id}/record?stage=as_found")
    page.wait_for_load_state("networkidle")
    assert previews == [] and refused == []
    page.fill('[name="obs.zero.indication"]', "0")
    expect(page.locator("#preview-status")).to_contain_text("Chưa đủ số liệu để tính; còn thiếu: Độ lệch tâm")
    assert refused == []
    fill_readings(page, SCALE_CASE)
    expect(page.locator("#preview-body")).to_contain_text("Kết luận: Đạt")
    page.fill('[name="obs.scale.e"]', "-1")
    expect(page.locator("[data-testid=preview-error]")).to_contain_text("Giá trị độ chia kiểm e:")
    assert "observations." not in page.inner_text("[data-testid=preview-error]")


def test_a_refused_save_comes_back_with_the_readings_and_the_error_at_the_standards(page, session, lab):
    job = in_progress(session, lab)
    session.commit()
    sign_in(page, lab["technician"])
    page.goto(f"/jobs/{job.id}/record?stage=as_found")
    page.fill('[name="env.temperature"]', "24")
    fill_readings(page, SCALE_CASE)
    page.fill('[name="obs.weighing.1.load"]', "2,5x")
    page.click("[data-testid=record-save]")
    expect(page.locator("[data-testid=record-refusal]")).to_be_visible()
    expect(page.locator('[data-testid="error-obs.weighing.1.load"]')).to_contain_text("không phải là số")
    assert page.locator('[name="obs.weighing.1.load"]').input_value() == "2,5x"
    assert page.locator('[name="obs.weighing.2.load"]').input_value() == str(SCALE_CASE["weighing"][2]["load"])
    assert page.locator('[name="env.temperature"]').input_value() == "24"
    page.fill('[name="obs.weighing.1.load"]', "2,5")
    page.click("[data-testid=record-save]")
    expect(page.locator("[data-testid=error-standards]")).to_contain_text("Cần chọn chuẩn đã dùng")
    assert page.locator('[name="obs.weighing.1.load"]').input_value() == "2.5"
    page.check(f"#standard-{lab['standard'].id}")
    page.click("[data-testid=record-save]")
    page.wait_for_selector("[data-testid=history]")


def test_a_standard_overdue_on_the_measurement_day_cannot_be_ticked_until_the_day_is_before_its_due_date(
    page, session, lab
):
    overdue = Standard(code="M2-OLD", name="Bộ quả cân M2", kind="weight_set", due_on=lab["today"] - timedelta(days=3))
    session.add(overdue)
    job = in_progress(session, lab)
    session.commit()
    sign_in(page, lab["technician"])
    page.goto(f"/jobs/{job.id}/record?stage=as_found")
    box = page.locator(f"#standard-{overdue.id}")
    expect(box).to_be_disabled()
    expect(page.locator(f"[data-testid=standard-overdue-{overdue.id}]")).to_be_visible()
    expect(page.locator(f"#standard-{lab['standard'].id}")).to_be_enabled()
    page.fill("#measured_on", (lab["today"] - timedelta(days=5)).isoformat())
    page.dispatch_event("#measured_on", "change")
    expect(box).to_be_enabled()
    expect(page.locator(f"[data-testid=standard-overdue-{overdue.id}]")).to_be_hidden()


def test_the_request_form_offers_each_instrument_only_the_procedures_of_its_type(page, session, lab):
    sign_in(page, lab["manager"])
    page.goto("/jobs/requests/new")
    page.select_option("#organisation_id", str(lab["enterprise"].id))
    procedure = page.locator("[data-testid=item-procedure-0]")
    pick_instrument(page, 0, lab["sphygmomanometer"].serial)
    expect(page.locator("[data-testid=item-procedure-note-0]")).to_be_visible()
    assert procedure.locator("option:enabled").evaluate_all("nodes => nodes.map(n => n.value)") == [""]
    pick_instrument(page, 0, lab["weight"].serial)
    expect(page.locator("[data-testid=item-procedure-note-0]")).to_be_hidden()
    # A weight of a calibration-only type: its usual service, and the one procedure that applies, are chosen.
    assert page.locator("[data-testid=item-service-0]").input_value() == "calibration"
    assert procedure.input_value() == "weight-comparison-r111"
    pick_instrument(page, 0, lab["scale"].serial)
    assert page.locator("[data-testid=item-service-0]").input_value() == "initial_verification"
    assert procedure.input_value() == "scale-verification-r76"
    page.select_option("[data-testid=item-service-0]", "calibration")
    assert procedure.input_value() == "scale-calibration-cg18"
    page.select_option("[data-testid=item-service-0]", "periodic_verification")
    enabled = procedure.locator("option:enabled").evaluate_all("nodes => nodes.map(n => n.value)")
    assert enabled == ["", "scale-verification-r76"]
