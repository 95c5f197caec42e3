"""The plan's operations and figures: actuals counted from the records, budget and spending; never a commit."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lims.auth.permissions import Capability, require
from lims.core.errors import NotFound, RuleViolation
from lims.core.model import nfc
from lims.customers.models import Organisation
from lims.customers.services import enrolled_enterprises_count
from lims.plan.models import (
    ACTIVITY_KINDS,
    FUNDING_SOURCES,
    ITEM_KINDS,
    METRICS,
    BudgetLine,
    Expense,
    Plan,
    PlanActivity,
    PlanGoal,
    PlanItem,
    PlanPeriod,
)
from lims.quality.models import CriteriaAssessment
from lims.quality.services import people_trained
from lims.standards.models import Standard

MILLION = 1_000_000

# What each metric counts, in the words the yearly report prints as its evidence.
METRIC_EVIDENCE = {
    "reference_standards": _l("Sổ chuẩn: chuẩn chính đưa vào sử dụng"),
    "people_trained": _l("Hồ sơ đào tạo: số người (không trùng) đã được tập huấn"),
    "enterprises_enrolled": _l("Doanh nghiệp tham gia Chương trình đảm bảo đo lường"),
    "criteria_applied": _l("Đánh giá theo bộ tiêu chí quốc gia: phòng thí nghiệm"),
    "criteria_service": _l("Đánh giá theo bộ tiêu chí quốc gia: tổ chức dịch vụ"),
    "inspections": _l("Đợt kiểm tra, giám sát tổ chức dịch vụ"),
    "surveys": _l("Đợt khảo sát, đánh giá doanh nghiệp"),
    "media": _l("Đợt tuyên truyền, phổ biến pháp luật"),
    "conferences": _l("Hội nghị sơ kết, tổng kết"),
    "manual": _l("Số liệu do phòng nhập, kèm minh chứng"),
}
ACTIVITY_METRICS = {"inspections": "inspection", "surveys": "survey", "media": "media", "conferences": "conference"}


def count_metric(session: Session, metric: str, start: date, end: date) -> int | None:
    """Count what a metric measures between two days (inclusive); None when its records are not kept yet."""
    if metric == "people_trained":
        return people_trained(session, start, end)
    if metric == "reference_standards":
        query = select(func.count(Standard.id)).where(
            Standard.level == "reference", Standard.put_in_service_on >= start, Standard.put_in_service_on <= end
        )
        return session.scalar(query) or 0
    if metric == "enterprises_enrolled":
        # Enrolment is a state, not an event: the count of enterprises enrolled on the period's last day.
        return enrolled_enterprises_count(session, end)
    if metric in ("criteria_applied", "criteria_service"):
        lab = Organisation.kind == "lab"
        query = (
            select(func.count(func.distinct(CriteriaAssessment.organisation_id)))
            .join(Organisation, CriteriaAssessment.organisation_id == Organisation.id)
            .where(CriteriaAssessment.assessed_on >= start, CriteriaAssessment.assessed_on <= end)
            .where(lab if metric == "criteria_applied" else ~lab)
        )
        return session.scalar(query) or 0
    if metric in ACTIVITY_METRICS:
        query = select(func.count(PlanActivity.id)).where(
            PlanActivity.kind == ACTIVITY_METRICS[metric], PlanActivity.held_on >= start, PlanActivity.held_on <= end
        )
        return session.scalar(query) or 0
    return None


@dataclass(frozen=True)
class ItemFigure:
    """An item's goal and actual in one period (actual up to a day, for reports during the period)."""

    item: PlanItem
    period: PlanPeriod
    target: float | None
    target_text: str
    actual: float | None
    until: date

    @property
    def percent(self) -> float | None:
        if self.target in (None, 0) or self.actual is None:
            return None
        return round(100.0 * self.actual / self.target, 1)

    @property
    def met(self) -> bool | None:
        if self.target is None or self.actual is None:
            return None
        return self.actual >= self.target


def goal_for(item: PlanItem, period: PlanPeriod) -> PlanGoal | None:
    return next((goal for goal in item.goals if goal.period_id == period.id), None)


def item_figure(session: Session, item: PlanItem, period: PlanPeriod, until: date | None = None) -> ItemFigure:
    """Return an item's goal and its actual in a period, counted up to ``until`` (default: the period's end)."""
    end = min(period.ends_on, until) if until else period.ends_on
    goal = goal_for(item, period)
    if item.metric == "manual":
        actual = goal.manual_actual if goal else None
    else:
        start = item.plan.periods[0].starts_on if item.cumulative else period.starts_on
        actual = count_metric(session, item.metric, start, end) if end >= period.starts_on else 0
    return ItemFigure(
        item,
        period,
        goal.target if goal else None,
        (goal.target_text if goal else "") or "",
        actual,
        end,
    )


