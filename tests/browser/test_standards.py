"""A manager registers a standard, records its calibration in the browser, and sees it on the due list."""

from datetime import timedelta

import pytest

from lims.core.dates import lab_today

pytestmark = pytest.mark.browser


def test_a_manager_registers_a_standard_records_a_calibration_and_sees_it_due(page, sign_in_as, app):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in_as("manager")
    page.goto("/standards/")
    page.click("[data-testid=new-standard]")
    page.fill("#code", "CAN-KT-01")
    page.fill("#name", "Cân kỹ thuật 6 kg")
    page.select_option("#kind", "balance")
    page.select_option("#level", "equipment")
    page.fill("#serial", "B-2291")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=standard-title]")
    assert "CAN-KT-01" in page.inner_text("[data-testid=standard-title]")

    with app.app_context():
        today = lab_today()
    page.click("[data-testid=record-calibration]")
    page.fill("#certificate_number", "KL3-2026/0912")
    page.fill("#calibrating_lab", "Trung tâm Kỹ thuật TĐC 3 (QUATEST 3)")
    page.fill("#lab_accreditation", "VILAS 004")
    page.fill("#calibrated_on", (today - timedelta(days=340)).isoformat())
    page.fill("#due_on", (today + timedelta(days=25)).isoformat())
    page.fill("[name=row-0-quantity]", "Sai số tại 5 kg")
    page.fill("[name=row-0-value]", "0,1")
    page.fill("[name=row-0-unit]", "g")
    page.fill("[name=row-0-u]", "0,05")
    page.click("[data-testid=save]")
    page.wait_for_selector("[data-testid=calibration-title]")
    assert (today + timedelta(days=25)).strftime("%d/%m/%Y") in page.inner_text("[data-testid=calibration-due]")

    page.goto("/standards/")
    page.click("[data-testid=due-30]")
    row = page.locator("[data-testid=standard-row][data-code='CAN-KT-01']")
    assert row.count() == 1
    assert "còn 25 ngày" in row.inner_text()
    assert violations == []
