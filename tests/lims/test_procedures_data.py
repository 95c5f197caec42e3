"""Procedures defined as data in the lab: upload, second-person approval, versions kept by jobs and records,
unconfirmed legal values blocking certification, and a pressure gauge taken from request to a signed certificate
whose result table comes from the shipped definition (ĐLVN 08:2011)."""

import copy
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from lims.audit.models import AuditEvent
from lims.core.errors import PermissionDenied, RuleViolation
from lims.customers.models import Instrument, InstrumentType, VerificationCycle
from lims.issuing import document as certificate_document
from lims.issuing import services as issuing
from lims.jobs import services as jobs
from lims.procedures import services
from lims.procedures.models import ProcedureVersion, VersionStatus
from lims.standards.models import Standard, StandardCalibration
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world

GAUGE_FILE = Path(__file__).parents[2] / "instruments/procedures/definitions/pressure-gauge-dlvn08.yaml"
GAUGE_TEXT = GAUGE_FILE.read_text(encoding="utf-8")
KEY = "pressure-gauge-dlvn08"
# The first worked example of the definition: 0-1.6 MPa, class 1.6, every error within 0.0256 MPa.
OBSERVATIONS = yaml.safe_load(GAUGE_TEXT)["examples"][0]["observations"]


def second_version(text: str = GAUGE_TEXT) -> str:
    return text.replace('version: "1"', 'version: "2"').replace("maximum: 25", "maximum: 26")


@pytest.fixture()
def lab(session, make_user, make_organisation, app):
    """Two managers, an authorised technician with a pressure card, a gauge, a reference gauge, a signing key."""
    world = make_world(session, make_user, make_organisation, app)
    today = jobs.lab_today()
    gauge_type = InstrumentType(code="pressure-gauge", name_vi="Áp kế kiểu lò xo", name_en="Spring pressure gauge")
    session.add(gauge_type)
    session.flush()
    session.add(
        VerificationCycle(
            instrument_type_id=gauge_type.id, months=12, effective_from=date(2019, 7, 1), legal_source="TT 07/2019"
        )
    )
    gauge = Instrument(
        organisation_id=world.customer.id,
        instrument_type_id=gauge_type.id,
        maker="Wika",
        model="213.53",
        serial="AK-0016",
        range_min=0,
        range_max=1.6,
        unit="MPa",
        accuracy_class="1.6",
    )
    reference = Standard(
        code="AKC-01", name="Áp kế chuẩn", kind="instrument", serial="P-88", due_on=today + timedelta(days=300)
    )
    session.add_all([gauge, reference])
    session.flush()
    session.add(
        StandardCalibration(
            standard_id=reference.id,
            certificate_number="V06.HC.55-26",
            calibrating_lab="Viện Đo lường Việt Nam",
            calibrated_on=today - timedelta(days=60),
            due_on=today + timedelta(days=300),
            traceability="Chuẩn quốc gia về áp suất",
        )
    )
    first = make_user("manager", full_name="Nguyễn Văn Quản")
    second = make_user("manager", full_name="Đỗ Thị Duyệt")
    session.commit()
    return {
        "world": world,
        "gauge": gauge,
        "gauge_type": gauge_type,
        "reference": reference,
        "first": first,
        "second": second,
        "technician": world.technician,
        "today": today,
    }


def approved(session, lab, text: str = GAUGE_TEXT) -> ProcedureVersion:
    version = services.upload_version(session, lab["first"], text)
    services.approve_version(session, lab["second"], version)
    session.commit()
    return version


def authorise(session, lab) -> None:
    jobs.grant_authorisation(
        session,
        lab["first"],
        user_id=lab["technician"].id,
        procedure_key=KEY,
        valid_from=lab["today"] - timedelta(days=30),
        valid_until=None,
    )
    jobs.grant_verifier_card(
        session,
        lab["first"],
        user_id=lab["technician"].id,
        card_number="KĐV-AS-1",
        field="áp suất",
        valid_from=lab["today"] - timedelta(days=30),
        valid_until=None,
    )