def plan_figures(session: Session, plan: Plan, until: date | None = None) -> list[list[ItemFigure]]:
    """Return, for each item of the plan, its figure in every period."""
    return [[item_figure(session, item, period, until) for period in plan.periods] for item in plan.items]


# Money ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MoneyRow:
    year: int
    source: str
    planned: int
    spent: int


def money_by_year(session: Session, plan: Plan) -> list[MoneyRow]:
    """Return money planned and spent per year and source across the plan's tasks."""
    planned = dict(
        (
            (year, source),
            total,
        )
        for year, source, total in session.execute(
            select(BudgetLine.year, BudgetLine.source, func.sum(BudgetLine.planned_vnd))
            .join(PlanItem, BudgetLine.item_id == PlanItem.id)
            .where(PlanItem.plan_id == plan.id)
            .group_by(BudgetLine.year, BudgetLine.source)
        )
    )
    spent = dict(
        ((year, source), total)
        for year, source, total in session.execute(
            select(BudgetLine.year, BudgetLine.source, func.sum(Expense.amount_vnd))
            .join(Expense, Expense.budget_line_id == BudgetLine.id)
            .join(PlanItem, BudgetLine.item_id == PlanItem.id)
            .where(PlanItem.plan_id == plan.id)
            .group_by(BudgetLine.year, BudgetLine.source)
        )
    )
    keys = sorted(set(planned) | set(spent))
    return [
        MoneyRow(year, source, int(planned.get((year, source)) or 0), int(spent.get((year, source)) or 0))
        for year, source in keys
    ]


def money_totals(rows: list[MoneyRow]) -> dict[str, dict[str, int]]:
    """Return planned and spent totals per source, and overall."""
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        for key in (row.source, "all"):
            entry = totals.setdefault(key, {"planned": 0, "spent": 0})
            entry["planned"] += row.planned
            entry["spent"] += row.spent
    return totals


def split_over_years(amount_vnd: int, first_year: int, last_year: int) -> dict[int, int]:
    """Spread a period's amount evenly over its years, the remainder on the last year, so the sum is exact."""
    years = list(range(first_year, last_year + 1))
    share, remainder = divmod(amount_vnd, len(years))
    return {year: share + (remainder if year == years[-1] else 0) for year in years}


# Changes -------------------------------------------------------------------------------------------------------
def get_plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(_("Không có kế hoạch này"))
    return plan


def create_plan(session: Session, actor, *, code: str, title: str, issued_on: date | None, issuer: str | None) -> Plan:
    """Register a plan."""
    require(actor, Capability.MANAGE_PLAN)
    code = nfc((code or "").strip())
    if not code or not (title or "").strip():
        raise RuleViolation(_("Cần số hiệu và tên kế hoạch"), field="code")
    if session.scalar(select(Plan.id).where(Plan.code == code)):
        raise RuleViolation(_("Kế hoạch đã có: %(code)s", code=code), field="code")
    plan = Plan(code=code, title=title.strip(), issued_on=issued_on, issuer=issuer or None)
    session.add(plan)
    session.flush()
    return plan


def add_period(session: Session, actor, plan: Plan, *, label: str, starts_on: date, ends_on: date) -> PlanPeriod:
    """Add a period to a plan (periods may not overlap)."""
    require(actor, Capability.MANAGE_PLAN)
    if ends_on < starts_on:
        raise RuleViolation(_("Kết thúc trước khi bắt đầu"), field="ends_on")
    for other in plan.periods:
        if starts_on <= other.ends_on and other.starts_on <= ends_on:
            raise RuleViolation(_("Trùng với giai đoạn %(label)s", label=other.label), field="starts_on")
    period = PlanPeriod(plan=plan, label=label.strip(), starts_on=starts_on, ends_on=ends_on)
    session.add(period)
    session.flush()
    return period


def add_item(
    session: Session,
    actor,
    plan: Plan,
    *,
    kind: str,
    code: str,
    title_vi: str,
    title_en: str = "",
    unit: str = "",
    metric: str = "manual",
    cumulative: bool = False,
) -> PlanItem:
    """Add a target or a task to a plan."""
    require(actor, Capability.MANAGE_PLAN)
    if kind not in ITEM_KINDS:
        raise RuleViolation(_("Loại không hợp lệ"), field="kind")
    if metric not in METRICS:
        raise RuleViolation(_("Cách tính không hợp lệ"), field="metric")
    if any(i.kind == kind and i.code == code for i in plan.items):
        raise RuleViolation(_("Mã đã có: %(code)s", code=code), field="code")
    item = PlanItem(
        plan=plan,
        kind=kind,
        code=code.strip(),
        title_vi=title_vi.strip(),
        title_en=title_en.strip(),
        unit=unit.strip(),
        metric=metric,
        cumulative=cumulative,
        position=len(plan.items),
    )
    session.add(item)
    session.flush()
    return item


