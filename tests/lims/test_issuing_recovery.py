"""Batches that recover: a batch killed (kill -9) at any moment is seen as interrupted, and resuming it leaves every
job issued once, every sticker used once, the numbers gapless and every PDF stored under its hash."""

import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lims.core.model import utcnow
from lims.issuing import batch
from lims.issuing.models import Certificate, IssueBatch, Sticker
from lims.jobs.models import Job
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ("SQLALCHEMY_DATABASE_URI", "INSTANCE_PATH", "AUDIT_ANCHOR_KEY_PATH", "SIGNING_KEY_PATH", "UPLOAD_PATH")


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


def started_batch(world, count: int = 4) -> IssueBatch:
    """A batch of verifications and calibrations, the verifications' stickers taken from a roll."""
    world.stickers(1, 10)
    jobs = [world.job(kind="verification" if n % 2 == 0 else "calibration") for n in range(count)]
    pairs = batch.pair_stickers(world.session, jobs, "VL 0000001")
    named = {pair.job.id: pair.sticker_serial for pair in pairs if pair.sticker_serial}
    started = batch.start_batch(world.session, world.signatory, TEST_PASSWORD, [job.id for job in jobs], named)
    world.session.commit()
    return started


def kill_during(app, batch_id: int, moment: str, nth: int) -> int:
    settings = {key: str(app.config[key]) for key in SETTINGS}
    settings["PUBLIC_URL"] = app.config["PUBLIC_URL"]
    child = subprocess.run(
        [sys.executable, "-m", "tests.lims.batch_child", json.dumps(settings), str(batch_id), moment, str(nth)],
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        capture_output=True,
        timeout=300,
    )
    return child.returncode


def assert_complete_and_consistent(world, started: IssueBatch) -> None:
    from lims.core.files import read_bytes

    world.session.expire_all()
    found = world.session.get(IssueBatch, started.id)
    certificates = world.session.scalars(select(Certificate)).all()
    assert (found.status, found.done, found.failed, found.total) == ("finished", 4, 0, 4), found.errors
    assert sorted(c.job_id for c in certificates) == sorted(found.job_ids)  # each job once
    assert {c.status for c in certificates} == {"issued"}
    for kind in ("verification", "calibration"):
        seqs = sorted(c.seq for c in certificates if c.series == kind)
        assert seqs == list(range(1, len(seqs) + 1))  # gapless in each series
    serials = [c.sticker_serial for c in certificates if c.sticker_serial]
    assert sorted(serials) == ["VL 0000001", "VL 0000002"] and max(Counter(serials).values()) == 1
    used = dict(
        world.session.execute(select(Sticker.serial, Sticker.certificate_id).where(Sticker.state == "used")).all()
    )
    assert used == {c.sticker_serial: c.id for c in certificates if c.sticker_serial}
    assert all(job.status == "certified" for job in world.session.scalars(select(Job)))
    for certificate in certificates:
        import hashlib

        assert hashlib.sha256(read_bytes(certificate.pdf_sha256)).hexdigest() == certificate.pdf_sha256


@pytest.mark.parametrize(
    "moment, nth, done",
    [("reserved", 2, 1), ("rendered", 3, 2), ("recorded", 1, 1)],
    ids=["after-number", "mid-render", "between-jobs"],
)
def test_a_batch_killed_at_any_moment_is_seen_as_interrupted_and_resumes_to_completion(app, world, moment, nth, done):
    started = started_batch(world)
    assert kill_during(app, started.id, moment, nth) == -9

    world.session.expire_all()
    interrupted = world.session.get(IssueBatch, started.id)
    assert interrupted.status == "running" and interrupted.done == done
    assert not batch.is_interrupted(interrupted)  # its heartbeat is fresh: it may still be alive
    assert batch.is_interrupted(interrupted, now=utcnow() + batch.HEARTBEAT_TIMEOUT + timedelta(seconds=1))

    result = app.test_cli_runner().invoke(args=["certificates", "resume", str(started.id)])
    assert result.exit_code == 0, result.output
    assert "issued 4 of 4; refused 0" in result.output
    assert_complete_and_consistent(world, started)


