"""A record that lacks what its procedure requires is named and cannot be reviewed; reviewed jobs whose records
would not stand under a changed rule are flagged for a second look, never recomputed in place (issue 13).

The R 76 case is tests/instruments/test_scale_verification.py's CASE (class III, Max 15 kg, e = d = 5 g): its MPE
change points are 500 e = 2.5 kg and 2000 e = 10 kg. Without the loadings at 0.1 kg (Min) and 2.5 kg, two required
loads are missing.
"""

import copy

import pytest

from lims.core.errors import RuleViolation
from lims.issuing import services as issuing
from lims.jobs import second_look, services
from lims.jobs.models import MeasurementRecord
from tests.instruments.test_scale_verification import CASE
from tests.lims.test_jobs_workflow import in_progress, lab, record  # noqa: F401 (lab is a fixture)

INCOMPLETE = copy.deepcopy(CASE)
INCOMPLETE["weighing"] = INCOMPLETE["weighing"][2:]


def measured(session, lab, document):  # noqa: F811
    job = in_progress(session, lab)
    record(session, lab, job, document)
    services.finish_measurement(session, lab["technician"], job)
    return job


def test_an_incomplete_record_is_saved_with_its_missing_items_and_review_is_refused(session, lab):  # noqa: F811
    job = measured(session, lab, INCOMPLETE)
    saved = services.current_records(job)["as_found"]
    assert [item["field"] for item in saved.missing] == ["weighing", "weighing"]
    assert saved.passed is None and job.passed is None
    with pytest.raises(RuleViolation) as refused:
        services.review_job(session, lab["other"], job)
    assert refused.value.field == "observations.weighing"
    assert "0.1 kg (Min, 20 e)" in refused.value.message and "(và 1 mục khác)" in refused.value.message
    assert job.status == "measured"


def test_a_complete_record_is_reviewed(session, lab):  # noqa: F811
    job = measured(session, lab, CASE)
    services.review_job(session, lab["other"], job)
    assert job.status == "reviewed"


def test_a_reviewed_job_whose_record_no_longer_stands_is_flagged_not_recomputed(session, lab):  # noqa: F811
    job = measured(session, lab, CASE)
    services.review_job(session, lab["other"], job)
    stored = services.current_records(job)["as_found"]
    # The record as the old rule stored it: the loads at Min and 2.5 kg absent, yet passed and with nothing missing.
    old_result = copy.deepcopy(stored.result)
    old_result["missing"] = []
    stored.observations = copy.deepcopy(INCOMPLETE)
    stored.result = old_result
    stored.passed = True
    session.flush()

    flagged = second_look.sweep_reviewed_jobs(session)
    assert flagged == [job]
    assert "0.1 kg (Min, 20 e)" in job.second_look_reason
    assert session.get(MeasurementRecord, stored.id).result == old_result  # the stored result is left as computed
    assert second_look.sweep_reviewed_jobs(session) == []  # flagged once

    with pytest.raises(RuleViolation) as refused:
        issuing.issue_certificate(session, lab["other"], job, "whatever")
    assert refused.value.field == "job" and "cần soát xét lại" in refused.value.message

    services.reopen_measurement(session, lab["other"], job, "soát xét lại theo quy tắc mới")
    assert job.status == "in_progress" and job.second_look_reason is None


def test_the_job_page_shows_the_missing_items_and_the_second_look_flag(session, lab, client, login):  # noqa: F811
    job = measured(session, lab, INCOMPLETE)
    session.commit()
    login("manager")
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'data-testid="record-missing"' in page and 'data-field="weighing"' in page
    second_look.flag_for_second_look(session, job, "R 76: 2.5 kg untested")
    session.commit()
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert 'data-testid="job-second-look"' in page and "R 76: 2.5 kg untested" in page
