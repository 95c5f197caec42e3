"""The yearly report on the plan (due 15 December): each target and task, planned, done, evidence and money."""

from dataclasses import dataclass
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import Session

from certificates.document import Column, ResultTable
from certificates.report import Section, render_report
from instruments.formatting import format_cell
from lims.core.exports import xlsx_append, xlsx_bytes
from lims.plan.models import FUNDING_SOURCES, Plan, PlanItem
from lims.plan.services import METRIC_EVIDENCE, count_metric, item_figure, report_due_on
from lims.quality.reports import lab_identity


@dataclass(frozen=True)
class ReportRow:
    item: PlanItem
    period_label: str
    target: float | None
    target_text: str
    done_in_year: float | None
    done_in_period: float | None
    evidence: str
    money: dict[str, tuple[int, int]]  # source -> (planned, spent) in the year


@dataclass(frozen=True)
class YearlyReport:
    plan: Plan
    year: int
    due_on: date
    rows: list[ReportRow]

    def money_total(self, source: str) -> tuple[int, int]:
        planned = sum(row.money.get(source, (0, 0))[0] for row in self.rows)
        spent = sum(row.money.get(source, (0, 0))[1] for row in self.rows)
        return planned, spent


def yearly_report(session: Session, plan: Plan, year: int) -> YearlyReport:
    """Gather the figures of a year: actual in the year, actual in its period up to 31 December, money by source."""
    period = next((p for p in plan.periods if p.starts_on.year <= year <= p.ends_on.year), None)
    rows = []
    year_start, year_end = date(year, 1, 1), date(year, 12, 31)
    for item in plan.items:
        money = {}
        for source in FUNDING_SOURCES:
            lines = [b for b in item.budget_lines if b.source == source and b.year == year]
            if lines:
                money[source] = (sum(b.planned_vnd for b in lines), sum(b.spent_vnd for b in lines))
        if period is None:
            rows.append(ReportRow(item, "", None, "", None, None, METRIC_EVIDENCE[item.metric], money))
            continue
        figure = item_figure(session, item, period, until=year_end)
        if item.metric == "manual":
            in_year = None
        elif item.metric == "enterprises_enrolled":
            in_year = figure.actual  # a state at the year's end, not a count of events in the year
        else:
            in_year = count_metric(
                session, item.metric, max(year_start, period.starts_on), min(year_end, period.ends_on)
            )
        rows.append(
            ReportRow(
                item,
                period.label,
                figure.target,
                figure.target_text,
                in_year,
                figure.actual,
                METRIC_EVIDENCE[item.metric],
                money,
            )
        )
    return YearlyReport(plan, year, report_due_on(plan, year), rows)


def _n(value: float | None) -> str:
    if value is None:
        return "—"
    return format_cell(value)  # the one writer of numbers: decimal comma, no float noise


def _million(vnd: int) -> str:
    # The plan states money in million VND; the records keep đồng, shown here with the plan's unit.
    return f"{vnd / 1_000_000:,.1f}".replace(",", " ").replace(".", ",")


