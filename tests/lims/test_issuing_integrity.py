"""Issuing holds under concurrency and faults: what must never happen twice is refused by the database itself,
issuers are serialised on the job and the sticker, a repeated submission issues once, a number taken is never lost.
"""

import threading
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from lims.core.errors import RuleViolation
from lims.issuing import services
from lims.issuing.models import Certificate, Sticker
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


def issue(world, job, **kwargs):
    certificate = services.issue_certificate(world.session, world.signatory, job, TEST_PASSWORD, **kwargs)
    world.session.commit()
    return certificate


def copy_of(certificate: Certificate, **changes) -> Certificate:
    """A second row like an issued certificate, for the database to refuse or accept."""
    columns = {column.key: getattr(certificate, column.key) for column in Certificate.__mapper__.column_attrs}
    columns.pop("id")
    columns.update(token=f"t-{changes.get('seq', 99)}-{changes.get('revision', 0)}", **changes)
    return Certificate(**columns)


def test_the_database_refuses_a_second_original_certificate_for_a_job(world):
    first = issue(world, world.job(kind="calibration"))
    world.session.add(copy_of(first, seq=99, number="99-26-VL"))
    with pytest.raises(IntegrityError):
        world.session.flush()
    world.session.rollback()


def test_the_database_refuses_one_sticker_on_two_certificates(world):
    world.stickers(1, 2)
    first = issue(world, world.job(), sticker_serial="VL 0000001")
    other = world.job()
    world.session.add(copy_of(first, seq=99, number="99-26-VL", job_id=other.id))
    with pytest.raises(IntegrityError):
        world.session.flush()
    world.session.rollback()
    sticker = world.session.scalar(select(Sticker).where(Sticker.serial == "VL 0000002"))
    sticker.certificate_id = first.id  # the sticker row too: state must say used, and one sticker per certificate
    with pytest.raises(IntegrityError):
        world.session.flush()
    world.session.rollback()


@pytest.mark.parametrize(
    "values",
    [{"state": "used"}, {"state": "issued"}, {"state": "lost"}],
    ids=["used-without-certificate", "issued-without-holder", "unknown-state"],
)
def test_a_sticker_has_one_consistent_state(world, values):
    world.stickers(1, 1)
    with pytest.raises(IntegrityError):
        world.session.execute(update(Sticker).values(**values))
    world.session.rollback()


def test_the_database_refuses_an_issued_certificate_without_its_signed_pdf(world):
    certificate = issue(world, world.job(kind="calibration"))
    with pytest.raises(IntegrityError):
        world.session.execute(update(Certificate).where(Certificate.id == certificate.id).values(pdf_sha256=None))
    world.session.rollback()


def test_a_double_submitted_issue_form_issues_once(world, client):
    world.stickers(1, 3)
    job = world.job()
    client.post("/login", data={"username": world.signatory.username, "password": TEST_PASSWORD})
    form = {"password": TEST_PASSWORD, "sticker_serial": "VL 0000001"}
    first = client.post(f"/issuing/jobs/{job.id}", data=form)
    second = client.post(f"/issuing/jobs/{job.id}", data={**form, "sticker_serial": "VL 0000002"})
    assert first.status_code == second.status_code == 302
    assert first.location == second.location  # the second answers with the first's certificate
    world.session.expire_all()
    assert world.session.scalar(select(func.count(Certificate.id))) == 1
    states = dict(world.session.execute(select(Sticker.serial, Sticker.state)).all())
    assert states["VL 0000001"] == "used" and states["VL 0000002"] == "in_stock"


def test_another_signatory_cannot_issue_a_certified_job_again(world, make_user):
    issue(world, world.job(kind="calibration"))
    job = world.session.scalar(select(Certificate)).job
    job.status = "reviewed"  # as a stale page would show it
    other = make_user("signatory")
    with pytest.raises(RuleViolation, match="đã có giấy chứng nhận"):
        services.issue_certificate(world.session, other, job, TEST_PASSWORD)
    world.session.rollback()


