"""Certificate numbers from the database: one counter row per (series, year), taken under a row lock.

The counter is incremented by ``UPDATE ... RETURNING`` inside the issuing transaction, so the row stays locked
until that transaction ends: a second issuer waits, a rollback gives the number back, and the committed numbers of
a year run 1, 2, 3 ... without gaps on any number of app processes.
"""

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lims.audit.trail import lock_chain
from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.issuing.models import NumberCounter, NumberingSeries

# The two series count separately, so their numbers must not look alike: "3681-26-VL" and "HC-412-26-VL".
DEFAULT_FORMATS = {"verification": "{seq}-{yy}-{unit}", "calibration": "HC-{seq}-{yy}-{unit}"}


def number_format(session: Session, series: str) -> str:
    """Return the series' number format (the lab's setting, or the default)."""
    found = session.scalar(select(NumberingSeries.number_format).where(NumberingSeries.key == series))
    return found or DEFAULT_FORMATS[series]


def set_number_format(session: Session, actor, series: str, number_format_: str) -> NumberingSeries:
    """Set how a series' numbers look, after checking the format renders and carries the sequence."""
    require(actor, Capability.MANAGE_NUMBERING)
    if "{seq" not in number_format_:
        raise RuleViolation(_("Mẫu số phải có {seq}"), field="number_format")
    try:
        format_number(number_format_, 1, 2026, "VL")
    except (KeyError, ValueError, IndexError) as exc:
        raise RuleViolation(_("Mẫu số không hợp lệ: %(exc)s", exc=exc), field="number_format") from exc
    for other in DEFAULT_FORMATS:
        if other != series and format_number(number_format(session, other), 1, 2026, "VL") == format_number(
            number_format_, 1, 2026, "VL"
        ):
            raise RuleViolation(
                _("Mẫu số trùng với loại %(other)s", other=other),
                field="number_format",
            )
    row = session.scalar(select(NumberingSeries).where(NumberingSeries.key == series))
    if row is None:
        row = NumberingSeries(key=series)
        session.add(row)
    row.number_format = number_format_
    session.flush()
    return row


def format_number(number_format_: str, seq: int, year: int, unit: str) -> str:
    """Render a number: ``format_number("{seq}-{yy}-{unit}", 3681, 2026, "VL") == "3681-26-VL"``."""
    return number_format_.format(seq=seq, yy=f"{year % 100:02d}", yyyy=f"{year:04d}", unit=unit)


def _ensure_counter(session: Session, series: str, year: int) -> None:
    dialect = session.get_bind().dialect.name
    table = NumberCounter.__table__
    values = {"series": series, "year": year, "last_seq": 0}
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - the lab runs SQLite or PostgreSQL
        if session.scalar(select(table.c.id).where(table.c.series == series, table.c.year == year)):
            return
        statement = table.insert().values(**values)
    session.execute(statement)


def next_number(session: Session, actor, series: str, year: int) -> tuple[int, str]:
    """Take the next sequence of (series, year) in the current transaction; return it and the formatted number."""
    require(actor, Capability.ISSUE_CERTIFICATES)
    # Take the audit chain's lock first, always in this order: the issuing transaction will append audit events,
    # and two issuers taking the counter row and the chain lock in opposite orders would deadlock.
    lock_chain(session.connection())
    _ensure_counter(session, series, year)
    table = NumberCounter.__table__
    seq = session.execute(
        update(table)
        .where(table.c.series == series, table.c.year == year)
        .values(last_seq=table.c.last_seq + 1)
        .returning(table.c.last_seq)
    ).scalar_one()
    unit = current_app.config["LAB_UNIT_CODE"]
    return seq, format_number(number_format(session, series), seq, year, unit)
