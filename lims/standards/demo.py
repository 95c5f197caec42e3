"""Demo standards: an M1 weight set, an F2 reference set, a comparator, a thermohygrometer and a barometer.

Dates are relative to today so the demo always shows something due soon, something overdue and a drifting weight.
Corrections are drawn from a fixed hash, so loading twice on different machines gives the same figures. The
certificate and accreditation numbers are illustrative, not those of real certificates.
"""

import hashlib
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth.models import User
from lims.core.dates import lab_today
from lims.standards import services
from lims.standards.models import Standard
from lims.standards.queries import item_mpe_mg
from lims.standards.services import ItemInput, ValueInput

VMI = ("Viện Đo lường Việt Nam (VMI)", "VILAS 002")
QUATEST3 = ("Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng 3 (QUATEST 3)", "VILAS 004")
CHAIN_M1 = (
    "Chuẩn quốc gia khối lượng (VMI) → bộ quả cân chuẩn E2 của QUATEST 3 → bộ quả cân M1 của Trung tâm "
    "/ national mass standard (VMI) → QUATEST 3 E2 reference set → the lab's M1 set"
)
CHAIN_F2 = (
    "Chuẩn quốc gia khối lượng 1 kg (VMI, liên kết với kilogram SI qua BIPM) → bộ quả cân E1/E2 của VMI → "
    "bộ quả cân F2 của Trung tâm / national kilogram (VMI, traceable to the SI via the BIPM) → VMI E1/E2 sets"
)
DRIFTING = ("1 kg", None)  # the M1 weight whose correction grows from certificate to certificate


