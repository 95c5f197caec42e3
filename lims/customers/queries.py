"""Reads of enterprises, the catalogue and instruments; every list is limited to what the person may see."""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from instruments.formatting import format_cell
from lims.auth.permissions import scope_condition
from lims.core.dates import lab_today
from lims.core.lists import Column, Key, ListSpec, arg
from lims.core.search import matches
from lims.core.words import vietnamese
from lims.customers.models import (
    Instrument,
    InstrumentType,
    Method,
    Organisation,
    OutboxMessage,
    ReminderLog,
    VerificationCycle,
)
from lims.customers.rules import add_months


def organisations_query(user, search: str | None = None, kind: str | None = "enterprise") -> Select:
    query = select(Organisation).where(scope_condition(user, Organisation.id)).order_by(vietnamese(Organisation.name))
    if kind:
        query = query.where(Organisation.kind == kind)
    if search:
        query = query.where(matches(search, [Organisation.search_text]))
    return query


# What an instrument's label carries: its code ("PT000123") and, in the QR code, the address of its page. A USB
# scanner types either into a search box; both name one instrument.
_LABEL = re.compile(r"/customers/instruments/(\d{1,9})/?$|^PT(\d{6,9})$", re.IGNORECASE)


def instrument_id_in(typed: str | None) -> int | None:
    """Return the instrument a scanned or typed label code or QR address names, None for other text."""
    found = _LABEL.search((typed or "").strip())
    return int(found.group(1) or found.group(2)) if found else None


@dataclass(frozen=True)
class InstrumentFilter:
    """The filters of the instrument list, shared by the page, the export, the API and the recall."""

    organisation_id: int | None = arg(kind=int, minimum=1, description="the owning enterprise")
    instrument_type_id: int | None = arg("type", kind=int, minimum=1, description="the instrument type")
    search: str | None = arg("q", description="words of the serial, model, maker, enterprise or type")
    due: str | None = arg(choices=("due", "overdue"), description="due within `days` (overdue included), or overdue")
    within_days: int = arg("days", default=30, kind=int, minimum=0, maximum=3660, description="the `due` horizon")
    include_inactive: bool = False


def _instruments_where(user, filters: InstrumentFilter, today: date) -> Select:
    query = (
        select(Instrument)
        .options(joinedload(Instrument.organisation), joinedload(Instrument.instrument_type))
        .where(scope_condition(user, Instrument.organisation_id))
    )
    if not filters.include_inactive:
        query = query.where(Instrument.active.is_(True))
    if filters.organisation_id:
        query = query.where(Instrument.organisation_id == filters.organisation_id)
    if filters.instrument_type_id:
        query = query.where(Instrument.instrument_type_id == filters.instrument_type_id)
    if filters.search:
        # Each word typed may name the instrument (serial, model, maker), its enterprise or its type.
        query = query.join(Organisation, Organisation.id == Instrument.organisation_id).join(
            InstrumentType, InstrumentType.id == Instrument.instrument_type_id
        )
        query = query.where(
            matches(filters.search, [Instrument.search_text, Organisation.search_text, InstrumentType.search_text])
        )
    if filters.due == "overdue":
        query = query.where(Instrument.next_due_on < today)
    elif filters.due == "due":
        query = query.where(Instrument.next_due_on <= today + timedelta(days=filters.within_days))
    return query


def instrument_keys(filters: InstrumentFilter) -> tuple[Key, ...]:
    """The order of the instrument list: soonest due first when filtered by due date, else by enterprise."""
    if filters.due:  # the due filters keep only instruments with a due date, so the key is never NULL
        return (Key(Instrument.next_due_on, lambda item: item.next_due_on, date), Key(Instrument.id, lambda i: i.id))
    return (Key(Instrument.organisation_id, lambda item: item.organisation_id), Key(Instrument.id, lambda i: i.id))


def instruments_query(user, filters: InstrumentFilter, today: date) -> Select:
    """The instruments this person may see that pass the filters, in the list's order."""
    keys = instrument_keys(filters)
    return _instruments_where(user, filters, today).order_by(*(key.column for key in keys))


def _exported(value):
    # Measured values as the lab writes them (decimal comma, no float noise); the import reads them back.
    return format_cell(value) if isinstance(value, float) else value


def _attribute(name: str):
    return lambda item: _exported(getattr(item, name))


# The export's columns are the import's: a file exported here is read back by `lims import instruments`.
INSTRUMENT_COLUMNS = (
    Column("tax_code", lambda item: item.organisation.tax_code),
    Column("type_code", lambda item: item.instrument_type.code),
    *(
        Column(name, _attribute(name))
        for name in (
            "serial", "maker", "model", "range_min", "range_max", "unit", "resolution", "verification_interval",
            "accuracy_class", "location", "last_service_on", "last_service_kind", "next_due_on",
        )
    ),
)  # fmt: skip

INSTRUMENT_EXPORT_HEADER = tuple(column.header for column in INSTRUMENT_COLUMNS)

INSTRUMENTS = ListSpec(
    name="instruments",
    filters=InstrumentFilter,
    query=lambda actor, filters: _instruments_where(actor, filters, lab_today()),
    keys=instrument_keys,
    columns=INSTRUMENT_COLUMNS,
)


