"""Days as the lab counts them: today in the lab's time zone, and calendar months."""

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

# Days a person may type or import: a certificate, a due date or a purchase before 1900 or after 2100 is a typing
# slip (or a probe), and years outside four digits break spreadsheets and calendar feeds downstream.
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def is_plausible_day(day: date | datetime) -> bool:
    """Whether a typed or imported day lies within 1900-2100."""
    day = day.date() if isinstance(day, datetime) else day
    return EARLIEST_DAY <= day <= LATEST_DAY


def lab_today() -> date:
    """Return today's date in the lab's time zone (app.config["TIMEZONE"])."""
    return datetime.now(ZoneInfo(current_app.config["TIMEZONE"])).date()


def lab_day(moment: datetime) -> date:
    """Return the day a stored (UTC) moment falls on in the lab's time zone."""
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def add_months(day: date, months: int) -> date:
    """Return the same day ``months`` later; a day missing from the target month becomes its last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
