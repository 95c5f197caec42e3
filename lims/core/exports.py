"""Every file the lab hands out for spreadsheets (CSV, XLSX) and every download's name, made in one place.

No text cell may run as a formula in a spreadsheet ("=HYPERLINK(...)" typed as a plan goal or an instrument's
location), numbers and days stay numbers and days, and a file name cannot break the Content-Disposition header.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import Response, send_file

# A text cell starting with one of these is a formula to a spreadsheet: exported text must never run as one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: str) -> str:
    """Return text a spreadsheet shows as typed: a leading apostrophe before what would start a formula."""
    return "'" + value if value[:1] in FORMULA_STARTS else value


def spreadsheet_safe(value) -> object:
    """Return a CSV cell value, quoting text a spreadsheet would otherwise evaluate; numbers and days pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_text(value)
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """Return a CSV table (CRLF lines) with a byte-order mark, so Excel opens Vietnamese text as UTF-8."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(value) for value in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """Return :func:`csv_text` encoded as UTF-8, for files packed into archives."""
    return csv_text(header, rows).encode("utf-8")


def csv_response(header: Sequence[str], rows: Iterable[Sequence], file_name: str) -> Response:
    """Return a CSV download."""
    return download(csv_text(header, rows).encode("utf-8"), "text/csv", file_name)


def xlsx_cell(value) -> object:
    """Return a workbook cell value: numbers, days and booleans as themselves, text never as a formula."""
    if value is None or isinstance(value, bool | int | float | date | datetime):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # openpyxl refuses characters XML cannot hold (stored before inputs were checked): drop them, never fail.
    return spreadsheet_text(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def xlsx_append(sheet, row: Iterable) -> None:
    """Append a row to an openpyxl worksheet through :func:`xlsx_cell` (the only way the lab writes sheet rows)."""
    sheet.append([xlsx_cell(value) for value in row])


def xlsx_bytes(workbook) -> bytes:
    """Return an openpyxl workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(data: bytes, mimetype: str, file_name: str, *, inline: bool = False, headers=None) -> Response:
    """Return bytes as a download named ``file_name``, quoted by werkzeug (a quote or a Vietnamese letter is safe).

    ``inline`` lets the browser show it (PDFs); otherwise it is saved as an attachment.
    """
    # A line break is legal in a typed code but never in a header; werkzeug quotes the rest (", \\, non-ASCII).
    name = " ".join(file_name.split()) or "download"
    response = send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=not inline, download_name=name, etag=False, max_age=None
    )
    response.direct_passthrough = False
    del response.headers["Cache-Control"]  # the app's own rule decides (no-store for signed-in pages)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def list_export(spec, actor, file_stem: str, file_format: str) -> Response:
    """Return a list (lims.core.lists.ListSpec) as CSV or XLSX: its filters read from the request, as its page does.

    Every row that passes the filters and that the actor may read, in the list's order, streamed by key.
    """
    from flask import request

    from lims.core.lists import parse_filters
    from lims.extensions import db

    filters = parse_filters(spec.filters, request.args)
    header, rows = spec.table(db.session, actor, filters)
    if file_format == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(spec.name[:31])
        xlsx_append(sheet, header)
        for row in rows:
            xlsx_append(sheet, row)
        return download(xlsx_bytes(workbook), XLSX_MIMETYPE, f"{file_stem}.xlsx")
    return csv_response(header, rows, f"{file_stem}.csv")
