"""In the browser: a technician imports a small XLSX with one bad row and reads the per-row report."""

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

pytestmark = pytest.mark.browser


def small_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Mã loại", "Số sản xuất", "Phạm vi đo đến", "Đơn vị", "Ngày kiểm định gần nhất"])
    sheet.append(["scale-platform", "CL-001", 150, "kg", date(2026, 5, 4)])
    sheet.append(["weight-f1-m2", "CL-002", "hai mươi", "kg", None])
    sheet.append(["scale-spring-dial", "CL-003", 30, "kg", date(2026, 9, 1)])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def test_an_xlsx_with_one_bad_row_shows_the_report_and_imports_nothing(page, session, sign_in_as):
    from lims.auth.permissions import SYSTEM
    from lims.customers import services
    from lims.customers.models import Instrument

    services.seed_catalogue(session, SYSTEM)
    owner = services.create_organisation(session, SYSTEM, name="Công ty TNHH Thủy sản Cửu Long", tax_code="2100123457")
    session.commit()
    sign_in_as("technician")
    page.goto(f"/customers/import?organisation_id={owner.id}")
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "cuu-long.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": small_workbook(),
            }
        ],
    )
    page.click("[data-testid=import-submit]")
    report = page.locator("[data-testid=import-report]")
    report.wait_for()
    rows = report.locator("tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("td").all_inner_texts()[:2] == ["3", "range_max"]
    assert "không dòng nào được nhập" in page.locator("[data-testid=import-refused]").inner_text()
    session.expire_all()
    assert session.scalar(select(func.count(Instrument.id))) == 0
