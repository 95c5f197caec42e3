"""Health, readiness, the request log and Prometheus metrics: for the load balancer, systemd and monitoring."""

import json
import logging

import pytest

from lims.core.files import LocalFolder
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_queue import redis_queue  # noqa: F401 - a fixture: Redis on 127.0.0.1, own queue
from tests.lims.test_issuing_support import make_world


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_database_schema_and_files_without_login(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "schema": "ok", "files": "ok", "queue": "not configured"}
    assert body["warnings"] == []


def test_readyz_fails_when_files_cannot_be_written_and_names_no_path(client, app, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    monkeypatch.setitem(app.extensions, "lims_files", LocalFolder(blocker / "files"))
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["files"].startswith("failed (")
    assert str(tmp_path) not in response.get_data(as_text=True)


def test_readyz_fails_when_the_configured_queue_is_unreachable(client, app, monkeypatch):
    import socket

    with socket.socket() as probe:  # a port of 127.0.0.1 where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://:secret-password@127.0.0.1:{port}/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["queue"].startswith("failed (")
    assert "secret-password" not in response.get_data(as_text=True)


def test_readyz_warns_when_several_workers_run_without_a_queue(client, monkeypatch):
    monkeypatch.setenv("LIMS_WEB_WORKERS", "3")
    response = client.get("/readyz")
    assert response.status_code == 200
    queue, limits = response.get_json()["warnings"]
    assert "3 web workers" in queue and "LIMS_REDIS_URL" in queue
    # Each worker would count public look-ups in its own memory: an address gets three times the limit.
    assert "3 web workers" in limits and "look-ups" in limits


def test_readyz_does_not_warn_about_limits_for_one_worker(client, monkeypatch):
    monkeypatch.setenv("LIMS_WEB_WORKERS", "1")
    assert client.get("/readyz").get_json()["warnings"] == []


def test_each_request_logs_one_line_with_id_user_status_and_time(client, login, caplog):
    user = login("technician")
    with caplog.at_level(logging.INFO, logger="lims.request"):
        response = client.get("/healthz", headers={"X-Request-ID": "nginx-0123456789abcdef"})
        missing = client.get("/no-such-page")
    lines = [record for record in caplog.records if record.name == "lims.request"]
    assert len(lines) == 2
    first, second = (line.request for line in lines)
    assert first["request_id"] == "nginx-0123456789abcdef" == response.headers["X-Request-ID"]
    assert first["user"] == user.username and first["status"] == 200 and first["route"] == "/healthz"
    assert first["ms"] >= 0
    assert second["status"] == 404 and second["route"] == "(unmatched)"
    assert len(second["request_id"]) == 32 and second["request_id"] == missing.headers["X-Request-ID"]


def test_the_json_log_format_writes_one_object_per_line():
    from lims.ops.observe import JsonFormatter

    record = logging.LogRecord("lims.request", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.request = {"request_id": "abc", "status": 200, "user": "mai", "ms": 3.2}
    line = JsonFormatter().format(record)
    assert "\n" not in line
    document = json.loads(line)
    assert document["message"] == "GET / 200"
    assert (document["request_id"], document["status"], document["user"], document["ms"]) == ("abc", 200, "mai", 3.2)


def test_metrics_are_hidden_unless_enabled(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS", False)
    assert client.get("/metrics").status_code == 404


def test_metrics_answer_only_the_allowed_addresses(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS", True)
    monkeypatch.setitem(app.config, "METRICS_ALLOW", "127.0.0.1/32, 10.1.0.0/16")
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.2.0.1"}).status_code == 404
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 404


def _sample(text: str, name: str, **labels) -> float | None:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items()):
                return sample.value
    return None


def test_metrics_count_requests_by_route_and_status_and_certificates_issued(
    client, app, session, make_user, make_organisation, monkeypatch
):
    from lims.issuing import services

    monkeypatch.setitem(app.config, "METRICS", True)
    before = client.get("/metrics").get_data(as_text=True)
    healthz_before = _sample(before, "lims_http_requests_total", route="/healthz", status="200") or 0
    client.get("/healthz")
    client.get("/healthz")
    world = make_world(session, make_user, make_organisation, app)
    world.stickers()
    services.issue_certificate(session, world.signatory, world.job(), TEST_PASSWORD, sticker_serial="VL 0000001")
    session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert _sample(text, "lims_http_requests_total", route="/healthz", method="GET", status="200") == healthz_before + 2
    assert _sample(text, "lims_http_request_duration_seconds_count", route="/healthz") >= 2
    assert _sample(text, "lims_certificates_issued_total", kind="verification") == 1


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_routes_are_public_and_write_nothing(app, path):
    view = app.view_functions[app.url_map.bind("").match(path)[0]]
    assert view.lims_public and not view.lims_writes


def test_with_the_queue_configured_readyz_checks_it_and_metrics_report_its_depth(
    client,
    app,
    redis_queue,  # noqa: F811 - the fixture imported above
    monkeypatch,
):
    monkeypatch.setitem(app.config, "REDIS_URL", redis_queue.url)
    monkeypatch.setitem(app.config, "RATELIMIT_STORAGE_URI", redis_queue.url)  # as the factory sets it from Redis
    monkeypatch.setitem(app.config, "METRICS", True)
    monkeypatch.setenv("LIMS_WEB_WORKERS", "3")
    body = client.get("/readyz").get_json()
    assert body["checks"]["queue"] == "ok" and body["warnings"] == []
    redis_queue.queue().enqueue("lims.issuing.batch.run_batch_job", 999_999)
    text = client.get("/metrics").get_data(as_text=True)
    assert _sample(text, "lims_queue_jobs", queue=redis_queue.name) == 1


def test_metrics_report_the_progress_of_unfinished_batches_only(client, app, session, make_user, monkeypatch):
    from lims.issuing.models import IssueBatch

    signatory = make_user("signatory")
    running = IssueBatch(
        job_ids=[1, 2, 3, 4, 5], total=5, done=2, failed=1, status="running", signatory_id=signatory.id
    )
    finished = IssueBatch(job_ids=[6], total=1, done=1, status="finished", signatory_id=signatory.id)
    session.add_all([running, finished])
    session.commit()
    monkeypatch.setitem(app.config, "METRICS", True)
    text = client.get("/metrics").get_data(as_text=True)
    progress = {
        state: _sample(text, "lims_issue_batch_jobs", batch=str(running.id), state=state)
        for state in ("total", "done", "failed")
    }
    assert progress == {"total": 5, "done": 2, "failed": 1}
    assert _sample(text, "lims_issue_batch_jobs", batch=str(finished.id), state="total") is None
