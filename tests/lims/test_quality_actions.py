"""Proficiency results with En, nonconformities raised by the system and by hand, and their closure."""

from datetime import date

import pytest
from sqlalchemy import func, select

from lims.audit.models import AuditEvent
from lims.core.errors import RuleViolation
from lims.quality import services
from lims.quality.automation import sweep_system_nonconformities
from lims.quality.models import Nonconformity


def _round(session):
    return services.create_proficiency_round(
        session,
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
    assert sweep_system_nonconformities(session) == []  # already raised: the sweep adds nothing


def test_impossible_uncertainties_are_refused_with_the_field_named(session):
    with pytest.raises(RuleViolation) as error:
        services.record_proficiency_result(
            session,
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


def test_a_standard_taken_out_of_service_opens_a_nonconformity_in_the_same_transaction(session):
    from lims.standards.models import StandardStatusChange

    standard = _standard(session)
    change = StandardStatusChange(
        standard_id=standard.id, from_status="in_service", to_status="quarantined", reason="Rơi vỡ đĩa cân"
    )
    session.add(change)
    session.commit()
    case = session.scalar(select(Nonconformity).where(Nonconformity.source == "standard_failure"))
    assert case is not None and case.source_ref == f"standard_status_change:{change.id}"
    assert "C-9" in case.title and "Rơi vỡ" in case.description
    assert session.scalar(select(func.count(AuditEvent.seq)).where(AuditEvent.entity == "nonconformity")) == 1


def test_the_sweep_raises_for_records_written_before_the_quality_module_saw_them(session):
    from lims.standards.models import StandardStatusChange

    standard = _standard(session)
    session.add(StandardStatusChange(standard_id=standard.id, to_status="quarantined", reason="Cũ"))
    session.commit()
    # Simulate a record from before the hook existed: its nonconformity is not there.
    session.delete(session.scalar(select(Nonconformity)))
    session.commit()
    opened = sweep_system_nonconformities(session)
    assert [case.source for case in opened] == ["standard_failure"]
    assert sweep_system_nonconformities(session) == []


def test_an_intermediate_check_is_out_of_limits_exactly_when_the_standards_module_flagged_it():
    from lims.quality.automation import check_is_out_of_limits
    from lims.standards.models import IntermediateCheck

    assert check_is_out_of_limits(IntermediateCheck(within_limits=False))
    assert not check_is_out_of_limits(IntermediateCheck(within_limits=True))


def test_a_nonconformity_closes_only_after_its_actions_are_done_and_found_effective(session, make_user):
    manager, technician = make_user("manager"), make_user("technician")
    case = services.raise_nonconformity(
        session,
        kind="nonconformity",
        title="Nhiệt độ vượt",
        description="26 °C",
        raised_on=date(2026, 5, 4),
        clause="6.3",
    )
    services.plan_corrective_action(
        session,
        case,
        root_cause="Điều hòa hỏng",
        owner_id=technician.id,
        due_on=date(2026, 5, 30),
        actions=["Sửa điều hòa", "Lắp cảnh báo nhiệt độ"],
    )
    with pytest.raises(RuleViolation):
        services.review_effectiveness(
            session, case, effective=True, review="?", reviewed_on=date(2026, 6, 1), user=manager
        )
    for action in case.actions:
        services.complete_action(session, action, date(2026, 5, 20), None)
    assert case.status == "review"
    services.review_effectiveness(
        session, case, effective=False, review="Vẫn vượt", reviewed_on=date(2026, 6, 1), user=manager
    )
    assert case.status == "action"
    services.plan_corrective_action(
        session,
        case,
        root_cause="Công suất thiếu",
        owner_id=technician.id,
        due_on=date(2026, 6, 30),
        actions=["Thay máy lớn hơn"],
    )
    services.complete_action(session, case.actions[-1], date(2026, 6, 20), "Đã thay")
    services.review_effectiveness(
        session, case, effective=True, review="Ổn định 30 ngày", reviewed_on=date(2026, 7, 20), user=manager
    )
    assert (case.status, case.closed_on, case.closed_by_id) == ("closed", date(2026, 7, 20), manager.id)


def test_people_attending_twice_count_once(session, make_user, make_organisation):
    staff = make_user("technician")
    enterprise = make_organisation("Công ty A")
    first = services.create_training_event(session, title="Khóa 1", held_on=date(2025, 3, 1))
    second = services.create_training_event(session, title="Khóa 2", held_on=date(2025, 9, 1))
    for event in (first, second):
        services.add_attendee(session, event, user_id=staff.id, category="lab")
        services.add_attendee(session, event, full_name="Nguyễn Văn A", organisation_id=enterprise.id)
    # The same person typed differently (spacing, case, no accents) in a third event.
    third = services.create_training_event(session, title="Khóa 3", held_on=date(2025, 11, 1))
    services.add_attendee(session, third, full_name="nguyen  van a", organisation_name="CÔNG TY A")
    services.add_attendee(session, third, full_name="Trần Thị B", organisation_name="UBND huyện", category="agency")
    assert services.people_trained(session, date(2025, 1, 1), date(2025, 12, 31)) == 3
    assert services.people_trained(session, date(2025, 1, 1), date(2025, 6, 30)) == 2
    with pytest.raises(RuleViolation):
        services.add_attendee(session, first, user_id=staff.id, category="lab")


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


def test_an_intermediate_check_out_of_limits_opens_a_nonconformity_and_one_within_does_not(session):
    standard = _standard(session)
    session.add(_check(standard, True))
    session.commit()
    assert session.scalar(select(func.count(Nonconformity.id))) == 0
    flagged = _check(standard, False)
    session.add(flagged)
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

    iso = seed_iso17025(session)
    standard = _standard(session)
    session.add(_check(standard, True, day=date(2026, 4, 2)))
    session.flush()
    row = next(r for r in catalogue_readiness(session, iso, date(2026, 5, 1)).rows if r.requirement.code == "7.7")
    assert row.status == "present" and any("intermediate checks: 1" in item.label for item in row.items)
    row = next(r for r in catalogue_readiness(session, iso, date(2027, 6, 1)).rows if r.requirement.code == "7.7")
    assert row.status == "stale"
