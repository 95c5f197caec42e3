"""Requests, contract review, the job's states and guards, measurement records and their revisions."""

import copy
import json
from datetime import date, timedelta

import pytest

from instruments.calculations import calculation
from instruments.procedures import get_procedure
from lims.auth.permissions import SYSTEM
from lims.core.errors import PermissionDenied, RuleViolation
from lims.customers.models import Instrument, InstrumentType
from lims.jobs import queries, services
from lims.jobs.models import Job, MeasurementRecord
from lims.standards.models import Standard, StandardCalibration, StandardCalibrationValue, StandardItem
from tests.instruments.test_scale_verification import CASE as SCALE_CASE
from tests.instruments.test_weight_comparison import SPEC_EXAMPLE as WEIGHT_CASE
from tests.lims.test_no_bilingual_literals import VIETNAMESE

CONDITIONS = {"temperature": 20.5, "pressure": 1012.3, "humidity": 55.0}


@pytest.fixture()
def lab(session, make_user, make_organisation):
    """An enterprise with a scale and a weight, a manager, an authorised technician with a card, a standard."""
    today = services.lab_today()
    enterprise = make_organisation("Công ty Cân Đo")
    scale_type = InstrumentType(
        code="CAN-KTD",
        name_vi="Cân không tự động",
        name_en="Non-automatic scale",
        procedure_keys="scale-verification-r76,scale-calibration-cg18",
    )
    weight_type = InstrumentType(
        code="QC-M1", name_vi="Quả cân M1", name_en="M1 weight", legal_group=1, procedure_keys="weight-comparison-r111"
    )
    pressure_type = InstrumentType(code="HA-KE", name_vi="Huyết áp kế", name_en="Blood-pressure meter")
    scale = Instrument(
        organisation=enterprise,
        instrument_type=scale_type,
        serial="S-001",
        accuracy_class="III",
        range_max=15,
        range_min=0.1,
        verification_interval=0.005,
        resolution=0.005,
        unit="kg",
    )
    weight = Instrument(
        organisation=enterprise,
        instrument_type=weight_type,
        serial="W-10",
        accuracy_class="M1",
        range_max=10,
        unit="kg",
    )
    standard = Standard(code="M1-SET", name="Bộ quả cân M1", kind="weight_set", due_on=today + timedelta(days=200))
    item = StandardItem(standard=standard, nominal="10 kg", nominal_kg=10.0)
    calibration = StandardCalibration(
        standard=standard,
        certificate_number="VMI-123",
        calibrating_lab="Viện Đo lường Việt Nam",
        calibrated_on=today - timedelta(days=100),
        due_on=today + timedelta(days=200),
        values=[StandardCalibrationValue(item=item, value=5.0, unit="mg", expanded_uncertainty=45, coverage_factor=2)],
    )
    sphygmomanometer = Instrument(organisation=enterprise, instrument_type=pressure_type, serial="HA-7")
    session.add_all([scale, weight, sphygmomanometer, standard, calibration])
    session.flush()
    manager = make_user("manager")
    technician = make_user("technician", full_name="Lê Văn An")
    other = make_user("technician", "signatory", full_name="Phạm Thị Bình")
    for person in (technician, other):
        for key in ("scale-verification-r76", "weight-comparison-r111"):
            services.grant_authorisation(
                session,
                manager,
                user_id=person.id,
                procedure_key=key,
                valid_from=today - timedelta(days=30),
                valid_until=None,
            )
        services.grant_verifier_card(
            session,
            manager,
            user_id=person.id,
            card_number=f"KĐV-{person.id}",
            field="khối lượng",
            valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=365),
        )
    session.commit()
    return {
        "enterprise": enterprise,
        "scale": scale,
        "weight": weight,
        "sphygmomanometer": sphygmomanometer,
        "standard": standard,
        "manager": manager,
        "technician": technician,
        "other": other,
        "today": today,
    }


