"""Numbering under concurrency, sticker accounting, reverse traceability of a failed standard, batch issue."""

import threading
import time
from datetime import date

import pytest
from sqlalchemy import select

from lims.auth.permissions import SYSTEM
from lims.core.errors import RuleViolation
from lims.issuing import batch, impact, services, stickers
from lims.issuing.models import Certificate, ImpactNotice, IssueBatch
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


def test_concurrent_numbering_on_postgresql_is_unique_and_gapless_even_with_rollbacks(app, backend, app_context):
    if backend != "postgresql":
        pytest.skip("SQLite has a single writer; concurrent issuers are a PostgreSQL question")
    from lims.core.unit_of_work import unit_of_work
    from lims.issuing.numbering import next_number

    committed: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def issuer(worker: int) -> None:
        try:
            with app.app_context():
                for attempt in range(8):
                    try:
                        with unit_of_work(f"test:{worker}") as session:
                            seq, _number = next_number(session, SYSTEM, "calibration", 2026)
                            time.sleep(0.002)  # hold the row lock a moment, as rendering would
                            if (worker + attempt) % 3 == 0:
                                raise RuntimeError("abandoned issue")  # the number must come back
                        with lock:
                            committed.append(seq)
                    except RuntimeError:
                        pass
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=issuer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(committed) == list(range(1, len(committed) + 1))
    assert len(committed) == 6 * 8 - sum(1 for w in range(6) for a in range(8) if (w + a) % 3 == 0)


def test_concurrent_issuers_of_whole_certificates_on_postgresql_get_distinct_consecutive_numbers(app, backend, world):
    if backend != "postgresql":
        pytest.skip("SQLite has a single writer; concurrent issuers are a PostgreSQL question")
    from lims.auth.models import User
    from lims.core.unit_of_work import unit_of_work
    from lims.jobs.models import Job

    job_ids = [world.job(kind="calibration").id for _ in range(6)]
    signatory_id = world.signatory.id
    errors: list[BaseException] = []

    def issuer(ids: list[int]) -> None:
        try:
            with app.app_context():
                for job_id in ids:
                    with unit_of_work("test") as session:
                        services.issue_certificate(
                            session, session.get(User, signatory_id), session.get(Job, job_id), TEST_PASSWORD
                        )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=issuer, args=(job_ids[n::3],)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    world.session.expire_all()
    seqs = sorted(world.session.scalars(select(Certificate.seq)))
    assert seqs == [1, 2, 3, 4, 5, 6]


def test_every_sticker_serial_is_accounted_for(world, make_user):
    received = world.stickers(1, 8)
    technician = world.technician
    stickers.hand_out_stickers(world.session, SYSTEM, ["VL 0000001", "VL 0000002", "VL 0000003"], technician)
    services.issue_certificate(world.session, world.signatory, world.job(), TEST_PASSWORD, sticker_serial="VL 0000001")
    stickers.discard_sticker(world.session, technician, "VL 0000002", "spoiled", "Rách khi dán")
    manager = make_user("manager")
    stickers.discard_sticker(world.session, manager, "VL 0000008", "voided", "Mất khi vận chuyển")
    world.session.commit()
    report = stickers.sticker_report(world.session)
    states = {s.serial: s.state for s in report["stickers"]}
    assert states == {
        "VL 0000001": "used",
        "VL 0000002": "spoiled",
        "VL 0000003": "issued",
        **{f"VL 000000{n}": "in_stock" for n in range(4, 8)},
        "VL 0000008": "voided",
    }
    assert report["counts"] == {"in_stock": 4, "issued": 1, "used": 1, "spoiled": 1, "voided": 1}
    [line] = stickers.batch_accounting(world.session)
    assert line["batch"].id == received.id and line["accounted"] and line["size"] == 8
    used = next(s for s in report["stickers"] if s.serial == "VL 0000001")
    assert used.certificate.sticker_serial == "VL 0000001"


def test_stickers_cannot_be_received_twice_or_reused(world):
    world.stickers(1, 5)
    with pytest.raises(RuleViolation, match="đã có"):
        world.stickers(5, 9)
    world.session.rollback()
    stickers.discard_sticker(world.session, world.signatory, "VL 0000004", "spoiled", "hỏng")
    with pytest.raises(RuleViolation):
        stickers.discard_sticker(world.session, world.signatory, "VL 0000004", "spoiled", "again")