def _eight_issuers(app, world, job_ids, serials, signatory_ids):
    """Eight threads issue every job, each in its own order and naming its own sticker for each job."""
    from lims.auth.models import User
    from lims.core.unit_of_work import unit_of_work
    from lims.jobs.models import Job

    unexpected: list[BaseException] = []
    barrier = threading.Barrier(8)

    def issuer(n: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for i in range(len(job_ids)):
                    job_id = job_ids[(i + n) % len(job_ids)]
                    serial = serials[(i + 2 * n) % len(serials)]
                    try:
                        with unit_of_work(f"test:{n}") as session:
                            reserved = services.reserve_certificate(
                                session,
                                session.get(User, signatory_ids[n % len(signatory_ids)]),
                                session.get(Job, job_id),
                                TEST_PASSWORD,
                                sticker_serial=serial,
                            )
                        with unit_of_work(f"test:{n}") as session:
                            certificate = session.get(Certificate, reserved.id)
                            services.complete_certificate(session, certificate.signed_by, certificate)
                    except RuleViolation:
                        pass  # a job or sticker already taken: refused, as it must be
        except BaseException as exc:
            unexpected.append(exc)

    threads = [threading.Thread(target=issuer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return unexpected


def test_eight_concurrent_issuers_give_one_certificate_per_job_and_one_use_per_sticker(app, backend, world, make_user):
    if backend != "postgresql":
        pytest.skip("SQLite has a single writer; concurrent issuers are a PostgreSQL question")
    world.stickers(1, 10)
    job_ids = [world.job().id for _ in range(10)]
    serials = [f"VL {n:07d}" for n in range(1, 11)]
    signatory_ids = [world.signatory.id, make_user("signatory").id]
    assert _eight_issuers(app, world, job_ids, serials, signatory_ids) == []

    world.session.expire_all()
    certificates = world.session.scalars(select(Certificate)).all()
    assert certificates, "nothing was issued"
    assert max(Counter(c.job_id for c in certificates).values()) == 1
    assert max(Counter(c.sticker_serial for c in certificates).values()) == 1
    assert sorted(c.seq for c in certificates) == list(range(1, len(certificates) + 1))
    assert {c.status for c in certificates} == {"issued"}
    used = dict(
        world.session.execute(select(Sticker.serial, Sticker.certificate_id).where(Sticker.state == "used")).all()
    )
    assert used == {c.sticker_serial: c.id for c in certificates}
    certified = set(world.session.scalars(select(Certificate.job_id)))
    from lims.jobs.models import Job

    statuses = dict(world.session.execute(select(Job.id, Job.status).where(Job.id.in_(job_ids))).all())
    assert {job_id for job_id, status in statuses.items() if status == "certified"} == certified


def test_a_number_taken_but_never_rendered_is_completed_later(world, client):
    job = world.job(kind="calibration")
    reserved = services.reserve_certificate(world.session, world.signatory, job, TEST_PASSWORD)
    world.session.commit()
    assert reserved.status == "issuing" and reserved.pdf_sha256 is None
    client.post("/login", data={"username": world.signatory.username, "password": TEST_PASSWORD})
    assert client.get(f"/v/{reserved.token}").get_data(as_text=True).count('data-outcome="not_found"') == 1
    page = client.get(f"/certificates/{reserved.id}").get_data(as_text=True)
    assert 'data-testid="complete-submit"' in page
    assert client.post(f"/certificates/{reserved.id}/complete").status_code == 302
    world.session.expire_all()
    assert reserved.status == "issued" and reserved.pdf_sha256
    assert 'data-outcome="genuine"' in client.get(f"/v/{reserved.token}").get_data(as_text=True)


def test_a_number_that_can_never_be_issued_is_voided_and_stays_in_the_register(world, make_user, client):
    world.stickers(1, 2)
    job = world.job()
    reserved = services.reserve_certificate(
        world.session, world.signatory, job, TEST_PASSWORD, sticker_serial="VL 0000001"
    )
    world.session.commit()
    manager = make_user("manager")
    with pytest.raises(RuleViolation, match="lý do hủy số"):
        services.void_certificate(world.session, manager, reserved, " ")
    services.void_certificate(world.session, manager, reserved, "Máy in hỏng, hồ sơ phải đo lại")
    world.session.commit()
    assert reserved.status == "void" and job.status == "reviewed"
    sticker = world.session.scalar(select(Sticker).where(Sticker.serial == "VL 0000001"))
    assert (sticker.state, sticker.certificate_id) == ("in_stock", None)
    # The job is issued again under the next number: the void one keeps its place, so numbers stay gapless.
    again = issue(world, job, sticker_serial="VL 0000001")
    assert (reserved.seq, again.seq) == (1, 2)
    client.post("/login", data={"username": manager.username, "password": TEST_PASSWORD})
    listing = client.get("/certificates").get_data(as_text=True)
    assert reserved.number in listing and "void" in listing
    from lims.audit.models import AuditEvent

    reasons = world.session.scalars(select(AuditEvent.reason).where(AuditEvent.entity == "certificate"))
    assert any("Máy in hỏng" in (reason or "") for reason in reasons)


def test_revoking_a_certificate_puts_the_instrument_back_on_its_previous_valid_certificate(world):
    """Recall, the due lists and the ICS feed read the instrument's last service and next due date."""
    world.stickers(1, 2)
    older = issue(world, world.job(used_on=date(2025, 11, 18)), sticker_serial="VL 0000001")
    newer_job = world.job()
    newer_job.instrument_id = older.instrument_id
    world.session.commit()
    world.session.refresh(newer_job)
    newer = issue(world, newer_job, sticker_serial="VL 0000002")
    instrument = newer.instrument
    assert (instrument.last_service_on, instrument.next_due_on) == (date(2026, 11, 18), date(2027, 11, 17))

    services.revoke_certificate(world.session, world.signatory, newer, "Sai số tải", TEST_PASSWORD)
    world.session.commit()
    assert (instrument.last_service_on, instrument.next_due_on) == (date(2025, 11, 18), older.valid_until)
    services.revoke_certificate(world.session, world.signatory, older, "Sai số tải", TEST_PASSWORD)
    world.session.commit()
    assert (instrument.last_service_on, instrument.last_service_kind, instrument.next_due_on) == (None, None, None)


def _flag_reference(world, job):
    record = job.records[-1]
    record.standards_snapshot = [{"standard_id": world.standard.id, "reference_check": {"status": "differs"}}]
    world.session.commit()


def _fail_intermediate_check(world):
    from lims.standards.models import IntermediateCheck

    world.session.add(
        IntermediateCheck(
            standard_id=world.standard.id,
            checked_on=date(2026, 11, 1),
            description="quả cân kiểm 1 kg",
            value=9.0,
            unit="mg",
            lower_limit=-5.0,
            upper_limit=5.0,
            within_limits=False,
        )
    )
    world.session.commit()


def test_a_flagged_record_or_an_out_of_limit_standard_stops_issue_with_the_reason(world):
    job = world.job(kind="calibration")
    _flag_reference(world, job)
    with pytest.raises(RuleViolation, match="giá trị chuẩn khác giấy chứng nhận"):
        services.issue_certificate(world.session, world.signatory, job, TEST_PASSWORD)
    world.session.rollback()
    other = world.job(kind="calibration")
    _fail_intermediate_check(world)
    with pytest.raises(RuleViolation, match="Chuẩn QC-M1-03 có kiểm tra giữa kỳ"):
        services.issue_certificate(world.session, world.signatory, other, TEST_PASSWORD)
    world.session.rollback()