def open_job(session, lab, instrument="scale", service="periodic_verification", key="scale-verification-r76") -> Job:
    request = services.create_request(
        session,
        lab["manager"],
        organisation_id=lab["enterprise"].id,
        items=[services.RequestItem(lab[instrument].id, service, key)],
    )
    (job,) = services.accept_request(session, lab["manager"], request, notes="đủ năng lực, đủ chuẩn")
    return job


def in_progress(session, lab, **kwargs) -> Job:
    job = open_job(session, lab, **kwargs)
    services.schedule_job(session, lab["manager"], job, technician=lab["technician"], day=lab["today"])
    services.start_job(session, lab["technician"], job)
    return job


def record(session, lab, job, document=None, stage="as_found", **kwargs):
    return services.record_measurement(
        session,
        kwargs.pop("actor", lab["technician"]),
        job,
        stage=stage,
        observations=copy.deepcopy(document or SCALE_CASE),
        conditions=kwargs.pop("conditions", CONDITIONS),
        standard_ids=kwargs.pop("standard_ids", [lab["standard"].id]),
        **kwargs,
    )


# --- requests and contract review ---


def test_accepting_a_request_opens_one_received_job_per_item(session, lab):
    request = services.create_request(
        session,
        lab["manager"],
        organisation_id=lab["enterprise"].id,
        items=[
            services.RequestItem(lab["scale"].id, "periodic_verification", "scale-verification-r76"),
            services.RequestItem(lab["weight"].id, "calibration", "weight-comparison-r111"),
        ],
        decision_rule="guarded",
    )
    assert request.status == "submitted" and request.number.startswith("YC")
    jobs = services.accept_request(session, lab["manager"], request, notes="chấp nhận")
    assert [job.status for job in jobs] == ["received", "received"]
    assert {job.instrument_id for job in jobs} == {lab["scale"].id, lab["weight"].id}
    # The type allows no ĐLVN method in this catalogue: none is printed (never the procedure's first seed method).
    assert jobs[0].method_code is None
    assert request.status == "accepted" and request.reviewed_by_id == lab["manager"].id and request.reviewed_at
    with pytest.raises(RuleViolation, match="đã được xem xét"):
        services.accept_request(session, lab["manager"], request)


def test_declining_needs_a_reason(session, lab):
    request = services.create_request(
        session,
        lab["manager"],
        organisation_id=lab["enterprise"].id,
        items=[services.RequestItem(lab["scale"].id, "periodic_verification", "scale-verification-r76")],
    )
    with pytest.raises(RuleViolation) as refused:
        services.decline_request(session, lab["manager"], request, notes=" ")
    assert refused.value.field == "review_notes"
    services.decline_request(session, lab["manager"], request, notes="không đủ chuẩn")
    assert request.status == "declined" and request.jobs == []


def test_an_enterprise_user_may_request_only_for_its_own_instruments(session, lab, make_user, make_organisation):
    own = make_user("enterprise", organisation=lab["enterprise"])
    stranger = make_user("enterprise")
    item = services.RequestItem(lab["scale"].id, "periodic_verification", "scale-verification-r76")
    request = services.create_request(session, own, organisation_id=lab["enterprise"].id, items=[item])
    assert request.organisation_id == lab["enterprise"].id
    with pytest.raises(PermissionDenied):
        services.create_request(session, stranger, organisation_id=lab["enterprise"].id, items=[item])
    with pytest.raises(RuleViolation) as refused:
        services.create_request(session, stranger, organisation_id=stranger.organisation_id, items=[item])
    assert refused.value.field == "items[0].instrument_id"


def test_a_calibration_procedure_is_refused_for_a_verification(session, lab):
    with pytest.raises(RuleViolation) as refused:
        services.create_request(
            session,
            lab["manager"],
            organisation_id=lab["enterprise"].id,
            items=[services.RequestItem(lab["scale"].id, "periodic_verification", "scale-calibration-cg18")],
        )
    assert refused.value.field == "items[0].procedure_key"


