"""Marks stamped on a certificate on its way out, never into the stored original.

A revoked certificate still downloads (its holder, an inspector, the customer's auditor may need it), but nobody
must mistake it for one in force: every page carries "ĐÃ THU HỒI / REVOKED" and the day. The mark is drawn once by
reportlab and laid over each page in an incremental update (pyHanko's incremental writer), so the signed original
is, byte for byte, the first part of the file: its hash and signature still check against what was issued.
"""

from __future__ import annotations

import io
import os
from datetime import date

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from certificates.fonts import BOLD, REGULAR, register_fonts

REVOKED_VI = "ĐÃ THU HỒI"
REVOKED_EN = "REVOKED"
RED = Color(0.75, 0.05, 0.05, alpha=0.55)


def _revoked_overlay(revoked_on: date) -> bytes:
    """Return one transparent A4 page with the revocation mark across its middle."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    width, height = A4
    canvas.saveState()
    canvas.translate(width / 2, height / 2)
    canvas.rotate(30)
    canvas.setFillColor(RED)
    canvas.setStrokeColor(RED)
    canvas.setLineWidth(3)
    canvas.roundRect(-215, -62, 430, 138, 10)
    canvas.setFont(BOLD, 46)
    canvas.drawCentredString(0, 22, REVOKED_VI)
    canvas.setFont(BOLD, 28)
    canvas.drawCentredString(0, -14, REVOKED_EN)
    canvas.setFont(REGULAR, 13)
    canvas.drawCentredString(0, -46, f"Ngày thu hồi / Revoked on {revoked_on:%d/%m/%Y}")
    canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def stamp_revoked(pdf: bytes, revoked_on: date, font_dir: str | os.PathLike | None = None) -> bytes:
    """Return ``pdf`` with "ĐÃ THU HỒI / REVOKED" and the day of revocation over every page, appended after the
    original bytes (which stay unchanged at the start of the file)."""
    register_fonts(font_dir)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    mark = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(_revoked_overlay(revoked_on))), page_ix=0)
    name = "/RevokedMark"
    for page in range(int(writer.root["/Pages"]["/Count"])):
        # The page's own content is wrapped in q ... Q so that whatever state it leaves cannot move the mark.
        writer.add_stream_to_page(page, writer.add_object(generic.StreamObject(stream_data=b"q")), prepend=True)
        writer.add_stream_to_page(page, writer.add_object(generic.StreamObject(stream_data=b"Q")))
        resources = generic.DictionaryObject(
            {generic.pdf_name("/XObject"): generic.DictionaryObject({generic.pdf_name(name): mark})}
        )
        paint = generic.StreamObject(stream_data=f"q {name} Do Q".encode("ascii"))
        writer.add_stream_to_page(page, writer.add_object(paint), resources)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
