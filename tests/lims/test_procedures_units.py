# ruff: noqa: F811 - the `lab` fixture is imported from the procedures tests
"""A bench record in the lab: one record holding two gauges' readings, each gauge's job tied to its unit, with its
own decision and its own result for its certificate."""

import copy

import pytest

from instruments.procedures.defined import load_procedure
from lims.core.errors import PermissionDenied, RuleViolation
from lims.customers.models import Instrument
from lims.jobs import services as jobs
from lims.jobs.units import assign_units, unit_result
from lims.procedures import services
from tests.instruments.test_units_under_test import FAILING_ROWS, GOOD, bench_text, observations
from tests.lims.test_jobs_pages import form_data
from tests.lims.test_procedures_data import KEY, approved, authorise, lab, measured  # noqa: F401


def bench_job(session, lab, instrument):
    request = jobs.create_request(
        session,
        lab["first"],
        organisation_id=lab["world"].customer.id,
        items=[jobs.RequestItem(instrument.id, "periodic_verification", KEY)],
    )
    (job,) = jobs.accept_request(session, lab["first"], request, notes="bàn đo áp kế")
    jobs.schedule_job(session, lab["first"], job, technician=lab["technician"], day=lab["today"])
    jobs.start_job(session, lab["technician"], job)
    return job


@pytest.fixture()
def bench(session, lab):
    """The bench version of the gauge procedure approved; two gauges, each with its job in progress."""
    version = services.upload_version(session, lab["first"], bench_text())
    services.approve_version(session, lab["second"], version)
    authorise(session, lab)
    second_gauge = Instrument(
        organisation_id=lab["world"].customer.id,
        instrument_type_id=lab["gauge_type"].id,
        serial="AK-0017",
        range_min=0,
        range_max=1.6,
        unit="MPa",
        accuracy_class="1.6",
    )
    session.add(second_gauge)
    session.flush()
    first_job, second_job = bench_job(session, lab, lab["gauge"]), bench_job(session, lab, second_gauge)
    record = jobs.record_measurement(
        session,
        lab["technician"],
        first_job,
        stage="as_left",
        observations=observations(GOOD["pressure"], FAILING_ROWS),
        conditions={"temperature": 21.0},
        standard_ids=[lab["reference"].id],
        measured_on=lab["today"],
    )
    return {"version": version, "jobs": (first_job, second_job), "record": record}


def test_each_gauge_on_the_bench_has_its_own_job_decision_and_result(session, lab, bench):
    first_job, second_job = bench["jobs"]
    record = bench["record"]
    assert record.procedure_version_id == bench["version"].id and record.passed is False  # the bench's summary
    units = assign_units(session, lab["technician"], record, [first_job.id, second_job.id])
    assert [(unit.position, unit.job_id, unit.passed) for unit in units] == [
        (0, first_job.id, True),
        (1, second_job.id, False),
    ]
    own = unit_result(record, 1)
    assert own["passed"] is False and [table["key"] for table in own["tables"]] == ["pressure"]
    assert own["values"]["failure_notice"]["vi"].startswith("Áp kế không đạt")
    # The unit's result is the one its gauge alone would have had.
    alone = load_procedure(bench_text())().calculate(observations(FAILING_ROWS))
    assert own["values"]["tests"] == jobs._json_ready(alone.values["units"][0]["tests"])


def test_a_bench_refuses_jobs_that_do_not_match_its_units(session, lab, bench):
    first_job, second_job = bench["jobs"]
    record = bench["record"]
    with pytest.raises(RuleViolation) as short:
        assign_units(session, lab["technician"], record, [first_job.id])
    assert short.value.field == "units"
    with pytest.raises(RuleViolation) as first_elsewhere:
        assign_units(session, lab["technician"], record, [second_job.id, first_job.id])
    assert first_elsewhere.value.field == "units[0]"
    with pytest.raises(RuleViolation) as twice:
        assign_units(session, lab["technician"], record, [first_job.id, first_job.id])
    assert twice.value.field == "units[1]"
    with pytest.raises(PermissionDenied):
        assign_units(session, lab["world"].signatory, record, [first_job.id, second_job.id])


def test_a_one_unit_record_has_no_units_to_assign(session, lab):
    approved(session, lab)
    authorise(session, lab)
    job, record = measured(session, lab, copy.deepcopy(GOOD))
    with pytest.raises(RuleViolation) as refused:
        assign_units(session, lab["technician"], record, [job.id])
    assert refused.value.field == "units"


def test_the_bench_record_form_has_the_shared_fields_once_and_each_units_rows(client, session, lab, bench):
    from tests.conftest import TEST_PASSWORD

    first_job, _second = bench["jobs"]
    session.commit()
    client.post("/login", data={"username": lab["technician"].username, "password": TEST_PASSWORD})
    response = client.get(f"/jobs/{first_job.id}/record?stage=as_left")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="obs.parameters.p_max"' in page and 'name="obs.units.0.parameters.accuracy_class"' in page
    assert 'name="obs.units.0.pressure.4.reading_down"' in page and 'name="obs.units.2.pressure.0.reading_up"' in page
    # What the form posts back reads as the bench's document and computes each unit.
    form = {"stage": "as_left", "env.temperature": "21", "standards": str(lab["reference"].id)}
    form.update(form_data(observations(GOOD["pressure"], FAILING_ROWS)))
    preview = client.post(f"/jobs/{first_job.id}/preview", data=form).get_json()
    assert preview["complete"] is True and preview["passed"] is False
    assert [unit["passed"] for unit in preview["result"]["values"]["units"]] == [True, False]
