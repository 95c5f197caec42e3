"""Shared page furniture for the lab's PDF documents: fonts, styles, lab header, page numbering, bilingual cells."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Table, TableStyle
from reportlab.platypus import Paragraph as _Paragraph

from certificates.document import Lab, ResultTable, nfc
from certificates.fonts import BOLD, REGULAR, register_fonts
from certificates.qr import draw_qr

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 17 * mm
HEADER_HEIGHT = 26 * mm
TOP_MARGIN = 10 * mm
FOOTER_HEIGHT = 16 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

INK = colors.HexColor("#1a1a1a")
NAVY = colors.HexColor("#1f3a5f")
GREY = colors.HexColor("#5b6470")
RULE = colors.HexColor("#9aa7b5")
GRID = colors.HexColor("#c3ccd6")
BAND = colors.HexColor("#e7edf4")
HEAD = colors.HexColor("#f2f5f9")
SLATE = colors.HexColor("#3d5675")


def markup_colour(colour: colors.Color) -> str:
    """Return a colour as paragraph markup takes it fastest: ``rgb(r,g,b)``."""
    # reportlab reads "#rrggbb" in markup only after trying, and failing, several other notations: some 45 µs a
    # time, and a certificate's glosses hold two hundred of them; "rgb(...)" is the first notation it tries.
    return "rgb({},{},{})".format(*(round(v * 255) for v in colour.rgb()))


GLOSS_GREY = markup_colour(GREY)  # the English glosses
GLOSS_SLATE = markup_colour(SLATE)  # glosses on navy text

EN_SIZE_RATIO = 0.8  # English sits beneath the Vietnamese, a fifth smaller


class Paragraph(_Paragraph):
    """A paragraph that breaks its lines once per width."""

    # Platypus wraps a paragraph in a table cell three times or more at the same width (sizing the row, trying a
    # keep-together group, drawing the cell), and line breaking is most of the cost of a document. The lines depend
    # on the width alone (the available height only decides splitting), so the last break is reused.
    def wrap(self, availWidth, availHeight):  # noqa: N803 - reportlab's names
        # A copy made by platypus (keep-with-next, splitting) may carry the width mark without the broken lines.
        if getattr(self, "_wrapped_width", None) == availWidth and "blPara" in self.__dict__:
            return self.width, self.height
        size = super().wrap(availWidth, availHeight)
        self._wrapped_width = availWidth
        return size


def style(name: str, size: float = 9, bold: bool = False, align=TA_LEFT, color=INK, **kw) -> ParagraphStyle:
    """Return a paragraph style in DejaVu Sans."""
    return ParagraphStyle(
        name,
        fontName=BOLD if bold else REGULAR,
        fontSize=size,
        leading=kw.pop("leading", size * 1.25),
        alignment=align,
        textColor=color,
        **kw,
    )


BODY = style("body", 9)
BODY_CENTER = style("body-center", 9, align=TA_CENTER)
SMALL = style("small", 7.5, color=GREY)
CELL = style("cell", 8.5, leading=10.2)
CELL_CENTER = style("cell-center", 8.5, leading=10.2, align=TA_CENTER)
HEAD_CELL = style("head-cell", 8, bold=True, leading=9.6, align=TA_CENTER)
SECTION = style("section", 9.5, color=NAVY)
LAB_BLOCK = style("lab", 10, color=NAVY, leading=11.5)
FOOTER_NOTE = style("footer-note", 6.5, color=GREY, align=TA_CENTER, leading=8)


def text(value: str) -> str:
    """Escape user text for paragraph markup (and normalise it to NFC)."""
    return escape(nfc(value)).replace("\n", "<br/>")


def en(value: str, size: float, color: str = GLOSS_GREY, bold: bool = False) -> str:
    """Return markup for an English gloss, smaller and grey."""
    body = f"<b>{text(value)}</b>" if bold else text(value)
    return f"<font size='{size * EN_SIZE_RATIO:.1f}' color='{color}'>{body}</font>"


def bilingual(vi: str, en_text: str, st: ParagraphStyle = CELL, bold: bool = False, inline: bool = False) -> Paragraph:
    """Return a paragraph with Vietnamese first and the English smaller beneath (or after a slash when inline)."""
    vi_markup = f"<b>{text(vi)}</b>" if bold else text(vi)
    if not en_text:
        return Paragraph(vi_markup, st)
    sep = " / " if inline else "<br/>"
    return Paragraph(f"{vi_markup}{sep}{en(en_text, st.fontSize, bold=False)}", st)


def vn_date(day: date | None) -> str:
    """Format a day as dd/mm/yyyy, the form Vietnamese documents use."""
    return day.strftime("%d/%m/%Y") if day else ""


def section_heading(number: str, vi: str, en_text: str) -> Table:
    """Return a full-width shaded band that opens a section."""
    para = Paragraph(
        f"<b>{number}{text(vi)}</b>&nbsp;&nbsp;{en(en_text, 9.5, color=GLOSS_SLATE)}",
        SECTION,
    )
    band = Table([[para]], colWidths=[CONTENT_WIDTH])
    band.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BAND),
                ("LINEBELOW", (0, 0), (-1, -1), 0.8, NAVY),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    band.keepWithNext = True
    return band


def grid_style(extra: Sequence[tuple] = ()) -> TableStyle:
    """Return the thin-ruled grid every table of the lab's documents uses."""
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("FONTSIZE", (0, 0), (-1, -1), 8.5),
            ("TEXTCOLOR", (0, 0), (-1, -1), INK),
            ("GRID", (0, 0), (-1, -1), 0.4, GRID),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            *extra,
        ]
    )


