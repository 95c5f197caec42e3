"""Batch issue on a server: the page puts the batch on the Redis queue and `lims worker` issues it.

Uses the real Redis at LIMS_TEST_REDIS_URL (default 127.0.0.1:6379, db 0) with a queue name unique to the test run,
and deletes the keys the run made afterwards (rq's own short-lived maintenance lock expires by itself).
"""

import logging
import os
import signal
import threading
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from lims.issuing import batch
from lims.issuing.models import Certificate
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world

REDIS_URL = os.environ.get("LIMS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class RunQueue:
    url: str
    name: str
    connection: object

    def queue(self):
        from rq import Queue

        return Queue(self.name, connection=self.connection)


def _forget(run_queue: RunQueue) -> None:
    """Delete the queue, its registries, every job it held and the workers that served it."""
    queue = run_queue.queue()
    job_ids = set(queue.job_ids)
    for registry in (queue.started_job_registry, queue.finished_job_registry, queue.failed_job_registry):
        job_ids.update(registry.get_job_ids())
    connection = run_queue.connection
    patterns = [f"*{run_queue.name}*", *(f"*{job_id}*" for job_id in job_ids)]
    for pattern in patterns:
        for key in list(connection.scan_iter(match=pattern)):
            connection.delete(key)
    connection.srem("rq:queues", queue.key)
    for key in list(connection.scan_iter(match="rq:worker:*")):  # a dead worker's record would linger a minute
        if connection.type(key) == b"hash" and connection.hget(key, "queues") == run_queue.name.encode():
            connection.delete(key)


@pytest.fixture()
def redis_queue(monkeypatch):
    from redis import Redis
    from redis.exceptions import RedisError

    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL} ({exc}); set LIMS_TEST_REDIS_URL to run the worker queue tests")
    run_queue = RunQueue(REDIS_URL, f"lims-issuing-test-{os.getpid()}-{uuid.uuid4().hex[:8]}", connection)
    monkeypatch.setattr(batch, "QUEUE_NAME", run_queue.name)
    yield run_queue
    _forget(run_queue)
    assert list(connection.scan_iter(match=f"*{run_queue.name}*")) == []
    connection.close()


@pytest.fixture()
def world(app, session, make_user, make_organisation):
    return make_world(session, make_user, make_organisation, app)


def run_worker(app, *options: str):
    """Run `lims worker` in this process, then give pytest back its signal handlers and rq's loggers their state."""
    signals = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    loggers = [logging.getLogger(name) for name in ("rq.worker", "rq.job")]
    saved = [(logger, list(logger.handlers), logger.propagate, logger.level) for logger in loggers]
    try:
        return app.test_cli_runner().invoke(args=["worker", *options])
    finally:
        for number, handler in signals.items():
            signal.signal(number, handler)
        for logger, handlers, propagate, level in saved:
            logger.handlers[:] = handlers
            logger.propagate, logger.level = propagate, level


def test_a_batch_started_on_a_server_waits_in_the_queue_until_the_worker_issues_it(
    app, world, client, redis_queue, monkeypatch
):
    from rq.job import JobStatus

    monkeypatch.setitem(app.config, "REDIS_URL", redis_queue.url)
    jobs = [world.job(kind="calibration") for _ in range(2)]
    client.post("/login", data={"username": world.signatory.username, "password": TEST_PASSWORD})
    response = client.post("/issuing/batch", data={"password": TEST_PASSWORD, "job_ids": [str(j.id) for j in jobs]})
    assert response.status_code == 302
    batch_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    progress_url = response.location + "/progress"

    [queued] = redis_queue.queue().get_jobs()
    assert (queued.func_name, queued.args) == ("lims.issuing.batch.run_batch_job", (batch_id,))
    assert f"batch-issue-{batch_id}" not in {thread.name for thread in threading.enumerate()}
    waiting = client.get(progress_url).get_json()
    assert (waiting["done"], waiting["total"], waiting["status"]) == (0, 2, "queued")

    result = run_worker(app, "--burst", "--no-fork")
    assert result.exit_code == 0, result.output

    queued.refresh()
    assert queued.get_status() == JobStatus.FINISHED
    assert redis_queue.queue().count == 0
    finished = client.get(progress_url).get_json()
    assert (finished["done"], finished["failed"], finished["total"], finished["status"]) == (2, 0, 2, "finished")
    world.session.expire_all()
    issued = world.session.scalars(select(Certificate.job_id).where(Certificate.job_id.in_([j.id for j in jobs])))
    assert sorted(issued) == sorted(j.id for j in jobs)
    assert all(job.status == "certified" for job in jobs)


def test_the_worker_refuses_to_start_without_a_queue(app, app_context, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    result = run_worker(app, "--burst")
    assert result.exit_code != 0
    assert "LIMS_REDIS_URL is not set" in result.output


def test_the_worker_says_so_when_redis_cannot_be_reached(app, app_context, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # port 1: nothing listens there
    result = run_worker(app, "--burst")
    assert result.exit_code != 0
    assert "cannot reach the Redis of LIMS_REDIS_URL" in result.output
