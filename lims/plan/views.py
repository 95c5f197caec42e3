"""The plan's dashboard, budget, activities and yearly report."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.dates import lab_today
from lims.core.errors import NotFound, RuleViolation
from lims.core.exports import XLSX_MIMETYPE, download
from lims.core.forms import choices, refuse_invalid
from lims.core.navigation import register_nav
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.plan import forms, queries, services
from lims.plan.charts import Group, grouped_bars
from lims.plan.models import BudgetLine, PlanItem, PlanPeriod
from lims.plan.reports import yearly_report, yearly_report_pdf, yearly_report_xlsx

blueprint = Blueprint("plan", __name__, url_prefix="/plan")


def _plan(plan_id: int | None = None):
    plan = services.get_plan(db.session, plan_id) if plan_id else queries.current_plan(db.session)
    if plan is None:
        raise NotFound(_("Chưa có kế hoạch"))
    return plan


def _goal_form(plan):
    form = forms.GoalForm()
    form.item_id.choices = choices((i.id, f"{i.kind} {i.code}: {i.title_vi[:80]}") for i in plan.items)
    form.period_id.choices = choices((p.id, p.label) for p in plan.periods)
    return form


@blueprint.route("/")
@read_view(Capability.READ_PLAN)
def dashboard():
    plan = queries.current_plan(db.session)
    if plan is None:
        return render_template("plan/dashboard.html", plan=None)
    figures = services.plan_figures(db.session, plan, until=lab_today())
    charts = []
    for period_index, period in enumerate(plan.periods):
        groups = [
            Group(f"{row[period_index].item.code}", (row[period_index].target, row[period_index].actual))
            for row in figures
            if row[period_index].item.kind == "target"
        ]
        charts.append(
            grouped_bars(
                groups,
                (_("Chỉ tiêu"), _("Thực hiện")),
                title=_("Chỉ tiêu và thực hiện, giai đoạn %(p)s", p=period.label),
                testid=f"chart-targets-{period.label}",
            )
        )
    money = services.money_by_year(db.session, plan)
    years = sorted({row.year for row in money})
    money_groups = [
        Group(
            str(year),
            tuple(
                sum(r.planned if kind == "planned" else r.spent for r in money if r.year == year) / 1_000_000
                for kind in ("planned", "spent")
            ),
        )
        for year in years
    ]
    money_chart = grouped_bars(
        money_groups,
        (_("Dự toán (triệu đồng)"), _("Đã chi (triệu đồng)")),
        title=_("Kinh phí dự toán và đã chi theo năm"),
        testid="chart-money",
    )
    return render_template(
        "plan/dashboard.html",
        plan=plan,
        figures=figures,
        charts=charts,
        money_chart=money_chart,
        totals=services.money_totals(money),
        goal_form=_goal_form(plan),
        year=lab_today().year,
        due_on=services.report_due_on(plan, lab_today().year),
    )


@blueprint.route("/goals", methods=["POST"])
@write_view(Capability.MANAGE_PLAN)
def goal_update():
    plan = _plan()
    form = _goal_form(plan)
    if not form.validate_on_submit():
        refuse_invalid(form)
    item = db.session.get(PlanItem, form.item_id.data)
    period = db.session.get(PlanPeriod, form.period_id.data)
    services.set_goal(
        db.session,
        current_user,
        item,
        period,
        target=form.target.data,
        target_text=form.target_text.data,
        manual_actual=form.manual_actual.data,
        manual_evidence=form.manual_evidence.data,
    )
    flash(_("Đã lưu chỉ tiêu."), "success")
    return redirect(url_for("plan.dashboard"))


def _budget_forms(plan):
    lines = db.session.scalars(queries.budget_lines_query(plan)).all()
    expense = forms.ExpenseForm()
    expense.budget_line_id.choices = choices(
        (b.id, f"{b.year} · {b.source} · {b.item.code}: {b.item.title_vi[:60]}") for b in lines
    )
    line = forms.BudgetLineForm()
    line.item_id.choices = choices((i.id, f"{i.code}: {i.title_vi[:80]}") for i in plan.items if i.kind == "task")
    return lines, expense, line


@blueprint.route("/budget")
@read_view(Capability.READ_PLAN)
def budget():
    plan = _plan()
    lines, expense_form, line_form = _budget_forms(plan)
    return render_template(
        "plan/budget.html",
        plan=plan,
        lines=lines,
        money=services.money_by_year(db.session, plan),
        totals=services.money_totals(services.money_by_year(db.session, plan)),
        expense_form=expense_form,
        line_form=line_form,
    )


@blueprint.route("/budget/expenses", methods=["POST"])
@write_view(Capability.MANAGE_PLAN)
def expense_create():
    plan = _plan()
    _lines, form, _line_form = _budget_forms(plan)
    if not form.validate_on_submit():
        refuse_invalid(form)
    line = db.session.get(BudgetLine, form.budget_line_id.data)
    services.record_expense(
        db.session,
        current_user,
        line,
        spent_on=form.spent_on.data,
        amount_vnd=form.amount_vnd.data,
        description=form.description.data,
        voucher=form.voucher.data or None,
    )
    flash(_("Đã ghi khoản chi."), "success")
    return redirect(url_for("plan.budget"))


@blueprint.route("/budget/lines", methods=["POST"])
@write_view(Capability.MANAGE_PLAN)
def budget_line_save():
    plan = _plan()
    _lines, _expense, form = _budget_forms(plan)
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.set_budget_line(
        db.session,
        current_user,
        db.session.get(PlanItem, form.item_id.data),
        source=form.source.data,
        year=form.year.data,
        planned_vnd=form.planned_vnd.data,
    )
    return redirect(url_for("plan.budget"))


@blueprint.route("/activities")
@read_view(Capability.READ_PLAN)
def activities():
    return render_template(
        "plan/activities.html",
        activities=db.session.scalars(queries.activities_query()).all(),
        form=forms.ActivityForm(),
    )


@blueprint.route("/activities", methods=["POST"])
@write_view(Capability.MANAGE_PLAN)
def activity_create():
    form = forms.ActivityForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.record_activity(
        db.session,
        current_user,
        kind=form.kind.data,
        title=form.title.data,
        held_on=form.held_on.data,
        place=form.place.data,
        participants=form.participants.data,
    )
    return redirect(url_for("plan.activities"))


def _report():
    plan = _plan(request.args.get("plan", type=int))
    year = request.args.get("year", type=int) or lab_today().year
    if not 1990 <= year <= 2100:
        raise RuleViolation(_("Năm không hợp lệ"), field="year")
    return yearly_report(db.session, plan, year)


@blueprint.route("/report.pdf")
@read_view(Capability.READ_PLAN)
def report_pdf():
    report = _report()
    return download(yearly_report_pdf(report), "application/pdf", f"bao-cao-ke-hoach-{report.year}.pdf")


@blueprint.route("/report.xlsx")
@read_view(Capability.READ_PLAN)
def report_xlsx():
    report = _report()
    return download(yearly_report_xlsx(report), XLSX_MIMETYPE, f"bao-cao-ke-hoach-{report.year}.xlsx")


register_nav("plan.dashboard", _l("Kế hoạch"), (Capability.READ_PLAN,), order=75)