def set_goal(
    session: Session,
    actor,
    item: PlanItem,
    period: PlanPeriod,
    *,
    target: float | None,
    target_text: str | None,
    manual_actual: float | None = None,
    manual_evidence: str | None = None,
) -> PlanGoal:
    """Set (or change) what an item should reach in a period, and its manual actual where it is typed in."""
    require(actor, Capability.MANAGE_PLAN)
    if period.plan_id != item.plan_id:
        raise RuleViolation(_("Giai đoạn thuộc kế hoạch khác"), field="period_id")
    if target is not None and target < 0:
        raise RuleViolation(_("Chỉ tiêu không âm"), field="target")
    if manual_actual is not None and item.metric != "manual":
        raise RuleViolation(
            _("Số liệu này được tính từ hồ sơ, không nhập tay"),
            field="manual_actual",
        )
    goal = goal_for(item, period)
    if goal is None:
        goal = PlanGoal(item=item, period=period)
        session.add(goal)
    goal.target = target
    goal.target_text = (target_text or "").strip() or None
    goal.manual_actual = manual_actual
    goal.manual_evidence = manual_evidence or None
    session.flush()
    return goal


def set_budget_line(session: Session, actor, item: PlanItem, *, source: str, year: int, planned_vnd: int) -> BudgetLine:
    """Plan money for a task in a year from a source (integer VND); an existing line is changed."""
    require(actor, Capability.MANAGE_PLAN)
    if item.kind != "task":
        raise RuleViolation(_("Kinh phí gắn với nhiệm vụ"), field="item_id")
    if source not in FUNDING_SOURCES:
        raise RuleViolation(_("Nguồn kinh phí không hợp lệ"), field="source")
    if planned_vnd < 0:
        raise RuleViolation(_("Kinh phí không âm"), field="planned_vnd")
    periods = item.plan.periods
    if periods and not any(p.starts_on.year <= year <= p.ends_on.year for p in periods):
        raise RuleViolation(_("Năm ngoài kế hoạch"), field="year")
    line = next((b for b in item.budget_lines if b.source == source and b.year == year), None)
    if line is None:
        line = BudgetLine(item=item, source=source, year=year, planned_vnd=planned_vnd)
        session.add(line)
    else:
        line.planned_vnd = planned_vnd
    session.flush()
    return line


def record_expense(
    session: Session, actor, line: BudgetLine, *, spent_on: date, amount_vnd: int, description: str, voucher: str | None
) -> Expense:
    """Record money spent against a budget line, in its year."""
    require(actor, Capability.MANAGE_PLAN)
    if amount_vnd <= 0:
        raise RuleViolation(_("Số tiền phải dương"), field="amount_vnd")
    if spent_on.year != line.year:
        raise RuleViolation(_("Khoản chi phải thuộc năm %(year)s", year=line.year), field="spent_on")
    if not (description or "").strip():
        raise RuleViolation(_("Cần nội dung chi"), field="description")
    expense = Expense(
        budget_line=line, spent_on=spent_on, amount_vnd=amount_vnd, description=description.strip(), voucher=voucher
    )
    session.add(expense)
    session.flush()
    return expense


def record_activity(
    session: Session,
    actor,
    *,
    kind: str,
    title: str,
    held_on: date,
    place: str | None = None,
    participants: int | None = None,
    notes: str | None = None,
) -> PlanActivity:
    """Record an inspection round, survey, media campaign or conference the plan counts."""
    require(actor, Capability.MANAGE_PLAN)
    if kind not in ACTIVITY_KINDS:
        raise RuleViolation(_("Loại hoạt động không hợp lệ"), field="kind")
    if not (title or "").strip():
        raise RuleViolation(_("Cần tên hoạt động"), field="title")
    activity = PlanActivity(
        kind=kind, title=title.strip(), held_on=held_on, place=place or None, participants=participants, notes=notes
    )
    session.add(activity)
    session.flush()
    return activity


def report_due_on(plan: Plan, year: int) -> date:
    """Return the day the yearly report for a year is due (15 December in Kế hoạch 38)."""
    return date(year, plan.report_month, plan.report_day)
