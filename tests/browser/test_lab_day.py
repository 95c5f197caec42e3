# ruff: noqa: F811 - the `lab` fixture is imported from the workflow tests
"""The lab's day in the browser (walkthrough 2026-12): numbers typed the Vietnamese way, receiving at the counter."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lims.customers.models import Instrument, InstrumentType
from lims.jobs.models import MeasurementRecord
from lims.standards.models import IntermediateCheck
from tests.browser.test_jobs import sign_in
from tests.conftest import TEST_PASSWORD
from tests.lims.test_jobs_pages import form_data
from tests.lims.test_jobs_workflow import SCALE_CASE, in_progress, lab  # noqa: F401

pytestmark = pytest.mark.browser


def comma(text: str) -> str:
    """Write a number as the lab types it: a decimal comma."""
    return text.replace(".", ",")


def test_finding_1_a_decimal_comma_typed_into_each_number_field_is_stored(page, session, lab):
    sign_in(page, lab["manager"])
    # The instrument's range and d.
    page.goto(f"/customers/{lab['enterprise'].id}/instruments/new")
    scale_type = session.scalar(select(InstrumentType).where(InstrumentType.code == "CAN-KTD"))
    page.select_option("#instrument_type_id", str(scale_type.id))
    page.fill("#serial", "CB-150")
    for name, typed in (
        ("range_min", "0,5"),
        ("range_max", "150"),
        ("resolution", "0,05"),
        ("verification_interval", "0,05"),
    ):
        assert page.get_attribute(f"#{name}", "type") == "text"
        assert page.get_attribute(f"#{name}", "inputmode") == "decimal"
        page.fill(f"#{name}", typed)
    page.click("[data-testid=instrument-submit]")
    page.wait_for_selector("[data-testid=next-due]")
    session.expire_all()
    stored = session.scalar(select(Instrument).where(Instrument.serial == "CB-150"))
    assert (stored.range_min, stored.range_max, stored.resolution, stored.verification_interval) == (
        0.5,
        150,
        0.05,
        0.05,
    )

    # An intermediate check of a standard.
    page.goto(f"/standards/{lab['standard'].id}/checks/new")
    page.fill("#description", "Kiểm tra quả cân 10 kg trên cân so sánh")
    page.fill("#unit", "mg")
    for name, typed in (("value", "0,05"), ("lower_limit", "-0,5"), ("upper_limit", "0,5")):
        assert page.get_attribute(f"#{name}", "type") == "text"
        page.fill(f"#{name}", typed)
    page.click("[data-testid=save]")
    page.wait_for_url(f"**/standards/{lab['standard'].id}")
    session.expire_all()
    check = session.scalar(select(IntermediateCheck))
    assert (float(check.value), float(check.lower_limit), float(check.upper_limit)) == (0.05, -0.5, 0.5)

    # Every number of a measurement record, and the conditions.
    job = in_progress(session, lab)
    session.commit()
    sign_in(page, lab["technician"])
    page.goto(f"/jobs/{job.id}/record?stage=as_found")
    page.check(f"#standard-{lab['standard'].id}")
    page.fill('[name="env.temperature"]', "20,5")
    for name, value in form_data(SCALE_CASE).items():
        locator = page.locator(f'[name="{name}"]')
        if locator.evaluate("node => node.tagName") == "SELECT":
            locator.select_option(value)
        else:
            assert locator.get_attribute("type") == "text"
            locator.fill(comma(value))
    expect(page.locator("#preview-body")).to_contain_text("Kết luận: Đạt")
    page.click("[data-testid=record-save]")
    page.wait_for_selector("[data-testid=history]")
    session.expire_all()
    record = session.scalar(select(MeasurementRecord))
    assert record.conditions["temperature"] == 20.5
    assert record.observations["scale"]["e"] == 0.005
    assert [row["indication"] for row in record.observations["weighing"]] == [
        row["indication"] for row in SCALE_CASE["weighing"]
    ]


class Clicks:
    """Counts what a person does with the mouse: each click, tick and choice in a list is one."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)

    def check(self, selector: str) -> None:
        self.count += 1
        self.page.check(selector)

    def choose(self, selector: str, value: str) -> None:
        self.count += 1
        self.page.select_option(selector, value)


