"""CSV files for spreadsheets: UTF-8 with a byte-order mark, and no cell a spreadsheet would run as a formula."""

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

# A text cell starting with one of these is a formula to a spreadsheet: exported text must never run as one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> object:
    """Return a cell value, quoting text a spreadsheet would otherwise evaluate; numbers and days pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """Return a CSV table (CRLF lines) with a byte-order mark, so Excel opens Vietnamese text as UTF-8."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """Return :func:`csv_text` encoded as UTF-8, for files packed into archives."""
    return csv_text(header, rows).encode("utf-8")


def csv_response(header: Sequence[str], rows: Iterable[Sequence], file_name: str) -> Response:
    """Return a CSV download."""
    return Response(
        csv_text(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )
