"""Reads of the plan module."""

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lims.plan.models import BudgetLine, Plan, PlanActivity, PlanItem


def plans_query() -> Select:
    return select(Plan).order_by(Plan.issued_on.desc(), Plan.id.desc())


def current_plan(session: Session) -> Plan | None:
    return session.scalar(plans_query().limit(1))


def budget_lines_query(plan: Plan) -> Select:
    return (
        select(BudgetLine)
        .join(PlanItem, BudgetLine.item_id == PlanItem.id)
        .where(PlanItem.plan_id == plan.id)
        .order_by(BudgetLine.year, PlanItem.position, BudgetLine.source)
    )


def activities_query() -> Select:
    return select(PlanActivity).order_by(PlanActivity.held_on.desc())
