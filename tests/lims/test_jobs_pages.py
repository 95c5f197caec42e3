# ruff: noqa: F811 - the `lab` fixture is imported from the workflow tests
"""The jobs pages: generated entry form, preview that saves nothing, request isolation, board, calendar, panels."""

import copy
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lims.jobs import demo, services
from lims.jobs.models import Job, MeasurementRecord, ServiceRequest
from lims.standards.models import Standard
from tests.conftest import TEST_PASSWORD
from tests.lims.test_jobs_workflow import CONDITIONS, SCALE_CASE, in_progress, lab, open_job, record  # noqa: F401


def form_data(document, prefix="obs"):
    """Flatten a document into the generated form's input names (what a browser would post)."""
    data = {}
    for key, value in document.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            data.update(form_data(value, name))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for index, item in enumerate(value):
                data.update(form_data(item, f"{name}.{index}"))
        elif isinstance(value, list):
            data[name] = " ".join(str(v) for v in value)
        else:
            data[name] = str(value)
    return data


def sign_in(client, user):
    client.post("/logout")
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302


def posted(lab, document=SCALE_CASE, **extra):
    data = form_data(document)
    data.update({"env.temperature": "20,5", "stage": "as_found", "standards": str(lab["standard"].id)})
    data.update(extra)
    return data


def count_records(session):
    return session.scalar(select(func.count(MeasurementRecord.id)))


def test_the_entry_form_is_generated_from_the_procedures_schema(client, session, lab):
    job = in_progress(session, lab)
    session.commit()
    sign_in(client, lab["technician"])
    page = client.get(f"/jobs/{job.id}/record?stage=as_found").get_data(as_text=True)
    for name in ("obs.scale.max", "obs.weighing.0.load", "obs.eccentricity.positions.4.indication", "env.temperature"):
        assert f'name="{name}"' in page
    assert 'value="15"' in page  # Max prefilled from the instrument
    assert "jobs.js" in page and "<script>" not in page
    # the fields are labelled in the page's language, Vietnamese first
    assert "Mức cân lớn nhất Max" in page and "Maximum capacity Max" not in page


def test_the_preview_returns_the_result_as_json_and_saves_nothing(client, session, lab):
    job = in_progress(session, lab)
    session.commit()
    sign_in(client, lab["technician"])
    response = client.post(f"/jobs/{job.id}/preview", data=posted(lab), headers={"Accept": "application/json"})
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["passed"] is True and body["result"]["values"]["tests"]["weighing"] is True
    assert count_records(session) == 0
    bad = posted(lab, **{"obs.scale.e": "-1"})
    response = client.post(f"/jobs/{job.id}/preview", data=bad, headers={"Accept": "application/json"})
    assert response.status_code == 422 and response.get_json()["field"].startswith("observations.scale.e")


def test_saving_the_form_stores_what_the_procedure_computes(client, session, lab):
    job = in_progress(session, lab)
    session.commit()
    sign_in(client, lab["technician"])
    response = client.post(f"/jobs/{job.id}/record", data=posted(lab))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    saved = session.scalars(select(MeasurementRecord)).one()
    assert saved.observations["weighing"][1] == {"load": 2.5, "indication": 2.5, "additional_load": 0.001}
    assert saved.conditions == {"temperature": 20.5}
    direct = services.compute_result(job, "as_found", copy.deepcopy(SCALE_CASE), {})
    assert saved.result == direct.result
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lịch sử sửa đổi" in page


