"""Readiness per requirement: evidence present, stale (past review, overdue standard) or missing."""

from datetime import date, timedelta

import pytest

from lims.auth.permissions import SYSTEM
from lims.core.errors import PermissionDenied
from lims.core.files import store_bytes
from lims.quality import services
from lims.quality.catalogue import seed_iso17025
from lims.quality.evidence import (
    DEFAULT_LIMITS,
    FRESHNESS_SETTINGS,
    EvidenceItem,
    FreshnessLimits,
    catalogue_readiness,
    combine,
    freshness_limits,
)

TODAY = date(2026, 6, 1)
PDF = b"%PDF-1.4 controlled document"


def _row(result, code):
    return next(row for row in result.rows if row.requirement.code == code)


def _approved_document(session, make_user, code, review_due_on):
    uploader, approver = make_user("technician"), make_user("manager")
    document = services.create_document(session, SYSTEM, code=code, title=f"Tài liệu {code}", kind="procedure")
    version = services.add_document_version(
        session,
        uploader,
        document,
        store_bytes(PDF + code.encode()),
        file_name=f"{code}.pdf",
        review_due_on=review_due_on,
        change_note=None,
    )
    services.approve_document_version(session, approver, version, TODAY - timedelta(days=30))
    return document, approver


def test_a_requirement_with_nothing_linked_or_recorded_is_missing(session):
    result = catalogue_readiness(session, seed_iso17025(session, SYSTEM), TODAY)
    assert _row(result, "7.3").status == "missing"
    assert _row(result, "7.3").items == ()


def test_a_linked_document_within_its_review_date_is_present_and_past_it_is_stale(session, make_user):
    iso = seed_iso17025(session, SYSTEM)
    clauses = {r.code: r for r in iso.requirements}
    current, manager = _approved_document(session, make_user, "QT-01", TODAY + timedelta(days=10))
    overdue, _ = _approved_document(session, make_user, "QT-02", TODAY - timedelta(days=1))
    services.link_evidence(session, manager, clauses["7.2"], current, None)
    services.link_evidence(session, manager, clauses["7.5"], current, None)
    services.link_evidence(session, manager, clauses["7.5"], overdue, None)
    result = catalogue_readiness(session, iso, TODAY)
    assert _row(result, "7.2").status == "present"
    assert _row(result, "7.5").status == "stale"  # one stale piece makes the clause stale
    assert _row(result, "7.3").status == "missing"


def test_an_unapproved_document_is_not_evidence(session, make_user):
    iso = seed_iso17025(session, SYSTEM)
    uploader, manager = make_user("technician"), make_user("manager")
    document = services.create_document(session, SYSTEM, code="QT-09", title="Chưa duyệt", kind="procedure")
    services.add_document_version(
        session, uploader, document, store_bytes(PDF + b"9"), file_name="x.pdf", review_due_on=TODAY, change_note=None
    )
    services.link_evidence(session, manager, next(r for r in iso.requirements if r.code == "7.2"), document, None)
    assert _row(catalogue_readiness(session, iso, TODAY), "7.2").status == "missing"


def test_the_uploader_cannot_approve_their_own_version(session, make_user):
    uploader = make_user("manager")
    document = services.create_document(session, SYSTEM, code="QT-10", title="Tự duyệt", kind="procedure")
    version = services.add_document_version(
        session, uploader, document, store_bytes(PDF + b"10"), file_name="x.pdf", review_due_on=TODAY, change_note=None
    )
    with pytest.raises(services.RuleViolation):
        services.approve_document_version(session, uploader, version, TODAY)


def test_an_overdue_standard_makes_equipment_and_traceability_stale(session):
    from lims.standards.models import Standard, StandardCalibration

    iso = seed_iso17025(session, SYSTEM)
    good = Standard(
        code="C-01", name="Bộ quả cân F1", kind="weight_set", level="reference", due_on=TODAY + timedelta(days=90)
    )
    good.calibrations.append(
        StandardCalibration(
            certificate_number="V01",
            calibrating_lab="VMI",
            calibrated_on=TODAY - timedelta(days=200),
            due_on=TODAY + timedelta(days=90),
        )
    )
    session.add(good)
    session.flush()
    result = catalogue_readiness(session, iso, TODAY)
    assert _row(result, "6.4").status == "present"
    assert _row(result, "6.5").status == "present"
    session.add(Standard(code="C-02", name="Cân so sánh", kind="comparator", due_on=TODAY - timedelta(days=1)))
    session.flush()
    result = catalogue_readiness(session, iso, TODAY)
    assert _row(result, "6.4").status == "stale"
    assert _row(result, "6.5").status == "stale"
    assert "C-02" in _row(result, "6.4").items[0].detail


