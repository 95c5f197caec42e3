"""Proficiency results with En, nonconformities raised by the system and by hand, and their closure; risks
reassessed, reviewed and closed; controlled documents withdrawn."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from lims.audit.models import AuditEvent
from lims.auth.permissions import SYSTEM
from lims.core.errors import PermissionDenied, RuleViolation
from lims.core.files import store_bytes
from lims.quality import services
from lims.quality.automation import sweep_system_nonconformities
from lims.quality.models import ControlledDocument, Nonconformity, Risk, RiskReview


def _round(session):
    return services.create_proficiency_round(
        session,
        SYSTEM,
        code="PT-1",
        kind="ilc",
        provider="VMI",
        title="So sánh quả cân",
        field="khối lượng",
        held_on=date(2026, 3, 2),
    )


def test_a_satisfactory_result_stores_its_en_and_opens_nothing(session):
    # (100.012 - 100.000) / sqrt(0.009² + 0.012²) = 0.8
    result = services.record_proficiency_result(
        session,
        SYSTEM,
        _round(session),
        item="1 kg",
        unit="g",
        lab_value=100.012,
        lab_uncertainty=0.009,
        reference_value=100.0,
        reference_uncertainty=0.012,
    )
    assert result.en == pytest.approx(0.8)
    assert result.satisfactory
    assert session.scalar(select(func.count(Nonconformity.id))) == 0


def test_an_unsatisfactory_en_opens_a_nonconformity_once(session):
    result = services.record_proficiency_result(
        session,
        SYSTEM,
        _round(session),
        item="200 g",
        unit="mg",
        lab_value=2.4,
        lab_uncertainty=0.9,
        reference_value=0.3,
        reference_uncertainty=0.6,
    )
    assert not result.satisfactory
    cases = session.scalars(select(Nonconformity)).all()
    assert len(cases) == 1
    case = cases[0]
    assert (case.source, case.source_ref, case.clause) == ("proficiency", f"proficiency_result:{result.id}", "7.7.2")
    assert case.number == "KPH-2026-001" and case.raised_by == "system"
    assert sweep_system_nonconformities(session, SYSTEM) == []  # already raised: the sweep adds nothing


def test_impossible_uncertainties_are_refused_with_the_field_named(session):
    with pytest.raises(RuleViolation) as error:
        services.record_proficiency_result(
            session,
            SYSTEM,
            _round(session),
            item="x",
            unit="g",
            lab_value=1,
            lab_uncertainty=-1,
            reference_value=1,
            reference_uncertainty=1,
        )
    assert error.value.field == "lab_uncertainty"


def _standard(session):
    from lims.standards.models import Standard

    standard = Standard(code="C-9", name="Cân so sánh", kind="comparator")
    session.add(standard)
    session.flush()
    return standard


def test_a_standard_taken_out_of_service_opens_a_nonconformity_in_the_same_transaction(session, make_user):
    from lims.standards.services import change_status

    standard = _standard(session)
    # The standards service says what it did (lims.core.signals); the quality module answers in its transaction.
    change = change_status(session, make_user("manager"), standard, "quarantined", "Rơi vỡ đĩa cân")
    session.commit()
    case = session.scalar(select(Nonconformity).where(Nonconformity.source == "standard_failure"))
    assert case is not None and case.source_ref == f"standard_status_change:{change.id}"
    assert "C-9" in case.title and "Rơi vỡ" in case.description
    assert session.scalar(select(func.count(AuditEvent.seq)).where(AuditEvent.entity == "nonconformity")) == 1


def test_the_sweep_raises_for_records_written_before_the_quality_module_saw_them(session):
    from lims.standards.models import StandardStatusChange

    standard = _standard(session)
    # A record written without the service (before the quality module existed): no nonconformity yet.
    session.add(StandardStatusChange(standard_id=standard.id, to_status="quarantined", reason="Cũ"))
    session.commit()
    assert session.scalar(select(Nonconformity)) is None
    opened = sweep_system_nonconformities(session, SYSTEM)
    assert [case.source for case in opened] == ["standard_failure"]
    assert sweep_system_nonconformities(session, SYSTEM) == []


def test_an_intermediate_check_is_out_of_limits_exactly_when_the_standards_module_flagged_it():
    from lims.quality.automation import check_is_out_of_limits
    from lims.standards.models import IntermediateCheck

    assert check_is_out_of_limits(IntermediateCheck(within_limits=False))
    assert not check_is_out_of_limits(IntermediateCheck(within_limits=True))


def test_a_nonconformity_closes_only_after_its_actions_are_done_and_found_effective(session, make_user):
    manager, technician = make_user("manager"), make_user("technician")
    case = services.raise_nonconformity(
        session,
        SYSTEM,
        kind="nonconformity",
        title="Nhiệt độ vượt",
        description="26 °C",
        raised_on=date(2026, 5, 4),
        clause="6.3",
    )
    services.plan_corrective_action(
        session,
        SYSTEM,
        case,
        root_cause="Điều hòa hỏng",
        owner_id=technician.id,
        due_on=date(2026, 5, 30),
        actions=["Sửa điều hòa", "Lắp cảnh báo nhiệt độ"],
    )
    with pytest.raises(RuleViolation):
        services.review_effectiveness(session, manager, case, effective=True, review="?", reviewed_on=date(2026, 6, 1))
    for action in case.actions:
        services.complete_action(session, SYSTEM, action, date(2026, 5, 20), None)
    assert case.status == "review"
    services.review_effectiveness(
        session, manager, case, effective=False, review="Vẫn vượt", reviewed_on=date(2026, 6, 1)
    )
    assert case.status == "action"
    services.plan_corrective_action(
        session,
        SYSTEM,
        case,
        root_cause="Công suất thiếu",
        owner_id=technician.id,
        due_on=date(2026, 6, 30),
        actions=["Thay máy lớn hơn"],
    )
    services.complete_action(session, SYSTEM, case.actions[-1], date(2026, 6, 20), "Đã thay")
    services.review_effectiveness(
        session, manager, case, effective=True, review="Ổn định 30 ngày", reviewed_on=date(2026, 7, 20)
    )
    assert (case.status, case.closed_on, case.closed_by_id) == ("closed", date(2026, 7, 20), manager.id)


def test_people_attending_twice_count_once(session, make_user, make_organisation):
    staff = make_user("technician")
    enterprise = make_organisation("Công ty A")
    first = services.create_training_event(session, SYSTEM, title="Khóa 1", held_on=date(2025, 3, 1))
    second = services.create_training_event(session, SYSTEM, title="Khóa 2", held_on=date(2025, 9, 1))
    for event in (first, second):
        services.add_attendee(session, SYSTEM, event, user_id=staff.id, category="lab")
        services.add_attendee(session, SYSTEM, event, full_name="Nguyễn Văn A", organisation_id=enterprise.id)
    # The same person typed differently (spacing, case, no accents) in a third event.
    third = services.create_training_event(session, SYSTEM, title="Khóa 3", held_on=date(2025, 11, 1))
    services.add_attendee(session, SYSTEM, third, full_name="nguyen  van a", organisation_name="CÔNG TY A")
    services.add_attendee(
        session, SYSTEM, third, full_name="Trần Thị B", organisation_name="UBND huyện", category="agency"
    )
    assert services.people_trained(session, date(2025, 1, 1), date(2025, 12, 31)) == 3
    assert services.people_trained(session, date(2025, 1, 1), date(2025, 6, 30)) == 2
    with pytest.raises(RuleViolation):
        services.add_attendee(session, SYSTEM, first, user_id=staff.id, category="lab")


def test_an_enterprise_user_sees_nothing_of_the_quality_module(client, login):
    login("enterprise")
    for path in ("/quality/", "/quality/nonconformities", "/quality/pack", "/plan/", "/plan/report.pdf"):
        assert client.get(path).status_code == 403, path


def _check(standard, within_limits, day=date(2026, 4, 2)):
    from lims.standards.models import IntermediateCheck

    return IntermediateCheck(
        standard_id=standard.id,
        checked_on=day,
        description="quả cân kiểm 10 kg",
        value=0.9 if within_limits else 3.1,
        unit="mg",
        lower_limit=-2.0,
        upper_limit=2.0,
        within_limits=within_limits,
    )


def test_an_intermediate_check_out_of_limits_opens_a_nonconformity_and_one_within_does_not(session, make_user):
    from lims.standards.services import record_intermediate_check

    standard = _standard(session)
    technician = make_user("technician")

    def record(check):
        return record_intermediate_check(
            session,
            technician,
            standard,
            checked_on=check.checked_on,
            today=date(2026, 4, 30),
            description=check.description,
            value=check.value,
            unit=check.unit,
            lower_limit=check.lower_limit,
            upper_limit=check.upper_limit,
        )

    record(_check(standard, True))
    session.commit()
    assert session.scalar(select(func.count(Nonconformity.id))) == 0
    flagged = record(_check(standard, False))
    session.commit()
    case = session.scalar(select(Nonconformity))
    assert (case.source, case.source_ref, case.raised_on) == (
        "intermediate_check",
        f"intermediate_check:{flagged.id}",
        date(2026, 4, 2),
    )
    assert "C-9" in case.title


def test_intermediate_checks_evidence_the_validity_of_results(session):
    from lims.quality.catalogue import seed_iso17025
    from lims.quality.evidence import catalogue_readiness

    iso = seed_iso17025(session, SYSTEM)
    standard = _standard(session)
    session.add(_check(standard, True, day=date(2026, 4, 2)))
    session.flush()
    row = next(r for r in catalogue_readiness(session, iso, date(2026, 5, 1)).rows if r.requirement.code == "7.7")
    assert row.status == "present" and any("Kiểm tra giữa kỳ: 1" in item.label for item in row.items)
    row = next(r for r in catalogue_readiness(session, iso, date(2027, 6, 1)).rows if r.requirement.code == "7.7")
    assert row.status == "stale"


# Risks and opportunities (17025 8.5) -------------------------------------------------------------------------------
def _risk(session, title="Chuẩn quá hạn do chậm gửi", likelihood=3, impact=4, owner_id=None):
    return services.record_risk(
        session,
        SYSTEM,
        kind="risk",
        title=title,
        clause="6.4",
        likelihood=likelihood,
        impact=impact,
        treatment="Nhắc hạn 60 ngày trước",
        owner_id=owner_id,
        review_on=date(2026, 6, 1),
    )


def _events(session, entity, entity_id):
    query = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == str(entity_id))
        .order_by(AuditEvent.seq)
    )
    return session.scalars(query).all()


def test_a_risk_is_reassessed_reviewed_and_closed_and_every_change_is_audited_with_its_reason(session, make_user):
    manager, technician = make_user("manager"), make_user("technician")
    risk = _risk(session, owner_id=manager.id)
    session.commit()
    services.update_risk(
        session,
        manager,
        risk,
        likelihood=4,
        impact=4,
        treatment="Nhắc hạn 90 ngày trước; hợp đồng hiệu chuẩn cả năm",
        owner_id=technician.id,
        review_on=date(2026, 5, 1),
        reason="Hai chuẩn quá hạn trong quý",
    )
    review = services.review_risk(
        session,
        manager,
        risk,
        reviewed_on=date(2026, 5, 2),
        likelihood=2,
        impact=4,
        note="Hợp đồng đã ký; không chuẩn nào quá hạn",
        next_review_on=date(2026, 11, 2),
    )
    services.close_risk(
        session,
        manager,
        risk,
        closed_on=date(2026, 11, 5),
        reason="Nhắc hạn tự động đã vận hành ổn định",
        effectiveness="Sáu tháng không chuẩn nào quá hạn",
        effective=True,
    )
    session.commit()
    assert (risk.likelihood, risk.impact, risk.owner_id, risk.review_on) == (2, 4, technician.id, date(2026, 11, 2))
    assert (risk.closed, risk.closed_on, risk.closed_by_id, risk.effective) == (
        True,
        date(2026, 11, 5),
        manager.id,
        True,
    )
    assert [r.id for r in risk.reviews] == [review.id] and review.reviewed_by_id == manager.id
    events = _events(session, "risk", risk.id)
    assert [e.action for e in events] == ["insert", "update", "update", "update"]
    reassessed, reviewed, closed = (json.loads(e.payload)["changes"] for e in events[1:])
    assert reassessed["likelihood"] == [3, 4] and reassessed["owner_id"] == [manager.id, technician.id]
    assert reviewed["likelihood"] == [4, 2]
    assert closed["closed"] == [False, True] and closed["effectiveness"][1] == "Sáu tháng không chuẩn nào quá hạn"
    assert "Hai chuẩn quá hạn trong quý" in events[1].reason
    assert "xem xét định kỳ 02/05/2026" in events[2].reason
    assert "Nhắc hạn tự động đã vận hành ổn định" in events[3].reason
    assert [e.action for e in _events(session, "risk_review", review.id)] == ["insert"]


def test_a_closed_risk_can_be_neither_changed_nor_reviewed_nor_closed_again(session, make_user):
    manager = make_user("manager")
    risk = _risk(session)
    services.close_risk(
        session, manager, risk, closed_on=date(2026, 5, 1), reason="Không còn", effectiveness="—", effective=False
    )
    with pytest.raises(RuleViolation):
        services.update_risk(
            session, manager, risk, likelihood=1, impact=1, treatment=None, owner_id=None, review_on=None, reason="x"
        )
    with pytest.raises(RuleViolation):
        services.review_risk(
            session, manager, risk, reviewed_on=date(2026, 6, 1), likelihood=1, impact=1, note="x", next_review_on=None
        )
    with pytest.raises(RuleViolation):
        services.close_risk(
            session, manager, risk, closed_on=date(2026, 6, 1), reason="x", effectiveness="x", effective=True
        )
    assert session.scalar(select(func.count(Risk.id))) == 1  # closed, never deleted


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"effectiveness": ""}, "effectiveness"),
        ({"closed_on": date(2026, 4, 30)}, "closed_on"),  # before the last review
    ],
)
def test_closing_a_risk_needs_a_reason_and_the_evaluated_effectiveness_of_its_actions(
    session, make_user, changes, field
):
    manager = make_user("manager")
    risk = _risk(session)
    services.review_risk(
        session, manager, risk, reviewed_on=date(2026, 5, 1), likelihood=2, impact=2, note="Ổn", next_review_on=None
    )
    arguments = {"closed_on": date(2026, 6, 1), "reason": "Đã xử lý", "effectiveness": "Có hiệu lực", "effective": True}
    with pytest.raises(RuleViolation) as error:
        services.close_risk(session, manager, risk, **(arguments | changes))
    assert error.value.field == field
    assert not risk.closed


def test_risk_scores_owners_and_review_dates_are_checked(session, make_user):
    manager, enterprise = make_user("manager"), make_user("enterprise")
    risk = _risk(session)
    base = {"likelihood": 3, "impact": 4, "treatment": None, "owner_id": None, "review_on": None, "reason": "Sửa"}
    for changes, field in (
        ({"likelihood": 6}, "likelihood"),
        ({"impact": 0}, "impact"),
        ({"owner_id": enterprise.id}, "owner_id"),
        ({"reason": ""}, "reason"),
    ):
        with pytest.raises(RuleViolation) as error:
            services.update_risk(session, manager, risk, **(base | changes))
        assert error.value.field == field
    with pytest.raises(RuleViolation) as error:
        services.review_risk(
            session,
            manager,
            risk,
            reviewed_on=date(2026, 5, 1),
            likelihood=2,
            impact=2,
            note="Ổn",
            next_review_on=date(2026, 5, 1),
        )
    assert error.value.field == "next_review_on"
    assert session.scalar(select(func.count(RiskReview.id))) == 0


@pytest.mark.parametrize("role", ["technician", "signatory", "inspector"])
def test_only_a_manager_changes_reviews_or_closes_a_risk(session, make_user, role):
    person = make_user(role)
    risk = _risk(session)
    with pytest.raises(PermissionDenied):
        services.update_risk(
            session, person, risk, likelihood=1, impact=1, treatment=None, owner_id=None, review_on=None, reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.review_risk(
            session, person, risk, reviewed_on=date(2026, 5, 1), likelihood=1, impact=1, note="x", next_review_on=None
        )
    with pytest.raises(PermissionDenied):
        services.close_risk(
            session, person, risk, closed_on=date(2026, 5, 1), reason="x", effectiveness="x", effective=True
        )


def test_closed_risks_stay_listed_and_the_list_filters_open_and_closed(client, login, session):
    manager = login("manager")
    for title in ("Mất dữ liệu đo", "Nhiệt độ phòng cân dao động"):
        response = client.post(
            "/quality/risks", data={"kind": "risk", "title": title, "likelihood": "3", "impact": "4"}
        )
        assert response.status_code == 302
    closing = session.scalar(select(Risk).where(Risk.title == "Nhiệt độ phòng cân dao động"))
    response = client.post(
        f"/quality/risks/{closing.id}/review",
        data={"review-reviewed_on": "2026-05-02", "review-likelihood": "2", "review-impact": "4", "review-note": "Ổn"},
    )
    assert response.status_code == 302
    response = client.post(
        f"/quality/risks/{closing.id}/close",
        data={
            "close-closed_on": "2026-06-01",
            "close-reason": "Đã thay điều hòa",
            "close-effectiveness": "Ba tháng ổn định",
            "close-effective": "y",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    assert closing.closed and closing.closed_by_id == manager.id and closing.effective
    everything = client.get("/quality/risks").get_data(as_text=True)
    assert "Mất dữ liệu đo" in everything and "Nhiệt độ phòng cân dao động" in everything
    closed = client.get("/quality/risks?status=closed").get_data(as_text=True)
    assert "Nhiệt độ phòng cân dao động" in closed and "Mất dữ liệu đo" not in closed
    still_open = client.get("/quality/risks?status=open").get_data(as_text=True)
    assert "Mất dữ liệu đo" in still_open and "Nhiệt độ phòng cân dao động" not in still_open
    page = client.get(f"/quality/risks/{closing.id}").get_data(as_text=True)
    assert 'data-testid="risk-closed"' in page and "Ba tháng ổn định" in page and "risk-edit-form" not in page


def test_the_risk_page_edits_the_assessment_and_a_refused_edit_names_the_field(client, login, session):
    manager = login("manager")
    risk = _risk(session)
    session.commit()
    page = client.get(f"/quality/risks/{risk.id}").get_data(as_text=True)
    assert "risk-edit-form" in page and "risk-review-form" in page and "risk-close-form" in page
    data = {"likelihood": "5", "impact": "4", "treatment": "Sao lưu ra ngoài", "owner_id": str(manager.id)}
    refused = client.post(f"/quality/risks/{risk.id}/edit", data=data, headers={"Accept": "application/json"})
    assert refused.status_code == 422 and refused.get_json()["field"] == "reason"
    response = client.post(f"/quality/risks/{risk.id}/edit", data=data | {"reason": "Sự cố ổ đĩa tháng 4"})
    assert response.status_code == 302
    session.expire_all()
    assert (risk.likelihood, risk.treatment, risk.owner_id) == (5, "Sao lưu ra ngoài", manager.id)
    assert "Sự cố ổ đĩa tháng 4" in _events(session, "risk", risk.id)[-1].reason


# Controlled documents: withdrawal (17025 8.3.2 f) ------------------------------------------------------------------
PDF = b"%PDF-1.4 controlled document "


def _document_with_pending_version(session, make_user):
    uploader, manager = make_user("technician"), make_user("manager")
    document = services.create_document(session, SYSTEM, code="QT-05", title="Quy trình cũ", kind="procedure")
    first = services.add_document_version(
        session,
        uploader,
        document,
        store_bytes(PDF + b"v1"),
        file_name="QT-05.pdf",
        review_due_on=date(2027, 1, 1),
        change_note=None,
    )
    services.approve_document_version(session, manager, first, date(2026, 1, 5))
    pending = services.add_document_version(
        session,
        uploader,
        document,
        store_bytes(PDF + b"v2"),
        file_name="QT-05-v2.pdf",
        review_due_on=date(2027, 6, 1),
        change_note="Sửa mục 4",
    )
    session.commit()
    return document, first, pending, uploader, manager


def test_a_withdrawn_document_refuses_a_new_version_and_approval(session, make_user):
    document, first, pending, uploader, manager = _document_with_pending_version(session, make_user)
    with pytest.raises(PermissionDenied):
        services.withdraw_document(session, uploader, document, withdrawn_on=date(2026, 5, 1), reason="Thay thế")
    with pytest.raises(RuleViolation) as error:
        services.withdraw_document(session, manager, document, withdrawn_on=date(2026, 5, 1), reason=" ")
    assert error.value.field == "reason"
    services.withdraw_document(session, manager, document, withdrawn_on=date(2026, 5, 1), reason="Thay bằng QT-12")
    session.commit()
    assert (document.withdrawn, document.withdrawn_on, document.withdrawn_by_id) == (True, date(2026, 5, 1), manager.id)
    with pytest.raises(RuleViolation):
        services.approve_document_version(session, manager, pending, date(2026, 5, 2))
    with pytest.raises(RuleViolation):
        services.add_document_version(
            session,
            uploader,
            document,
            store_bytes(PDF + b"v3"),
            file_name="QT-05-v3.pdf",
            review_due_on=date(2027, 6, 1),
            change_note=None,
        )
    with pytest.raises(RuleViolation):
        services.withdraw_document(session, manager, document, withdrawn_on=date(2026, 5, 3), reason="Lần nữa")
    assert pending.approved_at is None and [v.number for v in document.versions] == [1, 2]
    event = _events(session, "controlled_document", document.id)[-1]
    assert json.loads(event.payload)["changes"]["withdrawn"] == [False, True] and "Thay bằng QT-12" in event.reason


def test_a_withdrawn_document_is_no_evidence_and_cannot_be_linked(session, make_user):
    from lims.quality.catalogue import seed_iso17025
    from lims.quality.evidence import catalogue_readiness

    iso = seed_iso17025(session, SYSTEM)
    clauses = {r.code: r for r in iso.requirements}
    document, _first, _pending, _uploader, manager = _document_with_pending_version(session, make_user)
    services.link_evidence(session, manager, clauses["7.2"], document, None)
    services.withdraw_document(session, manager, document, withdrawn_on=date(2026, 5, 1), reason="Thay thế")
    row = next(r for r in catalogue_readiness(session, iso, date(2026, 6, 1)).rows if r.requirement.code == "7.2")
    assert row.status == "missing" and "đã thu hồi" in row.items[0].detail
    with pytest.raises(RuleViolation):
        services.link_evidence(session, manager, clauses["7.3"], document, None)


def test_a_withdrawn_document_stays_listed_marked_obsolete_with_its_versions_readable(
    client, login, session, make_user
):
    document, first, pending, _uploader, _manager = _document_with_pending_version(session, make_user)
    login("manager")
    page = client.get(f"/quality/documents/{document.id}").get_data(as_text=True)
    assert "withdraw-form" in page and "document-obsolete" not in page
    response = client.post(
        f"/quality/documents/{document.id}/withdraw", data={"withdrawn_on": "2026-05-01", "reason": "Thay bằng QT-12"}
    )
    assert response.status_code == 302
    page = client.get(f"/quality/documents/{document.id}").get_data(as_text=True)
    assert 'data-testid="document-obsolete"' in page and "Thay bằng QT-12" in page
    assert "withdraw-form" not in page and "version-form" not in page and "version_approve" not in page
    listing = client.get("/quality/documents").get_data(as_text=True)
    assert 'data-document="QT-05"' in listing and 'data-status="obsolete"' in listing
    copy = client.get(f"/quality/versions/{first.id}/file")
    assert (
        copy.status_code == 200 and copy.data.startswith(b"%PDF") and "obsolete" in copy.headers["Content-Disposition"]
    )
    refused = client.post(
        f"/quality/versions/{pending.id}/approve",
        data={"effective_on": "2026-05-02"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 422 and "thu hồi" in refused.get_json()["error"]
    session.expire_all()
    assert pending.approved_at is None
    assert session.scalar(select(func.count(ControlledDocument.id))) == 1


@pytest.mark.parametrize("role", ["technician", "signatory", "enterprise", "inspector"])
def test_the_new_quality_write_routes_refuse_everyone_but_managers(client, login, session, role, make_user):
    risk = _risk(session)
    document = services.create_document(session, SYSTEM, code="QT-01", title="Quy trình", kind="procedure")
    session.commit()
    login(role)
    for path, data in (
        (f"/quality/risks/{risk.id}/edit", {"likelihood": "1", "impact": "1", "reason": "x"}),
        (f"/quality/risks/{risk.id}/review", {"review-reviewed_on": "2026-05-01", "review-note": "x"}),
        (f"/quality/risks/{risk.id}/close", {"close-closed_on": "2026-05-01", "close-reason": "x"}),
        (f"/quality/documents/{document.id}/withdraw", {"withdrawn_on": "2026-05-01", "reason": "x"}),
        ("/quality/settings", {"chain_check_days": "10"}),
    ):
        assert client.post(path, data=data).status_code == 403, path
    session.expire_all()
    assert not risk.closed and not document.withdrawn and risk.likelihood == 3
