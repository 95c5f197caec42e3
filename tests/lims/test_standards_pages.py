"""The standards pages: who may see and change what, the forms end to end, the CSV export, the home panel."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from lims.core.dates import lab_today
from lims.standards import services
from lims.standards.models import IntermediateCheck, Standard, StandardCalibration

PDF = b"%PDF-1.4\n%%EOF\n"


def _register(client, code="QC-M1-09", **extra):
    data = {
        "code": code,
        "name": "Bộ quả cân M1 1 g – 2 kg",
        "kind": "weight_set",
        "level": "working",
        "accuracy_class": "M1",
        "calibration_interval_months": "12",
        "composition_from": "1 g",
        "composition_to": "2 kg",
    }
    data.update(extra)
    return client.post("/standards/new", data=data)


def _standard(session, code):
    return session.scalar(select(Standard).where(Standard.code == code))


def test_a_manager_registers_a_weight_set_with_its_weights(client, session, login):
    login("manager")
    response = _register(client)
    assert response.status_code == 302
    standard = _standard(session, "QC-M1-09")
    assert [i.nominal + (i.marking or "") for i in standard.items][:3] == ["2 kg", "1 kg", "500 g"]
    assert len(standard.items) == 14 and all(i.accuracy_class == "M1" for i in standard.items)
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Chưa hiệu chuẩn" in page.text


def test_a_duplicate_code_is_shown_beside_the_field(client, login):
    login("admin")
    assert _register(client).status_code == 302
    response = _register(client)
    assert response.status_code == 422 and "đã có trong sổ" in response.text


def test_a_calibration_with_per_weight_values_and_a_pdf_moves_the_due_date(client, session, login):
    login("manager")
    _register(client, composition_from="1 kg", composition_to="2 kg")
    standard = _standard(session, "QC-M1-09")
    today = lab_today()
    data = {
        "certificate_number": "KL3-2026/777",
        "calibrating_lab": "Trung tâm Kỹ thuật TĐC 3 (QUATEST 3)",
        "lab_accreditation": "VILAS 004",
        "calibrated_on": (today - timedelta(days=3)).isoformat(),
        "value_unit": "mg",
        "traceability": "QUATEST 3 E2 → VMI",
        "document": (io.BytesIO(PDF), "gcn.pdf"),
    }
    for item in standard.items:
        data[f"value-{item.id}"] = "12"
        data[f"u-{item.id}"] = "8"
    response = client.post(f"/standards/{standard.id}/calibrations/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    session.expire_all()
    calibration = session.scalar(select(StandardCalibration).where(StandardCalibration.standard_id == standard.id))
    assert len(calibration.values) == 2 and calibration.document_size == len(PDF)  # the 2 kg and the 1 kg
    assert _standard(session, "QC-M1-09").due_on == services.add_months(today - timedelta(days=3), 12)
    page = client.get(response.headers["Location"])
    assert page.text.count('data-conforms="yes"') == 2
    document = client.get(f"/standards/{standard.id}/calibrations/{calibration.id}/document")
    assert document.data == PDF and document.mimetype == "application/pdf"


def test_a_calibration_upload_that_is_not_a_pdf_saves_nothing(client, session, login):
    login("manager")
    _register(client)
    standard = _standard(session, "QC-M1-09")
    response = client.post(
        f"/standards/{standard.id}/calibrations/new",
        data={
            "certificate_number": "X-1",
            "calibrating_lab": "VMI",
            "calibrated_on": lab_today().isoformat(),
            "value_unit": "mg",
            "document": (io.BytesIO(b"GIF89a not a pdf"), "scan.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "không phải PDF" in response.text
    session.expire_all()
    assert session.scalars(select(StandardCalibration)).all() == []


def test_a_technician_records_a_check_and_an_out_of_limit_one_offers_quarantine(client, session, login, make_user):
    manager = make_user("manager")
    standard = services.register_standard(session, manager, code="CAN-SS-09", name="Cân so sánh", kind="comparator")
    session.commit()
    login("technician")
    response = client.post(
        f"/standards/{standard.id}/checks/new",
        data={
            "checked_on": lab_today().isoformat(),
            "item_id": "0",
            "description": "Quả cân kiểm tra 10 kg F2",
            "value": "18.6",
            "unit": "mg",
            "lower_limit": "-15",
            "upper_limit": "15",
        },
    )
    assert response.status_code == 302
    assert session.scalar(select(IntermediateCheck)).within_limits is False
    page = client.get(f"/standards/{standard.id}")
    assert 'data-testid="out-of-limits"' in page.text and 'data-testid="checks-chart"' in page.text
    # The technician sees the flag; only the manager is offered the quarantine action.
    assert "suggest-quarantine" not in page.text
    assert client.get(f"/standards/{standard.id}/calibrations/new").status_code == 403


def test_a_manager_quarantines_from_the_flag_with_a_reason(client, session, login):
    user = login("manager")
    standard = services.register_standard(session, user, code="CAN-SS-08", name="Cân so sánh", kind="comparator")
    services.record_intermediate_check(
        session, user, standard, checked_on=lab_today(), today=lab_today(), description="kiểm",
        value=20, unit="mg", lower_limit=-15, upper_limit=15,
    )  # fmt: skip
    session.commit()
    page = client.get(f"/standards/{standard.id}")
    assert "suggest-quarantine" in page.text
    form = client.get(f"/standards/{standard.id}/status?to=quarantined")
    assert '<option selected value="quarantined">' in form.text
    assert (
        client.post(f"/standards/{standard.id}/status", data={"to_status": "quarantined", "reason": ""}).status_code
        == 400
    )
    response = client.post(
        f"/standards/{standard.id}/status", data={"to_status": "quarantined", "reason": "Kiểm tra ngoài giới hạn"}
    )
    assert response.status_code == 302
    session.expire_all()
    assert _standard(session, "CAN-SS-08").status == "quarantined"
    assert "Kiểm tra ngoài giới hạn" in client.get(f"/standards/{standard.id}").text


@pytest.fixture()
def register_of_three(session, make_user):
    manager = make_user("manager")
    today = lab_today()
    made = {}
    for code, due_in, kind in (("A-OVERDUE", -1, "barometer"), ("B-SOON", 20, "comparator"), ("C-LATER", 200, "other")):
        standard = services.register_standard(session, manager, code=code, name=f"=cmd|{code}", kind=kind)
        services.record_calibration(
            session, manager, standard, certificate_number=f"GCN-{code}", calibrating_lab="QUATEST 3",
            calibrated_on=today - timedelta(days=300), due_on=today + timedelta(days=due_in), today=today,
        )  # fmt: skip
        made[code] = standard
    session.commit()
    return made


def test_the_list_filters_by_due_window_and_kind(client, login, register_of_three):
    login("technician")
    overdue = client.get("/standards/?due=overdue")
    assert 'data-code="A-OVERDUE"' in overdue.text and 'data-code="B-SOON"' not in overdue.text
    soon = client.get("/standards/?due=30")
    assert 'data-code="B-SOON"' in soon.text and 'data-code="C-LATER"' not in soon.text
    assert 'data-code="C-LATER"' in client.get("/standards/?kind=other").text
    assert 'data-code="C-LATER"' not in client.get("/standards/?due=90").text
    assert 'data-code="C-LATER"' not in client.get("/standards/?kind=barometer").text


def test_the_csv_export_reads_through_the_list_filter_and_defuses_formulas(client, login, register_of_three):
    login("inspector")
    response = client.get("/standards/export.csv?due=overdue")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["code", "name", "kind"]
    assert [row[0] for row in rows[1:]] == ["A-OVERDUE"]
    assert rows[1][1] == "'=cmd|A-OVERDUE" and rows[1][15] == "GCN-A-OVERDUE"
    everything = list(csv.reader(io.StringIO(client.get("/standards/export.csv?sort=code").data.decode("utf-8-sig"))))
    assert [row[0] for row in everything[1:]] == ["A-OVERDUE", "B-SOON", "C-LATER"]


def test_the_home_panel_shows_due_and_overdue_standards_to_lab_staff(client, login, register_of_three):
    login("technician")
    home = client.get("/home")
    assert 'data-testid="panel-standards_due"' in home.text and "A-OVERDUE" in home.text and "B-SOON" in home.text


@pytest.mark.parametrize(
    "path", ["/standards/", "/standards/export.csv", "/standards/{id}", "/standards/{id}/calibrations/{cal}"]
)
def test_enterprises_see_nothing_of_the_register(client, login, register_of_three, path):
    standard = register_of_three["A-OVERDUE"]
    login("enterprise")
    url = path.format(id=standard.id, cal=standard.calibrations[0].id)
    assert client.get(url).status_code == 403
    assert "A-OVERDUE" not in client.get("/home").text


def test_inspectors_read_the_register_and_its_documents_but_change_nothing(client, login, register_of_three):
    standard = register_of_three["B-SOON"]
    login("inspector")
    page = client.get(f"/standards/{standard.id}")
    assert page.status_code == 200 and "record-calibration" not in page.text and "record-check" not in page.text
    assert client.get(f"/standards/{standard.id}/calibrations/{standard.calibrations[0].id}").status_code == 200
    refused = client.post(f"/standards/{standard.id}/status", data={"to_status": "retired", "reason": "x"})
    assert refused.status_code == 403


def test_the_demo_pages_render(client, session, login):
    from lims.auth.demo import load as load_accounts
    from lims.standards.demo import load

    load_accounts(session)
    load(session)
    session.commit()
    login("manager")
    m1 = _standard(session, "QC-M1-01")
    detail = client.get(f"/standards/{m1.id}")
    assert detail.status_code == 200 and 'data-testid="drift-chart"' in detail.text and "<svg" in detail.text
    assert "style=" not in detail.text
    newest = m1.calibrations[-1]
    page = client.get(f"/standards/{m1.id}/calibrations/{newest.id}")
    assert page.text.count('data-conforms="yes"') == 30
    comparator = _standard(session, "CAN-SS-01")
    assert "suggest-quarantine" in client.get(f"/standards/{comparator.id}").text
    barometer = _standard(session, "AK-01")
    assert 'data-testid="not-usable"' in client.get(f"/standards/{barometer.id}").text
    assert client.get("/standards/?sort=name&dir=desc&page=1").status_code == 200


def _details(standard, **changes):
    data = {
        "name": standard.name,
        "level": standard.level,
        "accuracy_class": standard.accuracy_class or "",
        "maker": standard.maker or "",
        "model": standard.model or "",
        "serial": standard.serial or "",
        "range_text": standard.range_text or "",
        "resolution_text": standard.resolution_text or "",
        "location": standard.location or "",
        "owner": standard.owner or "",
        "calibration_interval_months": str(standard.calibration_interval_months),
        "put_in_service_on": standard.put_in_service_on.isoformat() if standard.put_in_service_on else "",
    }
    data.update(changes)
    return data


def _updates_of(session, standard):
    from lims.audit.models import AuditEvent

    return session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity == "standard", AuditEvent.entity_id == str(standard.id), AuditEvent.action == "update"
        )
    ).all()


def test_a_manager_edits_a_standards_details_from_its_page_and_the_edit_is_audited(client, session, login):
    manager = login("manager")
    _register(client, composition_from="1 kg", composition_to="2 kg", location="Phòng khối lượng")
    standard = _standard(session, "QC-M1-09")
    detail = client.get(f"/standards/{standard.id}")
    assert 'data-testid="edit-standard"' in detail.text and 'data-testid="add-item"' in detail.text
    form = client.get(f"/standards/{standard.id}/edit")
    assert form.status_code == 200 and 'value="Phòng khối lượng"' in form.text
    response = client.post(
        f"/standards/{standard.id}/edit",
        data=_details(standard, location="Phòng áp suất, tầng 2", serial="SN-2291", reason="Chuyển phòng"),
    )
    assert response.status_code == 302, response.text
    session.expire_all()
    standard = _standard(session, "QC-M1-09")
    assert (standard.location, standard.serial, standard.code) == ("Phòng áp suất, tầng 2", "SN-2291", "QC-M1-09")
    [event] = _updates_of(session, standard)
    assert event.actor_id == manager.id and event.reason == "Chuyển phòng" and "SN-2291" in event.payload
    assert "Phòng áp suất, tầng 2" in client.get(response.headers["Location"]).text


def test_an_edit_that_changes_nothing_is_told_and_writes_nothing(client, session, login):
    login("manager")
    _register(client)
    standard = _standard(session, "QC-M1-09")
    response = client.post(f"/standards/{standard.id}/edit", data=_details(standard), follow_redirects=True)
    assert response.status_code == 200 and "Không có gì thay đổi" in response.text
    assert _updates_of(session, standard) == []


@pytest.mark.parametrize(
    ("field", "value"), [("name", "   "), ("calibration_interval_months", "0"), ("serial", "x" * 101)]
)
def test_a_refused_edit_names_the_field_and_changes_nothing(client, session, login, field, value):
    login("manager")
    _register(client, location="Phòng khối lượng")
    standard = _standard(session, "QC-M1-09")
    response = client.post(f"/standards/{standard.id}/edit", data=_details(standard, location="Kho", **{field: value}))
    assert response.status_code == 400 and f'data-testid="error-{field}"' in response.text
    session.expire_all()
    assert _standard(session, "QC-M1-09").location == "Phòng khối lượng"
    assert _updates_of(session, standard) == []


def test_an_added_weight_appears_in_the_set_and_is_then_calibrated(client, session, login):
    login("manager")
    _register(client, composition_from="1 kg", composition_to="2 kg")
    standard = _standard(session, "QC-M1-09")
    assert client.get(f"/standards/{standard.id}/items/new").status_code == 200
    response = client.post(
        f"/standards/{standard.id}/items/new", data={"nominal": "5 kg", "marking": "", "density": "7950"}
    )
    assert response.status_code == 302, response.text
    session.expire_all()
    standard = _standard(session, "QC-M1-09")
    assert [i.nominal for i in standard.items] == ["5 kg", "2 kg", "1 kg"]
    added = standard.items[0]
    assert added.accuracy_class == "M1" and added.density == 7950
    detail = client.get(response.headers["Location"])
    assert "5 kg" in detail.text and "chưa có giá trị hiệu chuẩn" in detail.text
    calibration_form = client.get(f"/standards/{standard.id}/calibrations/new")
    assert f'name="value-{added.id}"' in calibration_form.text
    response = client.post(
        f"/standards/{standard.id}/calibrations/new",
        data={
            "certificate_number": "KL3-2026/888",
            "calibrating_lab": "QUATEST 3",
            "calibrated_on": lab_today().isoformat(),
            "value_unit": "mg",
            f"value-{added.id}": "20",
            f"u-{added.id}": "25",
        },
    )
    assert response.status_code == 302, response.text
    calibration = session.scalar(select(StandardCalibration).where(StandardCalibration.standard_id == standard.id))
    assert [(v.item_id, v.value) for v in calibration.values] == [(added.id, 20.0)]


def test_a_twin_weight_is_refused_beside_the_marking_and_saves_nothing(client, session, login):
    login("manager")
    _register(client, composition_from="1 kg", composition_to="2 kg")
    standard = _standard(session, "QC-M1-09")
    response = client.post(f"/standards/{standard.id}/items/new", data={"nominal": "2000 g"})
    assert response.status_code == 422 and 'data-testid="error-marking"' in response.text
    unreadable = client.post(f"/standards/{standard.id}/items/new", data={"nominal": "hai ký"})
    assert unreadable.status_code == 422 and 'data-testid="error-nominal"' in unreadable.text
    session.expire_all()
    assert len(_standard(session, "QC-M1-09").items) == 2


@pytest.mark.parametrize("role", ["technician", "signatory", "enterprise", "inspector"])
def test_only_managers_may_edit_a_standard_or_add_a_weight(client, session, login, register_of_three, role):
    standard = register_of_three["B-SOON"]
    login(role)
    for path in (f"/standards/{standard.id}/edit", f"/standards/{standard.id}/items/new"):
        assert client.get(path).status_code == 403
    assert client.post(f"/standards/{standard.id}/edit", data=_details(standard, location="Kho")).status_code == 403
    assert client.post(f"/standards/{standard.id}/items/new", data={"nominal": "1 kg"}).status_code == 403
    if role != "enterprise":
        detail = client.get(f"/standards/{standard.id}").text
        assert "edit-standard" not in detail and "add-item" not in detail
    session.expire_all()
    assert _standard(session, "B-SOON").location is None and _standard(session, "B-SOON").items == []


def test_a_weight_typed_with_decimal_commas_is_read_as_vietnamese_write_it(client, session, login):
    login("manager")
    _register(client, composition_from="1 kg", composition_to="2 kg")
    standard = _standard(session, "QC-M1-09")
    response = client.post(
        f"/standards/{standard.id}/items/new",
        data={"nominal": "0,5 kg", "marking": "", "density": "7950,5", "density_uncertainty": "70,0"},
    )
    assert response.status_code == 302, response.text
    session.expire_all()
    added = next(i for i in _standard(session, "QC-M1-09").items if i.nominal == "0,5 kg")
    assert (added.nominal_kg, added.density, added.density_uncertainty) == (0.5, 7950.5, 70.0)
    # and "500 g" is then the same weight, refused as a twin
    twin = client.post(f"/standards/{standard.id}/items/new", data={"nominal": "500 g"})
    assert twin.status_code == 422