@pytest.mark.parametrize(
    ("instrument", "service", "key"),
    [
        ("sphygmomanometer", "periodic_verification", "scale-verification-r76"),  # a type with no procedure
        ("weight", "periodic_verification", "scale-verification-r76"),  # a procedure for another type
        ("scale", "calibration", "weight-comparison-r111"),
    ],
)
def test_a_procedure_the_catalogue_does_not_name_for_the_instruments_type_is_refused(
    session, lab, instrument, service, key
):
    with pytest.raises(RuleViolation) as refused:
        services.create_request(
            session,
            lab["manager"],
            organisation_id=lab["enterprise"].id,
            items=[services.RequestItem(lab[instrument].id, service, key)],
        )
    assert refused.value.field == "items[0].procedure_key"
    assert "Dòng 1" in refused.value.message


def test_the_procedures_of_a_type_are_the_catalogues_registered_keys(session, lab):
    assert [cls.key for cls in services.applicable_procedures(lab["scale"].instrument_type)] == [
        "scale-verification-r76",
        "scale-calibration-cg18",
    ]
    assert services.applicable_procedures(lab["sphygmomanometer"].instrument_type) == []
    lab["sphygmomanometer"].instrument_type.procedure_keys = "sphygmomanometer-oiml-r16"  # named, not implemented
    assert services.applicable_procedures(lab["sphygmomanometer"].instrument_type) == []


def test_contract_review_refuses_an_item_whose_procedure_no_longer_applies(session, lab):
    request = services.create_request(
        session,
        lab["manager"],
        organisation_id=lab["enterprise"].id,
        items=[
            services.RequestItem(lab["weight"].id, "calibration", "weight-comparison-r111"),
            services.RequestItem(lab["scale"].id, "periodic_verification", "scale-verification-r76"),
        ],
    )
    lab["scale"].instrument_type.procedure_keys = "scale-calibration-cg18"  # the catalogue was corrected since
    with pytest.raises(RuleViolation) as refused:
        services.accept_request(session, lab["manager"], request, notes="")
    assert refused.value.field == "items[1].procedure_key"
    assert request.status == "submitted"


@pytest.mark.parametrize(
    ("item", "field", "words"),
    [
        (("scale", "", "scale-verification-r76"), "items[2].service", "cần chọn dịch vụ"),
        (("scale", "periodic_verification", ""), "items[2].procedure_key", "cần chọn quy trình"),
        (
            (None, "periodic_verification", "scale-verification-r76"),
            "items[2].instrument_id",
            "cần chọn phương tiện đo",
        ),
    ],
)
def test_a_row_left_incomplete_is_refused_naming_its_row_and_field(session, lab, item, field, words):
    instrument, service, key = item
    items = [
        services.RequestItem(lab["weight"].id, "calibration", "weight-comparison-r111"),
        services.RequestItem(0, "", ""),  # a row of the form left empty is skipped, and keeps its number
        services.RequestItem(lab[instrument].id if instrument else 0, service, key),
    ]
    with pytest.raises(RuleViolation) as refused:
        services.create_request(session, lab["manager"], organisation_id=lab["enterprise"].id, items=items)
    assert refused.value.field == field
    assert words in refused.value.message and "Dòng 3" in refused.value.message and "''" not in refused.value.message


def test_who_measured_a_job_is_known_for_the_review(session, lab):
    job = in_progress(session, lab)
    record(session, lab, job)
    assert services.measured_by(lab["technician"], job) and not services.measured_by(lab["other"], job)


# --- states ---


def test_a_job_goes_through_every_state_to_returned(session, lab):
    job = open_job(session, lab)
    assert job.status == "received"
    services.schedule_job(session, lab["manager"], job, technician=lab["technician"], day=lab["today"])
    assert (job.status, job.technician_id, job.scheduled_on) == ("scheduled", lab["technician"].id, lab["today"])
    services.start_job(session, lab["technician"], job)
    assert job.status == "in_progress"
    record(session, lab, job)
    services.finish_measurement(session, lab["technician"], job)
    assert (job.status, job.passed, job.measured_by_id) == ("measured", True, lab["technician"].id)
    services.review_job(session, lab["other"], job, notes="đúng quy trình")
    assert job.status == "reviewed" and job.reviewed_by_id == lab["other"].id
    services.mark_certified(session, SYSTEM, job)
    assert job.status == "certified" and job.certified_at
    services.mark_returned(session, SYSTEM, job)
    assert job.status == "returned" and job.returned_on == lab["today"]


