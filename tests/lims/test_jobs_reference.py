# ruff: noqa: F811 - the `lab` fixture is imported from the workflow tests
"""Reference values from the standard's certificate: the conversion, the pre-filled form, the flag at save."""

import copy
import html
import json
from decimal import Decimal

import pytest
from flask_babel import refresh

from instruments.calculations import calculation
from lims.jobs import reference, services
from lims.jobs.models import JobStandard
from lims.standards.models import StandardCalibrationValue, StandardItem
from tests.lims.test_jobs_pages import form_data, sign_in
from tests.lims.test_jobs_workflow import CONDITIONS, WEIGHT_CASE, in_progress, lab, record  # noqa: F401

# --- the conversion: the register keeps a correction (m_c − m_0), the form wants the conventional mass ---


@pytest.mark.parametrize(
    ("nominal", "quantity", "value", "unit", "milligrams", "text"),
    [
        ("10 kg", "correction", 5.0, "mg", Decimal("10000005"), "10000.005 g"),
        ("500 g", "correction", -0.0012, "g", Decimal("499998.8"), "499.9988 g"),
        ("2 kg", "correction", 0.0, "mg", Decimal("2000000"), "2000 g"),
        ("1 mg", "correction", 3.0, "µg", Decimal("1.003"), "1.003 mg"),
        ("2 kg", "value", 2000.0004, "g", Decimal("2000000.4"), "2000.0004 g"),
    ],
)
def test_a_certificate_value_becomes_the_conventional_mass_exactly(nominal, quantity, value, unit, milligrams, text):
    mass = reference.conventional_mass_mg(nominal, quantity, value, unit)
    assert mass == milligrams
    assert reference.mass_text(mass) == text


@pytest.mark.parametrize(("quantity", "unit"), [("error", "mg"), ("correction", "°C")])
def test_a_value_that_is_not_a_mass_correction_is_not_converted(quantity, unit):
    with pytest.raises(ValueError):
        reference.conventional_mass_mg("10 kg", quantity, 5.0, unit)


def _snapshot(*values, code="M1-SET"):
    return [
        {
            "standard_id": 1,
            "code": code,
            "calibration": {
                "certificate_number": "VMI-1",
                "calibrating_lab": "VMI",
                "calibrated_on": "2026-01-05",
                "values": [
                    {
                        "item_id": index,
                        "item": item,
                        "marking": marking,
                        "quantity": "correction",
                        "value": correction,
                        "unit": "mg",
                        "expanded_uncertainty": 16.0,
                        "coverage_factor": 2.0,
                        "density": 7950.0,
                        "density_uncertainty": 70.0,
                    }
                    for index, (item, marking, correction) in enumerate(values)
                ],
            },
        }
    ]


def test_the_unmarked_weight_of_the_nominal_mass_is_used_and_the_other_named():
    snapshot = _snapshot(("2 kg", "2*", 9.0), ("2 kg", None, 4.0), ("1 kg", None, 1.0))
    filled = reference.prefill(snapshot, ["2000 g"])  # compared by mass, not by spelling
    assert filled.values == {
        "conventional_mass": "2000.004 g",
        "expanded_uncertainty": "16 mg",
        "coverage_factor": 2.0,
        "density": 7950.0,
        "density_uncertainty": 70.0,
    }
    assert (filled.source["item"], filled.source["marking"], filled.others) == ("2 kg", None, ("2 kg 2*",))


def test_a_nominal_the_set_lacks_or_differing_test_weights_fill_nothing_and_say_why():
    snapshot = _snapshot(("2 kg", None, 4.0))
    assert reference.prefill(snapshot, ["5 kg"]).problem == "no_item"
    assert reference.prefill(snapshot, ["2 kg", "1 kg"]).problem == "several_nominals"
    assert reference.prefill([], ["2 kg"]).problem == "no_standard"
    # AB1...BnA: several weights of one nominal value share the reference
    observations = {"cycle": "AB1...BnA", "weights": [{"nominal": "2 kg"}, {"nominal": "2000 g"}]}
    assert reference.prefill(snapshot, reference.nominals_under_test(observations)).values


def test_a_difference_within_rounding_is_not_flagged_and_a_dropped_correction_is():
    certificate = {"conventional_mass": "10000.005 g", "expanded_uncertainty": "45 mg", "coverage_factor": 2.0}
    rounded = {"conventional_mass": "10000.0052 g", "expanded_uncertainty": "0.045 g", "coverage_factor": 2}
    assert reference.differences(rounded, certificate) == []
    dropped = {**rounded, "conventional_mass": "10 kg", "coverage_factor": 2.1}
    assert [row["field"] for row in reference.differences(dropped, certificate)] == [
        "conventional_mass",
        "coverage_factor",
    ]


# --- the form, the save and the review ---


@pytest.fixture()
def weight_job(session, lab):
    """A weight calibration in progress, the M1 set chosen; the set's 10 kg has its density and a marked twin."""
    standard = lab["standard"]
    (item,) = standard.items
    item.density, item.density_uncertainty = 8000.0, 30.0
    twin = StandardItem(standard=standard, nominal="10 kg", nominal_kg=10.0, marking="10*", density=7950.0)
    (calibration,) = standard.calibrations
    calibration.values.append(
        StandardCalibrationValue(item=twin, value=-12.0, unit="mg", expanded_uncertainty=45, coverage_factor=2)
    )
    job = in_progress(session, lab, instrument="weight", service="calibration", key="weight-comparison-r111")
    job.standards_used.append(JobStandard(standard_id=standard.id, used_on=lab["today"]))
    session.commit()
    return job