def test_data_integrity_rests_on_the_last_recorded_chain_verification(session):
    iso = seed_iso17025(session, SYSTEM)
    assert _row(catalogue_readiness(session, iso, TODAY), "7.11").status == "missing"
    check = services.record_chain_check(session, SYSTEM)
    assert check.ok
    today = check.checked_at.date()
    assert _row(catalogue_readiness(session, iso, today), "7.11").status == "present"
    assert _row(catalogue_readiness(session, iso, today + timedelta(days=60)), "7.11").status == "stale"


def test_the_overall_figure_counts_clauses_not_section_headings(session, make_user):
    iso = seed_iso17025(session, SYSTEM)
    clauses = {r.code: r for r in iso.requirements}
    document, manager = _approved_document(session, make_user, "ST-01", TODAY + timedelta(days=100))
    for code in ("4.1", "4.2"):
        services.link_evidence(session, manager, clauses[code], document, None)
    result = catalogue_readiness(session, iso, TODAY)
    headings = {row.requirement.code for row in result.rows if row.heading}
    assert headings == {"4", "6", "7", "8"}  # clause 5 has no sub-clauses: it is assessed itself
    assert result.assessed == len(iso.requirements) - 4
    # 4.1 and 4.2 by the linked manual, 8.3 (control of documents) by the document register itself.
    assert {row.requirement.code for row in result.rows if row.status == "present" and not row.heading} == {
        "4.1",
        "4.2",
        "8.3",
    }
    assert result.counts["present"] == 3
    assert result.percent == round(100 * 3 / result.assessed, 1)
    assert _row(result, "4").status == "present"
    assert _row(result, "7").status == "missing"


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [((), "missing"), (("missing",), "missing"), (("present", "missing"), "present"), (("present", "stale"), "stale")],
)
def test_a_requirement_state_combines_its_evidence(statuses, expected):
    assert combine([EvidenceItem("x", "x", status) for status in statuses]) == expected


# Freshness limits are lab settings -------------------------------------------------------------------------------
def test_the_freshness_limits_default_to_the_intervals_used_before_they_were_settings(session):
    former = FreshnessLimits(
        chain_check_days=31, intermediate_check_days=366, proficiency_days=4 * 366, audit_days=366, review_days=366
    )
    assert former == DEFAULT_LIMITS
    assert freshness_limits(session) == former


def test_a_ten_day_chain_check_limit_makes_an_eleven_day_old_check_stale(session, make_user):
    iso = seed_iso17025(session, SYSTEM)
    manager = make_user("manager")
    check = services.record_chain_check(session, SYSTEM)
    day = check.checked_at.date() + timedelta(days=11)
    assert _row(catalogue_readiness(session, iso, day), "7.11").status == "present"  # 31 days by default
    limits = services.set_freshness_limits(session, manager, {"chain_check_days": 10}, reason="Kiểm tra hằng tuần")
    assert limits.chain_check_days == 10 and limits.audit_days == 366  # the others keep their values
    assert _row(catalogue_readiness(session, iso, day), "7.11").status == "stale"
    services.set_freshness_limits(session, manager, {"chain_check_days": 11})
    assert _row(catalogue_readiness(session, iso, day), "7.11").status == "present"  # 11 days old, limit 11


def test_the_audit_and_review_limits_are_read_from_the_settings(session, make_user):
    iso = seed_iso17025(session, SYSTEM)
    manager = make_user("manager")
    audit = services.plan_internal_audit(
        session,
        SYSTEM,
        title="Đánh giá nội bộ 2026",
        scope="Toàn bộ",
        auditors="A",
        planned_on=TODAY - timedelta(days=41),
    )
    services.record_audit_held(session, SYSTEM, audit, held_on=TODAY - timedelta(days=40), summary="Đạt")
    services.record_management_review(
        session,
        SYSTEM,
        held_on=TODAY - timedelta(days=40),
        chaired_by="Giám đốc",
        attendees=None,
        inputs="Kết quả đánh giá nội bộ",
        decisions="Duy trì",
        next_review_on=None,
    )
    result = catalogue_readiness(session, iso, TODAY)
    assert (_row(result, "8.8").status, _row(result, "8.9").status) == ("present", "present")
    services.set_freshness_limits(session, manager, {"audit_days": 30, "review_days": 30})
    result = catalogue_readiness(session, iso, TODAY)
    assert (_row(result, "8.8").status, _row(result, "8.9").status) == ("stale", "stale")


