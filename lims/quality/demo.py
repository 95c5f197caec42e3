"""Demo quality records: the 17025 clauses and a sample criteria set, documents, people, a PT round, actions."""

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth.models import User
from lims.auth.permissions import SYSTEM
from lims.core.dates import lab_today
from lims.core.files import store_bytes
from lims.customers.models import Organisation
from lims.quality import services
from lims.quality.catalogue import import_catalogue, sample_national_csv, seed_iso17025
from lims.quality.models import ControlledDocument, Requirement, RequirementCatalogue

SAMPLE_CODE = "TC-ĐL-MẪU"

DOCUMENTS = [
    # code, title, kind, clauses, review due in days from today (negative: overdue)
    ("ST-01", "Sổ tay chất lượng", "manual", ("4.1", "4.2", "5", "8.2"), 300),
    ("QT-03", "Quy trình kiểm soát tài liệu và hồ sơ", "procedure", ("8.3", "8.4"), 200),
    ("QT-07", "Quy trình quản lý chuẩn và thiết bị", "procedure", ("6.4", "6.5"), -20),
    ("QT-10", "Quy trình xử lý công việc không phù hợp và khiếu nại", "procedure", ("7.9", "7.10", "8.7"), 150),
    ("HD-02", "Hướng dẫn ước lượng độ không đảm bảo đo", "instruction", ("7.6",), 400),
]


