"""The plan's actual figures, computed from seeded records, and the yearly report exports."""

import io
from datetime import date

from openpyxl import load_workbook
from pypdf import PdfReader

from lims.auth.permissions import SYSTEM
from lims.plan import services
from lims.plan.demo import load_plan_38
from lims.plan.reports import yearly_report, yearly_report_pdf, yearly_report_xlsx
from lims.quality import services as quality
from lims.quality.catalogue import import_catalogue, sample_national_csv

MILLION = 1_000_000


def _item(plan, kind, code):
    return next(i for i in plan.items if i.kind == kind and i.code == code)


def _seed_records(session, make_organisation, make_user):
    """Records of 2025 (and one of 2026) that the plan's figures count."""
    from lims.standards.models import Standard

    lab = make_organisation("Trung tâm", kind="lab")
    service_body = make_organisation("Công ty kiểm định X")
    session.add_all(
        [
            Standard(
                code="R1", name="Quả cân E2", kind="weight_set", level="reference", put_in_service_on=date(2025, 2, 1)
            ),
            Standard(
                code="R2", name="Cân chuẩn", kind="balance", level="reference", put_in_service_on=date(2026, 2, 1)
            ),
            Standard(
                code="W1", name="Quả cân M1", kind="weight_set", level="working", put_in_service_on=date(2025, 3, 1)
            ),
        ]
    )
    staff = make_user("technician")
    manager = make_user("manager")
    event_2024 = quality.create_training_event(session, SYSTEM, title="Khóa 2024", held_on=date(2024, 10, 1))
    event_2025 = quality.create_training_event(session, SYSTEM, title="Khóa 2025", held_on=date(2025, 10, 1))
    for n in range(3):
        quality.add_attendee(session, SYSTEM, event_2024, full_name=f"Học viên {n}", organisation_name="UBND huyện")
    for n in range(2, 6):  # Học viên 2 attends again: counted once in the period
        quality.add_attendee(session, SYSTEM, event_2025, full_name=f"Học viên {n}", organisation_name="UBND huyện")
    quality.add_attendee(session, SYSTEM, event_2025, user_id=staff.id, category="lab")
    criteria = import_catalogue(session, SYSTEM, code="MAU", name="Bộ mẫu", data=sample_national_csv()).catalogue
    for organisation in (lab, service_body):
        quality.record_criteria_assessment(
            session,
            manager,
            catalogue=criteria,
            organisation_id=organisation.id,
            assessed_on=date(2025, 11, 5),
            outcome="met",
            readiness_percent=None,
            notes=None,
        )
    for kind, day in (("inspection", date(2025, 5, 1)), ("inspection", date(2025, 9, 1)), ("survey", date(2025, 4, 1))):
        services.record_activity(session, SYSTEM, kind=kind, title=kind, held_on=day)


def test_the_plan_is_seeded_with_its_budget_to_the_dong(session):
    plan = load_plan_38(session)
    totals = services.money_totals(services.money_by_year(session, plan))
    # Kế hoạch 38/KH-UBND, Phụ lục: NSNN 1,950 million, DN 86 million, overall 2,036 million VND.
    assert totals["NSNN"]["planned"] == 1_950 * MILLION
    assert totals["DN"]["planned"] == 86 * MILLION
    assert totals["all"]["planned"] == 2_036 * MILLION
    task_2a = _item(plan, "task", "2a")
    assert sum(b.planned_vnd for b in task_2a.budget_lines) == 750 * MILLION
    assert {b.year for b in task_2a.budget_lines} == set(range(2020, 2026))
    assert load_plan_38(session).id == plan.id


def test_actuals_are_counted_from_the_records(session, make_organisation, make_user):
    plan = load_plan_38(session)
    _seed_records(session, make_organisation, make_user)
    first, second = plan.periods
    figure = lambda kind, code, period: services.item_figure(session, _item(plan, kind, code), period)  # noqa: E731
    assert figure("target", "1", first).actual == 1  # R1 only: W1 is a working standard, R2 is in the next period
    assert figure("target", "1", second).actual == 1
    assert figure("target", "2", first).actual == 7  # 3 + 4 people, one of them twice, plus a staff member
    assert figure("target", "3", first).actual == 1  # the lab
    assert figure("task", "2c", first).actual == 1  # the service organisation
    assert figure("task", "2b", first).actual == 2
    assert figure("task", "3", first).actual == 1
    assert figure("target", "4", first).actual is None  # typed in by the manager, none yet
    result = figure("target", "2", first)
    assert result.target == 100 and result.percent == 7.0 and result.met is False


def test_a_manual_figure_can_only_be_typed_for_a_manual_item(session):
    import pytest

    from lims.core.errors import RuleViolation

    plan = load_plan_38(session)
    with pytest.raises(RuleViolation):
        services.set_goal(
            session, SYSTEM, _item(plan, "task", "1b"), plan.periods[0], target=100, target_text="", manual_actual=5
        )
    services.set_goal(
        session, SYSTEM, _item(plan, "task", "2a"), plan.periods[0], target=1, target_text="", manual_actual=1
    )
    assert services.item_figure(session, _item(plan, "task", "2a"), plan.periods[0]).actual == 1


