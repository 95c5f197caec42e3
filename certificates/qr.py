"""QR codes drawn as vector paths, shared by certificates and sticker sheets."""

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

QUIET_ZONE = 2  # modules of white around the code; the page margin or label border adds more


def qr_matrix(data: str) -> list[list[bool]]:
    """Return the QR modules of ``data``, row by row from the top, True for dark."""
    # Level M survives a smudged or partly scratched sticker better than L, at little cost in size.
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code of ``data`` (quiet zone included) in the square of side ``size`` whose lower-left is (x, y)."""
    matrix = qr_matrix(data)
    count = len(matrix) + 2 * QUIET_ZONE
    module = size / count
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    path = canvas.beginPath()
    # One rectangle per horizontal run of dark modules: a tenth of the drawing operators of one per module.
    for r, row in enumerate(matrix):
        top = y + size - (r + QUIET_ZONE) * module
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rect(x + (start + QUIET_ZONE) * module, top - module, (c - start) * module, module)
            else:
                c += 1
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()