@dataclass(frozen=True)
class RecallFilter:
    """The filters of the recall list: instruments overdue or due within ``days``."""

    organisation_id: int | None = arg(kind=int, minimum=1, description="the enterprise")
    within_days: int = arg("days", default=30, kind=int, minimum=0, maximum=3660, description="the horizon in days")

    def instruments(self) -> InstrumentFilter:
        return InstrumentFilter(self.organisation_id, due="due", within_days=self.within_days)


RECALL = ListSpec(
    name="recall",
    filters=RecallFilter,
    query=lambda actor, filters: _instruments_where(actor, filters.instruments(), lab_today()),
    keys=lambda filters: instrument_keys(filters.instruments()),
    columns=INSTRUMENT_COLUMNS,
)


def recall_query(user, today: date, within_days: int, organisation_id: int | None = None) -> Select:
    """Instruments overdue or due within ``within_days``, soonest first (the recall list)."""
    return instruments_query(user, InstrumentFilter(organisation_id, due="due", within_days=within_days), today)


@dataclass(frozen=True)
class RecallSummary:
    """How many instruments are overdue, due soon, and due in each month ahead."""

    overdue: int
    due_soon: int
    months: list[tuple[date, int]]


def recall_summary(
    session: Session, user, today: date, within_days: int = 30, months: int = 12, organisation_id: int | None = None
) -> RecallSummary:
    """Count overdue instruments, those due within ``within_days``, and those due in each of the next months."""
    scope = [Instrument.active.is_(True), scope_condition(user, Instrument.organisation_id)]
    if organisation_id:
        scope.append(Instrument.organisation_id == organisation_id)
    overdue = session.scalar(select(func.count()).where(*scope, Instrument.next_due_on < today)) or 0
    first_month = today.replace(day=1)
    end = add_months(first_month, months)
    # Counted per day (an index range scan, at most a year of groups) and bucketed here: portable and quick.
    per_day = session.execute(
        select(Instrument.next_due_on, func.count())
        .where(*scope, Instrument.next_due_on >= today, Instrument.next_due_on < end)
        .group_by(Instrument.next_due_on)
    ).all()
    horizon = today + timedelta(days=within_days)
    due_soon = sum(count for day, count in per_day if day <= horizon)
    by_month = Counter()
    for day, count in per_day:
        by_month[day.replace(day=1)] += count
    month_starts = [add_months(first_month, offset) for offset in range(months)]
    return RecallSummary(overdue, due_soon, [(start, by_month[start]) for start in month_starts])


def reminder_candidates_query(horizon: date, channel: str) -> Select:
    """Active instruments due by ``horizon`` whose current due date was not yet announced on this channel."""
    announced = exists().where(
        ReminderLog.instrument_id == Instrument.id,
        ReminderLog.due_on == Instrument.next_due_on,
        ReminderLog.channel == channel,
    )
    return (
        select(Instrument, InstrumentType.name_vi)
        .join(InstrumentType, InstrumentType.id == Instrument.instrument_type_id)
        .where(Instrument.active.is_(True), Instrument.next_due_on <= horizon, ~announced)
        .order_by(Instrument.organisation_id, Instrument.next_due_on)
    )


def calendar_items_query(organisation_id: int) -> Select:
    return (
        select(Instrument.id, Instrument.serial, Instrument.next_due_on, InstrumentType.name_vi)
        .join(InstrumentType, InstrumentType.id == Instrument.instrument_type_id)
        .where(
            Instrument.organisation_id == organisation_id,
            Instrument.active.is_(True),
            Instrument.next_due_on.is_not(None),
        )
        .order_by(Instrument.next_due_on)
    )


def instrument_type_by_code(code: str) -> Select:
    """The catalogue's instrument type with this code (as the import and the API name types)."""
    return select(InstrumentType).where(InstrumentType.code == code.strip())


def instrument_types_query(active_only: bool = False, search: str | None = None) -> Select:
    query = select(InstrumentType).order_by(InstrumentType.legal_group.desc(), vietnamese(InstrumentType.name_vi))
    if search:
        query = query.where(matches(search, [InstrumentType.search_text]))
    return query.where(InstrumentType.active.is_(True)) if active_only else query


def methods_query() -> Select:
    """The ĐLVN methods of the catalogue, unconfirmed first."""
    return select(Method).options(selectinload(Method.instrument_types)).order_by(Method.confirmed, Method.code)


def unconfirmed_cycles_query() -> Select:
    return (
        select(VerificationCycle)
        .options(joinedload(VerificationCycle.instrument_type))
        .where(VerificationCycle.confirmed.is_(False))
        .order_by(VerificationCycle.effective_from, VerificationCycle.instrument_type_id)
    )


def outbox_query(status: str | None = None) -> Select:
    query = select(OutboxMessage).options(joinedload(OutboxMessage.organisation))
    if status:
        query = query.where(OutboxMessage.status == status)
    return query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())


def instrument_counts_by_organisation(session: Session, organisation_ids: list[int], today: date) -> dict[int, tuple]:
    """Return {organisation id: (instruments, overdue)} for a page of enterprises."""
    if not organisation_ids:
        return {}
    rows = session.execute(
        select(
            Instrument.organisation_id,
            func.count(),
            func.count().filter(and_(Instrument.next_due_on.is_not(None), Instrument.next_due_on < today)),
        )
        .where(Instrument.organisation_id.in_(organisation_ids), Instrument.active.is_(True))
        .group_by(Instrument.organisation_id)
    ).all()
    return {organisation_id: (total, overdue) for organisation_id, total, overdue in rows}