def field_grid(rows: Sequence[tuple], label_width: float = 38 * mm) -> Table:
    """Return a grid of bilingual labels and values, two pairs a row; a row marked wide takes the full width.

    Each row is ``(vi, en, value)`` or ``(vi, en, value, wide)``; a value is a string or a flowable.
    """
    value_width = CONTENT_WIDTH / 2 - label_width
    data: list[list] = []
    spans: list[tuple] = []
    pending: list = []

    def cell(value):
        return Paragraph(text(value), CELL) if isinstance(value, str) else value

    def flush():
        if pending:
            data.append([*pending, "", ""] if len(pending) == 2 else pending)
            if len(pending) == 2:
                spans.append(("SPAN", (1, len(data) - 1), (3, len(data) - 1)))
            pending.clear()

    for vi, en_text, value, *rest in rows:
        wide = bool(rest and rest[0])
        if wide:
            flush()
            data.append([bilingual(vi, en_text), cell(value), "", ""])
            spans.append(("SPAN", (1, len(data) - 1), (3, len(data) - 1)))
        else:
            pending += [bilingual(vi, en_text), cell(value)]
            if len(pending) == 4:
                data.append(list(pending))
                pending.clear()
    flush()
    table = Table(data, colWidths=[label_width, value_width, label_width, value_width])
    table.setStyle(
        grid_style(
            [
                ("BACKGROUND", (0, 0), (0, -1), HEAD),
                *[("BACKGROUND", (2, r), (2, r), HEAD) for r, row in enumerate(data) if row[2] != ""],
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *spans,
            ]
        )
    )
    return table


def result_table(table: ResultTable, width: float = CONTENT_WIDTH) -> Table:
    """Return a results table that splits across pages and repeats its heading row."""
    header = []
    for col in table.columns:
        unit = f" ({text(col.unit)})" if col.unit else ""
        header.append(
            Paragraph(
                f"{text(col.heading_vi)}{unit}<br/>{en(col.heading_en + (f' ({col.unit})' if col.unit else ''), 8)}",
                HEAD_CELL,
            )
        )
    # Short cells stay plain strings (much cheaper to lay out); long ones wrap as paragraphs.
    body = [[Paragraph(text(cell), CELL_CENTER) if len(cell) > 18 else cell for cell in row] for row in table.rows]
    widths = _column_widths(table, width)
    grid = Table([header, *body], colWidths=widths, repeatRows=1)
    grid.setStyle(
        grid_style(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, RULE),
                ("ALIGN", (0, 1), (-1, -1), "CENTER"),
                *[("BACKGROUND", (0, r), (-1, r), colors.HexColor("#fafbfc")) for r in range(2, len(body) + 1, 2)],
            ]
        )
    )
    return grid


def _column_widths(table: ResultTable, width: float) -> list[float]:
    # Give each column room in proportion to its longest heading word or cell, within sane bounds.
    weights = []
    for i, col in enumerate(table.columns):
        longest_cell = max((len(row[i]) for row in table.rows), default=0)
        longest_word = max(len(w) for w in f"{col.heading_vi} {col.heading_en}".split())
        weights.append(min(max(longest_cell, longest_word, 6), 40))
    total = sum(weights)
    return [width * w / total for w in weights]