def _form(**changes):
    data = {setting.name: str(setting.default) for setting in FRESHNESS_SETTINGS}
    return data | changes


def test_a_manager_saves_the_limits_on_the_settings_page_and_the_change_is_audited(client, login, session):
    from sqlalchemy import select

    from lims.audit.models import AuditEvent
    from lims.customers.models import LabSetting

    login("manager")
    page = client.get("/quality/settings").get_data(as_text=True)
    assert 'data-setting="chain_check_days">31<' in page and "freshness-form" in page
    response = client.post("/quality/settings", data=_form(chain_check_days="10", reason="Kiểm tra hằng tuần"))
    assert response.status_code == 302
    assert freshness_limits(session).chain_check_days == 10
    stored = session.scalars(select(LabSetting)).all()
    assert [(row.key, row.value) for row in stored] == [("quality.chain_check_max_days", "10")]  # only what changed
    event = session.scalar(select(AuditEvent).where(AuditEvent.entity == "lab_setting"))
    assert event.entity_id == "quality.chain_check_max_days" and event.reason == "Kiểm tra hằng tuần"
    assert 'data-setting="chain_check_days">10<' in client.get("/quality/settings").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("chain_check_days", "0"),
        ("chain_check_days", "-3"),
        ("intermediate_check_days", "abc"),
        ("proficiency_days", "1,5"),
        ("audit_days", "99999"),
        ("review_days", ""),
        ("chain_check_days", "400"),  # a chain check "current" for more than a year is absurd
    ],
)
def test_a_bad_limit_is_refused_naming_its_field_and_nothing_changes(client, login, session, field, typed):
    from sqlalchemy import func, select

    from lims.customers.models import LabSetting

    login("manager")
    # Another field changes too: the refusal must not half-save it.
    other = "review_days" if field == "audit_days" else "audit_days"
    response = client.post(
        "/quality/settings", data=_form(**{other: "200", field: typed}), headers={"Accept": "application/json"}
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["field"] == field
    label = next(s for s in FRESHNESS_SETTINGS if s.name == field).label_vi
    form_label = {
        "intermediate_check_days": "Kiểm tra giữa kỳ",
        "proficiency_days": "Thử nghiệm thành thạo",
        "review_days": "Xem xét của lãnh đạo",
    }.get(field, label)
    assert form_label in body["error"]
    assert session.scalar(select(func.count()).select_from(LabSetting)) == 0
    assert freshness_limits(session) == DEFAULT_LIMITS


def test_only_a_manager_changes_the_limits(session, make_user):
    for role in ("technician", "signatory", "inspector"):
        with pytest.raises(PermissionDenied):
            services.set_freshness_limits(session, make_user(role), {"chain_check_days": 10})
    assert freshness_limits(session) == DEFAULT_LIMITS


def test_a_risk_register_whose_risks_were_all_closed_lately_is_kept_not_missing(session, make_user):
    manager = make_user("manager")
    iso = seed_iso17025(session, SYSTEM)
    assert _row(catalogue_readiness(session, iso, TODAY), "8.5").status == "missing"
    risk = services.record_risk(
        session,
        SYSTEM,
        kind="risk",
        title="Chuẩn quá hạn",
        clause="6.4",
        likelihood=3,
        impact=3,
        treatment="Nhắc hạn",
        owner_id=manager.id,
        review_on=TODAY + timedelta(days=30),
    )
    assert _row(catalogue_readiness(session, iso, TODAY), "8.5").status == "present"
    services.close_risk(
        session, manager, risk, closed_on=TODAY, reason="Đã xử lý", effectiveness="Không tái diễn", effective=True
    )
    session.flush()
    assert _row(catalogue_readiness(session, iso, TODAY), "8.5").status == "present"
    # a year and more without an open risk or a closed one: the register is no longer kept
    assert _row(catalogue_readiness(session, iso, TODAY + timedelta(days=400)), "8.5").status == "missing"