def test_the_sticker_sheet_has_a_qr_per_passed_verification(app, world):
    import pypdfium2
    import zxingcpp

    world.stickers()
    issued = [
        services.issue_certificate(
            world.session, world.signatory, world.job(), TEST_PASSWORD, sticker_serial=f"VL 000000{n}"
        )
        for n in (1, 2)
    ]
    world.session.commit()
    sheet = stickers.sticker_sheet(issued, app.config["PUBLIC_URL"], "TTKT")
    image = pypdfium2.PdfDocument(sheet)[0].render(scale=3).to_pil()
    assert {b.text for b in zxingcpp.read_barcodes(image)} == {f"http://lims.test/v/{c.token}" for c in issued}


def test_a_failed_standard_lists_the_jobs_and_certificates_since_its_last_good_calibration(
    world, make_user, make_organisation
):
    before = world.job(kind="calibration", used_on=date(2026, 3, 1))  # before the last calibration (20/03/2026)
    other = make_organisation("Nhà máy nước Vĩnh Long")
    after = [world.job(kind="calibration"), world.job(kind="calibration", organisation=other)]
    for job in [before, *after]:
        services.issue_certificate(world.session, world.signatory, job, TEST_PASSWORD)
    world.session.commit()
    found = impact.impact_of(world.session, world.standard)
    assert found.since == date(2026, 3, 20)
    assert [job.id for job in found.jobs] == [job.id for job in after]
    assert {c.job_id for c in found.certificates} == {job.id for job in after}
    notices = impact.notify_impact(world.session, make_user("manager"), found, "Quả cân chuẩn QC-M1-03 không đạt.")
    world.session.commit()
    assert {n.organisation_id for n in notices} == {world.customer.id, other.id}
    assert world.session.scalar(
        select(ImpactNotice).where(ImpactNotice.organisation_id == other.id)
    ).certificate_numbers


def test_the_impact_page_lists_the_certificates_for_a_manager(world, client, login):
    certificate = services.issue_certificate(
        world.session, world.signatory, world.job(kind="calibration"), TEST_PASSWORD
    )
    world.session.commit()
    login("manager")
    page = client.get(f"/issuing/impact/{world.standard.id}").get_data(as_text=True)
    assert certificate.number in page


def test_a_batch_issues_every_job_and_reports_the_refused_ones(world):
    world.stickers(1, 3)
    good = [world.job(kind="calibration"), world.job()]
    measured_by_signatory = world.job(kind="calibration")
    measured_by_signatory.measured_by_id = world.signatory.id
    world.session.commit()
    started = batch.start_batch(
        world.session,
        world.signatory,
        TEST_PASSWORD,
        [j.id for j in [*good, measured_by_signatory]],
        {good[1].id: "VL 0000001"},
    )
    world.session.commit()
    seen = []
    finished = batch.run_batch(started.id, progress=lambda done, total: seen.append((done, total)))
    world.session.expire_all()
    finished = world.session.get(IssueBatch, started.id)
    assert (finished.done, finished.failed, finished.total, finished.status) == (2, 1, 3, "finished"), finished.errors
    assert finished.errors[0]["job_id"] == measured_by_signatory.id
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert all(job.status == "certified" for job in good)


def test_a_batch_needs_the_password_and_reviewed_jobs(world):
    job = world.job(kind="calibration")
    with pytest.raises(RuleViolation):
        batch.start_batch(world.session, world.signatory, "wrong", [job.id])
    job.status = "measured"
    with pytest.raises(RuleViolation):
        batch.start_batch(world.session, world.signatory, TEST_PASSWORD, [job.id])


def test_a_batch_started_from_the_page_runs_after_commit_and_reports_progress(world, client):
    jobs = [world.job(kind="calibration") for _ in range(2)]
    client.post("/login", data={"username": world.signatory.username, "password": TEST_PASSWORD})
    response = client.post("/issuing/batch", data={"password": TEST_PASSWORD, "job_ids": [str(j.id) for j in jobs]})
    assert response.status_code == 302
    progress_url = response.location + "/progress"
    for _ in range(100):
        data = client.get(progress_url).get_json()
        if data["status"] == "finished":
            break
        time.sleep(0.1)
    assert (data["done"], data["total"], data["status"]) == (2, 2, "finished")


def test_the_command_line_issues_a_batch_with_a_progress_bar(app, world):
    jobs = [world.job(kind="calibration") for _ in range(2)]
    result = app.test_cli_runner().invoke(
        args=[
            "certificates",
            "issue",
            *[j.number for j in jobs],
            "--batch",
            "--signatory",
            world.signatory.username,
            "--password",
            TEST_PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "issued 2 of 2; refused 0" in result.output
    world.session.expire_all()
    assert all(job.status == "certified" for job in jobs)