def test_finding_8_receive_to_certificate_takes_at_most_15_clicks_by_four_people(
    page, session, lab, make_user, app, live_server, monkeypatch
):
    from datetime import date
    from pathlib import Path

    from lims.auth.permissions import SYSTEM
    from lims.customers.models import VerificationCycle
    from lims.issuing.keys import create_lab_key
    from lims.issuing.models import Certificate
    from lims.issuing.stickers import receive_stickers
    from lims.jobs.models import Job

    if not Path(app.config["SIGNING_KEY_PATH"]).exists():
        create_lab_key("Phòng thí nghiệm thử", "TTKT TĐC", None)
    scale = lab["scale"]
    session.add(
        VerificationCycle(
            instrument_type_id=scale.instrument_type_id,
            months=12,
            effective_from=date(2019, 7, 1),
            legal_source="Thông tư 07/2019/TT-BKHCN",
        )
    )
    signatory = make_user("signatory", full_name="Trần Thị Mai")
    receive_stickers(session, SYSTEM, prefix="VL ", first=1, last=5, received_on=date(2026, 11, 1))
    session.commit()
    clicks = Clicks(page)
    monkeypatch.setitem(app.config, "PUBLIC_URL", "")  # development: QR links follow the address being served

    # The manager scans the instrument's label (its QR code opens the instrument) and receives it: the request is
    # filled in for it, and the contract review assigns the technician.
    sign_in(page, lab["manager"])
    page.goto(f"/customers/instruments/{scale.id}/label")
    address = page.get_attribute("[data-testid=label-qr]", "data-address")
    assert address == f"{live_server}/customers/instruments/{scale.id}"
    page.goto(address)
    clicks.click("[data-testid=receive]")
    assert page.locator("[data-testid=item-procedure-0]").input_value() == "scale-verification-r76"
    clicks.click("[data-testid=request-submit]")
    clicks.choose("#technician_id", str(lab["technician"].id))
    clicks.click("[data-testid=request-accept]")
    job = session.scalar(select(Job))
    assert job.status == "scheduled"

    # The technician finds the job on the home page, starts it, types the readings and finishes.
    sign_in(page, lab["technician"])
    clicks.click(f"[data-testid=work-{job.number}]")
    clicks.click("[data-testid=job-start]")
    clicks.check(f"#standard-{lab['standard'].id}")
    page.fill('[name="env.temperature"]', "20,5")
    for name, value in form_data(SCALE_CASE).items():
        locator = page.locator(f'[name="{name}"]')
        if locator.evaluate("node => node.tagName") == "SELECT":
            if locator.input_value() != value:
                clicks.choose(f'[name="{name}"]', value)
        else:
            locator.fill(comma(value))
    clicks.click("[data-testid=record-save-finish]")
    assert page.get_attribute("[data-testid=job-status]", "data-status") == "measured"

    # A second person reviews it from the home page.
    sign_in(page, lab["other"])
    clicks.click(f"[data-testid=review-{job.number}]")
    clicks.click("[data-testid=job-review]")
    assert page.get_attribute("[data-testid=job-status]", "data-status") == "reviewed"

    # The signatory signs from the home page.
    sign_in(page, signatory)
    clicks.click(f"[data-testid=sign-{job.number}]")
    page.fill("#sticker_serial", "VL 0000001")
    page.fill("#password", TEST_PASSWORD)
    clicks.click("[data-testid=sign-submit]")
    page.wait_for_selector("[data-testid=certificate-number]")

    session.expire_all()
    certificate = session.scalar(select(Certificate))
    job = session.get(Job, job.id)
    assert certificate is not None and job.status == "certified"
    people = {job.request.reviewed_by_id, job.measured_by_id, job.reviewed_by_id, certificate.signed_by_id}
    assert len(people) == 4  # contract review, measurement, review and signature by four people
    assert clicks.count <= 15, clicks.count