def test_an_expense_falls_in_its_budget_lines_year(session):
    import pytest

    from lims.core.errors import RuleViolation

    plan = load_plan_38(session)
    line = next(b for b in _item(plan, "task", "1b").budget_lines if b.year == 2025 and b.source == "NSNN")
    with pytest.raises(RuleViolation):
        services.record_expense(
            session, SYSTEM, line, spent_on=date(2024, 12, 31), amount_vnd=1, description="x", voucher=None
        )
    services.record_expense(
        session, SYSTEM, line, spent_on=date(2025, 10, 1), amount_vnd=7_500_000, description="Lớp", voucher=None
    )
    assert line.spent_vnd == 7_500_000


def _report_2025(session, make_organisation, make_user):
    plan = load_plan_38(session)
    _seed_records(session, make_organisation, make_user)
    line = next(b for b in _item(plan, "task", "1b").budget_lines if b.year == 2025 and b.source == "NSNN")
    services.record_expense(
        session, SYSTEM, line, spent_on=date(2025, 10, 1), amount_vnd=7_500_000, description="Lớp", voucher=None
    )
    return yearly_report(session, plan, 2025)


def test_the_yearly_report_is_due_on_15_december_and_carries_the_years_figures(session, make_organisation, make_user):
    report = _report_2025(session, make_organisation, make_user)
    assert report.due_on == date(2025, 12, 15)
    row = next(r for r in report.rows if r.item.kind == "target" and r.item.code == "2")
    assert (row.done_in_year, row.done_in_period, row.target) == (5, 7, 100)  # 2025: Học viên 2..5 and the staff member
    task_1b = next(r for r in report.rows if r.item.kind == "task" and r.item.code == "1b")
    # 50 million over 2020-2025 is 8,333,333 đồng a year, the remainder on 2025: 8,333,335.
    assert task_1b.money["NSNN"] == (8_333_335, 7_500_000)


def test_the_yearly_report_pdf_is_vietnamese_and_shows_the_figures(session, make_organisation, make_user):
    report = _report_2025(session, make_organisation, make_user)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(yearly_report_pdf(report))).pages)
    assert "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH NĂM 2025" in text
    assert "15/12/2025" in text
    assert "Tập huấn, bồi dưỡng" in text
    assert "8,3" in text and "7,5" in text  # task 1b: planned and spent in 2025, million VND


def test_the_yearly_report_xlsx_has_the_figures_and_money_in_dong(session, make_organisation, make_user):
    report = _report_2025(session, make_organisation, make_user)
    workbook = load_workbook(io.BytesIO(yearly_report_xlsx(report)))
    sheet = workbook["Chỉ tiêu - nhiệm vụ"]
    rows = {(r[0], r[1]): r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert rows[("Chỉ tiêu", "2")][5:9] == (100, "ít nhất 100 người", 5, 7)
    assert rows[("Nhiệm vụ", "2b")][7] == 2
    money = {(r[0], r[2]): r for r in workbook["Kinh phí"].iter_rows(min_row=2, values_only=True)}
    assert money[("1b", "NSNN")][4:6] == (8_333_335, 7_500_000)
    nsnn_total = next(
        r for r in workbook["Kinh phí"].iter_rows(min_row=2, values_only=True) if r[1] == "Tổng cộng" and r[2] == "NSNN"
    )
    assert nsnn_total[5] == 7_500_000


def test_the_dashboard_draws_svg_charts_without_inline_style(client, login, session):
    load_plan_38(session)
    session.commit()
    login("manager")
    page = client.get("/plan/").get_data(as_text=True)
    assert page.count("<svg") == 3
    assert "style=" not in page
    assert client.get("/plan/report.xlsx?year=2025").status_code == 200


def test_enterprises_enrolled_are_the_customers_modules_count_at_the_periods_end(session, make_organisation):
    from lims.customers.models import AssuranceEnrolment

    plan = load_plan_38(session)
    for n, (enrolled, withdrawn) in enumerate(
        [(date(2024, 5, 1), None), (date(2025, 6, 1), date(2026, 8, 1)), (date(2027, 1, 1), None), (None, None)]
    ):
        organisation = make_organisation(f"Doanh nghiệp {n}")
        session.add(AssuranceEnrolment(organisation_id=organisation.id, enrolled_on=enrolled, withdrawn_on=withdrawn))
    session.flush()
    first, second = plan.periods
    target = _item(plan, "target", "5")
    assert services.item_figure(session, target, first).actual == 2  # both enrolled by 31/12/2025
    assert services.item_figure(session, target, second).actual == 2  # one withdrew in 2026, one joined in 2027
    assert services.item_figure(session, target, second, until=date(2026, 12, 31)).actual == 1
