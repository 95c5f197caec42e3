import io
import re
from dataclasses import replace

import pypdf
import pypdfium2
import pytest
import zxingcpp

from certificates.fonts import FontNotFoundError
from certificates.render import END_MARK, render_certificate
from tests.certificates.helpers import all_text, page_texts


def instrument_and_work_fields(doc) -> list[str]:
    ins = doc.instrument
    values = [
        ins.name,
        ins.type,
        ins.maker,
        ins.country,
        ins.model,
        ins.serial,
        ins.measuring_range,
        ins.accuracy_class,
    ]
    values += [ins.resolution] if ins.resolution else []
    values += [doc.customer.name, doc.customer.address, doc.method.code, doc.method.name, doc.place.address]
    values += [doc.lab.name.upper(), doc.lab.address, doc.lab.registration_number, doc.lab.parent_body.upper()]
    values += [c.value for c in doc.conditions]
    for s in doc.standards:
        values += [s.serial, s.certificate_number, s.due_date.strftime("%d/%m/%Y")]
    values += [doc.verifier.name, doc.signatory.name, doc.signatory.title.upper(), doc.verification_code]
    values += [doc.received.strftime("%d/%m/%Y"), doc.measured.strftime("%d/%m/%Y")]
    values += [f"ngày {doc.issued.day:02d} tháng {doc.issued.month:02d} năm {doc.issued.year}"]
    return [" ".join(v.split()) for v in values if v]


def test_verification_certificate_carries_every_required_field(verification, verification_pdf):
    text = all_text(verification_pdf)
    expected = instrument_and_work_fields(verification) + [
        "GIẤY CHỨNG NHẬN KIỂM ĐỊNH",
        "VERIFICATION CERTIFICATE",
        "Đạt yêu cầu kỹ thuật đo lường",
        "Có giá trị đến",
        "Valid until",
        "17/11/2027",
        verification.sticker_serial,
        verification.verifier.card_number,
        "Quy tắc quyết định",
        "Tại hiện trường",
        "chỉ có giá trị đối với phương tiện đo được kiểm định",
        "The results relate only to the item verified",
    ]
    expected += [cell for table in verification.results for row in table.rows for cell in row if cell]
    missing = [value for value in expected if value not in text]
    assert not missing


def test_calibration_certificate_carries_results_and_uncertainty_statement(calibration, calibration_pdf):
    text = all_text(calibration_pdf)
    expected = instrument_and_work_fields(calibration) + [
        "GIẤY CHỨNG NHẬN HIỆU CHUẨN",
        "CALIBRATION CERTIFICATE",
        "hệ số phủ k = 2",
        "xác suất phủ khoảng 95 %",
        "coverage factor k = 2",
        "Tại phòng thí nghiệm",
        "The results relate only to the item calibrated",
        "Độ không đảm bảo đo mở rộng U",
    ]
    expected += [cell for row in calibration.results[0].rows for cell in row]
    missing = [value for value in expected if value not in text]
    assert not missing
    assert "Có giá trị đến" not in text  # a calibration has no legal validity date


def test_every_page_carries_the_number_and_its_page_count(long_verification_pdf):
    pages = page_texts(long_verification_pdf)
    assert len(pages) >= 4
    for n, page in enumerate(pages, start=1):
        assert f"Trang {n} / {len(pages)} Page {n} / {len(pages)}" in page
        assert "Số GCN / Certificate No.: 4000-26" in page


def test_a_results_table_split_over_pages_repeats_its_heading_row(long_verification_pdf):
    pages = page_texts(long_verification_pdf)
    # The weighing test begins on page 1 or 2 and fills the following pages; each continuation repeats the heading.
    with_heading = [p for p in pages if "Test load (kg)" in p]
    assert len(with_heading) >= 3
    # and the pages it is carried onto say which table continues
    continued = [p for p in pages if "Kiểm tra khả năng cân (tải tăng) (tiếp theo)" in p]
    assert len(continued) == len(with_heading) - 1
    assert all("Weighing test (increasing loads) (continued)" in p for p in continued)


def test_end_mark_appears_once_on_the_last_page_only(long_verification_pdf, verification_pdf):
    for pdf in (long_verification_pdf, verification_pdf):
        pages = page_texts(pdf)
        assert END_MARK in pages[-1]
        assert all(END_MARK not in page for page in pages[:-1])


