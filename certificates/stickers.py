"""Printable A4 sheets of verification stickers (tem kiểm định, in the style of Mẫu 16)."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from certificates.document import Sticker
from certificates.fonts import BOLD, REGULAR, register_fonts
from certificates.layout import GREY, INK, NAVY, RULE, vn_date
from certificates.qr import draw_qr

# A common 3 x 7 label stock (63.5 mm x 38.1 mm), so the sheet prints on pre-cut labels as well as on plain paper.
COLUMNS, ROWS = 3, 7
LABEL_W, LABEL_H = 63.5 * mm, 38.1 * mm
GAP_X = 2.5 * mm
PAGE_W, PAGE_H = A4
LEFT = (PAGE_W - COLUMNS * LABEL_W - (COLUMNS - 1) * GAP_X) / 2
TOP = (PAGE_H - ROWS * LABEL_H) / 2


def render_sticker_sheet(stickers: Sequence[Sticker], font_dir: str | os.PathLike | None = None) -> bytes:
    """Return A4 pages holding one label per sticker, row by row, as many pages as needed."""
    register_fonts(font_dir)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle("Tem kiểm định / Verification stickers")
    per_page = COLUMNS * ROWS
    for index, sticker in enumerate(stickers):
        if index and index % per_page == 0:
            canvas.showPage()
        slot = index % per_page
        col, row = slot % COLUMNS, slot // COLUMNS
        x = LEFT + col * (LABEL_W + GAP_X)
        y = PAGE_H - TOP - (row + 1) * LABEL_H
        _draw_label(canvas, sticker, x, y)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_label(c: Canvas, s: Sticker, x: float, y: float) -> None:
    pad = 2.2 * mm
    c.setStrokeColor(RULE)
    c.setLineWidth(0.3)
    c.roundRect(x + 0.6 * mm, y + 0.6 * mm, LABEL_W - 1.2 * mm, LABEL_H - 1.2 * mm, 2 * mm)

    band_h = 6.2 * mm
    c.setFillColor(NAVY)
    c.roundRect(x + 0.6 * mm, y + LABEL_H - 0.6 * mm - band_h, LABEL_W - 1.2 * mm, band_h, 2 * mm, stroke=0, fill=1)
    c.rect(x + 0.6 * mm, y + LABEL_H - 0.6 * mm - band_h, LABEL_W - 1.2 * mm, band_h / 2, stroke=0, fill=1)
    c.setFillColorRGB(1, 1, 1)
    c.setFont(BOLD, 8)
    c.drawString(x + pad, y + LABEL_H - 4.7 * mm, "TEM KIỂM ĐỊNH")
    c.setFont(REGULAR, 6)
    c.drawRightString(x + LABEL_W - pad, y + LABEL_H - 4.6 * mm, "VERIFICATION STICKER")
    c.setFillColor(NAVY)
    size = _fit_size(c, s.lab_short_name, BOLD, 7, LABEL_W - 2 * pad)
    c.setFont(BOLD, size)
    c.drawString(x + pad, y + LABEL_H - band_h - 3.6 * mm, s.lab_short_name)

    qr = 22 * mm
    draw_qr(c, s.verification_url, x + LABEL_W - pad - qr + 1 * mm, y + 1.6 * mm, qr)

    left = x + pad
    line = y + LABEL_H - band_h - 7.2 * mm
    c.setFillColor(GREY)
    c.setFont(REGULAR, 5.5)
    c.drawString(left, line, "Số tem / Sticker No.")
    c.setFillColor(INK)
    c.setFont(BOLD, 10.5)
    c.drawString(left, line - 4 * mm, s.serial)
    c.setFillColor(GREY)
    c.setFont(REGULAR, 5.5)
    c.drawString(left, line - 8 * mm, "Số GCN / Certificate No.")
    c.setFillColor(INK)
    c.setFont(BOLD, _fit_size(c, s.certificate_number, BOLD, 8, 34 * mm))
    c.drawString(left, line - 11.2 * mm, s.certificate_number)
    c.setFillColor(GREY)
    c.setFont(REGULAR, 5.5)
    c.drawString(left, line - 15.2 * mm, "Có giá trị đến / Valid until")
    c.setFillColor(NAVY)
    c.setFont(BOLD, 10.5)
    c.drawString(left, line - 19.4 * mm, vn_date(s.valid_until))


def _fit_size(c: Canvas, value: str, font: str, size: float, width: float) -> float:
    """Return the largest size up to ``size`` at which ``value`` fits ``width``: identifiers are never shortened."""
    return min(size, size * width / max(c.stringWidth(value, font, size), 1e-6))
