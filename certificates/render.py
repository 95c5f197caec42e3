"""Render a certificate to A4 PDF: Vietnamese first, English smaller beneath, every label bilingual."""

from __future__ import annotations

import os
from dataclasses import replace

from reportlab.lib.units import mm

from certificates.document import Certificate, Kind
from certificates.fonts import register_fonts
from certificates.layout import (
    CENTER,
    CONTENT_WIDTH,
    GREY,
    GRID,
    HEAD,
    NAVY,
    SLATE,
    PageFurniture,
    Rule,
    Spacer,
    Table,
    Text,
    bilingual,
    build_pdf,
    cell,
    field_grid,
    gloss,
    result_table,
    section_heading,
    table_title,
    vi,
    vn_date,
)
from certificates.typeset import KeepTogether, text_width

END_MARK = "--- Hết giấy chứng nhận / End of certificate ---"

TITLES = {
    Kind.VERIFICATION: ("GIẤY CHỨNG NHẬN KIỂM ĐỊNH", "VERIFICATION CERTIFICATE"),
    Kind.CALIBRATION: ("GIẤY CHỨNG NHẬN HIỆU CHUẨN", "CALIBRATION CERTIFICATE"),
}
# (vi, en) words that change with the kind of work
ACT = {
    Kind.VERIFICATION: ("kiểm định", "verified", "Ngày kiểm định", "Date of verification"),
    Kind.CALIBRATION: ("hiệu chuẩn", "calibrated", "Ngày hiệu chuẩn", "Date of calibration"),
}
FOOTER_NOTE = Text(
    (
        vi(
            "Không được sao chép một phần giấy chứng nhận này khi chưa có sự đồng ý bằng văn bản của đơn vị cấp. ",
            6.5,
            colour=GREY,
        ),
        vi(
            "This certificate may be reproduced only in full, unless the issuing body agrees in writing.",
            5.2,
            colour=GREY,
        ),
    ),
    align=CENTER,
)


def render_certificate(doc: Certificate, font_dir: str | os.PathLike | None = None) -> bytes:
    """Return the certificate as PDF bytes (A4, DejaVu Sans embedded, ready to be signed incrementally)."""
    register_fonts(font_dir)
    title_vi, title_en = TITLES[doc.kind]
    furniture = PageFurniture(
        lab=doc.lab,
        number_vi="Số GCN",
        number_en="Certificate No.",
        number=doc.number,
        footer_note=FOOTER_NOTE,
        qr_data=doc.verification_url,
        qr_caption=f"Mã tra cứu / Code: {doc.verification_code}",
    )
    story = [*_title(doc, title_vi, title_en), *_particulars(doc), *_standards(doc), *_results(doc)]
    story += [*_conclusion(doc), *_remarks(doc), _signatures(doc)]
    return build_pdf(
        story,
        furniture,
        title=f"{title_vi} {doc.number}",
        subject=f"{title_en} {doc.number}",
        font_dir=font_dir,
    )


def _title(doc: Certificate, title_vi: str, title_en: str) -> list:
    parts = [
        Spacer(2 * mm),
        Text((vi(title_vi, 17, True, NAVY),), align=CENTER, leading=1.24),
        Text((vi(title_en, 11, colour=NAVY),), align=CENTER, leading=1.27),
        Spacer(1.5 * mm),
        Text((vi("Số ", 10.5), gloss("No.", 10.5), vi(": ", 10.5), vi(doc.number, 10.5, True)), align=CENTER),
    ]
    if doc.is_revision:
        parts.append(
            Text(
                (
                    vi("Lần ban hành ", 8.5, colour=NAVY),
                    gloss("Revision", 8.5, SLATE),
                    vi(f": {doc.revision} — Thay thế giấy chứng nhận số ", 8.5, colour=NAVY),
                    vi(doc.supersedes or "", 8.5, True, NAVY),
                    vi(" ", 8.5),
                    gloss(f"/ Supersedes certificate No. {doc.supersedes}", 8.5, SLATE),
                ),
                align=CENTER,
            )
        )
    parts.append(Spacer(4 * mm))
    return parts


def _slash_gloss(vi_text: str, en_text: str, size: float = 8.5) -> list:
    """Vietnamese, then ``/ English`` smaller, on one line."""
    return [vi(vi_text, size), vi(" ", size), gloss("/ " + en_text, size)]