def yearly_report_pdf(report: YearlyReport) -> bytes:
    """Render the yearly report as a Vietnamese PDF."""
    plan = report.plan
    targets = ResultTable(
        columns=(
            Column("Mã", "Code"),
            Column("Chỉ tiêu / nhiệm vụ", "Target / task"),
            Column("Giai đoạn", "Period"),
            Column("Kế hoạch", "Planned"),
            Column("Trong năm", "In the year"),
            Column("Lũy kế giai đoạn", "Period to date"),
            Column("Minh chứng", "Evidence"),
        ),
        rows=tuple(
            (
                f"{'CT' if row.item.kind == 'target' else 'NV'} {row.item.code}",
                row.item.title_vi,
                row.period_label or "—",
                row.target_text or _n(row.target),
                _n(row.done_in_year),
                _n(row.done_in_period),
                row.evidence.split(" / ")[0],
            )
            for row in report.rows
        )
        or (("—",) * 7,),
    )
    money_rows = []
    for row in report.rows:
        if not row.money:
            continue
        cells = [f"NV {row.item.code}", row.item.title_vi[:120]]
        for source in FUNDING_SOURCES:
            planned, spent = row.money.get(source, (0, 0))
            cells += [_million(planned), _million(spent)]
        money_rows.append(tuple(cells))
    totals = ["", "Tổng cộng / Total"]
    for source in FUNDING_SOURCES:
        planned, spent = report.money_total(source)
        totals += [_million(planned), _million(spent)]
    money_rows.append(tuple(totals))
    money = ResultTable(
        columns=(
            Column("Mã", "Code"),
            Column("Nhiệm vụ", "Task"),
            Column("NSNN dự toán", "State budget planned", "tr.đ"),
            Column("NSNN đã chi", "State budget spent", "tr.đ"),
            Column("DN dự toán", "Enterprises planned", "tr.đ"),
            Column("DN đã chi", "Enterprises spent", "tr.đ"),
        ),
        rows=tuple(money_rows),
    )
    sections = [
        Section(
            "Thông tin chung",
            "General",
            (
                f"Kế hoạch {plan.code}: {plan.title}.",
                f"Báo cáo kết quả thực hiện năm {report.year}; hạn gửi {report.due_on:%d/%m/%Y}. "
                "Số liệu được tính từ hồ sơ hệ thống đang lưu (sổ chuẩn, hồ sơ đào tạo, doanh nghiệp tham gia "
                "Chương trình đảm bảo đo lường, đánh giá theo bộ tiêu chí, các đợt kiểm tra và khảo sát).",
            ),
        ),
        Section("Kết quả thực hiện chỉ tiêu và nhiệm vụ", "Targets and tasks", (targets,)),
        Section("Kinh phí theo nguồn (triệu đồng)", "Money by source (million VND)", (money,)),
    ]
    return render_report(
        f"BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH NĂM {report.year}",
        f"YEARLY REPORT ON THE PLAN, {report.year}",
        lab_identity(),
        sections,
        reference=f"{plan.code} / {report.year}",
        issued=report.due_on,
    )


def yearly_report_xlsx(report: YearlyReport) -> bytes:
    """Export the yearly report as a workbook: one sheet of targets and tasks, one of money (VND)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Chỉ tiêu - nhiệm vụ"
    xlsx_append(sheet, [f"Báo cáo kết quả thực hiện Kế hoạch {report.plan.code} năm {report.year}"])
    xlsx_append(sheet, [f"Hạn gửi: {report.due_on:%d/%m/%Y}"])
    header = [
        "Loại",
        "Mã",
        "Nội dung",
        "Đơn vị",
        "Giai đoạn",
        "Chỉ tiêu",
        "Chỉ tiêu (văn bản)",
        "Trong năm",
        "Lũy kế giai đoạn",
        "Minh chứng",
    ]
    xlsx_append(sheet, header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in report.rows:
        xlsx_append(
            sheet,
            [
                "Chỉ tiêu" if row.item.kind == "target" else "Nhiệm vụ",
                row.item.code,
                row.item.title_vi,
                row.item.unit,
                row.period_label,
                row.target,
                row.target_text,
                row.done_in_year,
                row.done_in_period,
                row.evidence,
            ],
        )
    sheet.column_dimensions["C"].width = 60
    sheet.column_dimensions["J"].width = 50
    for cells in sheet.iter_rows(min_row=4, min_col=3, max_col=3):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    money = workbook.create_sheet("Kinh phí")
    xlsx_append(money, ["Mã", "Nhiệm vụ", "Nguồn", "Năm", "Dự toán (đồng)", "Đã chi (đồng)"])
    for cell in money[1]:
        cell.font = Font(bold=True)
    for row in report.rows:
        for source, (planned, spent) in sorted(row.money.items()):
            xlsx_append(money, [row.item.code, row.item.title_vi, source, report.year, planned, spent])
    for source in FUNDING_SOURCES:
        planned, spent = report.money_total(source)
        xlsx_append(money, ["", "Tổng cộng", source, report.year, planned, spent])
    for cells in money.iter_rows(min_row=2, min_col=5, max_col=6):
        for cell in cells:
            cell.number_format = "#,##0"
    money.column_dimensions["B"].width = 60
    return xlsx_bytes(workbook)
