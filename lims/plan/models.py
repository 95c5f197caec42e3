"""The province's measurement plan (e.g. Kế hoạch 38/KH-UBND): periods, targets and tasks, budget and spending."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lims.core.model import Money, NFCText, utcnow
from lims.core.words import Labelled
from lims.extensions import db

ITEM_KINDS = ("target", "task")
FUNDING_SOURCES = ("NSNN", "DN")  # state budget, enterprises


class ActivityKind(Labelled):
    """What kind of programme activity was held."""

    INSPECTION = "inspection", _l("Kiểm tra, giám sát")
    SURVEY = "survey", _l("Khảo sát doanh nghiệp")
    MEDIA = "media", _l("Tuyên truyền")
    CONFERENCE = "conference", _l("Hội nghị")
    OTHER = "other", _l("Khác")


ACTIVITY_KINDS = ActivityKind.values()
# How an item's actual figure is computed from the records the system keeps ("manual": typed in by the manager).
METRICS = (
    "reference_standards",
    "people_trained",
    "enterprises_enrolled",
    "criteria_applied",
    "criteria_service",
    "inspections",
    "surveys",
    "media",
    "conferences",
    "manual",
)


class Plan(db.Model):
    """A plan the province adopted, with the periods its targets are set for."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)  # "38/KH-UBND"
    title: Mapped[str] = mapped_column(String(500))
    issued_on: Mapped[date | None] = mapped_column(Date)
    issuer: Mapped[str | None] = mapped_column(String(300))
    report_day: Mapped[int] = mapped_column(Integer, default=15)  # the yearly report is due on this day ...
    report_month: Mapped[int] = mapped_column(Integer, default=12)  # ... of this month
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    periods: Mapped[list["PlanPeriod"]] = relationship(
        back_populates="plan", order_by="PlanPeriod.starts_on", cascade="all, delete-orphan"
    )
    items: Mapped[list["PlanItem"]] = relationship(
        back_populates="plan", order_by="PlanItem.position", cascade="all, delete-orphan"
    )


class PlanPeriod(db.Model):
    """A stage of a plan that targets are set for (2020-2025, 2026-2030)."""

    __tablename__ = "plan_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(40))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    plan: Mapped[Plan] = relationship(back_populates="periods")

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class PlanItem(db.Model):
    """A target or a task of a plan, and how its actual figure is counted from the records."""

    __tablename__ = "plan_item"
    __table_args__ = (UniqueConstraint("plan_id", "kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # target | task
    code: Mapped[str] = mapped_column(String(20))
    title_vi: Mapped[str] = mapped_column(NFCText)
    title_en: Mapped[str] = mapped_column(NFCText, default="")
    unit: Mapped[str] = mapped_column(String(60), default="")
    metric: Mapped[str] = mapped_column(String(30), default="manual")
    # True: the actual is counted from the start of the plan (enrolments build up); False: within each period.
    cumulative: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    plan: Mapped[Plan] = relationship(back_populates="items")
    goals: Mapped[list["PlanGoal"]] = relationship(back_populates="item", cascade="all, delete-orphan")
    budget_lines: Mapped[list["BudgetLine"]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="(BudgetLine.year, BudgetLine.source)"
    )


class PlanGoal(db.Model):
    """What an item should reach in a period (a number, and the plan's own words), and a manual actual."""

    __tablename__ = "plan_goal"
    __table_args__ = (UniqueConstraint("item_id", "period_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("plan_item.id", ondelete="CASCADE"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("plan_period.id", ondelete="CASCADE"), index=True)
    target: Mapped[float | None] = mapped_column(Float)
    target_text: Mapped[str | None] = mapped_column(String(200))
    manual_actual: Mapped[float | None] = mapped_column(Float)  # for items whose metric is "manual"
    manual_evidence: Mapped[str | None] = mapped_column(NFCText)

    item: Mapped[PlanItem] = relationship(back_populates="goals")
    period: Mapped[PlanPeriod] = relationship()


class BudgetLine(db.Model):
    """Money planned for a task in one year from one source (integer VND)."""

    __tablename__ = "budget_line"
    __table_args__ = (UniqueConstraint("item_id", "source", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("plan_item.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(10))  # NSNN | DN
    year: Mapped[int] = mapped_column(Integer)
    planned_vnd: Mapped[int] = mapped_column(Money)

    item: Mapped[PlanItem] = relationship(back_populates="budget_lines")
    expenses: Mapped[list["Expense"]] = relationship(
        back_populates="budget_line", cascade="all, delete-orphan", order_by="Expense.spent_on"
    )

    @property
    def spent_vnd(self) -> int:
        return sum(expense.amount_vnd for expense in self.expenses)


class Expense(db.Model):
    """Money actually spent against a budget line, with its voucher."""

    __tablename__ = "expense"

    id: Mapped[int] = mapped_column(primary_key=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_line.id", ondelete="CASCADE"), index=True)
    spent_on: Mapped[date] = mapped_column(Date)
    amount_vnd: Mapped[int] = mapped_column(Money)
    description: Mapped[str] = mapped_column(String(300))
    voucher: Mapped[str | None] = mapped_column(String(100))

    budget_line: Mapped[BudgetLine] = relationship(back_populates="expenses")


class PlanActivity(db.Model):
    """An activity the plan counts that no other module records: an inspection round, a survey, media, a conference."""

    __tablename__ = "plan_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    title: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str | None] = mapped_column(String(300))
    participants: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(NFCText)
