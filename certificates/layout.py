"""The look shared by the lab's PDF documents: colours, bilingual texts, section bands, grids, page furniture."""

from __future__ import annotations

import io
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property, lru_cache

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from certificates.document import Lab, ResultTable
from certificates.fonts import REGULAR, register_fonts
from certificates.qr import draw_qr
from certificates.typeset import (
    CENTER,
    INK,
    LEFT,
    RIGHT,
    Block,
    Cell,
    Pen,
    Rule,
    Run,
    Spacer,
    Table,
    Text,
    baseline_offset,
    cell,
    draw_page,
    paginate,
    text_width,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 17 * mm
HEADER_HEIGHT = 26 * mm
TOP_MARGIN = 10 * mm
FOOTER_HEIGHT = 16 * mm
BOTTOM_MARGIN = FOOTER_HEIGHT + 8 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
FRAME_TOP = PAGE_HEIGHT - TOP_MARGIN - HEADER_HEIGHT
FRAME_HEIGHT = FRAME_TOP - BOTTOM_MARGIN

NAVY = colors.HexColor("#1f3a5f")
GREY = colors.HexColor("#5b6470")
RULE = colors.HexColor("#9aa7b5")
GRID = colors.HexColor("#c3ccd6")
BAND = colors.HexColor("#e7edf4")
HEAD = colors.HexColor("#f2f5f9")
SLATE = colors.HexColor("#3d5675")
ZEBRA = colors.HexColor("#fafbfc")

EN_SIZE_RATIO = 0.8  # English sits beneath the Vietnamese, a fifth smaller
CELL_SIZE = 8.5
CELL_PADDING = 9.0  # a table cell's left and right padding (4 pt each) and its rules
GRID_RULE = Rule(0.4, GRID)

__all__ = ["CENTER", "INK", "LEFT", "RIGHT", "Cell", "Rule", "Run", "Spacer", "Table", "Text", "cell"]


def vi(value: str, size: float = CELL_SIZE, bold: bool = False, colour: colors.Color = INK) -> Run:
    """Return a run of (Vietnamese) text, normalised to NFC."""
    return Run(unicodedata.normalize("NFC", value), size, bold, colour)


def gloss(value: str, size: float = CELL_SIZE, colour: colors.Color = GREY, bold: bool = False) -> Run:
    """Return an English gloss for text of ``size``: a fifth smaller, grey."""
    return vi(value, round(size * EN_SIZE_RATIO, 1), bold, colour)


def para(*runs: Run, align: str = LEFT, **kw) -> Text:
    return Text(runs, align=align, **kw)


@lru_cache(maxsize=1024)
def bilingual(
    vi_text: str, en_text: str, size: float = CELL_SIZE, bold: bool = False, align: str = LEFT, inline: bool = False
) -> Text:
    """Return Vietnamese first and the English smaller beneath it (or after a slash when inline).

    Labels recur on every certificate: the same text object, with its line breaks, serves them all.
    """
    if not en_text:
        return Text((vi(vi_text, size, bold),), align=align)
    sep = " / " if inline else "\n"
    return Text((vi(vi_text, size, bold), vi(sep, size), gloss(en_text, size)), align=align)


def vn_date(day: date | None) -> str:
    """Format a day as dd/mm/yyyy, the form Vietnamese documents use."""
    return day.strftime("%d/%m/%Y") if day else ""


@lru_cache(maxsize=64)
def section_heading(number: str, vi_text: str, en_text: str) -> Table:
    """Return a full-width shaded band that opens a section and keeps with what follows."""
    title = Text((vi(f"{number}{vi_text}", 9.5, True, NAVY), vi("  ", 9.5), gloss(en_text, 9.5, SLATE)))
    return Table(
        [[cell(title, fill=BAND)]],
        [CONTENT_WIDTH],
        heading_rows=1,
        heading_rule=Rule(0.8, NAVY),
        padding=(3, 4, 3, 4),
        keep_with_next=True,
    )


def value_cell(value: str | Text, span: int = 1, fill=None) -> Cell:
    block = value if isinstance(value, Text) else Text((vi(value),))
    return cell(block, span=span, fill=fill)


def field_grid(rows: Sequence[tuple], label_width: float = 38 * mm) -> Table:
    """Return a grid of bilingual labels and values, two pairs a row; a row marked wide takes the full width.

    Each row is ``(vi, en, value)`` or ``(vi, en, value, wide)``; a value is a string or a :class:`Text`.
    """
    value_width = CONTENT_WIDTH / 2 - label_width
    data: list[list[Cell]] = []
    pending: list[Cell] = []

    def label(vi_text: str, en_text: str) -> Cell:
        return cell(bilingual(vi_text, en_text), fill=HEAD)

    for vi_text, en_text, value, *rest in rows:
        if rest and rest[0]:
            if pending:
                data.append([*pending[:1], replace(pending[1], span=3)])
                pending = []
            data.append([label(vi_text, en_text), value_cell(value, span=3)])
        else:
            pending += [label(vi_text, en_text), value_cell(value)]
            if len(pending) == 4:
                data.append(pending)
                pending = []
    if pending:
        data.append([pending[0], replace(pending[1], span=3)])
    return Table(data, [label_width, value_width, label_width, value_width], grid=GRID_RULE)


def result_table(table: ResultTable, width: float = CONTENT_WIDTH) -> Table:
    """Return a results table that splits across pages, repeating its title (continued) and its heading row."""
    heading = []
    for col in table.columns:
        unit = f" ({col.unit})" if col.unit else ""
        heading.append(
            cell(
                Text((vi(col.heading_vi + unit, 8, True), vi("\n", 8), gloss(col.heading_en + unit, 8)), align=CENTER),
                fill=HEAD,
            )
        )
    body = [[_centred_cell(value) for value in row] for row in table.rows]
    return Table(
        [heading, *body],
        _column_widths(table, width),
        heading_rows=1,
        valign="middle",
        grid=GRID_RULE,
        heading_rule=Rule(0.8, RULE),
        banded=ZEBRA,
        continued=table_title(table.title_vi, table.title_en, continued=True) if table.title_vi else None,
    )


def table_title(vi_text: str, en_text: str, size: float = CELL_SIZE, continued: bool = False) -> Text:
    """A table's title, Vietnamese in bold then the English; it keeps with its table, never ending a page alone.

    ``continued`` gives the title as it stands over the part of a table carried onto the next page.
    """
    runs = [vi(vi_text + (" (tiếp theo)" if continued else ""), size, True)]
    if en_text:
        runs += [vi(" ", size), gloss(f"/ {en_text}" + (" (continued)" if continued else ""), size)]
    return Text(runs, leading=1.4, keep_with_next=True)


@lru_cache(maxsize=4096)
def _centred_cell(value: str) -> Cell:
    # Results repeat ("0", "± 10", "5,00"): a cell, with its line, is made once.
    return cell(Text((vi(value),), align=CENTER))


def _column_widths(table: ResultTable, width: float) -> list[float]:
    # Give each column room in proportion to its longest heading word or cell, within sane bounds, but never less
    # than its longest word: a narrower column would break "Trong năm" letter by letter.
    weights, floors = [], []
    for i, col in enumerate(table.columns):
        longest_cell = max((len(row[i]) for row in table.rows), default=0)
        words = f"{col.heading_vi} {col.heading_en}".split()
        weights.append(min(max(longest_cell, max(len(w) for w in words), 6), 40))
        unit = f" ({col.unit})" if col.unit else ""
        widest = max(text_width(w, vi(w, 8, True)) for w in (col.heading_vi + unit).split())
        for row in table.rows:
            widest = max([widest, *(text_width(w, vi(w)) for w in row[i].split())])
        floors.append(widest + CELL_PADDING)
    if sum(floors) >= width:  # no room for every word: shrink the floors alike
        return [width * floor / sum(floors) for floor in floors]
    fixed: set[int] = set()
    while True:
        free = [i for i in range(len(weights)) if i not in fixed]
        room = width - sum(floors[i] for i in fixed)
        share = sum(weights[i] for i in free)
        widths = [floors[i] if i in fixed else room * weights[i] / share for i in range(len(weights))]
        short = {i for i in free if widths[i] < floors[i]}
        if not short:
            return widths
        fixed |= short


@lru_cache(maxsize=32)
def lab_block(lab: Lab) -> Text:
    """The lab's name, address and registration, as printed at the top of every page."""
    runs: list[Run] = []
    if lab.parent_body:
        runs += [vi(lab.parent_body.upper(), 7.5, colour=GREY), vi("\n", 7.5)]
    runs += [vi(lab.name.upper(), 10, True, NAVY), vi("\n", 10)]
    runs += [vi(lab.address, 7.5, colour=NAVY), vi("\n", 7.5)]
    contact = " · ".join(
        part
        for part in (f"ĐT / Tel: {lab.phone}" if lab.phone else "", f"Email: {lab.email}" if lab.email else "")
        if part
    )
    if contact:
        runs += [vi(contact, 7.5, colour=NAVY), vi("\n", 7.5)]
    runs += [
        vi("Số đăng ký ", 7.5, colour=NAVY),
        vi("Registration No.", 6.5, colour=GREY),
        vi(": ", 7.5, colour=NAVY),
        vi(lab.registration_number, 7.5, True, NAVY),
    ]
    return Text(runs, leading=1.25)


@dataclass(frozen=True)
class PageFurniture:
    """What every page carries: the lab's header, the document's number and the page count."""

    lab: Lab
    number_vi: str  # label beside the number on every page, e.g. "Số GCN"
    number_en: str
    number: str
    footer_note: Text | None = None
    qr_data: str = ""  # drawn at the top right of page 1 when given
    qr_caption: str = ""

    @cached_property
    def _number_label(self) -> Text:
        return Text((vi(f"{self.number_vi} / {self.number_en}", 7, colour=GREY),), align=RIGHT)

    @cached_property
    def _number_text(self) -> Text:
        return Text((vi(self.number, 11, True, NAVY),), align=RIGHT)

    def draw_header(self, canvas: Canvas, pen: Pen, page: int) -> None:
        top = PAGE_HEIGHT - TOP_MARGIN
        qr_size = 21 * mm
        right = PAGE_WIDTH - MARGIN_X
        text_width = CONTENT_WIDTH - (qr_size + 6 * mm if self.qr_data else 45 * mm)
        lab_block(self.lab).draw(pen, MARGIN_X, top, text_width)
        if self.qr_data and page == 1:
            draw_qr(canvas, self.qr_data, right - qr_size, top - qr_size, qr_size)
            caption = Text((vi(self.qr_caption, 6.5, colour=GREY),), align=RIGHT)
            caption.draw(pen, right - 60 * mm, top - qr_size - 2.4 * mm + 6.5 * _BASELINE, 60 * mm)
        else:
            self._number_label.draw(pen, right - 45 * mm, top - 3 * mm + 7 * _BASELINE, 45 * mm)
            self._number_text.draw(pen, right - 45 * mm, top - 8 * mm + 11 * _BASELINE, 45 * mm)
        canvas.setStrokeColor(NAVY)
        canvas.setLineWidth(1.2)
        y = FRAME_TOP + 1.5 * mm
        canvas.line(MARGIN_X, y, right, y)

    def draw_footer(self, canvas: Canvas, pen: Pen, page: int, total: int) -> None:
        right = PAGE_WIDTH - MARGIN_X
        y = 12 * mm
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, y + 4.5 * mm, right, y + 4.5 * mm)
        pen.write(
            MARGIN_X,
            y,
            ((f"{self.number_vi} / {self.number_en}: ", vi("", 8)), (self.number, vi("", 8, True))),
        )
        pages = Text((vi(f"Trang {page} / {total}  Page {page} / {total}", 8),), align=RIGHT)
        pages.draw(pen, right - 60 * mm, y + 8 * _BASELINE, 60 * mm)
        if self.footer_note is not None:
            self.footer_note.draw(pen, MARGIN_X, y - 1.5 * mm, CONTENT_WIDTH)


_BASELINE = baseline_offset(1.0)  # a 1 pt line's baseline below its top


def build_pdf(
    story: Sequence[Block],
    furniture: PageFurniture,
    *,
    title: str,
    subject: str = "",
    font_dir: str | os.PathLike | None = None,
) -> bytes:
    """Lay out ``story`` on A4 pages carrying the lab header and numbered footers; return the PDF bytes."""
    register_fonts(font_dir)
    pages = paginate(story, CONTENT_WIDTH, FRAME_HEIGHT)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, initialFontName=REGULAR, lang="vi")
    canvas.setTitle(title)
    canvas.setSubject(subject)
    canvas.setAuthor(furniture.lab.name)
    canvas.setCreator("LIMS")
    for number, placements in enumerate(pages, start=1):
        pen = Pen(canvas)
        furniture.draw_header(canvas, pen, number)
        draw_page(canvas, pen, placements, MARGIN_X, FRAME_TOP, CONTENT_WIDTH)
        furniture.draw_footer(canvas, pen, number, len(pages))
        pen.finish()
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
