"""The standards register's rules: due dates that bite, status history, certificates, uploads, checks, class."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from lims.core.dates import lab_today
from lims.core.errors import PermissionDenied, RuleViolation
from lims.core.files import read_bytes
from lims.standards import queries, services
from lims.standards.models import Standard, StandardStatusChange
from lims.standards.services import ItemInput, ValueInput

TODAY = date(2026, 11, 24)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture()
def manager(make_user):
    return make_user("manager")


@pytest.fixture()
def make_standard(session, manager):
    counter = iter(range(1, 1000))

    def make(due_on: date | None = None, items=(), **fields) -> Standard:
        fields.setdefault("code", f"CH-{next(counter):03d}")
        fields.setdefault("name", "Bộ quả cân M1")
        fields.setdefault("kind", "weight_set")
        standard = services.register_standard(session, manager, items=list(items), **fields)
        if due_on is not None:
            services.record_calibration(
                session,
                manager,
                standard,
                certificate_number=f"GCN-{standard.code}",
                calibrating_lab="Trung tâm Kỹ thuật TĐC 3 (QUATEST 3)",
                calibrated_on=due_on - timedelta(days=365),
                due_on=due_on,
                today=TODAY,
            )
        return standard

    return make


def test_a_standard_due_yesterday_is_refused_for_a_measurement_today(make_standard):
    standard = make_standard(due_on=TODAY - timedelta(days=1))
    with pytest.raises(RuleViolation) as refused:
        services.ensure_usable_on(standard, TODAY)
    assert refused.value.field == "standards"
    assert "quá hạn" in refused.value.message and "23/11/2026" in refused.value.message


def test_a_standard_due_tomorrow_or_today_is_accepted_today(make_standard):
    services.ensure_usable_on(make_standard(due_on=TODAY + timedelta(days=1)), TODAY)
    # The due date is the last day it may be used.
    services.ensure_usable_on(make_standard(due_on=TODAY), TODAY)


def test_a_never_calibrated_standard_is_refused(make_standard):
    with pytest.raises(RuleViolation):
        services.ensure_usable_on(make_standard(), TODAY)


def test_a_quarantined_standard_is_refused_even_in_date(session, manager, make_standard):
    standard = make_standard(due_on=TODAY + timedelta(days=200))
    services.change_status(session, manager, standard, "quarantined", "Quả cân bị rơi / a weight was dropped")
    with pytest.raises(RuleViolation) as refused:
        services.ensure_usable_on(standard, TODAY)
    assert refused.value.field == "standards" and "quarantined" in refused.value.message


def test_usable_standards_query_offers_only_in_service_in_date_ones(session, manager, make_standard):
    good = make_standard(due_on=TODAY + timedelta(days=3))
    make_standard(due_on=TODAY - timedelta(days=1))
    quarantined = make_standard(due_on=TODAY + timedelta(days=3))
    services.change_status(session, manager, quarantined, "quarantined", "kiểm tra ngoài giới hạn")
    assert session.scalars(queries.usable_standards_query(TODAY)).all() == [good]


def test_every_status_change_keeps_who_why_and_the_previous_status(session, manager, make_standard):
    standard = make_standard(due_on=TODAY + timedelta(days=30))
    services.change_status(session, manager, standard, "out_for_calibration", "Gửi VMI hiệu chuẩn")
    services.change_status(session, manager, standard, "in_service", "Đã nhận lại, giấy chứng nhận đạt")
    history = session.scalars(
        select(StandardStatusChange)
        .where(StandardStatusChange.standard_id == standard.id)
        .order_by(StandardStatusChange.id)
    ).all()
    assert [(c.from_status, c.to_status) for c in history] == [
        (None, "in_service"),
        ("in_service", "out_for_calibration"),
        ("out_for_calibration", "in_service"),
    ]
    assert history[1].reason == "Gửi VMI hiệu chuẩn" and history[1].changed_by_id == manager.id


def test_a_status_change_needs_a_reason_and_retirement_is_final(session, manager, make_standard):
    standard = make_standard()
    with pytest.raises(RuleViolation) as refused:
        services.change_status(session, manager, standard, "quarantined", "  ")
    assert refused.value.field == "reason"
    services.change_status(session, manager, standard, "retired", "Hỏng không sửa được")
    with pytest.raises(RuleViolation):
        services.change_status(session, manager, standard, "in_service", "dùng lại")


def test_technicians_and_inspectors_may_not_change_the_register(session, make_user, make_standard):
    standard = make_standard()
    for role in ("technician", "inspector", "signatory"):
        with pytest.raises(PermissionDenied):
            services.change_status(session, make_user(role), standard, "quarantined", "thử")


def test_a_new_certificate_never_overwrites_the_old_one_and_moves_the_due_date(session, manager, make_standard):
    standard = make_standard(calibration_interval_months=12)
    first = services.record_calibration(
        session, manager, standard, certificate_number="KL3-2025/100", calibrating_lab="QUATEST 3",
        calibrated_on=date(2025, 1, 31), today=TODAY,
    )  # fmt: skip
    assert first.due_on == date(2026, 1, 31) and standard.due_on == date(2026, 1, 31)
    second = services.record_calibration(
        session, manager, standard, certificate_number="KL3-2026/200", calibrating_lab="QUATEST 3",
        calibrated_on=date(2026, 1, 20), today=TODAY,
    )  # fmt: skip
    assert [c.certificate_number for c in standard.calibrations] == ["KL3-2025/100", "KL3-2026/200"]
    assert first.due_on == date(2026, 1, 31) and standard.due_on == second.due_on == date(2027, 1, 20)
    # An older certificate recorded late does not extend the due date.
    services.record_calibration(
        session, manager, standard, certificate_number="KL3-2024/050", calibrating_lab="QUATEST 3",
        calibrated_on=date(2024, 1, 10), today=TODAY,
    )  # fmt: skip
    assert standard.due_on == date(2027, 1, 20)
    with pytest.raises(RuleViolation) as refused:
        services.record_calibration(
            session, manager, standard, certificate_number="KL3-2026/200", calibrating_lab="QUATEST 3",
            calibrated_on=date(2026, 2, 1), today=TODAY,
        )  # fmt: skip
    assert refused.value.field == "certificate_number"


def test_a_calibration_in_the_future_or_due_before_it_was_made_is_refused(session, manager, make_standard):
    standard = make_standard()
    with pytest.raises(RuleViolation) as future:
        services.record_calibration(
            session, manager, standard, certificate_number="A", calibrating_lab="VMI",
            calibrated_on=TODAY + timedelta(days=1), today=TODAY,
        )  # fmt: skip
    assert future.value.field == "calibrated_on"
    with pytest.raises(RuleViolation) as backwards:
        services.record_calibration(
            session, manager, standard, certificate_number="B", calibrating_lab="VMI",
            calibrated_on=TODAY, due_on=TODAY - timedelta(days=1), today=TODAY,
        )  # fmt: skip
    assert backwards.value.field == "due_on"


def test_due_dates_add_whole_months_clamped_to_the_month_end():
    assert services.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert services.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert services.add_months(date(2025, 11, 15), 24) == date(2027, 11, 15)


def _upload(data: bytes, name: str = "giay-chung-nhan.pdf") -> FileStorage:
    return FileStorage(stream=io.BytesIO(data), filename=name, content_type="application/pdf")


def test_a_scanned_certificate_is_stored_by_its_sha256(session, manager, make_standard):
    standard = make_standard()
    calibration = services.record_calibration(
        session, manager, standard, certificate_number="V02-1", calibrating_lab="VMI", calibrated_on=TODAY,
        today=TODAY, document=_upload(PDF),
    )  # fmt: skip
    assert calibration.document_size == len(PDF) and calibration.document_name == "giay-chung-nhan.pdf"
    assert read_bytes(calibration.document_sha256) == PDF


def test_an_upload_that_is_not_a_pdf_is_refused(session, manager, make_standard):
    standard = make_standard()
    with pytest.raises(RuleViolation) as refused:
        services.record_calibration(
            session, manager, standard, certificate_number="V02-2", calibrating_lab="VMI", calibrated_on=TODAY,
            today=TODAY, document=_upload(b"\x89PNG\r\n\x1a\n....", "scan.pdf"),
        )  # fmt: skip
    assert refused.value.field == "document" and "PDF" in refused.value.message


def test_an_upload_over_the_size_limit_is_refused(session, manager, make_standard):
    standard = make_standard()
    with pytest.raises(RuleViolation) as refused:
        services.record_calibration(
            session, manager, standard, certificate_number="V02-3", calibrating_lab="VMI", calibrated_on=TODAY,
            today=TODAY, document=_upload(PDF + b"0" * 2048), max_document_bytes=1024,
        )  # fmt: skip
    assert refused.value.field == "document"


def test_a_check_outside_its_limits_is_flagged_and_listed_for_the_quality_module(session, make_user, make_standard):
    standard = make_standard(kind="comparator", name="Cân so sánh 20 kg")
    technician = make_user("technician")
    inside = services.record_intermediate_check(
        session, technician, standard, checked_on=TODAY, today=TODAY, description="Quả cân kiểm 10 kg",
        value=15.0, unit="mg", lower_limit=-15.0, upper_limit=15.0,
    )  # fmt: skip
    outside = services.record_intermediate_check(
        session, technician, standard, checked_on=TODAY, today=TODAY, description="Quả cân kiểm 10 kg",
        value=15.1, unit="mg", lower_limit=-15.0, upper_limit=15.0,
    )  # fmt: skip
    assert inside.within_limits is True and outside.within_limits is False
    assert session.scalars(queries.out_of_limit_checks()).all() == [outside]
    assert session.scalars(queries.out_of_limit_checks(since=TODAY + timedelta(days=1))).all() == []


def test_check_limits_must_be_in_order(session, manager, make_standard):
    with pytest.raises(RuleViolation) as refused:
        services.record_intermediate_check(
            session, manager, make_standard(), checked_on=TODAY, today=TODAY, description="x",
            value=0, unit="mg", lower_limit=5, upper_limit=-5,
        )  # fmt: skip
    assert refused.value.field == "upper_limit"


def test_the_usual_weight_set_has_the_1_2_2_5_composition():
    pieces = [i.nominal + (i.marking or "") for i in services.weight_set_composition("1 mg", "20 kg", "M1")]
    assert pieces[:7] == ["20 kg", "10 kg", "5 kg", "2 kg", "2 kg*", "1 kg", "500 g"]
    assert pieces[-4:] == ["5 mg", "2 mg", "2 mg*", "1 mg"]
    assert len(pieces) == 30  # seven decades of 1, 2, 2*, 5 plus the 10 kg and 20 kg at the top


def test_class_conformity_from_certificate_values(session, manager, make_standard):
    # OIML R 111-1:2004 Table 1: a 1 kg M1 weight has δm = 50 mg; 5.2: U ≤ δm/3; 5.3: |m_c − m0| ≤ δm − U.
    standard = make_standard(
        accuracy_class="M1",
        items=[ItemInput("1 kg", None, "M1"), ItemInput("2 kg", None, "M1"), ItemInput("2 kg", "*", "M1")],
    )
    by_nominal = {(i.nominal, i.marking): i.id for i in standard.items}
    calibration = services.record_calibration(
        session, manager, standard, certificate_number="KL3-1", calibrating_lab="QUATEST 3", calibrated_on=TODAY,
        today=TODAY,
        values=[
            ValueInput(36.0, 8.3, "mg", 2.0, by_nominal[("1 kg", None)]),  # 36 ≤ 50 − 8.3: conforms
            ValueInput(0.095, 0.010, "g", 2.0, by_nominal[("2 kg", None)]),  # 95 mg > 100 − 10 mg: fails
            ValueInput(10.0, 40.0, "mg", 2.0, by_nominal[("2 kg", "*")]),  # U 40 mg > 100/3 mg
        ],
    )  # fmt: skip
    rows = {(r.item.nominal, r.item.marking): r for r in queries.calibration_conformity(calibration)}
    assert rows[("1 kg", None)].mpe_mg == 50.0 and rows[("1 kg", None)].meets_class
    assert rows[("2 kg", None)].mpe_mg == 100.0 and rows[("2 kg", None)].uncertainty_ok
    assert not rows[("2 kg", None)].conforms
    assert rows[("2 kg", "*")].uncertainty_ok is False and not rows[("2 kg", "*")].meets_class


def test_a_value_for_a_piece_of_another_standard_is_refused(session, manager, make_standard):
    other = make_standard(items=[ItemInput("1 kg", None, "M1")])
    standard = make_standard()
    with pytest.raises(RuleViolation):
        services.record_calibration(
            session, manager, standard, certificate_number="X", calibrating_lab="VMI", calibrated_on=TODAY,
            today=TODAY, values=[ValueInput(1.0, 1.0, "mg", 2.0, other.items[0].id)],
        )  # fmt: skip


def test_the_demo_loads_twice_and_shows_a_due_soon_and_an_overdue_standard(app, session):
    from lims.auth.demo import load as load_accounts
    from lims.standards.demo import load

    load_accounts(session)
    load(session)
    load(session)
    today = lab_today()
    assert session.scalar(select(Standard).where(Standard.code == "QC-M1-01")) is not None
    # Five for weights (sets, comparator, air) and four for the Group 2 families (volume, pressure).
    assert len(session.scalars(select(Standard)).all()) == 9
    summary = queries.due_summary(session, today)
    assert summary["overdue"] >= 1 and summary["30"] >= 1
    m1 = session.scalar(select(Standard).where(Standard.code == "QC-M1-01"))
    assert len(m1.items) == 30 and len(m1.calibrations) == 3
    assert queries.most_drifting_item(session, m1).nominal == "1 kg"
    # Every demo weight meets its class on every certificate.
    for standard in session.scalars(select(Standard).where(Standard.kind == "weight_set")):
        for calibration in standard.calibrations:
            assert all(row.meets_class for row in queries.calibration_conformity(calibration))


def _standard_updates(session, standard):
    from lims.audit.models import AuditEvent

    return session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "standard", AuditEvent.entity_id == str(standard.id), AuditEvent.action == "update")
        .order_by(AuditEvent.seq)
    ).all()


def test_a_manager_edits_the_details_and_the_trail_keeps_old_new_and_why(session, manager, make_standard):
    import json
    import unicodedata

    standard = make_standard(location="Phòng khối lượng", calibration_interval_months=12, due_on=TODAY)
    before = len(_standard_updates(session, standard))  # recording the certificate moved the due date
    decomposed = unicodedata.normalize("NFD", "  Bộ quả cân M1 (thay thế)  ")
    changed = services.update_standard_details(
        session, manager, standard, reason="Chuyển phòng", name=decomposed, location="Phòng áp suất",
        calibration_interval_months=24, serial=None, level="working",
    )  # fmt: skip
    assert set(changed) == {"name", "location", "calibration_interval_months"}
    assert standard.name == "Bộ quả cân M1 (thay thế)" == unicodedata.normalize("NFC", standard.name)
    # The interval is for the next certificate; the one on record keeps its due date.
    assert standard.calibration_interval_months == 24 and standard.due_on == TODAY
    [event] = _standard_updates(session, standard)[before:]
    changes = json.loads(event.payload)["changes"]
    assert changes["location"] == ["Phòng khối lượng", "Phòng áp suất"]
    assert changes["calibration_interval_months"] == [12, 24]
    assert event.reason == "Chuyển phòng"


def test_an_edit_that_changes_nothing_says_so_and_writes_nothing(session, manager, make_standard):
    import unicodedata

    standard = make_standard(name="Bộ quả cân M1", maker="Häfner")
    session.commit()
    changed = services.update_standard_details(
        session, manager, standard, name=unicodedata.normalize("NFD", " Bộ quả cân M1 "), maker="Häfner", model="",
    )  # fmt: skip
    assert changed == {} and not session.dirty
    assert _standard_updates(session, standard) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "   "),
        ("serial", "x" * 101),
        ("level", "master"),
        ("calibration_interval_months", 0),
        ("calibration_interval_months", "mười hai"),
        ("put_in_service_on", "2026-01-01"),
        ("code", "CH-NEW"),
        ("kind", "balance"),
        ("status", "retired"),
        ("due_on", TODAY),
        ("colour", "red"),
    ],
)
def test_a_refused_detail_names_its_field_and_changes_nothing(session, manager, make_standard, field, value):
    standard = make_standard(location="Phòng khối lượng")
    session.commit()
    with pytest.raises(RuleViolation) as refused:
        services.update_standard_details(session, manager, standard, location="Kho", **{field: value})
    assert refused.value.field == field
    assert standard.location == "Phòng khối lượng" and not session.dirty


@pytest.mark.parametrize("role", ["technician", "signatory", "inspector", "enterprise"])
def test_only_managers_edit_details_or_add_weights(session, make_user, make_standard, role):
    standard = make_standard()
    someone = make_user(role)
    with pytest.raises(PermissionDenied):
        services.update_standard_details(session, someone, standard, location="Kho")
    with pytest.raises(PermissionDenied):
        services.add_standard_item(session, someone, standard, ItemInput("200 g"), field="")
    assert standard.location is None and standard.items == []


def test_a_retired_standard_keeps_its_record(session, manager, make_standard):
    standard = make_standard()
    services.change_status(session, manager, standard, "retired", "Hỏng")
    with pytest.raises(RuleViolation) as edit:
        services.update_standard_details(session, manager, standard, location="Kho")
    with pytest.raises(RuleViolation) as add:
        services.add_standard_item(session, manager, standard, ItemInput("200 g"))
    assert edit.value.field == add.value.field == "status"


def test_an_added_weight_joins_the_set_refuses_a_twin_and_can_be_calibrated(session, manager, make_standard):
    standard = make_standard(accuracy_class="M1", items=[ItemInput("500 g"), ItemInput("200 g")])
    added = services.add_standard_item(session, manager, standard, ItemInput("1 kg", density=7950.0), field="")
    assert added.accuracy_class == "M1" and added.nominal_kg == 1.0
    assert [i.nominal for i in standard.items] == ["1 kg", "500 g", "200 g"]
    # The same weight spelled another way is still a twin; a replacement needs its own marking.
    for spelling in ("200 g", "0.2 kg", "200g"):
        with pytest.raises(RuleViolation) as twin:
            services.add_standard_item(session, manager, standard, ItemInput(spelling), field="")
        assert twin.value.field == "marking"
    with pytest.raises(RuleViolation) as unreadable:
        services.add_standard_item(session, manager, standard, ItemInput("hai trăm"), field="")
    assert unreadable.value.field == "nominal"
    with pytest.raises(RuleViolation) as zero:
        services.add_standard_item(session, manager, standard, ItemInput("0 g"), field="")
    assert zero.value.field == "nominal"
    replacement = services.add_standard_item(session, manager, standard, ItemInput("200 g", "*"), field="")
    calibration = services.record_calibration(
        session, manager, standard, certificate_number="KL3-2026/301", calibrating_lab="QUATEST 3",
        calibrated_on=TODAY, today=TODAY,
        values=[ValueInput(0.4, 1.0, item_id=added.id), ValueInput(-0.2, 0.3, item_id=replacement.id)],
    )  # fmt: skip
    assert {v.item_id: v.value for v in calibration.values} == {added.id: 0.4, replacement.id: -0.2}
