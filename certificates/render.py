"""Render a certificate to A4 PDF: Vietnamese first, English smaller beneath, every label bilingual."""

from __future__ import annotations

import os

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, KeepTogether, Spacer, Table, TableStyle

from certificates.document import Certificate, Kind
from certificates.fonts import register_fonts
from certificates.layout import (
    CELL,
    CONTENT_WIDTH,
    GLOSS_GREY,
    GLOSS_SLATE,
    GRID,
    HEAD,
    NAVY,
    PageFurniture,
    Paragraph,
    bilingual,
    build_pdf,
    en,
    field_grid,
    grid_style,
    result_table,
    section_heading,
    style,
    text,
    vn_date,
)

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

TITLE_VI = style("title-vi", 17, bold=True, align=TA_CENTER, color=NAVY, leading=21)
TITLE_EN = style("title-en", 11, align=TA_CENTER, color=NAVY, leading=14)
NUMBER = style("number", 10.5, align=TA_CENTER, leading=14)
REVISION = style("revision", 8.5, align=TA_CENTER, color=NAVY, leading=11)
PARA = style("para", 8.5, leading=11)
# A table's title keeps with its table: no spacer between them, or the title can end a page alone.
TABLE_TITLE = style("table-title", 8.5, leading=11, spaceAfter=1 * mm)
DECISION = style("decision", 12, bold=True, align=TA_CENTER, color=NAVY, leading=15)
END = style("end", 8.5, align=TA_CENTER, leading=11)
RULE_TEXT = style("rule", 8, leading=10.5)
VALIDITY = style("validity", 10, align=TA_CENTER)
REMARK = style("remark", 8.5, leading=11, leftIndent=8, firstLineIndent=-8)
SIGNATURE_HEADING = style("sig-h", 9, align=TA_CENTER)
SIGNATURE_NAME = style("sig-n", 9.5, align=TA_CENTER)
SIGNATURE_CARD = style("sig-c", 8, align=TA_CENTER)
SIGNATURE_DATE = style("sig-d", 8.5, align=TA_CENTER)
SIGNATURE_TITLE = style("sig-t", 9, align=TA_CENTER)


def render_certificate(doc: Certificate, font_dir: str | os.PathLike | None = None) -> bytes:
    """Return the certificate as PDF bytes (A4, DejaVu Sans embedded, ready to be signed incrementally)."""
    register_fonts(font_dir)  # before any paragraph is built: paragraphs resolve their fonts when made
    title_vi, title_en = TITLES[doc.kind]
    furniture = PageFurniture(
        lab=doc.lab,
        number_vi="Số GCN",
        number_en="Certificate No.",
        number=doc.number,
        footer_note=(
            "Không được sao chép một phần giấy chứng nhận này khi chưa có sự đồng ý bằng văn bản của đơn vị cấp. "
            f"{en('This certificate may be reproduced only in full, unless the issuing body agrees in writing.', 6.5)}"
        ),
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
        Spacer(1, 2 * mm),
        Paragraph(title_vi, TITLE_VI),
        Paragraph(title_en, TITLE_EN),
        Spacer(1, 1.5 * mm),
        Paragraph(f"Số <font size='8.5' color='{GLOSS_GREY}'>No.</font>: <b>{text(doc.number)}</b>", NUMBER),
    ]
    if doc.is_revision:
        parts.append(
            Paragraph(
                f"Lần ban hành <font size='7' color='{GLOSS_SLATE}'>Revision</font>: {doc.revision} — "
                f"Thay thế giấy chứng nhận số <b>{text(doc.supersedes or '')}</b> "
                f"{en(f'/ Supersedes certificate No. {doc.supersedes}', 8.5, color=GLOSS_SLATE)}",
                REVISION,
            )
        )
    parts.append(Spacer(1, 4 * mm))
    return parts


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
        ("Giá trị độ chia", "Resolution / interval e", ins.resolution),
        ("Cấp chính xác", "Accuracy class", ins.accuracy_class),
    ]
    _, _, date_vi, date_en = ACT[doc.kind]
    place_vi, place_en = ("Tại hiện trường", "On site") if doc.place.on_site else ("Tại phòng thí nghiệm", "In the lab")
    place = Paragraph(f"{text(place_vi)} {en('/ ' + place_en, 8.5)}: {text(doc.place.address)}", CELL)
    conditions = Paragraph(
        ";&nbsp;&nbsp; ".join(
            f"{text(c.label_vi)} {en('/ ' + c.label_en, 8.5)}: {text(c.value)}" for c in doc.conditions
        ),
        CELL,
    )
    work = [
        ("Cơ sở sử dụng", "Customer", doc.customer.name, True),
        ("Địa chỉ", "Address", doc.customer.address, True),
        ("Phương pháp thực hiện", "Method", f"{doc.method.code}  {doc.method.name}", True),
        ("Địa điểm thực hiện", "Place", place, True),
        ("Ngày nhận", "Date received", vn_date(doc.received)),
        (date_vi, date_en, vn_date(doc.measured)),
    ]
    if doc.conditions:
        work.append(("Điều kiện môi trường", "Environmental conditions", conditions, True))
    return [
        section_heading("1. ", "Phương tiện đo", "Measuring instrument"),
        field_grid([r for r in rows if r[2]]),
        Spacer(1, 3 * mm),
        section_heading("2. ", "Thông tin thực hiện", "Particulars of the work"),
        field_grid(work),
        Spacer(1, 3 * mm),
    ]