def test_vietnamese_text_is_extracted_intact(verification_pdf):
    text = all_text(verification_pdf)
    for phrase in (
        "Đạt yêu cầu kỹ thuật đo lường",
        "Có giá trị đến",
        "Công ty TNHH Chế biến Thủy sản Cửu Long",
        "Nguyễn Văn Thành",
        "Sở Khoa học và Công nghệ tỉnh Vĩnh Long".upper(),
    ):
        assert phrase in text


def test_dejavu_sans_regular_and_bold_are_embedded(verification_pdf):
    reader = pypdf.PdfReader(io.BytesIO(verification_pdf))
    embedded = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                embedded.add(re.sub(r"^[A-Z]{6}\+", "", str(font["/BaseFont"]).lstrip("/")))
    assert {"DejaVuSans", "DejaVuSans-Bold"} <= embedded


def test_qr_on_page_one_decodes_to_the_verification_url(verification, verification_pdf):
    image = pypdfium2.PdfDocument(verification_pdf)[0].render(scale=2).to_pil()
    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
    assert decoded == [verification.verification_url]
    assert f"Mã tra cứu / Code: {verification.verification_code}" in page_texts(verification_pdf)[0]


def test_a_revision_names_the_certificate_it_replaces(verification, verification_pdf):
    revised = replace(verification, number="3690-26", revision=1, supersedes="3681-26")
    text = page_texts(render_certificate(revised))[0]
    assert "Thay thế giấy chứng nhận số 3681-26" in text
    assert "Supersedes certificate No. 3681-26" in text
    assert "Thay thế" not in all_text(verification_pdf)


def test_a_failed_verification_says_so(verification):
    from certificates.document import Decision

    failed = replace(verification, decision=Decision(passed=False), valid_until=None, sticker_serial=None)
    text = all_text(render_certificate(failed))
    assert "Không đạt yêu cầu kỹ thuật đo lường" in text
    assert "Có giá trị đến" not in text


def test_as_found_and_as_left_tables_are_printed_when_adjusted(calibration):
    table = calibration.results[0]
    adjusted = replace(
        calibration,
        as_found=replace(table, rows=(("1", "5 kg", "+ 310", "27", "± 250"),)),
        as_left=replace(table, rows=(("1", "5 kg", "+ 40", "27", "± 250"),)),
    )
    text = all_text(render_certificate(adjusted))
    assert "Trước khi hiệu chỉnh" in text and "As found" in text and "+ 310" in text
    assert "Sau khi hiệu chỉnh" in text and "As left" in text


def test_a_missing_font_folder_is_reported_clearly(verification, tmp_path, monkeypatch):
    monkeypatch.setenv("LIMS_FONT_DIR", str(tmp_path))
    with pytest.raises(FontNotFoundError, match="fonts-dejavu-core"):
        render_certificate(verification)


def test_font_folder_can_be_given_as_an_argument(verification, tmp_path):
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"):
        (tmp_path / name).write_bytes(
            (__import__("pathlib").Path("/usr/share/fonts/truetype/dejavu") / name).read_bytes()
        )
    assert render_certificate(verification, font_dir=tmp_path).startswith(b"%PDF")


def test_a_typical_certificate_fills_its_pages_rather_than_leaving_them_half_empty(verification_pdf, calibration_pdf):
    # A scale's verification and a weight set's calibration each fit two pages, the results starting on page one.
    cases = ((verification_pdf, "Kiểm tra khả năng cân"), (calibration_pdf, "Sai số khối lượng quy ước"))
    for pdf, first_result in cases:
        pages = page_texts(pdf)
        assert len(pages) == 2
        assert first_result in pages[0]


def test_a_remark_longer_than_a_page_runs_on_and_loses_no_word(verification):
    words = [f"từ{i}" for i in range(1500)]
    pdf = render_certificate(replace(verification, remarks=(" ".join(words),)))
    pages = page_texts(pdf)
    assert len(pages) >= 3
    text = " ".join(pages)
    assert all(word in text for word in (words[0], words[750], words[-1]))
    assert END_MARK in pages[-1]