def test_a_measured_job_can_be_sent_back_to_measuring_with_a_reason(session, lab):
    job = in_progress(session, lab)
    record(session, lab, job)
    services.finish_measurement(session, lab["technician"], job)
    with pytest.raises(RuleViolation):
        services.reopen_measurement(session, lab["other"], job, "")
    services.reopen_measurement(session, lab["other"], job, "thiếu phép thử lệch tâm")
    assert job.status == "in_progress"


@pytest.mark.parametrize("state", ["received", "scheduled", "in_progress", "measured", "reviewed"])
def test_hold_then_resume_returns_to_the_state_before(session, lab, state):
    job = in_progress(session, lab) if state != "received" else open_job(session, lab)
    if state == "scheduled":
        job.status = "scheduled"
    if state in ("measured", "reviewed"):
        record(session, lab, job)
        services.finish_measurement(session, lab["technician"], job)
    if state == "reviewed":
        services.review_job(session, lab["other"], job)
    assert job.status == state
    with pytest.raises(RuleViolation) as refused:
        services.hold_job(session, lab["technician"], job, "")
    assert refused.value.field == "reason"
    services.hold_job(session, lab["technician"], job, "chờ doanh nghiệp gửi phụ kiện")
    assert (job.status, job.status_before_hold) == ("on_hold", state)
    services.resume_job(session, lab["technician"], job)
    assert job.status == state and job.status_before_hold is None


def test_cancel_needs_a_reason_and_a_manager_and_not_a_certified_job(session, lab):
    job = open_job(session, lab)
    with pytest.raises(PermissionDenied):
        services.cancel_job(session, lab["technician"], job, "hỏng")
    with pytest.raises(RuleViolation) as refused:
        services.cancel_job(session, lab["manager"], job, "  ")
    assert refused.value.field == "reason"
    services.cancel_job(session, lab["manager"], job, "doanh nghiệp rút yêu cầu")
    assert job.status == "cancelled" and job.cancel_reason == "doanh nghiệp rút yêu cầu"
    with pytest.raises(RuleViolation):
        services.resume_job(session, lab["manager"], job)
    certified = in_progress(session, lab)
    record(session, lab, certified)
    services.finish_measurement(session, lab["technician"], certified)
    services.review_job(session, lab["other"], certified)
    services.mark_certified(session, SYSTEM, certified)
    with pytest.raises(RuleViolation, match="Không thể hủy"):
        services.cancel_job(session, lab["manager"], certified, "muộn")
    with pytest.raises(RuleViolation):
        services.hold_job(session, lab["manager"], certified, "muộn")


@pytest.mark.parametrize(
    ("action", "state"),
    [
        (lambda s, lab, job: services.start_job(s, lab["manager"], job), "received"),
        (lambda s, lab, job: services.review_job(s, lab["other"], job), "in_progress"),
        (lambda s, lab, job: services.mark_certified(s, SYSTEM, job), "measured"),
        (lambda s, lab, job: services.mark_returned(s, SYSTEM, job), "reviewed"),
        (lambda s, lab, job: services.finish_measurement(s, lab["manager"], job), "scheduled"),
    ],
)
def test_a_transition_out_of_order_is_refused_in_words(session, lab, action, state):
    job = in_progress(session, lab)
    if state in ("measured", "reviewed"):
        record(session, lab, job)
    job.status = state
    with pytest.raises(RuleViolation) as refused:
        action(session, lab, job)
    # A gettext message with its Vietnamese source, not a code nor a "vi / en" literal.
    assert VIETNAMESE.search(refused.value.message) and " / " not in refused.value.message and job.status == state