def _pdf(title: str) -> bytes:
    # A minimal one-page PDF standing in for the scanned, signed document.
    body = f"BT /F1 14 Tf 72 760 Td ({title.encode('ascii', 'ignore').decode()}) Tj ET".encode()
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>endobj\n"
        b"4 0 obj<</Length "
        + str(len(body)).encode()
        + b">>stream\n"
        + body
        + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def load(session: Session) -> list[tuple[str, str]]:
    iso = seed_iso17025(session, SYSTEM)
    if session.scalar(select(RequirementCatalogue.id).where(RequirementCatalogue.code == SAMPLE_CODE)) is None:
        import_catalogue(
            session,
            SYSTEM,
            code=SAMPLE_CODE,
            name="Bộ tiêu chí mẫu đánh giá năng lực đo lường (minh họa)",
            data=sample_national_csv(),
            kind="national",
            version="demo",
        )
    if session.scalar(select(ControlledDocument.id).limit(1)) is not None:
        return []
    today = lab_today()
    users = {u.username: u for u in session.scalars(select(User))}
    manager, tech, tech2 = users.get("truongphong"), users.get("ktv.an"), users.get("ktv.binh")
    if manager is None or tech is None or tech2 is None:
        return []
    lab = session.scalar(select(Organisation).where(Organisation.kind == "lab"))
    enterprise = session.scalar(select(Organisation).where(Organisation.kind == "enterprise"))
    agency = session.scalar(select(Organisation).where(Organisation.kind == "agency"))
    clauses = {r.code: r for r in session.scalars(select(Requirement).where(Requirement.catalogue_id == iso.id))}

    for code, title, kind, linked, review_days in DOCUMENTS:
        document = services.create_document(session, SYSTEM, code=code, title=title, kind=kind)
        version = services.add_document_version(
            session,
            tech,
            document,
            store_bytes(_pdf(f"{code} {title}")),
            file_name=f"{code}.pdf",
            review_due_on=today + timedelta(days=review_days),
            change_note="Ban hành lần đầu",
        )
        services.approve_document_version(session, manager, version, today - timedelta(days=400))
        for clause in linked:
            services.link_evidence(session, manager, clauses[clause], document, None)
    # A document replaced by another: withdrawn, still listed and readable, marked obsolete (8.3.2 f).
    old = services.create_document(
        session, SYSTEM, code="HD-01", title="Hướng dẫn hiệu chuẩn cân (bản cũ)", kind="instruction"
    )
    version = services.add_document_version(
        session,
        tech,
        old,
        store_bytes(_pdf("HD-01 Huong dan hieu chuan can (ban cu)")),
        file_name="HD-01.pdf",
        review_due_on=today + timedelta(days=30),
        change_note="Ban hành lần đầu",
    )
    services.approve_document_version(session, manager, version, today - timedelta(days=900))
    services.withdraw_document(
        session, manager, old, withdrawn_on=today - timedelta(days=60), reason="Thay bằng ĐLVN 16:2021 và HD-02"
    )

    for person, kind, title, institution, start in (
        (tech, "education", "Kỹ sư Đo lường - Điều khiển", "Đại học Bách khoa TP.HCM", date(2010, 9, 1)),
        (
            tech,
            "training",
            "Khóa đào tạo kiểm định viên đo lường khối lượng",
            "Viện Đo lường Việt Nam",
            date(2016, 3, 7),
        ),
        (tech, "experience", "Kiểm định cân và quả cân", "Trung tâm", date(2014, 1, 1)),
        (tech2, "education", "Cử nhân Vật lý", "Đại học Cần Thơ", date(2012, 9, 1)),
        (tech2, "qualification", "Chứng chỉ ước lượng độ không đảm bảo đo (GUM)", "Tổng cục TĐC", date(2019, 5, 14)),
        (
            manager,
            "training",
            "Đánh giá viên nội bộ TCVN ISO/IEC 17025:2017",
            "Trung tâm Chứng nhận",
            date(2018, 8, 20),
        ),
    ):
        services.add_competence_record(
            session, SYSTEM, user_id=person.id, kind=kind, title=title, institution=institution, started_on=start
        )

    courses = [
        ("Tập huấn quản lý đo lường cho cán bộ cấp huyện", date(2022, 9, 20), 8),
        ("Tập huấn đo lường cho doanh nghiệp chế biến thủy sản", date(2024, 10, 8), 12),
        ("Tập huấn kiểm tra cân trong thương mại", date(2026, 3, 18), 6),
    ]
    events = [
        services.create_training_event(
            session, SYSTEM, title=title, held_on=day, place="Hội trường Sở KH&CN", organiser="Trung tâm", hours=hours
        )
        for title, day, hours in courses
    ]
    districts = ("Càng Long", "Châu Thành", "Tiểu Cần", "Cầu Kè", "Trà Cú", "Duyên Hải")
    for n, district in enumerate(districts):
        services.add_attendee(
            session,
            SYSTEM,
            events[0],
            full_name=f"Cán bộ {n + 1} huyện {district}",
            organisation_name=f"UBND huyện {district}",
            category="agency",
        )
    for n in range(8):
        services.add_attendee(
            session,
            SYSTEM,
            events[1],
            full_name=f"Nhân viên QC số {n + 1}",
            organisation_id=enterprise.id if enterprise else None,
            organisation_name=None if enterprise else "Doanh nghiệp",
            category="enterprise",
        )
    services.add_attendee(session, SYSTEM, events[1], user_id=tech.id, category="lab")
    # The same people again in 2026: they count once per period, and once in the plan's people trained.
    services.add_attendee(session, SYSTEM, events[2], user_id=tech.id, category="lab")
    services.add_attendee(
        session,
        SYSTEM,
        events[2],
        full_name="Cán bộ 1 huyện Càng Long",
        organisation_name="UBND huyện Càng Long",
        category="agency",
    )
    if agency is not None:
        services.add_attendee(
            session, SYSTEM, events[2], full_name="Thanh tra viên Sở", organisation_id=agency.id, category="agency"
        )

    pt = services.create_proficiency_round(
        session,
        SYSTEM,
        code="PT-KL-2025-01",
        kind="ilc",
        provider="Viện Đo lường Việt Nam (VMI)",
        title="So sánh liên phòng quả cân F2 1 kg và 200 g",
        field="khối lượng",
        held_on=date(2025, 10, 14),
    )
    services.record_proficiency_result(
        session,
        tech,
        pt,
        item="Quả cân 1 kg F2",
        unit="mg",
        lab_value=1.8,
        lab_uncertainty=5.0,
        reference_value=0.9,
        reference_uncertainty=3.2,
    )
    services.record_proficiency_result(
        session,
        tech,
        pt,
        item="Quả cân 200 g F2",
        unit="mg",
        lab_value=2.4,
        lab_uncertainty=0.9,
        reference_value=0.3,
        reference_uncertainty=0.6,
    )

    complaint = services.raise_nonconformity(
        session,
        SYSTEM,
        kind="complaint",
        title="Khách hàng phản ánh giấy chứng nhận ghi sai số sê-ri",
        description="Giấy chứng nhận cân bàn ghi số sê-ri thiếu một chữ số.",
        raised_on=today - timedelta(days=40),
        clause="7.9",
        organisation_id=enterprise.id if enterprise else None,
    )
    services.plan_corrective_action(
        session,
        SYSTEM,
        complaint,
        root_cause="Nhập tay số sê-ri khi tiếp nhận, không đối chiếu với nhãn thiết bị.",
        owner_id=tech2.id,
        due_on=today - timedelta(days=10),
        actions=["Cấp lại giấy chứng nhận (sửa đổi)", "Thêm bước đối chiếu số sê-ri khi tiếp nhận"],
    )
    for action in complaint.actions:
        services.complete_action(session, SYSTEM, action, today - timedelta(days=12), "Đã thực hiện")
    services.review_effectiveness(
        session,
        manager,
        complaint,
        effective=True,
        review="Ba tháng không lặp lại.",
        reviewed_on=today - timedelta(days=2),
    )
    services.raise_nonconformity(
        session,
        SYSTEM,
        kind="nonconformity",
        title="Nhiệt độ phòng cân vượt 23 ± 2 °C trong hai ngày",
        description="Máy điều hòa phòng cân hỏng; ghi nhận 26,1 °C ngày 03 và 04.",
        raised_on=today - timedelta(days=20),
        clause="6.3",
    )

    audit = services.plan_internal_audit(
        session,
        SYSTEM,
        title="Đánh giá nội bộ năm",
        scope="Toàn bộ điều 4 đến 8, lĩnh vực khối lượng",
        auditors="Trần Thị Mai, chuyên gia thuê ngoài",
        planned_on=today - timedelta(days=60),
    )
    services.record_audit_held(
        session,
        SYSTEM,
        audit,
        held_on=today - timedelta(days=58),
        summary="Hệ thống vận hành phù hợp; 1 điểm không phù hợp, 2 khuyến nghị.",
    )
    services.add_audit_finding(
        session,
        SYSTEM,
        audit,
        clause="8.4",
        kind="nonconformity",
        description="Hồ sơ kiểm tra giữa kỳ chuẩn không ghi người kiểm tra.",
    )
    services.add_audit_finding(
        session, SYSTEM, audit, clause="6.2", kind="observation", description="Nên lập kế hoạch đào tạo lại định kỳ."
    )
    services.record_management_review(
        session,
        SYSTEM,
        held_on=today - timedelta(days=30),
        chaired_by="Giám đốc Trung tâm",
        attendees="Ban giám đốc, trưởng phòng, kỹ thuật viên",
        inputs="Kết quả đánh giá nội bộ, PT, khiếu nại, rủi ro.",
        decisions="Thay máy điều hòa phòng cân; đăng ký PT lĩnh vực áp suất năm sau.",
        next_review_on=today + timedelta(days=335),
    )
    for kind, title, clause, likelihood, impact, treatment, review in (
        ("risk", "Chuẩn quá hạn hiệu chuẩn do chậm gửi đi", "6.4", 3, 4, "Nhắc hạn tự động 60 ngày trước", 90),
        ("risk", "Mất dữ liệu đo khi máy chủ hỏng", "7.11", 2, 5, "Sao lưu hằng ngày ra ngoài", -5),
        ("opportunity", "Mở rộng hiệu chuẩn tại hiện trường cho cân ô tô", "8.5", 3, 3, "Khảo sát nhu cầu", 120),
    ):
        services.record_risk(
            session,
            SYSTEM,
            kind=kind,
            title=title,
            clause=clause,
            likelihood=likelihood,
            impact=impact,
            treatment=treatment,
            owner_id=manager.id,
            review_on=today + timedelta(days=review),
        )
    closed = services.record_risk(
        session,
        SYSTEM,
        kind="risk",
        title="Nhiệt độ phòng cân dao động quá 2 °C/giờ",
        clause="6.3",
        likelihood=4,
        impact=4,
        treatment="Thay máy điều hòa, ghi nhiệt độ tự động",
        owner_id=manager.id,
        review_on=today - timedelta(days=40),
    )
    services.review_risk(
        session,
        manager,
        closed,
        reviewed_on=today - timedelta(days=40),
        likelihood=2,
        impact=4,
        note="Đã thay máy điều hòa; dao động còn 0,8 °C/giờ",
        next_review_on=today - timedelta(days=10),
    )
    services.close_risk(
        session,
        manager,
        closed,
        closed_on=today - timedelta(days=10),
        reason="Nguyên nhân đã được loại bỏ",
        effectiveness="Ba tháng ghi nhiệt độ liên tục không vượt 1 °C/giờ",
        effective=True,
    )
    if lab is not None:
        sample = session.scalar(select(RequirementCatalogue).where(RequirementCatalogue.code == SAMPLE_CODE))
        services.record_criteria_assessment(
            session,
            manager,
            catalogue=sample,
            organisation_id=lab.id,
            assessed_on=date(2025, 11, 5),
            outcome="partly",
            readiness_percent=None,
            notes="Tự đánh giá theo bộ tiêu chí mẫu",
        )
    services.record_chain_check(session, SYSTEM)
    return []
