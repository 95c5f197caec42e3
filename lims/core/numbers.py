"""Numbers as people in Vietnam type them: a decimal comma, and sometimes points between thousands."""

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
    """
    text = text.strip()
    if "," in text and "." in text:
        mark = "," if text.rfind(",") > text.rfind(".") else "."
        if not _GROUPED[mark].match(text):
            return text
        text = text.replace("." if mark == "," else ",", "")
    return text.replace(",", ".")