def test_finishing_without_a_record_is_refused(session, lab):
    job = in_progress(session, lab)
    with pytest.raises(RuleViolation) as refused:
        services.finish_measurement(session, lab["technician"], job)
    assert refused.value.field == "records"


def test_another_technician_cannot_work_on_a_job_not_assigned_to_them(session, lab):
    job = open_job(session, lab)
    services.schedule_job(session, lab["manager"], job, technician=lab["technician"], day=lab["today"])
    with pytest.raises(PermissionDenied):
        services.start_job(session, lab["other"], job)


# --- guards ---


def test_scheduling_a_technician_without_authorisation_is_refused(session, lab, make_user):
    job = open_job(session, lab)
    newcomer = make_user("technician", full_name="Người Mới")
    with pytest.raises(RuleViolation, match="chưa được phân quyền") as refused:
        services.schedule_job(session, lab["manager"], job, technician=newcomer, day=lab["today"])
    assert refused.value.field == "technician_id"


def test_an_authorisation_expired_on_the_measurement_day_is_refused(session, lab):
    job = in_progress(session, lab)
    yesterday = lab["today"] - timedelta(days=1)
    for authorisation in queries.authorisations_of(session, lab["technician"]):
        authorisation.valid_until = yesterday
    with pytest.raises(RuleViolation, match="chưa được phân quyền"):
        record(session, lab, job)
    assert record(session, lab, job, measured_on=yesterday).measured_on == yesterday


def test_a_revoked_authorisation_no_longer_counts(session, lab):
    job = in_progress(session, lab)
    for authorisation in queries.authorisations_of(session, lab["technician"]):
        services.revoke_authorisation(session, lab["manager"], authorisation, "đào tạo lại")
    with pytest.raises(RuleViolation, match="chưa được phân quyền"):
        record(session, lab, job)


def test_a_legal_verification_needs_a_valid_verifier_card_but_a_calibration_does_not(session, lab):
    job = in_progress(session, lab)
    for card in queries.cards_of(session, lab["technician"]):
        card.valid_until = lab["today"] - timedelta(days=1)
    with pytest.raises(RuleViolation, match="thẻ kiểm định viên"):
        record(session, lab, job)
    calibration = in_progress(session, lab, instrument="weight", service="calibration", key="weight-comparison-r111")
    assert record(session, lab, calibration, WEIGHT_CASE).revision == 1


@pytest.mark.parametrize("problem", ["out_for_calibration", "past_due"])
def test_a_standard_not_usable_on_the_measurement_day_is_refused(session, lab, problem):
    job = in_progress(session, lab)
    if problem == "past_due":
        lab["standard"].due_on = lab["today"] - timedelta(days=1)
    else:
        lab["standard"].status = problem
    with pytest.raises(RuleViolation) as refused:
        record(session, lab, job)
    assert refused.value.field == "standards"
    assert job.records == []


def test_a_record_needs_at_least_one_standard(session, lab):
    job = in_progress(session, lab)
    with pytest.raises(RuleViolation) as refused:
        record(session, lab, job, standard_ids=[])
    assert refused.value.field == "standards"


def test_conditions_outside_the_procedures_limits_are_refused(session, lab):
    job = in_progress(session, lab)
    with pytest.raises(RuleViolation) as refused:
        record(session, lab, job, conditions={"temperature": 45.0})
    assert refused.value.field == "conditions.temperature"


def test_the_person_who_measured_may_not_review(session, lab):
    job = in_progress(session, lab)
    record(session, lab, job)
    services.finish_measurement(session, lab["technician"], job)
    with pytest.raises(RuleViolation, match="không được là người đã đo"):
        services.review_job(session, lab["technician"], job)
    assert job.status == "measured"


def test_bad_observations_are_refused_naming_the_field(session, lab):
    job = in_progress(session, lab)
    document = copy.deepcopy(SCALE_CASE)
    document["scale"]["e"] = -1
    with pytest.raises(RuleViolation) as refused:
        record(session, lab, job, document)
    assert refused.value.field.startswith("observations.scale.e")


# --- records ---


