"""What reaches paper: the signature block is never alone on a page; table headings never break inside a word."""

import io
from dataclasses import replace

import pytest
from pypdf import PdfReader

from certificates.document import Column, ResultTable
from certificates.fonts import register_fonts
from certificates.layout import CELL_PADDING, CONTENT_WIDTH, _column_widths, vi
from certificates.render import render_certificate
from certificates.typeset import text_width


@pytest.mark.parametrize("extra", range(0, 40, 3))
def test_the_signature_block_never_sits_alone_on_a_page(calibration, extra):
    """However long the remarks, the last remark (the authenticity line) is on the page of the signatures."""
    remark = "Ghi chú thêm để đẩy khối chữ ký xuống cuối trang. / A remark that pushes the signatures down."
    doc = replace(calibration, remarks=calibration.remarks + (remark,) * extra)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(render_certificate(doc))).pages]
    last = next(text for text in pages if "Authorised signatory" in text)
    assert "Tra cứu tính xác thực" in last


def test_a_narrow_column_keeps_its_heading_words_whole():
    """The plan report: a long task title beside "Trong năm" and "Lũy kế giai đoạn" must not squeeze them into
    columns narrower than a word (they broke letter by letter)."""
    register_fonts()
    long_title = "Số doanh nghiệp tham gia Chương trình đảm bảo đo lường trong giai đoạn " * 3
    table = ResultTable(
        columns=(
            Column("Mã", "Code"),
            Column("Chỉ tiêu / nhiệm vụ", "Target / task"),
            Column("Giai đoạn", "Period"),
            Column("Kế hoạch", "Planned"),
            Column("Trong năm", "In the year"),
            Column("Lũy kế giai đoạn", "Period to date"),
            Column("Minh chứng", "Evidence"),
        ),
        rows=(("CT 1", long_title, "2026–2030", "40", "12", "30", long_title),),
    )
    widths = _column_widths(table, CONTENT_WIDTH)
    assert sum(widths) == pytest.approx(CONTENT_WIDTH)
    for column, width in zip(table.columns, widths, strict=True):
        for word in column.heading_vi.split():
            assert text_width(word, vi(word, 8, True)) + CELL_PADDING <= width + 1e-6, (column.heading_vi, word)