def gauge_job(session, lab):
    request = jobs.create_request(
        session,
        lab["first"],
        organisation_id=lab["world"].customer.id,
        items=[jobs.RequestItem(lab["gauge"].id, "periodic_verification", KEY)],
    )
    (job,) = jobs.accept_request(session, lab["first"], request, notes="đủ chuẩn áp suất")
    return job


def measured(session, lab, observations=None):
    job = gauge_job(session, lab)
    jobs.schedule_job(session, lab["first"], job, technician=lab["technician"], day=lab["today"])
    jobs.start_job(session, lab["technician"], job)
    record = jobs.record_measurement(
        session,
        lab["technician"],
        job,
        stage="as_left",
        observations=copy.deepcopy(observations or OBSERVATIONS),
        conditions={"temperature": 21.0},
        standard_ids=[lab["reference"].id],
    )
    return job, record


# --- upload and approval ---------------------------------------------------------------------------------------


def test_a_valid_definition_is_stored_as_a_draft_with_its_report_and_unconfirmed_values(session, lab):
    version = services.upload_version(session, lab["first"], GAUGE_TEXT)
    assert (version.key, version.version, version.status) == (KEY, "1", VersionStatus.DRAFT)
    assert version.validation_report["valid"] is True
    assert len(version.validation_report["examples"]) == 3
    assert {value.path for value in version.unconfirmed_values} >= {"tests[0].checks[1].mpe", "environment[0]"}
    assert services.available_procedures(session).get(KEY) is None  # a draft cannot be chosen for a job


def test_an_invalid_definition_is_refused_and_nothing_is_stored(session, lab):
    broken = GAUGE_TEXT.replace("pressure[1].down.error: 0.02", "pressure[1].down.error: 0.03")
    with pytest.raises(RuleViolation) as refused:
        services.upload_version(session, lab["first"], broken)
    assert "examples[0].expect.pressure[1].down.error" in refused.value.message
    assert session.scalars(select(ProcedureVersion)).all() == []


def test_the_uploader_cannot_approve_and_a_second_manager_can(session, lab):
    version = services.upload_version(session, lab["first"], GAUGE_TEXT)
    with pytest.raises(PermissionDenied):
        services.approve_version(session, lab["first"], version)
    with pytest.raises(PermissionDenied):
        services.approve_version(session, lab["technician"], version)
    services.approve_version(session, lab["second"], version)
    assert version.status == VersionStatus.APPROVED and version.approved_by_id == lab["second"].id
    assert KEY in lab["gauge_type"].procedure_keys.split(",")  # the catalogue now lists it for gauges
    assert services.available_procedures(session)[KEY].version == "1"
    # One model of methods: the definition's ĐLVN method is the catalogue's, allowed for gauges with this procedure.
    (method,) = lab["gauge_type"].methods
    assert method.code == "ĐLVN 08:2011" and KEY in method.procedures
    assert method.confirmed and method.confirmed_by_id == lab["second"].id


def test_a_job_carries_both_its_procedure_version_and_its_method(session, lab):
    version = approved(session, lab)
    job = gauge_job(session, lab)
    assert job.procedure_version_id == version.id
    assert job.method is not None and job.method.code == "ĐLVN 08:2011" and job.method_code == "ĐLVN 08:2011"


def test_the_same_text_or_the_same_version_number_twice_is_refused(session, lab):
    services.upload_version(session, lab["first"], GAUGE_TEXT)
    with pytest.raises(RuleViolation, match="đã được tải lên"):
        services.upload_version(session, lab["second"], GAUGE_TEXT)
    with pytest.raises(RuleViolation, match="tăng số phiên bản"):
        services.upload_version(session, lab["second"], GAUGE_TEXT.replace("maximum: 25", "maximum: 26"))


def test_approving_a_new_version_withdraws_the_old_one_but_a_job_keeps_its_version(session, lab):
    first = approved(session, lab)
    authorise(session, lab)
    job, record = measured(session, lab)
    assert job.procedure_version_id == first.id and record.procedure_version_id == first.id
    stored = copy.deepcopy(record.result)
    second = approved(session, lab, second_version())
    assert first.status == VersionStatus.WITHDRAWN and "replaced by version 2" in first.withdrawn_reason
    assert jobs.procedure_for(job).version == "1"  # the job computes with the version it was given
    assert record.result == stored
    newer = gauge_job(session, lab)
    assert newer.procedure_version_id == second.id
    diff = services.difference(first.definition_text, second.definition_text)
    assert '-version: "1"' in diff and '+version: "2"' in diff


