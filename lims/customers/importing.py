"""Reading instrument lists from CSV or XLSX files into plain rows (the checks and the insert are in services)."""

import contextlib
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _

# Column key -> the headings accepted for it (English keys, and the Vietnamese words labs use in their sheets).
COLUMNS = {
    "tax_code": ("tax_code", "mã số thuế", "mst"),
    "type_code": ("type_code", "type", "mã loại", "loại phương tiện đo", "loại"),
    "serial": ("serial", "số sản xuất", "số hiệu", "số máy"),
    "maker": ("maker", "hãng sản xuất", "nhà sản xuất", "cơ sở sản xuất"),
    "country": ("country", "nước sản xuất", "xuất xứ"),
    "model": ("model", "kiểu", "ký hiệu"),
    "range_min": ("range_min", "phạm vi đo từ", "min"),
    "range_max": ("range_max", "phạm vi đo đến", "phạm vi đo", "max"),
    "unit": ("unit", "đơn vị"),
    "resolution": ("resolution", "giá trị độ chia", "d"),
    "verification_interval": ("verification_interval", "giá trị độ chia kiểm", "e"),
    "accuracy_class": ("accuracy_class", "cấp chính xác", "class"),
    "location": ("location", "vị trí", "nơi sử dụng"),
    "last_service_on": ("last_service_on", "ngày kiểm định/hiệu chuẩn gần nhất", "ngày kiểm định gần nhất"),
    "last_service_kind": ("last_service_kind", "loại dịch vụ gần nhất"),
    "next_due_on": ("next_due_on", "hạn kiểm định/hiệu chuẩn", "hạn tiếp theo", "có giá trị đến"),
    "notes": ("notes", "ghi chú"),
}
_HEADINGS = {unicodedata.normalize("NFC", heading): key for key, headings in COLUMNS.items() for heading in headings}

# The most rows a sheet may hold, empty ones included (a province's largest enterprise lists a few thousand
# instruments; the import is built for 100,000). Counted in the sheet's XML before parsing, since the sheet's
# stated dimension can lie and openpyxl spends as long skipping an empty row as reading a full one.
MAX_SHEET_ROWS = 100_000
_ROW_ELEMENT = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,30}:)?row[\s/>]")
# An XLSX file is a ZIP archive: what it unpacks to is checked from its directory before anything is parsed. A real
# sheet of 100,000 instruments unpacks to some tens of megabytes at a ratio of 5-30; a "zip bomb" of empty rows packs
# millions of them into kilobytes (ratios in the hundreds or thousands).
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_XLSX_RATIO = 200


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX sheet that can be read."""


@dataclass(frozen=True)
class SheetRow:
    """One data row of the sheet: its number as the person sees it (header is row 1) and its cells by column key."""

    number: int
    cells: dict[str, object]


def column_key(heading: object) -> str | None:
    """Return the column key of a heading, or None for a column the import does not use."""
    if heading is None:
        return None
    text = unicodedata.normalize("NFC", str(heading)).strip().lower()
    return _HEADINGS.get(text)


def _rows_from_table(rows: Iterator[tuple]) -> tuple[list[str | None], Iterator[SheetRow]]:
    try:
        header = next(rows)
    except StopIteration:
        raise UnreadableFile(_("tệp trống")) from None
    keys = [column_key(heading) for heading in header]
    if "serial" not in keys or "type_code" not in keys:
        raise UnreadableFile(_("dòng tiêu đề cần ít nhất các cột type_code (mã loại) và serial (số sản xuất)"))

    def generate() -> Iterator[SheetRow]:
        for number, values in enumerate(rows, start=2):
            cells = {key: value for key, value in zip(keys, values, strict=False) if key is not None}
            if all(value is None or (isinstance(value, str) and not value.strip()) for value in cells.values()):
                continue
            yield SheetRow(number, cells)

    return keys, generate()


def check_xlsx_archive(content: bytes) -> None:
    """Refuse an XLSX file whose archive unpacks to too much, before a single row is parsed.

    The sizes are the archive directory's; Python's zipfile never unpacks a member past its stated size (and then
    fails its checksum), so a directory that understates them cannot smuggle more past this check.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(_("không đọc được tệp XLSX: %(exc)s", exc=exc)) from exc
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_XLSX_UNPACKED_BYTES or unpacked > MAX_XLSX_RATIO * max(len(content), 1):
        raise UnreadableFile(
            _(
                "tệp XLSX giải nén ra %(value)s MB, quá lớn so với một danh sách phương tiện đo",
                value=unpacked // (1024 * 1024),
            )
        )
    for info in archive.infolist():
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            rows = _count_rows(archive, info)
            if rows > MAX_SHEET_ROWS + 1:
                raise UnreadableFile(
                    _(
                        "trang tính có hơn %(MAX_SHEET_ROWS)s dòng; hãy chia nhỏ tệp",
                        MAX_SHEET_ROWS=MAX_SHEET_ROWS,
                    )
                )


def _count_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Count a sheet's row elements by scanning its unpacked XML (no parsing), stopping past the limit."""
    count, tail = 0, b""
    with archive.open(info) as sheet:
        while chunk := sheet.read(1 << 20):
            window = tail + chunk
            # Elements starting in the window's last bytes may be cut by the chunk's end: they are counted with the
            # next chunk, never twice (an element is shorter than the overlap).
            cut = max(0, len(window) - 64)
            count += len(_ROW_ELEMENT.findall(window)) - len(_ROW_ELEMENT.findall(window, cut))
            tail = window[cut:]
            if count > MAX_SHEET_ROWS + 1:
                return count
    return count + len(_ROW_ELEMENT.findall(tail))


def read_sheet(content: bytes, filename: str) -> tuple[list[str | None], Iterator[SheetRow]]:
    """Return the column keys of the header and an iterator over the data rows of a CSV or XLSX file."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        check_xlsx_archive(content)
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged or mislabelled file
            raise UnreadableFile(_("không đọc được tệp XLSX: %(exc)s", exc=exc)) from exc
        return _rows_from_table(workbook.active.iter_rows(values_only=True))
    if name.endswith(".csv") or name.endswith(".txt"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(_("tệp CSV cần mã hóa UTF-8")) from exc
        dialect = csv.excel
        with contextlib.suppress(csv.Error):
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        reader = csv.reader(io.StringIO(text), dialect)
        return _rows_from_table(tuple(None if cell == "" else cell for cell in row) for row in reader)
    raise UnreadableFile(_("chỉ nhận tệp .csv hoặc .xlsx"))
