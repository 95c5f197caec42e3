"""Kế hoạch 38/KH-UBND (24/07/2020) as data: periods, targets, tasks and budget, with some spending and activities."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth.permissions import SYSTEM
from lims.plan import services
from lims.plan.models import Plan, PlanActivity
from lims.plan.services import MILLION, split_over_years

PLAN_CODE = "38/KH-UBND"
PERIODS = (("2020-2025", date(2020, 7, 24), date(2025, 12, 31)), ("2026-2030", date(2026, 1, 1), date(2030, 12, 31)))

# code, title vi, title en, unit, metric, cumulative, (target, text) per period
TARGETS = [
    (
        "1",
        "Phát triển thiết bị chuẩn đo lường đáp ứng nhu cầu doanh nghiệp",
        "Reference standards for enterprises",
        "thiết bị",
        "reference_standards",
        False,
        ((2, "ít nhất 02"), (3, "ít nhất 03")),
    ),
    (
        "2",
        "Tập huấn, bồi dưỡng chuyên môn đo lường cho cán bộ",
        "People trained in measurement",
        "người",
        "people_trained",
        False,
        ((100, "ít nhất 100 người"), (100, "tiếp tục tập huấn (100 người)")),
    ),
    (
        "3",
        "Phòng thí nghiệm áp dụng bộ tiêu chí quốc gia đánh giá các lĩnh vực đo lường",
        "Laboratory applying the national criteria",
        "phòng thí nghiệm",
        "criteria_applied",
        False,
        ((1, "ít nhất 01"), (1, "ít nhất 01")),
    ),
    (
        "4",
        "Nâng cấp cơ sở hạ tầng đo lường cho phòng thí nghiệm",
        "Laboratory infrastructure upgraded",
        "phòng thí nghiệm",
        "manual",
        False,
        ((1, "01 phòng thí nghiệm"), (None, "")),
    ),
    (
        "5",
        "Doanh nghiệp tham gia Chương trình đảm bảo đo lường",
        "Enterprises in the measurement assurance programme",
        "doanh nghiệp",
        "enterprises_enrolled",
        True,
        ((None, "triển khai"), (20, "ít nhất 20")),
    ),
    (
        "6",
        "Tổ chức dịch vụ được nâng cao năng lực (17025, ISO 9001)",
        "Service organisations strengthened",
        "tổ chức",
        "manual",
        False,
        ((1, "ít nhất 01"), (1, "ít nhất 01")),
    ),
]

# code, title vi, title en, unit, metric, (target, text) per period, NSNN per period, DN per period (million VND)
TASKS = [
    (
        "1a",
        "Nâng cao năng lực ít nhất 01 tổ chức dịch vụ kiểm định, hiệu chuẩn, thử nghiệm (TCVN ISO/IEC 17025, "
        "TCVN ISO 9001)",
        "Strengthen a calibration/verification/testing organisation",
        "tổ chức",
        "manual",
        ((1, "01 tổ chức"), (1, "01 tổ chức")),
        (100, 100),
        (43, 43),
    ),
    (
        "1b",
        "Bồi dưỡng, nâng cao chuyên môn nghiệp vụ về đo lường",
        "Train staff in measurement",
        "người",
        "people_trained",
        ((100, "100 người"), (100, "100 người")),
        (50, 50),
        (0, 0),
    ),
    (
        "1c",
        "Áp dụng bộ tiêu chí quốc gia cho phòng thí nghiệm được công nhận",
        "Apply the national criteria to an accredited lab",
        "phòng thí nghiệm",
        "criteria_applied",
        ((1, "01 phòng thí nghiệm"), (1, "01 phòng thí nghiệm")),
        (100, 100),
        (0, 0),
    ),
    (
        "2a",
        "Đầu tư trang thiết bị kiểm tra nhà nước về đo lường: bộ quả cân chuẩn M1",
        "Equipment for state inspection: an M1 standard weight set",
        "bộ",
        "manual",
        ((1, "01 bộ quả cân chuẩn M1"), (None, "")),
        (750, 0),
        (0, 0),
    ),
    (
        "2b",
        "Phối hợp, kiểm tra, giám sát tổ chức cung cấp dịch vụ đo lường",
        "Coordination and inspection of service organisations",
        "lượt",
        "inspections",
        ((2, "02 lượt"), (2, "02 lượt")),
        (60, 60),
        (0, 0),
    ),
    (
        "2c",
        "Áp dụng bộ tiêu chí quốc gia cho tổ chức cung ứng dịch vụ đo lường",
        "Apply the national criteria to a service organisation",
        "tổ chức",
        "criteria_service",
        ((1, "01 tổ chức"), (1, "01 tổ chức")),
        (50, 50),
        (0, 0),
    ),
    (
        "3",
        "Khảo sát, đánh giá, lựa chọn doanh nghiệp áp dụng Chương trình đảm bảo đo lường",
        "Survey and select enterprises for the measurement assurance programme",
        "lượt",
        "surveys",
        ((5, "05 lượt"), (5, "05 lượt")),
        (100, 100),
        (0, 0),
    ),
    (
        "4a",
        "Tuyên truyền, phổ biến pháp luật về đo lường",
        "Media on measurement law",
        "lượt",
        "media",
        ((2, "02 lượt"), (2, "02 lượt")),
        (40, 40),
        (0, 0),
    ),
    (
        "4b",
        "Hội nghị sơ kết, tổng kết Chương trình",
        "Conferences reviewing the programme",
        "lượt",
        "conferences",
        ((4, "4 lượt"), (4, "4 lượt")),
        (100, 100),
        (0, 0),
    ),
]

# task code, source, day, amount (VND), description, voucher
EXPENSES = [
    ("1b", "NSNN", date(2022, 9, 20), 8_500_000, "Lớp tập huấn đo lường cho cán bộ cấp huyện", "PC-2022-041"),
    ("1b", "NSNN", date(2024, 10, 8), 7_800_000, "Lớp tập huấn cho doanh nghiệp chế biến thủy sản", "PC-2024-087"),
    ("2a", "NSNN", date(2023, 6, 15), 118_000_000, "Mua bộ quả cân chuẩn M1 (đợt 1)", "HĐ 12/2023"),
    ("2b", "NSNN", date(2024, 5, 28), 9_600_000, "Đoàn kiểm tra tổ chức dịch vụ kiểm định", "PC-2024-052"),
    (
        "3",
        "NSNN",
        date(2025, 4, 17),
        14_200_000,
        "Khảo sát doanh nghiệp tham gia Chương trình đảm bảo đo lường",
        "PC-2025-030",
    ),
    ("4a", "NSNN", date(2025, 5, 20), 6_000_000, "Tin bài Ngày Đo lường Việt Nam", "PC-2025-044"),
    ("1a", "DN", date(2025, 8, 12), 7_000_000, "Đánh giá nội bộ theo TCVN ISO/IEC 17025", "DN-2025-003"),
    ("1b", "NSNN", date(2026, 3, 18), 8_200_000, "Lớp tập huấn đo lường khối lượng", "PC-2026-019"),
]

ACTIVITIES = [
    ("inspection", "Kiểm tra tổ chức dịch vụ kiểm định đồng hồ nước", date(2024, 5, 28), 6),
    ("inspection", "Kiểm tra tổ chức dịch vụ kiểm định cân", date(2025, 9, 10), 5),
    ("survey", "Khảo sát doanh nghiệp chế biến thủy sản", date(2025, 4, 17), 12),
    ("media", "Tuyên truyền Ngày Đo lường Việt Nam 20/5", date(2025, 5, 20), None),
    ("conference", "Hội nghị sơ kết 5 năm thực hiện Đề án 996", date(2025, 11, 25), 80),
    ("survey", "Khảo sát doanh nghiệp xăng dầu", date(2026, 4, 9), 9),
]


def load_plan_38(session: Session) -> Plan:
    """Load Kế hoạch 38/KH-UBND (periods, targets, tasks, budget lines) once; return it."""
    plan = session.scalar(select(Plan).where(Plan.code == PLAN_CODE))
    if plan is not None:
        return plan
    plan = services.create_plan(
        session,
        SYSTEM,
        code=PLAN_CODE,
        title="Triển khai Quyết định 996/QĐ-TTg về tăng cường, đổi mới hoạt động đo lường hỗ trợ doanh nghiệp, "
        "giai đoạn đến năm 2025, định hướng đến năm 2030",
        issued_on=date(2020, 7, 24),
        issuer="Ủy ban nhân dân tỉnh Trà Vinh",
    )
    periods = [services.add_period(session, SYSTEM, plan, label=name, starts_on=s, ends_on=e) for name, s, e in PERIODS]
    for code, vi, en, unit, metric, cumulative, goals in TARGETS:
        item = services.add_item(
            session,
            SYSTEM,
            plan,
            kind="target",
            code=code,
            title_vi=vi,
            title_en=en,
            unit=unit,
            metric=metric,
            cumulative=cumulative,
        )
        for period, (target, text) in zip(periods, goals, strict=True):
            services.set_goal(session, SYSTEM, item, period, target=target, target_text=text)
    for code, vi, en, unit, metric, goals, state, enterprises in TASKS:
        item = services.add_item(
            session, SYSTEM, plan, kind="task", code=code, title_vi=vi, title_en=en, unit=unit, metric=metric
        )
        for period, (target, text) in zip(periods, goals, strict=True):
            services.set_goal(session, SYSTEM, item, period, target=target, target_text=text)
        for source, amounts in (("NSNN", state), ("DN", enterprises)):
            for period, million in zip(periods, amounts, strict=True):
                if not million:
                    continue
                split = split_over_years(million * MILLION, period.starts_on.year, period.ends_on.year)
                for year, amount in split.items():
                    services.set_budget_line(session, SYSTEM, item, source=source, year=year, planned_vnd=amount)
    return plan


def load(session: Session) -> list[tuple[str, str]]:
    fresh = session.scalar(select(Plan.id).where(Plan.code == PLAN_CODE)) is None
    plan = load_plan_38(session)
    if fresh:
        tasks = {item.code: item for item in plan.items if item.kind == "task"}
        for code, source, day, amount, description, voucher in EXPENSES:
            line = next(b for b in tasks[code].budget_lines if b.source == source and b.year == day.year)
            services.record_expense(
                session, SYSTEM, line, spent_on=day, amount_vnd=amount, description=description, voucher=voucher
            )
        # The one manual actual the demo knows: the M1 weight set was delivered in the first period.
        first = plan.periods[0]
        services.set_goal(
            session,
            SYSTEM,
            tasks["2a"],
            first,
            target=1,
            target_text="01 bộ quả cân chuẩn M1",
            manual_actual=1,
            manual_evidence="Biên bản nghiệm thu bộ quả cân M1, 15/06/2023",
        )
    if session.scalar(select(PlanActivity.id).limit(1)) is None:
        for kind, title, day, participants in ACTIVITIES:
            services.record_activity(session, SYSTEM, kind=kind, title=title, held_on=day, participants=participants)
    return []