def _standards(doc: Certificate) -> list:
    if not doc.standards:
        return []
    head = [
        bilingual("Chuẩn đo lường", "Standard", bold=True),
        bilingual("Số hiệu", "Serial No.", bold=True),
        bilingual("Số GCN hiệu chuẩn", "Calibration cert. No.", bold=True),
        bilingual("Hạn hiệu chuẩn", "Due date", bold=True),
        bilingual("Liên kết chuẩn", "Traceability", bold=True),
    ]
    rows = [
        [
            Paragraph(text(s.name), CELL),
            Paragraph(text(s.serial), CELL),
            Paragraph(text(s.certificate_number), CELL),
            vn_date(s.due_date),
            Paragraph(text(s.traceability), CELL),
        ]
        for s in doc.standards
    ]
    widths = [w * mm for w in (48, 24, 34, 22)]
    table = Table([head, *rows], colWidths=[*widths, CONTENT_WIDTH - sum(widths)], repeatRows=1)
    table.setStyle(grid_style([("BACKGROUND", (0, 0), (-1, 0), HEAD), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [section_heading("3. ", "Chuẩn đo lường sử dụng", "Standards used"), table, Spacer(1, 3 * mm)]


def _table_title(vi: str, en_text: str) -> Paragraph:
    para = Paragraph(f"<b>{text(vi)}</b> {en('/ ' + en_text, 8.5)}" if en_text else f"<b>{text(vi)}</b>", TABLE_TITLE)
    para.keepWithNext = True
    return para


def _results(doc: Certificate) -> list:
    story: list = [CondPageBreak(30 * mm), section_heading("4. ", "Kết quả", "Results")]
    if doc.as_found is not None and doc.as_left is not None:
        story += [
            _table_title("Trước khi hiệu chỉnh", "As found, before adjustment"),
            result_table(doc.as_found),
            Spacer(1, 2.5 * mm),
            _table_title("Sau khi hiệu chỉnh", "As left, after adjustment"),
            result_table(doc.as_left),
            Spacer(1, 2.5 * mm),
        ]
    for table in doc.results:
        if table.title_vi:
            story.append(_table_title(table.title_vi, table.title_en))
        story += [result_table(table), Spacer(1, 2.5 * mm)]
    if doc.uncertainty is not None:
        u = doc.uncertainty
        story.append(
            Paragraph(
                "Độ không đảm bảo đo mở rộng U được tính bằng độ không đảm bảo đo chuẩn tổng hợp nhân với hệ số phủ "
                f"k = {text(u.coverage_factor)}, ứng với xác suất phủ khoảng {text(u.coverage_probability_percent)} %. "
                + (text(u.note_vi) + " " if u.note_vi else "")
                + "<br/>"
                + en(
                    "The expanded uncertainty U is the combined standard uncertainty multiplied by the coverage factor "
                    f"k = {u.coverage_factor}, giving a coverage probability of about "
                    f"{u.coverage_probability_percent} %." + (" " + u.note_en if u.note_en else ""),
                    8.5,
                ),
                PARA,
            )
        )
        story.append(Spacer(1, 3 * mm))
    return story


def _conclusion(doc: Certificate) -> list:
    rows: list = []
    if doc.decision is not None:
        verdict = Paragraph(
            f"{text(doc.decision.text_vi)}<br/>{en(doc.decision.text_en, 12, color=GLOSS_SLATE)}", DECISION
        )
        rows.append([verdict])
        if doc.decision.rule_vi:
            rows.append(
                [
                    Paragraph(
                        f"Quy tắc quyết định {en('/ Decision rule', 8)}: {text(doc.decision.rule_vi)}"
                        + (f"<br/>{en(doc.decision.rule_en, 8)}" if doc.decision.rule_en else ""),
                        RULE_TEXT,
                    )
                ]
            )
    if doc.sticker_serial or doc.valid_until:
        parts = []
        if doc.sticker_serial:
            parts.append(f"Số tem kiểm định {en('/ Sticker No.', 10)}: <b>{text(doc.sticker_serial)}</b>")
        if doc.valid_until:
            parts.append(f"Có giá trị đến {en('/ Valid until', 10)}: <b>{vn_date(doc.valid_until)}</b>")
        rows.append([Paragraph("&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;".join(parts), VALIDITY)])
    if not rows:
        return []
    box = Table(rows, colWidths=[CONTENT_WIDTH])
    box.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 1.2, NAVY),
                ("LINEBELOW", (0, 0), (-1, -2), 0.4, GRID),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    heading = ("Kết luận", "Conclusion") if doc.kind is Kind.VERIFICATION else ("Tuyên bố sự phù hợp", "Conformity")
    return [KeepTogether([section_heading("5. ", *heading), Spacer(1, 1.5 * mm), box]), Spacer(1, 3 * mm)]


def _remarks(doc: Certificate) -> list:
    act_vi, act_en, _, _ = ACT[doc.kind]
    lines = [text(r) for r in doc.remarks]
    lines.append(
        f"Kết quả ghi trong giấy chứng nhận này chỉ có giá trị đối với phương tiện đo được {act_vi}. "
        + en(f"The results relate only to the item {act_en}.", 8.5)
    )
    lines.append(
        f"Tra cứu tính xác thực {en('/ Check authenticity', 8.5)}: {text(doc.verification_url)} — "
        f"mã {en('code', 8.5)} <b>{text(doc.verification_code)}</b>"
    )
    items = [Paragraph(f"• {line}", REMARK) for line in lines]
    return [section_heading("6. " if doc.decision or doc.valid_until else "5. ", "Ghi chú", "Remarks"), *items]


def _signatures(doc: Certificate) -> KeepTogether:
    who = [
        bilingual("Người thực hiện", "Performed by", st=SIGNATURE_HEADING, bold=True),
        Spacer(1, 13 * mm),
        Paragraph(f"<b>{text(doc.verifier.name)}</b>", SIGNATURE_NAME),
    ]
    if doc.verifier.card_number:
        who.append(
            Paragraph(
                f"Số thẻ kiểm định viên {en('/ Verifier card No.', 8)}: {text(doc.verifier.card_number)}",
                SIGNATURE_CARD,
            )
        )
    day = doc.issued
    signer = [
        Paragraph(
            f"{text(doc.lab.province)}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}<br/>"
            + en(f"Date of issue: {vn_date(day)}", 8.5),
            SIGNATURE_DATE,
        ),
        Spacer(1, 1.5 * mm),
        Paragraph(f"<b>{text(doc.signatory.title.upper())}</b>", SIGNATURE_TITLE),
        en("Authorised signatory", 9),
    ]
    signer[-1] = Paragraph(signer[-1], SIGNATURE_TITLE)
    signer += [
        Spacer(1, 13 * mm),
        Paragraph(f"<b>{text(doc.signatory.name)}</b>", SIGNATURE_NAME),
    ]
    half = CONTENT_WIDTH / 2
    table = Table([[who, signer]], colWidths=[half, half])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    return KeepTogether([Spacer(1, 3 * mm), table, Spacer(1, 4 * mm), Paragraph(text(END_MARK), END)])
