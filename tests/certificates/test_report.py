from certificates.document import Column, ResultTable
from certificates.report import Section, render_report
from certificates.samples import SAMPLE_LAB
from tests.certificates.helpers import page_texts


def test_report_carries_title_sections_tables_and_page_numbers():
    table = ResultTable(
        columns=(Column("Chỉ tiêu", "Target"), Column("Kết quả", "Achieved")),
        rows=tuple((f"Chỉ tiêu {i}", f"{i} doanh nghiệp") for i in range(80)),
    )
    sections = [
        Section("Đánh giá nội bộ", "Internal audit", ("Phòng thí nghiệm đã đánh giá 25 điều khoản.",)),
        Section("Kế hoạch năm", "Yearly plan", (table,)),
    ]
    pdf = render_report("BÁO CÁO TỰ ĐÁNH GIÁ", "SELF-ASSESSMENT REPORT", SAMPLE_LAB, sections, reference="BC-01/2026")
    pages = page_texts(pdf)
    assert len(pages) >= 2
    assert "BÁO CÁO TỰ ĐÁNH GIÁ" in pages[0] and "Đánh giá nội bộ" in pages[0]
    assert "Chỉ tiêu 79" in " ".join(pages)
    for n, page in enumerate(pages, start=1):
        assert f"Trang {n} / {len(pages)}" in page and "BC-01/2026" in page
    assert "Hết báo cáo" in pages[-1]
