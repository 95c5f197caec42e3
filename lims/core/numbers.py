"""Numbers as people in Vietnam type them: a decimal comma, and sometimes points between thousands."""

import math
import re

_GROUPED = {
    ",": re.compile(r"^[-+]?\d{1,3}(\.\d{3})+,\d*$"),  # 1.000,5 (Vietnamese)
    ".": re.compile(r"^[-+]?\d{1,3}(,\d{3})+\.\d*$"),  # 1,000.5 (English)
}


def decimal_point(text: str) -> str:
    """Return a typed number written with a decimal point, for float() or Decimal() to read.

    One comma is a decimal comma ("22,4"); one point is a decimal point. With both, the last is the decimal mark
    and the other must group thousands ("1.000,5", "1,000.5"); anything else is left as typed, to be refused
    rather than guessed.

    :raises ValueError: for a number that is not finite ("nan", "inf", "1e400"): every reader of typed numbers
        comes through here, and such a value would poison sums, comparisons and stored records.
    """
    text = text.strip()
    if "," in text and "." in text:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        if not _GROUPED[mark].match(text):
            return text
        text = text.replace("." if mark == "," else ",", "")
    text = text.replace(",", ".")
    refuse_non_finite(text)
    return text


def refuse_non_finite(text: str) -> None:
    """Raise ValueError when ``text`` reads as NaN or an infinity (as float() and Decimal() would accept it)."""
    try:
        number = float(text)
    except ValueError:
        return  # not a number at all: the caller refuses it in its own words
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
