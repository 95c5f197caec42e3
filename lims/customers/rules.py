"""The customers domain's pure rules: tax-code check digit, months arithmetic, the "valid until" date."""

import calendar
import re
from datetime import date, timedelta

from flask_babel import gettext as _

from lims.core.dates import add_months

# The tax administration's check digit: weights for the first nine digits, remainder modulo 11.
TAX_CODE_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
_TAX_CODE = re.compile(r"(\d{10})(?:-?(\d{3}))?")

# How "Có giá trị đến" follows from the verification day and the cycle (a lab setting).
VALID_UNTIL_RULES = ("same_day", "day_before", "end_of_month")
DEFAULT_VALID_UNTIL_RULE = "day_before"


class TaxCodeError(ValueError):
    """A tax code that is not well formed or whose check digit is wrong."""


def tax_code_check_digit(first_nine: str) -> int | None:
    """Return the tenth digit a tax code must have, or None when no code can start with these nine digits."""
    total = sum(weight * int(digit) for weight, digit in zip(TAX_CODE_WEIGHTS, first_nine, strict=True))
    check = 10 - total % 11
    # A remainder of 0 would need the "digit" 10: the tax office never issues such a number.
    return None if check == 10 else check


def normalise_tax_code(text: str) -> str:
    """Return a tax code as "NNNNNNNNNN" or "NNNNNNNNNN-BBB" (branch), refusing a wrong one."""
    compact = re.sub(r"[\s.]", "", text or "")
    match = _TAX_CODE.fullmatch(compact)
    if not match:
        raise TaxCodeError(_("cần 10 chữ số, hoặc 10 chữ số - 3 chữ số cho chi nhánh"))
    main, branch = match.groups()
    if tax_code_check_digit(main[:9]) != int(main[9]):
        raise TaxCodeError(_("chữ số kiểm tra (số thứ 10) không đúng"))
    if branch == "000":
        raise TaxCodeError(_("mã chi nhánh bắt đầu từ 001"))
    return f"{main}-{branch}" if branch else main


def is_valid_tax_code(text: str) -> bool:
    """Whether a tax code is well formed and its check digit right."""
    try:
        normalise_tax_code(text)
    except TaxCodeError:
        return False
    return True


def valid_until_after(verified_on: date, months: int, rule: str = DEFAULT_VALID_UNTIL_RULE) -> date:
    """Return the last day a verification made on ``verified_on`` is valid, for a cycle of ``months``.

    same_day: the anniversary itself; day_before: the day before the anniversary (the default);
    end_of_month: the last day of the anniversary's month (stickers that print only month and year).
    """
    anniversary = add_months(verified_on, months)
    if rule == "same_day":
        return anniversary
    if rule == "day_before":
        return anniversary - timedelta(days=1)
    if rule == "end_of_month":
        return anniversary.replace(day=calendar.monthrange(anniversary.year, anniversary.month)[1])
    raise ValueError(f"unknown valid-until rule {rule!r}; expected one of {VALID_UNTIL_RULES}")
