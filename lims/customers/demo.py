"""Demo enterprises of the province, their contacts, programme enrolments and a few hundred instruments."""

import random
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lims.auth.permissions import SYSTEM
from lims.core.dates import lab_today
from lims.customers import rules, services
from lims.customers.models import Instrument, InstrumentType, Organisation

CUU_LONG = "Công ty TNHH Thủy sản Cửu Long"  # created by lims.auth.demo with its enterprise login

DEMO_ENTERPRISES = [
    # name, tax code, address, e-mail, contact, instruments, enrolled (days ago) or None
    (
        CUU_LONG,
        "2100123457",
        "Khu công nghiệp Long Đức, tỉnh Vĩnh Long",
        "qa@cuulongseafood.example.vn",
        "Võ Minh Tâm",
        45,
        400,
    ),
    (
        "Công ty Cổ phần Chế biến Thủy sản Duyên Hải",
        "2100456784",
        "Phường Duyên Hải, tỉnh Vĩnh Long",
        "kythuat@duyenhaifish.example.vn",
        "Nguyễn Thị Hồng",
        40,
        200,
    ),
    (
        "Nhà máy Xay xát Lúa gạo Cầu Kè",
        "2100781230",
        "Xã Cầu Kè, tỉnh Vĩnh Long",
        "nhamay@gaocauke.example.vn",
        "Trần Văn Lúa",
        30,
        90,
    ),
    (
        "Cửa hàng Xăng dầu Số 5 - Petrolimex Vĩnh Long",
        "1500345124",
        "Phường Long Châu, tỉnh Vĩnh Long",
        "ch5@xangdauvl.example.vn",
        "Lê Quốc Cường",
        12,
        None,
    ),
    (
        "Ban Quản lý Chợ Trà Vinh",
        "2100562341",
        "Phường Trà Vinh, tỉnh Vĩnh Long",
        "bqlcho@travinh.example.vn",
        "Phạm Thị Chợ",
        60,
        None,
    ),
    (
        "Bệnh viện Đa khoa Vĩnh Long",
        "1500678211",
        "Phường Thanh Đức, tỉnh Vĩnh Long",
        "vattu@bvdkvl.example.vn",
        "BS. Huỳnh Văn Y",
        35,
        30,
    ),
    (
        "Công ty Cổ phần Cấp thoát nước Vĩnh Long",
        "1500884101",
        "Phường Phước Hậu, tỉnh Vĩnh Long",
        "kehoach@capnuocvl.example.vn",
        "Đỗ Văn Thủy",
        25,
        None,
    ),
    (
        "Công ty TNHH Kẹo dừa Bến Tre",
        "1300129870",
        "Phường An Hội, tỉnh Vĩnh Long",
        "qc@keodua.example.vn",
        "Ngô Thị Dừa",
        20,
        None,
    ),
    (
        "Hợp tác xã Nông nghiệp Tiểu Cần",
        "2100912349",
        "Xã Tiểu Cần, tỉnh Vĩnh Long",
        "htx@tieucan.example.vn",
        "Thạch Văn Sơn",
        15,
        None,
    ),
    (
        "Công ty Cổ phần Thức ăn Chăn nuôi Mekong",
        "1500234569",
        "Khu công nghiệp Hòa Phú, tỉnh Vĩnh Long",
        "lab@mekongfeed.example.vn",
        "Lý Minh Cám",
        30,
        None,
    ),
    ("Trạm Cân Cảng Cá Định An", "2100334560", "Xã Định An, tỉnh Vĩnh Long", None, "Kim Văn Cân", 18, None),
    (
        "Công ty TNHH Vàng bạc Mỏ Cày",
        "1300783459",
        "Xã Mỏ Cày, tỉnh Vĩnh Long",
        "info@vangmocay.example.vn",
        "Trương Kim Hoàn",
        12,
        None,
    ),
]