def _particulars(doc: Certificate) -> list:
    ins = doc.instrument
    maker = " – ".join(p for p in (ins.maker, ins.country) if p)
    rows = [
        ("Tên phương tiện đo", "Measuring instrument", ins.name, True),
        ("Loại", "Type", ins.type),
        ("Kiểu", "Model", ins.model),
        ("Số sản xuất", "Serial number", ins.serial),
        ("Cơ sở sản xuất", "Manufacturer", maker),
        ("Phạm vi đo", "Measuring range", ins.measuring_range),
        ("Giá trị danh định", "Nominal value", ins.nominal),
        ("Giá trị độ chia", "Resolution / interval e", ins.resolution),
        ("Cấp chính xác", "Accuracy class", ins.accuracy_class),
    ]
    _, _, date_vi, date_en = ACT[doc.kind]
    place_vi, place_en = ("Tại hiện trường", "On site") if doc.place.on_site else ("Tại phòng thí nghiệm", "In the lab")
    place = Text((*_slash_gloss(place_vi, place_en), vi(": " + doc.place.address)))
    conditions: list = []
    for i, c in enumerate(doc.conditions):
        if i:
            conditions.append(vi(";   "))
        conditions += [*_slash_gloss(c.label_vi, c.label_en), vi(": " + c.value)]
    work = [
        ("Cơ sở sử dụng", "Customer", doc.customer.name, True),
        ("Địa chỉ", "Address", doc.customer.address, True),
        ("Phương pháp thực hiện", "Method", f"{doc.method.code}  {doc.method.name}", True),
        ("Địa điểm thực hiện", "Place", place, True),
        ("Ngày nhận", "Date received", vn_date(doc.received)),
        (date_vi, date_en, vn_date(doc.measured)),
    ]
    if doc.conditions:
        work.append(("Điều kiện môi trường", "Environmental conditions", Text(conditions), True))
    return [
        section_heading("1. ", "Phương tiện đo", "Measuring instrument"),
        field_grid([r for r in rows if r[2]]),
        Spacer(3 * mm),
        section_heading("2. ", "Thông tin thực hiện", "Particulars of the work"),
        field_grid(work),
        Spacer(3 * mm),
    ]


STANDARDS_HEADING = [
    cell(bilingual("Chuẩn đo lường", "Standard", bold=True), fill=HEAD),
    cell(bilingual("Số hiệu", "Serial No.", bold=True), fill=HEAD),
    cell(bilingual("Số GCN hiệu chuẩn", "Calibration cert. No.", bold=True), fill=HEAD),
    cell(bilingual("Hạn hiệu chuẩn", "Due date", bold=True), fill=HEAD),
    cell(bilingual("Liên kết chuẩn", "Traceability", bold=True), fill=HEAD),
]
STANDARDS_WIDTHS = [w * mm for w in (48, 24, 34, 22)]


def _standards(doc: Certificate) -> list:
    if not doc.standards:
        return []
    rows = [
        [
            cell(Text((vi(value),)))
            for value in (s.name, s.serial, s.certificate_number, vn_date(s.due_date), s.traceability)
        ]
        for s in doc.standards
    ]
    table = Table(
        [STANDARDS_HEADING, *rows],
        [*STANDARDS_WIDTHS, CONTENT_WIDTH - sum(STANDARDS_WIDTHS)],
        heading_rows=1,
        grid=Rule(0.4, GRID),
    )
    return [section_heading("3. ", "Chuẩn đo lường sử dụng", "Standards used"), table, Spacer(3 * mm)]


def _results(doc: Certificate) -> list:
    story: list = [section_heading("4. ", "Kết quả", "Results"), Spacer(1.5 * mm)]
    tables = list(doc.results)
    if doc.as_found is not None and doc.as_left is not None:
        tables[:0] = [
            replace(doc.as_found, title_vi="Trước khi hiệu chỉnh", title_en="As found, before adjustment"),
            replace(doc.as_left, title_vi="Sau khi hiệu chỉnh", title_en="As left, after adjustment"),
        ]
    for table in tables:
        if table.title_vi:
            story.append(table_title(table.title_vi, table.title_en))
        story += [result_table(table), Spacer(2.5 * mm)]
    if doc.uncertainty is not None:
        u = doc.uncertainty
        if u.per_row:
            factor_vi = (
                "hệ số phủ k ghi ở từng dòng của bảng kết quả (k khác nhau giữa các dòng theo bậc tự do hiệu dụng)"
            )
            factor_en = (
                "the coverage factor k given on each row of the results "
                "(k differs with the effective degrees of freedom)"
            )
        else:
            factor_vi, factor_en = f"hệ số phủ k = {u.coverage_factor}", f"the coverage factor k = {u.coverage_factor}"
        statement_vi = (
            f"Độ không đảm bảo đo mở rộng U được tính bằng độ không đảm bảo đo chuẩn tổng hợp nhân với {factor_vi}, "
            f"ứng với xác suất phủ khoảng {u.coverage_probability_percent} %." + (" " + u.note_vi if u.note_vi else "")
        )
        statement_en = (
            f"The expanded uncertainty U is the combined standard uncertainty multiplied by {factor_en}, giving a "
            f"coverage probability of about {u.coverage_probability_percent} %."
            + (" " + u.note_en if u.note_en else "")
        )
        story += [Text((vi(statement_vi), vi("\n"), gloss(statement_en))), Spacer(3 * mm)]
    return story