def test_a_draft_procedure_cannot_be_requested(session, lab):
    services.upload_version(session, lab["first"], GAUGE_TEXT)
    lab["gauge_type"].procedure_keys = KEY
    with pytest.raises(RuleViolation) as refused:
        gauge_job(session, lab)
    assert refused.value.field == "items[0].procedure_key"


# --- from request to certificate -------------------------------------------------------------------------------


def test_a_gauge_from_request_to_a_signed_certificate_whose_table_comes_from_the_definition(session, lab):
    version = approved(session, lab)
    authorise(session, lab)
    job, record = measured(session, lab)
    assert record.passed is True
    jobs.finish_measurement(session, lab["technician"], job)
    jobs.review_job(session, lab["second"], job, notes="đúng quy trình")
    session.commit()
    signatory = lab["world"].signatory
    lab["world"].stickers()
    with pytest.raises(RuleViolation) as blocked:
        issuing.issue_certificate(session, signatory, job, TEST_PASSWORD)
    assert blocked.value.field == "procedure" and "tests[0].checks[1].mpe" in blocked.value.message
    session.rollback()
    for value in version.unconfirmed_values:
        services.confirm_value(session, lab["second"], value, reason="Đã đối chiếu ĐLVN 08:2011 bản gốc")
    session.commit()
    confirmation = session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "procedure_unconfirmed_value").order_by(AuditEvent.seq.desc())
    ).first()
    assert confirmation.reason == "Đã đối chiếu ĐLVN 08:2011 bản gốc"
    certificate = issuing.issue_certificate(session, signatory, job, TEST_PASSWORD, sticker_serial="VL 0000001")
    session.commit()
    (table,) = certificate.content["results"]
    assert table["title_vi"] == "Kết quả kiểm tra sai số và độ trễ"
    assert [column["heading_vi"] for column in table["columns"]][:3] == ["Điểm kiểm", "Số chỉ ↑", "Số chỉ ↓"]
    assert table["columns"][0]["unit"] == "MPa"
    assert table["rows"][1][:5] == ["0,40", "0,41", "0,42", "0,01", "0,02"]  # digits of the resolution 0.01
    assert table["rows"][1][-1] == "Đạt"
    assert certificate.passed is True and certificate.valid_until is not None


def test_a_failed_gauge_carries_the_definitions_failure_notice(session, lab):
    approved(session, lab)
    authorise(session, lab)
    failing = copy.deepcopy(OBSERVATIONS)
    failing["pressure"][2]["reading_down"] = 0.84  # E↓ = 0.04 > 0.0256 MPa
    job, record = measured(session, lab, failing)
    assert record.passed is False
    doc = certificate_document.build_certificate(
        session,
        job,
        number="KĐ-TEST",
        issued=lab["today"],
        signatory=lab["world"].signatory,
        lab=certificate_document.lab_snapshot(),
        verification_url="https://example.invalid/v/x",
        verification_code="ABCD-EFGH",
    )
    assert any("ĐLVN 08:2011" in remark and "must not be used" in remark for remark in doc.remarks)


def test_an_incomplete_gauge_record_is_saved_but_its_review_waits(session, lab):
    approved(session, lab)
    authorise(session, lab)
    partial = copy.deepcopy(OBSERVATIONS)
    partial["pressure"] = partial["pressure"][:4]
    job, record = measured(session, lab, partial)
    assert record.passed is None and [item["field"] for item in record.missing] == ["pressure[4]"]
    jobs.finish_measurement(session, lab["technician"], job)
    with pytest.raises(RuleViolation) as waiting:
        jobs.review_job(session, lab["second"], job)
    assert waiting.value.field == "observations.pressure[4]"


# --- pages -------------------------------------------------------------------------------------------------------


def _upload(client, text: str):
    return client.post(
        "/procedures/upload",
        data={"definition": (io.BytesIO(text.encode("utf-8")), "gauge.yaml")},
        content_type="multipart/form-data",
    )


