"""Readiness per requirement: evidence present, stale (past review, overdue standard) or missing."""

from datetime import date, timedelta

import pytest

from lims.core.files import store_bytes
from lims.quality import services
from lims.quality.catalogue import seed_iso17025
from lims.quality.evidence import EvidenceItem, catalogue_readiness, combine

TODAY = date(2026, 6, 1)
PDF = b"%PDF-1.4 controlled document"


def _row(result, code):
    return next(row for row in result.rows if row.requirement.code == code)


def _approved_document(session, make_user, code, review_due_on):
    uploader, approver = make_user("technician"), make_user("manager")
    document = services.create_document(session, code=code, title=f"Tài liệu {code}", kind="procedure")
    version = services.add_document_version(
        session,
        document,
        store_bytes(PDF + code.encode()),
        file_name=f"{code}.pdf",
        review_due_on=review_due_on,
        change_note=None,
        user=uploader,
    )
    services.approve_document_version(session, version, approver, TODAY - timedelta(days=30))
    return document, approver


def test_a_requirement_with_nothing_linked_or_recorded_is_missing(session):
    result = catalogue_readiness(session, seed_iso17025(session), TODAY)
    assert _row(result, "7.3").status == "missing"
    assert _row(result, "7.3").items == ()


def test_a_linked_document_within_its_review_date_is_present_and_past_it_is_stale(session, make_user):
    iso = seed_iso17025(session)
    clauses = {r.code: r for r in iso.requirements}
    current, manager = _approved_document(session, make_user, "QT-01", TODAY + timedelta(days=10))
    overdue, _ = _approved_document(session, make_user, "QT-02", TODAY - timedelta(days=1))
    services.link_evidence(session, clauses["7.2"], current, None, manager)
    services.link_evidence(session, clauses["7.5"], current, None, manager)
    services.link_evidence(session, clauses["7.5"], overdue, None, manager)
    result = catalogue_readiness(session, iso, TODAY)
    assert _row(result, "7.2").status == "present"
    assert _row(result, "7.5").status == "stale"  # one stale piece makes the clause stale
    assert _row(result, "7.3").status == "missing"


def test_an_unapproved_document_is_not_evidence(session, make_user):
    iso = seed_iso17025(session)
    uploader, manager = make_user("technician"), make_user("manager")
    document = services.create_document(session, code="QT-09", title="Chưa duyệt", kind="procedure")
    services.add_document_version(
        session,
        document,
        store_bytes(PDF + b"9"),
        file_name="x.pdf",
        review_due_on=TODAY,
        change_note=None,
        user=uploader,
    )
    services.link_evidence(session, next(r for r in iso.requirements if r.code == "7.2"), document, None, manager)
    assert _row(catalogue_readiness(session, iso, TODAY), "7.2").status == "missing"


def test_the_uploader_cannot_approve_their_own_version(session, make_user):
    uploader = make_user("manager")
    document = services.create_document(session, code="QT-10", title="Tự duyệt", kind="procedure")
    version = services.add_document_version(
        session,
        document,
        store_bytes(PDF + b"10"),
        file_name="x.pdf",
        review_due_on=TODAY,
        change_note=None,
        user=uploader,
    )
    with pytest.raises(services.RuleViolation):
        services.approve_document_version(session, version, uploader, TODAY)


def test_an_overdue_standard_makes_equipment_and_traceability_stale(session):
    from lims.standards.models import Standard, StandardCalibration

    iso = seed_iso17025(session)
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
    iso = seed_iso17025(session)
    assert _row(catalogue_readiness(session, iso, TODAY), "7.11").status == "missing"
    check = services.record_chain_check(session)
    assert check.ok
    today = check.checked_at.date()
    assert _row(catalogue_readiness(session, iso, today), "7.11").status == "present"
    assert _row(catalogue_readiness(session, iso, today + timedelta(days=60)), "7.11").status == "stale"


def test_the_overall_figure_counts_clauses_not_section_headings(session, make_user):
    iso = seed_iso17025(session)
    clauses = {r.code: r for r in iso.requirements}
    document, manager = _approved_document(session, make_user, "ST-01", TODAY + timedelta(days=100))
    for code in ("4.1", "4.2"):
        services.link_evidence(session, clauses[code], document, None, manager)
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
