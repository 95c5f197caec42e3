"""QR codes drawn as vector graphics, shared by certificates and sticker sheets."""

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.pdfgen.canvas import Canvas


def qr_drawing(data: str, size: float, level: str = "M") -> Drawing:
    """Return a square drawing ``size`` points wide holding a QR code of ``data`` with its quiet zone."""
    # Level M survives a smudged or partly scratched sticker better than the default L, at little size cost.
    widget = QrCodeWidget(data, barLevel=level, barBorder=2)
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """Draw a QR code of ``data`` with its lower-left corner at ``(x, y)``."""
    from reportlab.graphics import renderPDF

    renderPDF.draw(qr_drawing(data, size), canvas, x, y)