def test_the_upload_page_shows_the_report_of_a_refused_definition(client, login, session):
    login("manager")
    response = _upload(client, GAUGE_TEXT.replace("value: error\n", "value: eror\n"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "tests[0].checks[0].value" in page and "eror" in page
    assert session.scalars(select(ProcedureVersion)).all() == []


def test_a_manager_uploads_and_a_second_one_approves_on_the_pages(client, login, session, make_user):
    uploader = login("manager")
    response = _upload(client, GAUGE_TEXT)
    assert response.status_code == 302
    version = session.scalars(select(ProcedureVersion)).one()
    page = client.get(f"/procedures/{version.id}").get_data(as_text=True)
    assert 'data-testid="approve"' not in page  # not to the uploader
    assert "tests[0].checks[1].mpe" in page and "+key: pressure-gauge-dlvn08" in page
    assert client.post(f"/procedures/{version.id}/approve").status_code in (403, 302)
    session.refresh(version)
    assert version.status == VersionStatus.DRAFT
    assert uploader.id == version.uploaded_by_id
    client.get("/logout")
    login("manager")
    assert client.post(f"/procedures/{version.id}/approve").status_code == 302
    session.refresh(version)
    assert version.status == VersionStatus.APPROVED


def test_the_record_form_and_its_preview_are_generated_from_the_definition(client, session, lab):
    approved(session, lab)
    authorise(session, lab)
    job = gauge_job(session, lab)
    jobs.schedule_job(session, lab["first"], job, technician=lab["technician"], day=lab["today"])
    jobs.start_job(session, lab["technician"], job)
    session.commit()
    response = client.post("/login", data={"username": lab["technician"].username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    page = client.get(f"/jobs/{job.id}/record?stage=as_left").get_data(as_text=True)
    assert 'name="obs.pressure.4.reading_down"' in page and 'name="obs.pressure.5.reading_up"' not in page
    assert 'name="obs.standards.reference_gauge.U"' in page and 'name="env.temperature"' in page
    form = {"stage": "as_left", "env.temperature": "21", "standards": str(lab["reference"].id)}
    form.update({f"obs.parameters.{name}": str(value) for name, value in OBSERVATIONS["parameters"].items()})
    form.update(
        {f"obs.standards.reference_gauge.{k}": str(v) for k, v in OBSERVATIONS["standards"]["reference_gauge"].items()}
    )
    for index, row in enumerate(OBSERVATIONS["pressure"][:4]):
        form.update({f"obs.pressure.{index}.{name}": str(value).replace(".", ",") for name, value in row.items()})
    waiting = client.post(f"/jobs/{job.id}/preview", data=form).get_json()
    assert waiting["complete"] is False and waiting["field"] == "obs.pressure.4"  # the missing point, named
    form.update({f"obs.pressure.4.{name}": str(value) for name, value in OBSERVATIONS["pressure"][4].items()})
    preview = client.post(f"/jobs/{job.id}/preview", data=form).get_json()
    assert preview["complete"] is True and preview["passed"] is True
    checks = preview["result"]["values"]["tests"]["pressure"]["points"][1]["runs"]["up"]["checks"]
    assert [row["name"] for row in checks["error"]["budget"]["budget"]] == ["reading", "reference"]


def test_the_import_command_stores_and_approves_the_shipped_definition_and_versions_lists_it(app_context, lab):
    from lims.cli.procedures import procedures_group

    runner = app_context.test_cli_runner()
    args = ["import", str(GAUGE_FILE), "--by", lab["first"].username]
    imported = runner.invoke(procedures_group, args=[*args, "--approve-by", lab["second"].username])
    assert imported.exit_code == 0, imported.output
    assert f"approved {KEY} v1 by {lab['second'].username}" in imported.output
    again = runner.invoke(procedures_group, args=args)
    assert again.exit_code != 0 and "đã được tải lên" in again.output
    listed = runner.invoke(procedures_group, args=["versions"])
    assert listed.exit_code == 0
    assert KEY in listed.output and "approved" in listed.output and "unconfirmed values waiting: 4" in listed.output
