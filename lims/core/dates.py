"""Days as the lab counts them: today in the lab's time zone, and calendar months."""

import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


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
