import pypdfium2
import zxingcpp

from certificates.samples import sample_stickers
from certificates.stickers import COLUMNS, ROWS, render_sticker_sheet
from tests.certificates.helpers import all_text, page_texts


def test_sheet_holds_every_serial_certificate_number_and_date():
    stickers = sample_stickers(30)
    pdf = render_sticker_sheet(stickers)
    text = all_text(pdf)
    for s in stickers:
        assert s.serial in text
        assert s.certificate_number in text
    assert "Có giá trị đến / Valid until" in text and "17/11/2027" in text
    assert len(page_texts(pdf)) == -(-30 // (COLUMNS * ROWS))


def test_sticker_qr_codes_decode_to_their_urls():
    stickers = sample_stickers(6)
    image = pypdfium2.PdfDocument(render_sticker_sheet(stickers))[0].render(scale=3).to_pil()
    decoded = {barcode.text for barcode in zxingcpp.read_barcodes(image)}
    assert decoded == {s.verification_url for s in stickers}