def _conclusion(doc: Certificate) -> list:
    rows: list = []
    if doc.decision is not None:
        verdict = Text(
            (vi(doc.decision.text_vi, 12, True, NAVY), vi("\n", 12), gloss(doc.decision.text_en, 12, SLATE, True)),
            align=CENTER,
            leading=1.25,
        )
        rows.append([cell(verdict)])
        if doc.decision.rule_vi:
            rule = [*_slash_gloss("Quy tắc quyết định", "Decision rule", 8), vi(": " + doc.decision.rule_vi, 8)]
            if doc.decision.rule_en:
                rule += [vi("\n", 8), gloss(doc.decision.rule_en, 8)]
            rows.append([cell(Text(rule, leading=1.3))])
    validity: list = []
    if doc.sticker_serial:
        validity += [
            *_slash_gloss("Số tem kiểm định", "Sticker No.", 10),
            vi(": ", 10),
            vi(doc.sticker_serial, 10, True),
        ]
    if doc.valid_until:
        if validity:
            validity.append(vi("      ", 10))
        validity += [
            *_slash_gloss("Có giá trị đến", "Valid until", 10),
            vi(": ", 10),
            vi(vn_date(doc.valid_until), 10, True),
        ]
    if validity:
        rows.append([cell(Text(validity, align=CENTER))])
    if not rows:
        return []
    box = Table(
        rows,
        [CONTENT_WIDTH],
        padding=(4, 6, 5, 6),
        box=Rule(1.2, NAVY),
        row_rules=Rule(0.4, GRID),
    )
    heading = ("Kết luận", "Conclusion") if doc.kind is Kind.VERIFICATION else ("Tuyên bố sự phù hợp", "Conformity")
    return [KeepTogether([section_heading("5. ", *heading), Spacer(1.5 * mm), box]), Spacer(3 * mm)]


def _remarks(doc: Certificate) -> list:
    act_vi, act_en, _, _ = ACT[doc.kind]
    lines = [[vi(r)] for r in doc.remarks]
    lines.append(
        [
            vi(f"Kết quả ghi trong giấy chứng nhận này chỉ có giá trị đối với phương tiện đo được {act_vi}. "),
            gloss(f"The results relate only to the item {act_en}."),
        ]
    )
    lines.append(
        [
            *_slash_gloss("Tra cứu tính xác thực", "Check authenticity"),
            vi(f": {doc.verification_url} — mã "),
            gloss("code"),
            vi(" "),
            vi(doc.verification_code, bold=True),
        ]
    )
    bullet = vi("•  ")
    # continuation lines start under the remark's first word, not under its bullet
    # The last remark goes with the signatures (keep_with_next): the signature block never sits alone on a page.
    items = [
        Text([bullet, *line], hang=text_width(bullet.text, bullet), leading=1.3, keep_with_next=i == len(lines) - 1)
        for i, line in enumerate(lines)
    ]
    number = "6. " if doc.decision or doc.valid_until else "5. "
    return [section_heading(number, "Ghi chú", "Remarks"), Spacer(1 * mm), *items]


def _signatures(doc: Certificate) -> KeepTogether:
    day = doc.issued
    issued = Text(
        (
            vi(f"{doc.lab.province}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}", 8.5),
            vi("\n", 8.5),
            gloss(f"Date of issue: {vn_date(day)}", 8.5),
        ),
        align=CENTER,
    )
    half = CONTENT_WIDTH / 2
    # Both columns start their headings on one line, so the two names are printed side by side.
    above_headings = issued.height(half - 8) + 1.5 * mm
    who: list = [
        Spacer(above_headings),
        bilingual("Người thực hiện", "Performed by", size=9, bold=True, align=CENTER),
        Spacer(13 * mm),
        Text((vi(doc.verifier.name, 9.5, True),), align=CENTER),
    ]
    if doc.verifier.card_number:
        who.append(
            Text(
                (
                    *_slash_gloss("Số thẻ kiểm định viên", "Verifier card No.", 8),
                    vi(": " + doc.verifier.card_number, 8),
                ),
                align=CENTER,
            )
        )
    signer = [
        issued,
        Spacer(1.5 * mm),
        Text((vi(doc.signatory.title.upper(), 9, True), vi("\n", 9), gloss("Authorised signatory", 9)), align=CENTER),
        Spacer(13 * mm),
        Text((vi(doc.signatory.name, 9.5, True),), align=CENTER),
    ]
    table = Table([[cell(*who), cell(*signer)]], [half, half])
    end = Text((vi(END_MARK, 8.5),), align=CENTER)
    return KeepTogether([Spacer(3 * mm), table, Spacer(4 * mm), end])