def test_running_the_same_job_list_again_issues_only_what_is_left(app, world):
    started = started_batch(world)
    assert kill_during(app, started.id, "recorded", 2) == -9
    world.session.expire_all()
    again = batch.start_batch(world.session, world.signatory, TEST_PASSWORD, started.job_ids, started.stickers)
    world.session.commit()
    assert again.total == 2 and sorted(again.job_ids) == sorted(started.job_ids)[2:]
    finished = batch.run_batch(again.id)
    assert (finished.done, finished.failed) == (2, 0)
    world.session.expire_all()
    assert sorted(world.session.scalars(select(Certificate.job_id))) == sorted(started.job_ids)


def test_an_interrupted_batch_is_resumed_from_its_page(app, world, client):
    started = started_batch(world)
    assert kill_during(app, started.id, "reserved", 1) == -9
    world.session.expire_all()
    assert world.session.get(IssueBatch, started.id).status == "running"
    world.session.execute(
        IssueBatch.__table__.update().values(heartbeat_at=utcnow() - batch.HEARTBEAT_TIMEOUT - timedelta(seconds=5))
    )
    world.session.commit()
    world.session.expire_all()  # the test shares its session with the pages it calls
    client.post("/login", data={"username": world.signatory.username, "password": TEST_PASSWORD})
    page = client.get(f"/issuing/batch/{started.id}").get_data(as_text=True)
    assert 'data-testid="batch-interrupted"' in page
    assert client.get(f"/issuing/batch/{started.id}/progress").get_json()["status"] == "interrupted"
    assert client.post(f"/issuing/batch/{started.id}/resume").status_code == 302
    for _ in range(300):
        if client.get(f"/issuing/batch/{started.id}/progress").get_json()["status"] == "finished":
            break
        time.sleep(0.1)
    assert_complete_and_consistent(world, started)


def test_the_batch_page_pairs_each_job_with_its_sticker_before_the_password(world, client):
    world.stickers(1, 3)
    jobs = [world.job(), world.job(kind="calibration"), world.job(), world.job()]
    used_elsewhere = world.session.scalar(select(Sticker).where(Sticker.serial == "VL 0000002"))
    used_elsewhere.state, used_elsewhere.note = "spoiled", "rách"
    world.session.commit()
    client.post("/login", data={"username": world.signatory.username, "password": TEST_PASSWORD})
    query = "&".join(f"job_ids={job.id}" for job in jobs) + "&first_sticker=VL 0000001"
    page = client.get(f"/issuing/batch/confirm?{query}").get_data(as_text=True)
    assert f'name="sticker_{jobs[0].id}" value="VL 0000001"' in page
    assert f'name="sticker_{jobs[1].id}"' not in page  # a calibration carries no sticker
    assert f'name="sticker_{jobs[2].id}" value="VL 0000002"' in page and "Tem VL 0000002 đang ở trạng thái" in page
    assert f'name="sticker_{jobs[3].id}" value="VL 0000003"' in page

    form = {"password": TEST_PASSWORD, "job_ids": [str(job.id) for job in jobs]}
    form.update({f"sticker_{job.id}": f"VL {n:07d}" for n, job in ((1, jobs[0]), (2, jobs[2]), (3, jobs[3]))})
    response = client.post("/issuing/batch", data=form)
    batch_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    for _ in range(300):
        data = client.get(f"/issuing/batch/{batch_id}/progress").get_json()
        if data["status"] == "finished":
            break
        time.sleep(0.1)
    # The spoiled sticker refuses its job only, with the reason.
    assert (data["done"], data["failed"]) == (3, 1)
    assert data["errors"][0]["job_id"] == jobs[2].id and "spoiled" in data["errors"][0]["message"]