def _fraction(*parts: object) -> float:
    """Return a repeatable number in [-1, 1) from the parts (a stand-in for measured scatter)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**31 - 1.0


def _two_digits(value: float) -> float:
    """Round to two significant digits, as an uncertainty on a certificate is stated (GUM 7.2.6)."""
    return float(f"{value:.2g}")


def _density(nominal_kg: float, cast_iron_from_kg: float | None = None) -> tuple[float, float]:
    if cast_iron_from_kg is not None and nominal_kg >= cast_iron_from_kg:
        return 7200.0, 150.0
    return (7950.0, 70.0) if nominal_kg >= 0.001 else (8600.0, 300.0)


def _weight_set(code, name, weight_class, level, interval, put_in_service, maker, serial, cast_iron_from_kg=None):
    items = [
        ItemInput(
            item.nominal, item.marking, weight_class, *_density(services.nominal_kg(item.nominal), cast_iron_from_kg)
        )
        for item in services.weight_set_composition("1 mg", "20 kg", weight_class)
    ]
    return dict(
        code=code,
        name=name,
        kind="weight_set",
        level=level,
        accuracy_class=weight_class,
        maker=maker,
        model=f"1 mg – 20 kg, {weight_class}",
        serial=serial,
        range_text="1 mg – 20 kg",
        location="Phòng khối lượng, tầng 1",
        owner="Phòng Đo lường",
        calibration_interval_months=interval,
        put_in_service_on=put_in_service,
        items=items,
    )


def _weight_values(standard: Standard, certificate: int, spread: float, u_share: float) -> list[ValueInput]:
    values = []
    for item in standard.items:
        mpe = item_mpe_mg(item, standard)
        if (item.nominal, item.marking) == DRIFTING and standard.accuracy_class == "M1":
            correction = (8.0, 22.0, 36.0)[certificate]
        else:
            # A weight keeps its own offset; certificates scatter a little around it.
            offset = spread * _fraction(standard.code, item.nominal, item.marking)
            scatter = 0.1 * _fraction(standard.code, item.nominal, item.marking, certificate)
            correction = _two_digits(mpe * (offset + scatter))
        values.append(ValueInput(correction, _two_digits(u_share * mpe), "mg", 2.0, item.id, "correction"))
    return values


def _at(day) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


def _backdate_registration(standard: Standard, day) -> None:
    for change in standard.status_changes:
        change.changed_at = _at(day)


def load(session: Session) -> list[tuple[str, str]]:
    if session.scalar(select(Standard.id).where(Standard.code == "QC-M1-01")) is not None:
        return []
    manager = session.scalar(select(User).where(User.username == "truongphong"))
    technician = session.scalar(select(User).where(User.username == "ktv.an"))
    if manager is None:
        return []
    today = lab_today()
    ago = lambda days: today - timedelta(days=days)  # noqa: E731

    # F2 reference set: calibrated by VMI every two years.
    f2 = services.register_standard(
        session,
        manager,
        **_weight_set(
            "QC-F2-01", "Bộ quả cân chuẩn F2 1 mg – 20 kg", "F2", "reference", 24, ago(795), "Häfner", "F2-21387"
        ),
    )
    for index, day in enumerate((ago(800), ago(70))):
        services.record_calibration(
            session, manager, f2,
            certificate_number=f"V02.KL-{day.year}-{1180 + index * 417}",
            calibrating_lab=VMI[0], lab_accreditation=VMI[1], calibrated_on=day, today=today,
            traceability=CHAIN_F2, values=_weight_values(f2, index, 0.3, 0.25),
        )  # fmt: skip
    _backdate_registration(f2, ago(795))

    # M1 working set: calibrated yearly by QUATEST 3 against its E2 set; its 1 kg weight drifts.
    m1 = services.register_standard(
        session,
        manager,
        **_weight_set(
            "QC-M1-01", "Bộ quả cân M1 1 mg – 20 kg", "M1", "working", 12, ago(740), "Zwiebel", "M1-0457", 5.0
        ),
    )
    days = (ago(745), ago(380), ago(14))
    for index, day in enumerate(days):
        services.record_calibration(
            session, manager, m1,
            certificate_number=f"KL3-{day.year}/{2200 + index * 311}",
            calibrating_lab=QUATEST3[0], lab_accreditation=QUATEST3[1], calibrated_on=day, today=today,
            traceability=CHAIN_M1, values=_weight_values(m1, index, 0.35, 0.2),
        )  # fmt: skip
    _backdate_registration(m1, ago(740))
    out = services.change_status(
        session, manager, m1, "out_for_calibration", "Gửi QUATEST 3 hiệu chuẩn định kỳ / sent for periodic calibration"
    )
    out.changed_at = _at(ago(20))
    back = services.change_status(
        session, manager, m1, "in_service", "Đã hiệu chuẩn, giấy chứng nhận đạt / calibrated, certificate checked"
    )
    back.changed_at = _at(ago(13))

    # Comparator balance: due within the month; a check weight on it every month.
    comparator = services.register_standard(
        session, manager, code="CAN-SS-01", name="Cân so sánh 20 kg", kind="comparator", level="equipment",
        maker="Sartorius", model="CCE 20K3", serial="3711892", range_text="20 kg", resolution_text="1 mg",
        location="Phòng khối lượng, tầng 1", owner="Phòng Đo lường", calibration_interval_months=12,
        put_in_service_on=ago(1100),
    )  # fmt: skip
    for index, day in enumerate((ago(710), ago(345))):
        services.record_calibration(
            session, manager, comparator,
            certificate_number=f"KL3-{day.year}/{1790 + index * 305}",
            calibrating_lab=QUATEST3[0], lab_accreditation=QUATEST3[1], calibrated_on=day, today=today,
            traceability="Bộ quả cân chuẩn E2 của QUATEST 3 → chuẩn quốc gia khối lượng (VMI)",
            values=[
                ValueInput(_two_digits(3 + 2 * _fraction("cmp", kg, index)), 4.0, "mg", 2.0, None, f"Sai số {kg} kg")
                for kg in (1, 5, 10, 20)
            ] + [ValueInput(2.1, 0.9, "mg", 2.0, None, "Độ lặp lại (độ lệch chuẩn) tại 20 kg")],
        )  # fmt: skip
    _backdate_registration(comparator, ago(1100))
    for month in range(11, 0, -1):
        day = ago(month * 30 - 5)
        value = 18.6 if month == 2 else _two_digits(6 * _fraction("check", month))
        check = services.record_intermediate_check(
            session, technician or manager, comparator, checked_on=day, today=today,
            description="Quả cân kiểm tra 10 kg F2 (QC-F2-01) trên cân so sánh: độ lệch so với giá trị quy ước",
            value=value, unit="mg", lower_limit=-15.0, upper_limit=15.0,
            notes="Kiểm tra lại sau khi vệ sinh đĩa cân" if month == 2 else None,
        )  # fmt: skip
        check.created_at = _at(day)

    # Thermohygrometer and barometer: the air-density inputs of every weight calibration; the barometer is overdue.
    thermo = services.register_standard(
        session, manager, code="NA-01", name="Nhiệt ẩm kế điện tử", kind="thermohygrometer", level="equipment",
        maker="Testo", model="608-H1", serial="46120537", range_text="0 – 50 °C; 10 – 95 %RH",
        resolution_text="0,1 °C; 0,1 %RH", location="Phòng khối lượng, tầng 1", owner="Phòng Đo lường",
        calibration_interval_months=12, put_in_service_on=ago(1000),
    )  # fmt: skip
    barometer = services.register_standard(
        session, manager, code="AK-01", name="Áp kế khí quyển chỉ thị số", kind="barometer", level="equipment",
        maker="Vaisala", model="PTB330", serial="R0410237", range_text="500 – 1100 hPa", resolution_text="0,01 hPa",
        location="Phòng khối lượng, tầng 1", owner="Phòng Đo lường", calibration_interval_months=12,
        put_in_service_on=ago(1000),
    )  # fmt: skip
    for standard, days, rows in (
        (thermo, (ago(665), ago(300)), [("Sai số nhiệt độ tại 20 °C", 0.2, 0.3, "°C"),
                                         ("Sai số nhiệt độ tại 25 °C", 0.1, 0.3, "°C"),
                                         ("Sai số độ ẩm tại 50 %RH", -1.2, 2.0, "%RH")]),
        (barometer, (ago(740), ago(375)), [("Sai số tại 1000 hPa", 0.05, 0.10, "hPa"),
                                            ("Sai số tại 1013 hPa", 0.04, 0.10, "hPa")]),
    ):  # fmt: skip
        for index, day in enumerate(days):
            services.record_calibration(
                session, manager, standard,
                certificate_number=f"{'NA' if standard is thermo else 'AS'}3-{day.year}/{640 + index * 97}",
                calibrating_lab=QUATEST3[0], lab_accreditation=QUATEST3[1], calibrated_on=day, today=today,
                traceability="Chuẩn quốc gia (VMI) → chuẩn công tác của QUATEST 3",
                values=[ValueInput(v + 0.05 * index, u, unit, 2.0, None, q) for q, v, u, unit in rows],
            )  # fmt: skip
        _backdate_registration(standard, ago(1000))
    _group2_standards(session, manager, today)
    session.flush()
    return []


# The standards of the Group 2 families the shipped definitions verify (code, name, range, resolution, value row).
GROUP2_STANDARDS = (
    ("DHN-CH-01", "Đồng hồ nước chuẩn DN15", "0,01 – 5 m³/h", "0,001 L",
     ("Sai số tương đối tại 2,5 m³/h", 0.05, 0.2, "%")),
    ("BC-20-01", "Bình chuẩn kim loại 20 L", "20 L", "5 mL", ("Thể tích tại 20 °C", 20.004, 0.004, "L")),
    ("AK-HA-01", "Áp kế chuẩn chỉ thị số 0 – 400 mmHg", "0 – 400 mmHg", "0,1 mmHg",
     ("Sai số tại 200 mmHg", 0.1, 0.5, "mmHg")),
    ("AK-CH-01", "Áp kế chuẩn 0 – 10 bar", "0 – 10 bar", "0,001 bar", ("Sai số tại 5 bar", 0.002, 0.01, "bar")),
)  # fmt: skip


def _group2_standards(session: Session, manager: User, today) -> None:
    """Working standards for the water-meter, fuel-dispenser, sphygmomanometer and pressure-gauge demo jobs."""
    for index, (code, name, range_text, resolution_text, (quantity, value, u, unit)) in enumerate(GROUP2_STANDARDS):
        standard = services.register_standard(
            session, manager, code=code, name=name, kind="other", level="working", range_text=range_text,
            resolution_text=resolution_text, location="Phòng dung tích – áp suất", owner="Phòng Đo lường",
            calibration_interval_months=12, put_in_service_on=today - timedelta(days=400),
        )  # fmt: skip
        day = today - timedelta(days=120 + 10 * index)
        services.record_calibration(
            session, manager, standard,
            certificate_number=f"G2-{day.year}/{310 + index}", calibrating_lab=QUATEST3[0],
            lab_accreditation=QUATEST3[1], calibrated_on=day, today=today,
            traceability="Chuẩn quốc gia (VMI) → chuẩn công tác của QUATEST 3",
            values=[ValueInput(value, u, unit, 2.0, None, quantity)],
        )  # fmt: skip
