"""The QR code drawn as SVG for a web page (an instrument's label) decodes to its text."""

import re

import zxingcpp
from PIL import Image, ImageDraw

from certificates.qr import qr_svg


def rasterise(svg: str, scale: int = 8) -> Image.Image:
    """Draw the SVG's white square and its dark runs ("M x y h n v1 h-n z") as pixels."""
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    image = Image.new("L", (side * scale, side * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, length in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", svg):
        x, y, length = int(x), int(y), int(length)
        draw.rectangle([x * scale, y * scale, (x + length) * scale - 1, (y + 1) * scale - 1], fill=0)
    return image


def test_a_label_qr_decodes_to_the_instruments_address():
    address = "http://127.0.0.1:5001/customers/instruments/123"
    svg = qr_svg(address)
    assert "style=" not in svg  # the pages' Content-Security-Policy forbids inline styles
    assert [code.text for code in zxingcpp.read_barcodes(rasterise(svg))] == [address]
