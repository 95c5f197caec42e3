"""A calibration certificate states conformity only when contract review recorded that the customer asked for it
(ISO/IEC 17025 7.1.3, 7.8.6), against the specification named there; never the verification wording."""

import pytest

from lims.core.errors import RuleViolation
from lims.core.files import read_bytes
from lims.jobs import services as jobs
from tests.lims.test_issuing_certificates import issue, pdf_text
from tests.lims.test_issuing_support import make_world
from tests.lims.test_jobs_workflow import lab  # noqa: F401  (fixture)

VERIFICATION_WORDING = "Đạt yêu cầu kỹ thuật đo lường"


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


def _conforming_weight(world):
    """A weight calibration whose record says the weight conforms (passed = True): correction 9,0 mg, U 5,4 mg."""
    job = world.job(kind="calibration")
    job.passed = True
    world.session.commit()
    return job


def test_a_calibration_nobody_asked_a_statement_of_states_none(world):
    job = _conforming_weight(world)
    assert not job.request.wants_conformity_statement
    text = pdf_text(read_bytes(issue(world, job).pdf_sha256))
    for absent in (VERIFICATION_WORDING, "Tuyên bố sự phù hợp", "Phù hợp với", "Đạt"):
        assert absent not in text, absent


def test_a_calibration_asked_for_states_conformity_to_the_agreed_specification(world):
    job = _conforming_weight(world)
    job.request.wants_conformity_statement = True
    job.request.conformity_specification = "OIML R 111-1, cấp M1"
    world.session.commit()
    text = pdf_text(read_bytes(issue(world, job).pdf_sha256))
    assert "Phù hợp với OIML R 111-1, cấp M1" in text  # the specification quoted as agreed
    assert VERIFICATION_WORDING not in text


def test_contract_review_records_the_statement_and_its_specification(session, lab):  # noqa: F811
    request = jobs.create_request(
        session,
        lab["manager"],
        organisation_id=lab["enterprise"].id,
        items=[jobs.RequestItem(lab["weight"].id, "calibration", "weight-comparison-r111")],
    )
    assert request.wants_conformity_statement is False  # asked for, never assumed
    with pytest.raises(RuleViolation) as caught:
        jobs.accept_request(session, lab["manager"], request, wants_conformity_statement=True)
    assert caught.value.field == "conformity_specification"
    jobs.accept_request(
        session,
        lab["manager"],
        request,
        wants_conformity_statement=True,
        conformity_specification="  OIML R 111-1, cấp M1 ",
    )
    assert request.wants_conformity_statement and request.conformity_specification == "OIML R 111-1, cấp M1"


def test_the_review_form_carries_the_statement_to_the_request(client, session, lab):  # noqa: F811
    from tests.lims.test_jobs_pages import sign_in

    request = jobs.create_request(
        session,
        lab["manager"],
        organisation_id=lab["enterprise"].id,
        items=[jobs.RequestItem(lab["weight"].id, "calibration", "weight-comparison-r111")],
    )
    session.commit()
    sign_in(client, lab["manager"])
    page = client.get(f"/jobs/requests/{request.id}").get_data(as_text=True)
    assert 'name="conformity_specification"' in page
    refused = client.post(f"/jobs/requests/{request.id}/accept", data={"wants_conformity_statement": "y"})
    assert refused.status_code == 422
    accepted = client.post(
        f"/jobs/requests/{request.id}/accept",
        data={"wants_conformity_statement": "y", "conformity_specification": "OIML R 111-1, cấp M1"},
    )
    assert accepted.status_code == 302
    page = client.get(f"/jobs/requests/{request.id}").get_data(as_text=True)
    assert "OIML R 111-1, cấp M1" in page


def _dcc_columns(certificate) -> list[str]:
    from certificates import dcc

    ((_name, columns),) = dcc.read_dcc(read_bytes(certificate.dcc_sha256)).tables
    return [column.name for column in columns]


def _with_conformity_column(job):
    """The weight record's table with the R 111 "Conforms to class" column (printed: conformity)."""
    import copy

    from lims.issuing.document import final_record

    record = final_record(job)
    result = copy.deepcopy(record.result)
    table = result["tables"][0]
    table["columns"].append(
        {
            "key": "conforms",
            "heading_vi": "Phù hợp cấp chính xác",
            "heading_en": "Conforms to class",
            "printed": "conformity",
        }
    )
    for row in table["rows"]:
        row["conforms"] = True
    record.result = result
    return job


def test_the_dcc_states_conformity_only_where_the_certificate_does(world):
    """The DCC says what the PDF says: a calibration nobody asked a statement of has no "Conforms to class" column and
    no conformity statement in its XML; asked for one, it has both."""
    unasked = issue(world, _with_conformity_column(_conforming_weight(world)))
    assert "Conforms to class" not in _dcc_columns(unasked)
    assert b"basic_conformity" not in read_bytes(unasked.dcc_sha256)

    job = _with_conformity_column(_conforming_weight(world))
    job.request.wants_conformity_statement = True
    job.request.conformity_specification = "OIML R 111-1, cấp M1"
    world.session.commit()
    asked = issue(world, job)
    assert "Conforms to class" in _dcc_columns(asked)
    assert b"basic_conformity" in read_bytes(asked.dcc_sha256)
