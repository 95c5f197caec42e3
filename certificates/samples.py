"""Sample certificates and a sticker sheet, written as PDF and PNG: ``python -m certificates.samples OUTDIR``.

The lab, customer and numbers are invented for illustration; the tolerances are those of OIML R 76 (class III) and
OIML R 111 (class M1).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from certificates.document import (
    Certificate,
    Column,
    Condition,
    Customer,
    Decision,
    Instrument,
    Kind,
    Lab,
    Method,
    Place,
    ResultTable,
    Signatory,
    StandardUsed,
    Sticker,
    Uncertainty,
    Verifier,
)

SAMPLE_LAB = Lab(
    name="Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng Vĩnh Long",
    short_name="TT KT TĐC Vĩnh Long",
    address="Số 12 đường Phạm Thái Bường, Phường 4, tỉnh Vĩnh Long",
    registration_number="ĐK 000/TĐC-ĐL (mẫu / sample)",
    province="Vĩnh Long",
    parent_body="Sở Khoa học và Công nghệ tỉnh Vĩnh Long",
    phone="0270 3800 000",
    email="kiemdinh@example.vn",
)
VERIFY_BASE = "https://lims.example.vn/verify/"


def sample_verification(weighing_rows: int = 7) -> Certificate:
    """Return a passed verification of a 30 kg class III platform scale of a seafood processor."""
    loads = [0.2, 5, 10, 15, 20, 25, 30]
    # OIML R 76 class III, e = 10 g, initial/after-repair MPE: ±0.5e to 500e, ±1e to 2000e, ±1.5e above.
    mpe = {0.2: "± 5", 5: "± 5", 10: "± 10", 15: "± 10", 20: "± 10", 25: "± 15", 30: "± 15"}
    errors = ["0", "0", "+ 5", "0", "- 5", "+ 5", "+ 10", "- 5"]
    rows = []
    for i in range(weighing_rows):
        load = loads[i % len(loads)]
        rows.append(
            (
                f"{i + 1}",
                f"{load:g}".replace(".", ","),
                f"{load:.2f}".replace(".", ","),
                errors[i % len(errors)],
                mpe[load],
            )
        )
    weighing = ResultTable(
        title_vi="Kiểm tra khả năng cân (tải tăng)",
        title_en="Weighing test (increasing loads)",
        columns=(
            Column("STT", "No."),
            Column("Tải thử", "Test load", "kg"),
            Column("Số chỉ", "Indication", "kg"),
            Column("Sai số", "Error", "g"),
            Column("Sai số lớn nhất cho phép", "Maximum permissible error", "g"),
        ),
        rows=tuple(rows),
    )
    eccentricity = ResultTable(
        title_vi="Kiểm tra độ lệch tâm (tải 10 kg)",
        title_en="Eccentricity test (10 kg load)",
        columns=(
            Column("Vị trí", "Position"),
            Column("Số chỉ", "Indication", "kg"),
            Column("Sai số", "Error", "g"),
            Column("Sai số lớn nhất cho phép", "Maximum permissible error", "g"),
        ),
        rows=(
            ("Giữa / Centre", "10,00", "0", "± 10"),
            ("Góc 1 / Corner 1", "10,00", "0", "± 10"),
            ("Góc 2 / Corner 2", "10,01", "+ 10", "± 10"),
            ("Góc 3 / Corner 3", "10,00", "0", "± 10"),
            ("Góc 4 / Corner 4", "9,99", "- 10", "± 10"),
        ),
    )
    repeatability = ResultTable(
        title_vi="Kiểm tra độ lặp lại (tải 15 kg, 3 lần)",
        title_en="Repeatability test (15 kg load, 3 times)",
        columns=(
            Column("Lần", "Run"),
            Column("Số chỉ", "Indication", "kg"),
            Column("Chênh lệch lớn nhất", "Largest difference", "g"),
            Column("Giới hạn", "Limit", "g"),
        ),
        rows=(("1", "15,00", "10", "10"), ("2", "15,01", "", ""), ("3", "15,00", "", "")),
    )
    measured = date(2026, 11, 18)
    return Certificate(
        kind=Kind.VERIFICATION,
        number="3681-26",
        lab=SAMPLE_LAB,
        customer=Customer(
            name="Công ty TNHH Chế biến Thủy sản Cửu Long",
            address="Lô B5, Khu công nghiệp Hòa Phú, xã Long Hồ, tỉnh Vĩnh Long",
        ),
        instrument=Instrument(
            name="Cân bàn điện tử",
            type="Cân không tự động",
            maker="Cân Nhơn Hòa",
            country="Việt Nam",
            model="NHB-30",
            serial="NH2409-1187",
            measuring_range="(0,2 ÷ 30) kg",
            resolution="e = d = 10 g",
            accuracy_class="III",
        ),
        method=Method("ĐLVN 14:2009", "Cân bàn – Quy trình kiểm định"),
        received=measured,
        measured=measured,
        issued=date(2026, 11, 20),
        place=Place(on_site=True, address="Xưởng chế biến số 2, Lô B5, KCN Hòa Phú, tỉnh Vĩnh Long"),
        conditions=(
            Condition("Nhiệt độ", "Temperature", "(29,5 ± 1,0) °C"),
            Condition("Độ ẩm tương đối", "Relative humidity", "(78 ± 5) %"),
        ),
        standards=(
            StandardUsed(
                name="Bộ quả cân chuẩn cấp chính xác M1 (1 g ÷ 20 kg)",
                serial="QC-M1-03",
                certificate_number="V09.HC.1234-26",
                due_date=date(2027, 3, 31),
                traceability="Chuẩn quốc gia về khối lượng (Viện Đo lường Việt Nam) / National mass standard, VMI",
            ),
        ),
        results=(weighing, eccentricity, repeatability),
        decision=Decision(
            passed=True,
            rule_vi="Đạt khi mọi sai số không vượt sai số lớn nhất cho phép khi kiểm định (không trừ độ không đảm bảo "
            "đo).",
            rule_en="Pass when every error is within the maximum permissible error on verification (simple "
            "acceptance, uncertainty not deducted).",
        ),
        sticker_serial="VL 0012345",
        valid_until=measured.replace(year=measured.year + 1) - timedelta(days=1),
        remarks=(
            "Dấu kiểm định được niêm phong tại hộp đấu dây của bộ chỉ thị. / Seal applied on the indicator's "
            "junction box.",
        ),
        verifier=Verifier(name="Nguyễn Văn Thành", card_number="KĐV 0123"),
        signatory=Signatory(name="Trần Thị Mỹ Hạnh", title="Giám đốc"),
        verification_url=VERIFY_BASE + "3681-26?c=K7QX-2M9P",
        verification_code="K7QX-2M9P",
    )


# OIML R 111-1 Table 1, class M1 maximum permissible errors (mg)
M1_MPE_MG = {
    "5 kg": "250",
    "2 kg": "100",
    "1 kg": "50",
    "500 g": "25",
    "200 g": "10",
    "100 g": "5",
    "50 g": "3",
    "20 g": "2,5",
    "10 g": "2",
    "5 g": "1,6",
    "2 g": "1,2",
    "1 g": "1,0",
}


def sample_calibration() -> Certificate:
    """Return a calibration of an M1 weight set (1 g to 5 kg) with corrections and expanded uncertainty."""
    corrections = {
        "5 kg": ("+ 62", "27"),
        "2 kg": ("- 18", "11"),
        "2 kg*": ("+ 24", "11"),
        "1 kg": ("+ 9,0", "5,4"),  # GUM 7.2.6: the value to the place of its U
        "500 g": ("- 4,2", "2,7"),
        "200 g": ("+ 1,8", "1,1"),
        "200 g*": ("+ 2,6", "1,1"),
        "100 g": ("- 0,9", "0,54"),
        "50 g": ("+ 0,62", "0,32"),
        "20 g": ("- 0,41", "0,26"),
        "20 g*": ("+ 0,35", "0,26"),
        "10 g": ("+ 0,22", "0,21"),
        "5 g": ("- 0,18", "0,17"),
        "2 g": ("+ 0,11", "0,13"),
        "2 g*": ("- 0,07", "0,13"),
        "1 g": ("+ 0,05", "0,10"),
    }
    rows = tuple(
        (str(i + 1), nominal, corr, u, "± " + M1_MPE_MG[nominal.rstrip("*")])
        for i, (nominal, (corr, u)) in enumerate(corrections.items())
    )
    table = ResultTable(
        title_vi="Sai số khối lượng quy ước",
        title_en="Conventional mass error",
        columns=(
            Column("STT", "No."),
            Column("Giá trị danh định", "Nominal value"),
            Column("Sai số mc − m0", "Error mc − m0", "mg"),
            Column("Độ không đảm bảo đo mở rộng U", "Expanded uncertainty U", "mg"),
            Column("Sai số lớn nhất cho phép cấp M1", "Class M1 maximum permissible error", "mg"),
        ),
        rows=rows,
    )
    measured = date(2026, 11, 10)
    return Certificate(
        kind=Kind.CALIBRATION,
        number="3702-26",
        lab=SAMPLE_LAB,
        customer=Customer(
            name="Công ty Cổ phần Dược phẩm Mekong", address="Số 8 Quốc lộ 1A, phường Tân Ngãi, tỉnh Vĩnh Long"
        ),
        instrument=Instrument(
            name="Bộ quả cân",
            type="Quả cân hình trụ, thép không gỉ",
            maker="Mettler Toledo",
            country="Thụy Sĩ",
            model="M1 set 1 g – 5 kg",
            serial="B604118",
            measuring_range="1 g ÷ 5 kg (16 quả / 16 pieces)",
            accuracy_class="M1 (OIML R 111)",
        ),
        method=Method("ĐLVN 286:2015", "Quả cân cấp chính xác F1, F2, M1 – Quy trình hiệu chuẩn"),
        received=date(2026, 11, 6),
        measured=measured,
        issued=date(2026, 11, 12),
        place=Place(on_site=False, address="Phòng thí nghiệm Khối lượng, " + SAMPLE_LAB.address),
        conditions=(
            Condition("Nhiệt độ", "Temperature", "(21,3 ± 0,4) °C"),
            Condition("Độ ẩm tương đối", "Relative humidity", "(55 ± 4) %"),
            Condition("Áp suất khí quyển", "Air pressure", "(1009 ± 2) hPa"),
        ),
        standards=(
            StandardUsed(
                name="Bộ quả cân chuẩn cấp chính xác F1 (1 mg ÷ 5 kg)",
                serial="QC-F1-01",
                certificate_number="V09.HC.0988-26",
                due_date=date(2027, 2, 28),
                traceability="Chuẩn quốc gia về khối lượng (Viện Đo lường Việt Nam) / National mass standard, VMI",
            ),
            StandardUsed(
                name="Cân so sánh 6,1 kg / d = 0,1 mg",
                serial="AX6-2231",
                certificate_number="V09.HC.1002-26",
                due_date=date(2027, 1, 15),
                traceability="Hiệu chuẩn bằng bộ quả cân F1 QC-F1-01 / Calibrated with weight set QC-F1-01",
            ),
        ),
        results=(table,),
        uncertainty=Uncertainty("2", "95"),
        decision=Decision(
            passed=True,
            rule_vi="Phù hợp cấp M1 khi |sai số| + U không vượt sai số lớn nhất cho phép (OIML R 111-1).",
            rule_en="Conforms to class M1 when |error| + U is within the maximum permissible error (OIML R 111-1).",
            statement_vi="Phù hợp với OIML R 111-1, cấp M1",
            statement_en="Conforms to OIML R 111-1, class M1",
        ),
        remarks=(
            "Quả cân đánh dấu * là quả cân thứ hai cùng giá trị danh định. / Weights marked * are the second "
            "weight of the same nominal value.",
            "Chu kỳ hiệu chuẩn khuyến nghị: 12 tháng. / Recommended calibration interval: 12 months.",
        ),
        verifier=Verifier(name="Lê Hoàng Phúc"),
        signatory=Signatory(name="Trần Thị Mỹ Hạnh", title="Giám đốc"),
        verification_url=VERIFY_BASE + "3702-26?c=R4TB-8WHN",
        verification_code="R4TB-8WHN",
    )


def sample_stickers(count: int = 14) -> list[Sticker]:
    """Return a run of stickers for a day's on-site verifications."""
    return [
        Sticker(
            lab_short_name=SAMPLE_LAB.short_name,
            serial=f"VL {12345 + i:07d}",
            certificate_number=f"{3681 + i}-26",
            valid_until=date(2027, 11, 17),
            verification_url=f"{VERIFY_BASE}{3681 + i}-26",
        )
        for i in range(count)
    ]


def main(argv: list[str] | None = None) -> int:
    """Write the samples (PDF and a PNG of each first page) into the folder named on the command line."""
    import pypdfium2

    from certificates.render import render_certificate
    from certificates.stickers import render_sticker_sheet

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m certificates.samples OUTDIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    documents = {
        "verification": render_certificate(sample_verification()),
        "calibration": render_certificate(sample_calibration()),
        "stickers": render_sticker_sheet(sample_stickers()),
    }
    for name, pdf in documents.items():
        (out / f"{name}.pdf").write_bytes(pdf)
        page = pypdfium2.PdfDocument(pdf)[0]
        page.render(scale=2).to_pil().save(out / f"{name}.png")
        print(out / f"{name}.pdf")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