def test_a_record_snapshots_the_standards_calibration_values_of_that_day(session, lab):
    job = in_progress(session, lab)
    saved = record(session, lab, job)
    (entry,) = saved.standards_snapshot
    assert entry["code"] == "M1-SET"
    assert entry["calibration"]["certificate_number"] == "VMI-123"
    assert entry["calibration"]["values"][0] == {
        "item_id": lab["standard"].items[0].id,
        "item": "10 kg",
        "nominal_kg": 10.0,
        "marking": None,
        "density": None,
        "density_uncertainty": None,
        "quantity": "correction",
        "value": 5.0,
        "unit": "mg",
        "expanded_uncertainty": 45.0,
        "coverage_factor": 2.0,
    }
    assert [row.standard_id for row in job.standards_used] == [lab["standard"].id]


def test_an_edit_makes_a_new_revision_and_keeps_the_original(session, lab):
    job = in_progress(session, lab)
    first = record(session, lab, job)
    changed = copy.deepcopy(SCALE_CASE)
    changed["weighing"][0]["indication"] = 0.105
    with pytest.raises(RuleViolation) as refused:
        record(session, lab, job, changed)
    assert refused.value.field == "change_reason"
    second = record(session, lab, job, changed, change_reason="gõ nhầm số chỉ tại Min")
    session.commit()
    assert (first.revision, first.superseded, second.revision, second.superseded) == (1, True, 2, False)
    assert first.observations == SCALE_CASE  # the original observation is never overwritten
    assert second.observations["weighing"][0]["indication"] == 0.105
    history = services.record_history(session, second)
    assert [(r.revision, r.change_reason) for r in history] == [(2, "gõ nhầm số chỉ tại Min"), (1, None)]
    assert services.current_records(job) == {"as_found": second}


def test_as_found_and_as_left_are_both_kept_and_the_job_is_marked_adjusted(session, lab):
    job = in_progress(session, lab)
    failing = copy.deepcopy(SCALE_CASE)
    failing["weighing"][3]["indication"] = 15.02
    record(session, lab, job, failing, stage="as_found")
    record(session, lab, job, SCALE_CASE, stage="as_left")
    services.finish_measurement(session, lab["technician"], job)
    current = services.current_records(job)
    assert (current["as_found"].passed, current["as_left"].passed) == (False, True)
    assert job.adjusted and job.passed is True


def test_a_weight_records_result_equals_what_lims_calc_weight_gives(session, lab):
    job = in_progress(session, lab, instrument="weight", service="calibration", key="weight-comparison-r111")
    saved = record(session, lab, job, WEIGHT_CASE)
    session.commit()
    stored = session.get(MeasurementRecord, saved.id)
    expected = json.loads(json.dumps(calculation("weight")(copy.deepcopy(WEIGHT_CASE))))
    assert stored.result["values"] == expected
    assert stored.passed == expected["conforms"]


def test_a_scale_records_result_equals_the_procedures(session, lab):
    job = in_progress(session, lab)
    saved = record(session, lab, job)
    expected = get_procedure("scale-verification-r76")().calculate(copy.deepcopy(SCALE_CASE)).as_dict()
    assert saved.result["values"]["tests"] == expected["values"]["tests"]
    assert saved.result["tables"] == json.loads(json.dumps(expected["tables"]))
    assert saved.passed is True


def test_a_record_day_in_the_future_is_refused(session, lab):
    job = in_progress(session, lab)
    with pytest.raises(RuleViolation) as refused:
        record(session, lab, job, measured_on=lab["today"] + timedelta(days=1))
    assert refused.value.field == "measured_on"


def test_initial_observations_come_from_the_instrument_and_the_request(session, lab):
    job = open_job(session, lab)
    assert services.initial_observations(job) == {
        "scale": {"accuracy_class": "III", "max": 15, "min": 0.1, "e": 0.005, "d": 0.005, "unit": "kg"},
        "decision_rule": "simple",
    }
    assert date.today() - lab["today"] <= timedelta(days=1)