def test_a_refused_save_keeps_what_was_typed_and_saves_nothing(client, session, lab):
    job = in_progress(session, lab)
    session.commit()
    sign_in(client, lab["technician"])
    response = client.post(f"/jobs/{job.id}/record", data=posted(lab, **{"env.temperature": "55"}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "ngoài giới hạn" in page and 'value="10.005"' in page
    assert count_records(session) == 0


def test_an_enterprise_user_sees_only_its_own_requests(client, session, lab, make_user, make_organisation):
    own = make_user("enterprise", organisation=lab["enterprise"])
    stranger = make_user("enterprise")
    job = open_job(session, lab)
    session.commit()
    sign_in(client, stranger)
    assert client.get(f"/jobs/requests/{job.request_id}").status_code == 404
    assert job.request.number not in client.get("/jobs/requests").get_data(as_text=True)
    sign_in(client, own)
    assert client.get(f"/jobs/requests/{job.request_id}").status_code == 200
    assert job.request.number in client.get("/jobs/requests").get_data(as_text=True)


def test_an_enterprise_user_requests_through_the_form(client, session, lab, make_user):
    own = make_user("enterprise", organisation=lab["enterprise"])
    sign_in(client, own)
    data = {
        "organisation_id": str(lab["enterprise"].id),
        "items-0-instrument_id": str(lab["scale"].id),
        "items-0-service": "periodic_verification",
        "items-0-procedure_key": "scale-verification-r76",
        "place": "lab",
        "decision_rule": "simple",
        "wants_conformity_statement": "y",
    }
    response = client.post("/jobs/requests/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    assert "Chờ xem xét" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_manager_accepts_and_schedules_through_the_pages(client, session, lab):
    request = services.create_request(
        session,
        lab["manager"],
        organisation_id=lab["enterprise"].id,
        items=[services.RequestItem(lab["scale"].id, "periodic_verification", "scale-verification-r76")],
    )
    session.commit()
    sign_in(client, lab["manager"])
    assert client.post(f"/jobs/requests/{request.id}/accept", data={"notes": "ok"}).status_code == 302
    job = session.scalars(select(Job)).one()
    day = lab["today"].isoformat()
    data = {"technician_id": str(lab["technician"].id), "day": day}
    assert client.post(f"/jobs/{job.id}/schedule", data=data).status_code == 302
    session.refresh(job)
    assert job.status == "scheduled"
    assert 'data-testid="board-panel"' in client.get("/home").get_data(as_text=True)
    for path in ("/jobs/", f"/jobs/calendar?day={day}", f"/jobs/calendar?view=month&day={day}"):
        page = client.get(path)
        assert page.status_code == 200 and job.number in page.get_data(as_text=True), path
    sign_in(client, lab["technician"])
    for path in ("/jobs/worklist", "/home"):
        assert job.number in client.get(path).get_data(as_text=True), path


def test_the_reviewer_guard_is_shown_on_the_page(client, session, lab):
    job = in_progress(session, lab)
    record(session, lab, job)
    services.finish_measurement(session, lab["technician"], job)
    session.commit()
    sign_in(client, lab["technician"])
    response = client.post(f"/jobs/{job.id}/review", data={}, headers={"Referer": f"/jobs/{job.id}"})
    assert response.status_code == 302
    assert "Người soát xét không được là người đã đo" in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    session.refresh(job)
    assert job.status == "measured"


def test_the_authorisation_page_grants_and_lists(client, session, lab):
    sign_in(client, lab["manager"])
    data = {
        "auth-user_id": str(lab["technician"].id),
        "auth-procedure_key": "scale-calibration-cg18",
        "auth-valid_from": lab["today"].isoformat(),
    }
    assert client.post("/jobs/authorisations", data=data).status_code == 302
    assert "scale-calibration-cg18" in client.get("/jobs/authorisations").get_data(as_text=True)


@pytest.mark.parametrize("runs", [1, 2])
def test_the_demo_loads_without_demo_standards_and_is_idempotent(session, runs):
    from lims.auth import demo as auth_demo

    auth_demo.load(session)
    for _ in range(runs):
        demo.load(session)
    session.commit()
    first = session.scalar(select(func.count(Job.id)))
    demo.load(session)
    assert session.scalar(select(func.count(Job.id))) == first


# --- refusals keep what was typed, and say where ---


def standard_box(page, standard):
    """Return the standard's checkbox tag in a record form page."""
    start = page.index(f'id="standard-{standard.id}"')
    return page[start : page.index(">", start)]


def test_a_save_refused_for_want_of_a_standard_keeps_everything_and_says_so_at_the_standards(client, session, lab):
    job = in_progress(session, lab)
    session.commit()
    sign_in(client, lab["technician"])
    data = posted(lab, measured_on=(lab["today"] - timedelta(days=1)).isoformat())
    del data["standards"]
    response = client.post(f"/jobs/{job.id}/record", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="error-standards"' in page and "Cần chọn chuẩn đã dùng" in page
    assert 'value="10.005"' in page and 'value="20.5"' in page
    assert f'value="{(lab["today"] - timedelta(days=1)).isoformat()}"' in page
    assert 'data-preview-now="1"' in page
    assert count_records(session) == 0


def test_a_save_refused_for_a_value_that_is_not_a_number_keeps_every_value_as_typed(client, session, lab):
    job = in_progress(session, lab)
    record(session, lab, job)  # a revision: the reason typed must come back too
    session.commit()
    sign_in(client, lab["technician"])
    data = posted(lab, **{"obs.weighing.1.load": "2,5x", "env.temperature": "20,5", "change_reason": "gõ nhầm"})
    response = client.post(f"/jobs/{job.id}/record", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="2,5x"' in page and 'value="20,5"' in page and 'value="10.005"' in page
    assert 'data-testid="error-obs.weighing.1.load"' in page and "không phải là số" in page
    assert "gõ nhầm</textarea>" in page
    assert "checked" in standard_box(page, lab["standard"])
    assert count_records(session) == 1


def test_a_refusal_by_the_procedure_is_shown_at_the_field_by_its_label(client, session, lab):
    job = in_progress(session, lab)
    session.commit()
    sign_in(client, lab["technician"])
    response = client.post(f"/jobs/{job.id}/record", data=posted(lab, **{"obs.scale.e": "-1"}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="error-obs.scale.e"' in page and "Giá trị độ chia kiểm e" in page
    assert 'value="-1"' in page


def test_the_preview_of_an_untouched_form_is_not_yet_complete_and_names_the_field_by_its_label(client, session, lab):
    job = in_progress(session, lab)
    session.commit()
    sign_in(client, lab["technician"])
    untouched = {"stage": "as_found", **form_data(services.initial_observations(job))}
    response = client.post(f"/jobs/{job.id}/preview", data=untouched, headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["complete"] is False and body["label"] == "Độ lệch tâm"  # the first required table not typed
    bad = posted(lab, **{"obs.weighing.2.load": "abc"})
    response = client.post(f"/jobs/{job.id}/preview", data=bad, headers={"Accept": "application/json"})
    assert response.status_code == 422
    assert response.get_json()["label"] == "Cân tải tăng và giảm › dòng 3 › Tải trọng L"
    assert "data-preview-now" not in client.get(f"/jobs/{job.id}/record?stage=as_found").get_data(as_text=True)


# --- requests: the procedures of the instrument's type, and the row that is wrong ---


def request_data(lab, **rows):
    """Post the request form as a browser does: every row, the ones not named left empty."""
    data = {"organisation_id": str(lab["enterprise"].id), "place": "lab", "decision_rule": "simple"}
    for row in range(5):
        data.update({f"items-{row}-instrument_id": "0", f"items-{row}-service": "", f"items-{row}-procedure_key": ""})
    for index, (instrument, service, key) in rows.items():
        row = int(index.removeprefix("row"))
        data.update(
            {
                f"items-{row}-instrument_id": str(lab[instrument].id),
                f"items-{row}-service": service,
                f"items-{row}-procedure_key": key,
            }
        )
    return data


def test_an_enterprise_cannot_request_a_scale_procedure_for_a_blood_pressure_meter(client, session, lab, make_user):
    sign_in(client, make_user("enterprise", organisation=lab["enterprise"]))

    def picked(typed):
        return client.get(f"/jobs/requests/instruments?q={typed}").get_json()["instruments"]

    assert [found["procedures"] for found in picked("S-001")] == [["scale-verification-r76", "scale-calibration-cg18"]]
    assert [found["procedures"] for found in picked("HA-7")] == [[]]
    data = request_data(lab, row0=("sphygmomanometer", "periodic_verification", "scale-verification-r76"))
    response = client.post("/jobs/requests/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="error-items-0-procedure_key"' in page and "chưa có quy trình nào" in page
    assert session.scalar(select(func.count(ServiceRequest.id))) == 0


def test_a_row_without_a_service_is_refused_at_that_row(client, session, lab):
    sign_in(client, lab["manager"])
    data = request_data(
        lab,
        row0=("weight", "calibration", "weight-comparison-r111"),
        row2=("scale", "", "scale-verification-r76"),
    )
    response = client.post("/jobs/requests/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'data-testid="error-items-2-service"' in page
    assert "Dòng 3: cần chọn dịch vụ" in page and "dịch vụ không hợp lệ" not in page


def test_the_manager_sees_and_cannot_accept_an_item_whose_procedure_does_not_apply(client, session, lab):
    request = services.create_request(
        session,
        lab["manager"],
        organisation_id=lab["enterprise"].id,
        items=[services.RequestItem(lab["scale"].id, "periodic_verification", "scale-verification-r76")],
    )
    lab["scale"].instrument_type.procedure_keys = ""
    session.commit()
    sign_in(client, lab["manager"])
    assert 'data-testid="item-inapplicable"' in client.get(f"/jobs/requests/{request.id}").get_data(as_text=True)
    response = client.post(f"/jobs/requests/{request.id}/accept", data={}, headers={"Accept": "application/json"})
    assert response.status_code == 422 and response.get_json()["field"] == "items[0].procedure_key"
    assert session.scalar(select(func.count(Job.id))) == 0


# --- the job's page and the standards offered ---


def test_the_review_form_is_hidden_from_the_person_who_measured(client, session, lab):
    job = in_progress(session, lab)
    record(session, lab, job)
    services.finish_measurement(session, lab["technician"], job)
    session.commit()
    sign_in(client, lab["technician"])
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'data-testid="job-review"' not in page and 'data-testid="review-by-another"' in page
    sign_in(client, lab["other"])
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'data-testid="job-review"' in page and 'data-testid="review-by-another"' not in page


def test_a_standard_overdue_or_out_of_service_on_the_day_is_offered_disabled_with_the_reason(client, session, lab):
    overdue = Standard(code="M2-OLD", name="Bộ quả cân M2", kind="weight_set", due_on=lab["today"] - timedelta(1))
    away = Standard(code="M1-AWAY", name="Bộ quả cân M1 (gửi đi)", kind="weight_set", status="out_for_calibration")
    session.add_all([overdue, away])
    job = in_progress(session, lab)
    session.commit()
    sign_in(client, lab["technician"])
    page = client.get(f"/jobs/{job.id}/record?stage=as_found").get_data(as_text=True)
    assert "disabled" in standard_box(page, overdue) and "disabled" in standard_box(page, away)
    assert "disabled" not in standard_box(page, lab["standard"])
    assert f'data-testid="standard-overdue-{overdue.id}" data-problem="overdue"' in page
    assert f'class="text-danger" data-testid="standard-overdue-{overdue.id}"' in page
    assert f'class="text-danger" data-testid="standard-problem-{away.id}"' in page
    assert "quá hạn hiệu chuẩn vào ngày đo" in page