@dataclass(frozen=True)
class PageFurniture:
    """What every page carries: the lab's header, the document's number and the page count."""

    lab: Lab
    number_vi: str  # label beside the number on every page, e.g. "Số GCN"
    number_en: str
    number: str
    footer_note: str = ""
    qr_data: str = ""  # drawn at the top right of page 1 when given
    qr_caption: str = ""

    # The header block and the footer note are the same on every page: parse them once per document.
    @cached_property
    def _lab_block(self) -> Paragraph:
        lines = []
        if self.lab.parent_body:
            lines.append(f"<font size='7.5' color='{GLOSS_GREY}'>{text(self.lab.parent_body.upper())}</font>")
        lines.append(f"<b>{text(self.lab.name.upper())}</b>")
        lines.append(f"<font size='7.5'>{text(self.lab.address)}</font>")
        contact = " · ".join(
            part
            for part in (
                f"ĐT / Tel: {text(self.lab.phone)}" if self.lab.phone else "",
                f"Email: {text(self.lab.email)}" if self.lab.email else "",
            )
            if part
        )
        if contact:
            lines.append(f"<font size='7.5'>{contact}</font>")
        lines.append(
            f"<font size='7.5'>Số đăng ký <font color='{GLOSS_GREY}' size='6.5'>Registration No.</font>: "
            f"<b>{text(self.lab.registration_number)}</b></font>"
        )
        return Paragraph("<br/>".join(lines), LAB_BLOCK)

    @cached_property
    def _footer_note(self) -> Paragraph:
        return Paragraph(self.footer_note, FOOTER_NOTE)

    def draw_header(self, canvas: Canvas, page: int) -> None:
        top = PAGE_HEIGHT - TOP_MARGIN
        qr_size = 21 * mm
        text_width = CONTENT_WIDTH - (qr_size + 6 * mm if self.qr_data else 45 * mm)
        block = self._lab_block
        _, h = block.wrap(text_width, HEADER_HEIGHT)
        block.drawOn(canvas, MARGIN_X, top - h)

        right = PAGE_WIDTH - MARGIN_X
        if self.qr_data and page == 1:
            draw_qr(canvas, self.qr_data, right - qr_size, top - qr_size, qr_size)
            canvas.setFont(REGULAR, 6.5)
            canvas.setFillColor(GREY)
            canvas.drawRightString(right, top - qr_size - 2.4 * mm, self.qr_caption)
        else:
            canvas.setFillColor(GREY)
            canvas.setFont(REGULAR, 7)
            canvas.drawRightString(right, top - 3 * mm, f"{self.number_vi} / {self.number_en}")
            canvas.setFillColor(NAVY)
            canvas.setFont(BOLD, 11)
            canvas.drawRightString(right, top - 8 * mm, self.number)
        canvas.setStrokeColor(NAVY)
        canvas.setLineWidth(1.2)
        y = PAGE_HEIGHT - TOP_MARGIN - HEADER_HEIGHT + 1.5 * mm
        canvas.line(MARGIN_X, y, right, y)

    def draw_footer(self, canvas: Canvas, page: int, total: int) -> None:
        right = PAGE_WIDTH - MARGIN_X
        y = 12 * mm
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, y + 4.5 * mm, right, y + 4.5 * mm)
        canvas.setFillColor(INK)
        canvas.setFont(REGULAR, 8)
        label = f"{self.number_vi} / {self.number_en}: "
        canvas.drawString(MARGIN_X, y, label)
        canvas.setFont(BOLD, 8)
        canvas.drawString(MARGIN_X + canvas.stringWidth(label, REGULAR, 8), y, self.number)
        canvas.setFont(REGULAR, 8)
        canvas.drawRightString(right, y, f"Trang {page} / {total}  Page {page} / {total}")
        if self.footer_note:
            note = self._footer_note
            _, h = note.wrap(CONTENT_WIDTH, 10 * mm)
            note.drawOn(canvas, MARGIN_X, y - 1.5 * mm - h)


def _deferred_canvas(furniture: PageFurniture) -> type[Canvas]:
    """Return a canvas class that holds pages back until the total is known, then numbers them."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict] = []

        def showPage(self):  # noqa: N802 - reportlab's name
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._held_pages)
            for page, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                furniture.draw_footer(self, page, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def build_pdf(
    story: list,
    furniture: PageFurniture,
    *,
    title: str,
    subject: str = "",
    font_dir: str | os.PathLike | None = None,
    on_page: Callable[[Canvas, int], None] | None = None,
) -> bytes:
    """Lay out ``story`` on A4 pages carrying the lab header and numbered footers; return the PDF bytes."""
    register_fonts(font_dir)
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=TOP_MARGIN + HEADER_HEIGHT,
        bottomMargin=FOOTER_HEIGHT + 8 * mm,
        title=title,
        author=furniture.lab.name,
        subject=subject,
        creator="LIMS",
        lang="vi",
        initialFontName=REGULAR,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0, rightPadding=0)

    def decorate(canvas: Canvas, document) -> None:
        canvas.saveState()
        furniture.draw_header(canvas, document.page)
        if on_page:
            on_page(canvas, document.page)
        canvas.restoreState()

    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
    doc.build(story, canvasmaker=_deferred_canvas(furniture))
    return buffer.getvalue()


__all__ = [
    "TA_CENTER",
    "TA_RIGHT",
    "PageFurniture",
    "bilingual",
    "build_pdf",
    "field_grid",
    "result_table",
    "section_heading",
    "style",
    "text",
    "vn_date",
]