def _without_reference_values(document):
    document = copy.deepcopy(document)
    for name in ("conventional_mass", "expanded_uncertainty", "coverage_factor", "density", "density_uncertainty"):
        document["reference"].pop(name)
    return document


def test_the_form_is_prefilled_from_the_standards_certificate_and_says_which(client, session, lab, weight_job):
    sign_in(client, lab["technician"])
    page = html.unescape(client.get(f"/jobs/{weight_job.id}/record?stage=as_found").get_data(as_text=True))
    assert 'name="obs.reference.conventional_mass" value="10000.005 g"' in page
    assert 'name="obs.reference.expanded_uncertainty" value="45 mg"' in page
    assert 'name="obs.reference.coverage_factor" value="2"' in page
    assert 'name="obs.reference.density" value="8000"' in page
    assert 'name="obs.reference.density_uncertainty" value="30"' in page
    assert "giấy chứng nhận VMI-123" in page and "M1-SET" in page and "quả cân 10 kg." in page
    assert "10 kg 10*" in page  # the marked twin is named, not used


def test_picking_a_standard_answers_its_values_and_a_nominal_the_set_lacks_says_so(client, session, lab, weight_job):
    sign_in(client, lab["technician"])
    url = f"/jobs/{weight_job.id}/reference?standards={lab['standard'].id}&measured_on={lab['today'].isoformat()}"
    answer = client.get(url + "&nominal=10000 g").get_json()
    assert answer["values"]["conventional_mass"] == "10000.005 g"
    assert answer["source"]["certificate_number"] == "VMI-123"
    lacking = client.get(url + "&nominal=5 kg").get_json()
    assert lacking["values"] == {} and "5 kg" in lacking["note"] and "nhập tay" in lacking["note"]
    weight_job.instrument.range_max = 5
    session.commit()
    page = client.get(f"/jobs/{weight_job.id}/record?stage=as_found").get_data(as_text=True)
    assert 'name="obs.reference.conventional_mass" value=""' in page
    assert "không có quả cân danh định 5 kg" in page


def test_a_record_saved_with_the_prefilled_values_has_no_flag_and_the_calculations_result(
    client, session, lab, weight_job
):
    day = lab["today"]
    filled = services.reference_prefill(session, weight_job, [lab["standard"].id], day, ["10 kg"])
    document = filled.apply(_without_reference_values(WEIGHT_CASE))
    sign_in(client, lab["technician"])
    data = form_data({key: value for key, value in document.items() if key != "readings"})
    data.update({f"obs.readings.{i}": " ".join(str(v) for v in row) for i, row in enumerate(document["readings"])})
    data.update({f"env.{k}": str(v) for k, v in CONDITIONS.items()})
    data.update({"stage": "as_found", "standards": str(lab["standard"].id), "measured_on": day.isoformat()})
    response = client.post(f"/jobs/{weight_job.id}/record", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (saved,) = weight_job.records
    session.refresh(saved)
    assert saved.reference_check["status"] == "matches" and not saved.reference_differs
    expected = json.loads(json.dumps(calculation("weight")(copy.deepcopy(document))))
    assert saved.result["values"] == expected
    assert expected == json.loads(json.dumps(calculation("weight")(copy.deepcopy(WEIGHT_CASE))))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="reference-matches"' in page and 'data-testid="reference-flag"' not in page


def test_a_record_with_a_changed_u_carries_the_flag_naming_the_field_up_to_the_review(client, session, lab, weight_job):
    document = copy.deepcopy(WEIGHT_CASE)
    document["reference"]["expanded_uncertainty"] = "30 mg"
    saved = record(session, lab, weight_job, document, conditions=CONDITIONS)  # saved all the same
    assert saved.reference_differs
    (difference,) = saved.reference_check["differences"]
    assert difference == {
        "field": "expanded_uncertainty",
        "recorded": "30 mg",
        "certificate": "45 mg",
        "label_vi": "Độ không đảm bảo mở rộng U",
        "label_en": "Expanded uncertainty U",
    }
    services.finish_measurement(session, lab["technician"], weight_job)
    session.commit()
    sign_in(client, lab["technician"])
    page = client.get(f"/jobs/records/{saved.id}").get_data(as_text=True)
    assert "Giá trị chuẩn khác giấy chứng nhận" in page and 'data-field="expanded_uncertainty"' in page
    sign_in(client, lab["other"])  # the reviewer
    review = client.get(f"/jobs/{weight_job.id}").get_data(as_text=True)
    assert 'data-testid="reference-flag"' in review and 'data-testid="review-reference-warning"' in review
    assert "Độ không đảm bảo mở rộng U" in review and "30 mg" in review and "45 mg" in review
    client.get("/lang/en")
    refresh()  # the test's app context outlives a request: forget the locale Flask-Babel cached in it
    english = html.unescape(client.get(f"/jobs/{weight_job.id}").get_data(as_text=True))
    assert "Reference values differ from the standard's certificate" in english
    assert "Expanded uncertainty U" in english