# Instrument type code, weight in the mix, (maker, model, range max, unit, d, e, class) choices.
INSTRUMENT_MIX = [
    (
        "scale-platform",
        30,
        [
            ("Mettler Toledo", "ICS425", 150, "kg", 0.02, 0.05, "III"),
            ("Vĩnh Phát", "TCS-300", 300, "kg", 0.1, 0.1, "III"),
            ("Nhơn Hòa", "NHB-60", 60, "kg", 0.02, 0.02, "III"),
        ],
    ),
    (
        "weight-f1-m2",
        25,
        [
            ("Nhơn Hòa", "M1-20kg", 20, "kg", None, None, "M1"),
            ("Mettler Toledo", "F2-1kg", 1, "kg", None, None, "F2"),
            ("Vĩnh Phát", "M1-500g", 0.5, "kg", None, None, "M1"),
        ],
    ),
    (
        "scale-spring-dial",
        12,
        [("Nhơn Hòa", "NHS-30", 30, "kg", 0.1, 0.1, "IIII"), ("Nhơn Hòa", "NHS-5", 5, "kg", 0.02, 0.02, "IIII")],
    ),
    (
        "balance-analytical",
        8,
        [
            ("Sartorius", "Quintix 224", 0.22, "kg", 0.0000001, 0.000001, "I"),
            ("Ohaus", "PX3202", 3.2, "kg", 0.00001, 0.0001, "II"),
        ],
    ),
    ("scale-truck", 3, [("Mettler Toledo", "VTC221", 80000, "kg", 10, 10, "III")]),
    ("fuel-dispenser", 4, [("Tatsuno", "Sunny", 50, "L/min", None, None, "0.5")]),
    ("water-meter-mechanical", 5, [("Itron", "Multimag", 2.5, "m³/h", None, None, "B")]),
    ("blood-pressure", 4, [("Omron", "HEM-7120", 300, "mmHg", 1, None, None)]),
    ("thermometer-infrared", 3, [("Microlife", "FR1MF1", 42.5, "°C", 0.1, None, None)]),
    ("pressure-gauge", 4, [("Wika", "213.53", 16, "bar", 0.5, None, "1.6")]),
    ("cal-balance", 2, [("Sartorius", "Entris II", 2.2, "kg", 0.01, None, "II")]),
]
KIND_MIX = {  # which instruments each kind of enterprise mostly has
    "fuel": ("fuel-dispenser", "pressure-gauge"),
    "hospital": ("blood-pressure", "thermometer-infrared", "scale-platform", "balance-analytical"),
    "water": ("water-meter-mechanical", "pressure-gauge", "scale-platform"),
}


def _kind_of(name: str) -> str | None:
    if "Xăng" in name:
        return "fuel"
    if "Bệnh viện" in name:
        return "hospital"
    if "nước" in name:
        return "water"
    return None


def load(session: Session) -> list[tuple[str, str]]:
    services.seed_catalogue(session, SYSTEM)
    today = lab_today()
    types = {t.code: t for t in session.scalars(select(InstrumentType))}
    cycles = services.CycleBook(session, services.valid_until_rule(session))
    generator = random.Random(2026)
    for name, tax_code, address, email, contact, count, enrolled_days_ago in DEMO_ENTERPRISES:
        organisation = session.scalar(select(Organisation).where(Organisation.name == name))
        if organisation is None:
            organisation = services.create_organisation(
                session, SYSTEM, name=name, tax_code=tax_code, address=address, province="Vĩnh Long", email=email
            )
        elif organisation.tax_code is None or not rules.is_valid_tax_code(organisation.tax_code):
            services.update_organisation(session, SYSTEM, organisation, tax_code=tax_code)
        if not organisation.contacts:
            services.add_contact(
                session,
                SYSTEM,
                organisation,
                name=contact,
                position="Phụ trách đo lường",
                email=email,
                phone="0294 3850 000",
            )
        if enrolled_days_ago is not None and organisation.enrolment is None:
            services.save_enrolment(
                session,
                SYSTEM,
                organisation,
                status="enrolled",
                enrolled_on=today - timedelta(days=enrolled_days_ago),
                steps_done=("survey", "commitment", "staff_trained")[: 1 + enrolled_days_ago // 150],
            )
        has_instruments = session.scalar(
            select(func.count(Instrument.id)).where(Instrument.organisation_id == organisation.id)
        )
        if not has_instruments:
            _add_instruments(session, organisation, count, today, types, cycles, generator)
    return []


def _add_instruments(session, organisation, count, today, types, cycles, generator) -> None:
    preferred = KIND_MIX.get(_kind_of(organisation.name))
    mix = [entry for entry in INSTRUMENT_MIX if preferred is None or entry[0] in preferred]
    weights = [entry[1] for entry in mix]
    for number in range(1, count + 1):
        code, _weight, variants = generator.choices(mix, weights)[0]
        maker, model, range_max, unit, d, e, accuracy_class = generator.choice(variants)
        instrument_type = types[code]
        last = today - timedelta(days=generator.randint(5, 420))
        kind = "verification" if instrument_type.legal_group == 2 else "calibration"
        session.add(
            Instrument(
                organisation_id=organisation.id,
                instrument_type_id=instrument_type.id,
                maker=maker,
                model=model,
                serial=f"{organisation.tax_code[-4:]}-{number:04d}",
                range_min=0,
                range_max=range_max,
                unit=unit,
                resolution=d,
                verification_interval=e,
                accuracy_class=accuracy_class,
                location=generator.choice(("Kho nguyên liệu", "Xưởng chế biến", "Khu xuất hàng", "Phòng thí nghiệm")),
                last_service_on=last,
                last_service_kind=kind,
                next_due_on=cycles.due_after(instrument_type, kind, last),
            )
        )
    session.flush()
