"""QR codes drawn as vector paths, shared by certificates and sticker sheets."""

from functools import lru_cache

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


# Choosing the mask (eight trial encodings scored in pure Python) is the dearest step of drawing a certificate's
# first page. A code depends on its text alone, and a certificate's URL is drawn again whenever it is re-rendered
# (preview, issue, sticker sheet), so the runs are kept for the most recent URLs.
@lru_cache(maxsize=256)
def _dark_runs(data: str) -> tuple[int, tuple[tuple[int, int, int], ...]]:
    """Return the side of the code in modules and its dark runs as (row, first column, length)."""
    matrix = qr_matrix(data)
    runs = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                runs.append((r, start, c - start))
            else:
                c += 1
    return len(matrix), tuple(runs)


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code of ``data`` (quiet zone included) in the square of side ``size`` whose lower-left is (x, y)."""
    side, runs = _dark_runs(data)
    module = size / (side + 2 * QUIET_ZONE)
    canvas.saveState()
    canvas.setFillColor(colors.white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    path = canvas.beginPath()
    # One rectangle per horizontal run of dark modules: a tenth of the drawing operators of one per module.
    for r, start, length in runs:
        top = y + size - (r + QUIET_ZONE) * module
        path.rect(x + (start + QUIET_ZONE) * module, top - module, length * module, module)
    canvas.setFillColor(colors.black)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def qr_svg(data: str) -> str:
    """Return a QR code of ``data`` as an SVG element (quiet zone included) for a web page or a printed label.

    Presentation attributes only, no style: the web pages' Content-Security-Policy forbids inline styles.
    """
    side, runs = _dark_runs(data)
    total = side + 2 * QUIET_ZONE
    path = "".join(f"M{start + QUIET_ZONE} {r + QUIET_ZONE}h{length}v1h-{length}z" for r, start, length in runs)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} {total}" shape-rendering="crispEdges" '
        f'class="qr" role="img"><rect width="{total}" height="{total}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )
