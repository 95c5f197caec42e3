"""Issuing under load on PostgreSQL: certificates per second with 1, 2 and 4 processes; public verification
throughput under gunicorn against a bare Flask endpoint served the same way in the same run; the certificate list
and its search with 1,000,000 certificates.

Each figure is printed beside its target. Not a test: run it with `make bench` or
    .venv/bin/python tests/benchmarks/bench_issuing.py [--rows 1000000]

The database is a new one on the local PostgreSQL (LIMS_TEST_POSTGRES_URL), dropped at the end. The million
certificates are written by one INSERT ... SELECT over generate_series (copies of an issued certificate with their
own number, token, job and date; the jobs and instruments they point at are the few the issuing part made, which
the list pages do not read), so the fill takes seconds, not the hours issuing them would.
The load comes from this process's threads on 127.0.0.1 only, for a bounded time, with keep-alive connections.
"""

import argparse
import http.client
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.conftest import TEST_PASSWORD, PostgresDatabases, make_config, upgrade_to_head  # noqa: E402

JOBS_PER_PROCESS = 12
LOAD_SECONDS = 8
LOAD_THREADS = 8

BARE_APP = """
from flask import Flask
app = Flask(__name__)
@app.get("/ping")
def ping():
    return "ok"
"""


def make_jobs(app, count: int) -> tuple[list[int], int]:
    """Reviewed calibration jobs ready to sign, built as the issuing tests build them."""
    from lims.auth.permissions import SYSTEM
    from lims.auth.services import create_user
    from lims.customers.models import Organisation
    from lims.extensions import db
    from tests.lims.test_issuing_support import make_world

    with app.app_context():
        session = db.session
        counter = iter(range(1, 100_000))

        def make_user(*roles, **fields):
            user = create_user(
                session,
                SYSTEM,
                username=f"{roles[0]}{next(counter)}",
                full_name=fields.pop("full_name", roles[0]),
                password=TEST_PASSWORD,
                roles=roles,
            )
            session.commit()
            return user

        def make_organisation(name=None, kind="enterprise", **fields):
            organisation = Organisation(name=name or f"DN {next(counter)}", kind=kind, **fields)
            session.add(organisation)
            session.flush()
            return organisation

        world = make_world(session, make_user, make_organisation, app)
        job_ids = [world.job(kind="calibration").id for _ in range(count)]
        signatory_id = world.signatory.id
        db.session.remove()
    return job_ids, signatory_id


def _issue_share(settings: dict, job_ids: list[int], signatory_id: int, ready, go) -> None:
    from lims.app import create_app
    from lims.auth.models import User
    from lims.core.unit_of_work import unit_of_work
    from lims.issuing import services
    from lims.issuing.models import Certificate
    from lims.jobs.models import Job

    app = create_app(make_config(settings["url"], Path(settings["instance"])))
    with app.app_context():
        ready.release()
        go.wait()
        for job_id in job_ids:
            with unit_of_work("bench") as session:
                reserved = services.reserve_certificate(
                    session, session.get(User, signatory_id), session.get(Job, job_id), TEST_PASSWORD
                )
            with unit_of_work("bench") as session:
                certificate = session.get(Certificate, reserved.id)
                services.complete_certificate(session, certificate.signed_by, certificate)


def certificates_per_second(settings: dict, job_ids: list[int], signatory_id: int, processes: int) -> float:
    context = multiprocessing.get_context("spawn")
    ready, go = context.Semaphore(0), context.Event()
    workers = [
        context.Process(target=_issue_share, args=(settings, job_ids[n::processes], signatory_id, ready, go))
        for n in range(processes)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()
    started = time.perf_counter()
    go.set()
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise SystemExit(f"an issuing process failed ({worker.exitcode})")
    return len(job_ids) / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app_spec: str, env: dict, workers: int, chdir: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--chdir",
            chdir,
            "--log-level",
            "warning",
            app_spec,
        ],
        env=env,
        start_new_session=True,
    )
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"gunicorn {app_spec} did not start")


def load(port: int, paths: list[str], seconds: float = LOAD_SECONDS) -> tuple[float, list[float]]:
    """Requests per second from LOAD_THREADS keep-alive clients for ``seconds``; and each request's time."""
    deadline = time.perf_counter() + seconds
    times: list[float] = []
    lock = threading.Lock()

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine, n = [], offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            connection.request("GET", paths[n % len(paths)])
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit(f"{paths[n % len(paths)]} answered {response.status}")
            mine.append(time.perf_counter() - started)
            n += 1
        connection.close()
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(LOAD_THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(times) / (time.perf_counter() - started), times


def verification_ratio(app, settings: dict) -> tuple[float, float]:
    from sqlalchemy import select

    from lims.extensions import db
    from lims.issuing.models import Certificate

    with app.app_context():
        tokens = list(db.session.scalars(select(Certificate.token).limit(50)))
        db.session.remove()
    env = {
        **os.environ,
        "LIMS_ENV": "production",
        "LIMS_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        "LIMS_DATABASE_URL": settings["url"],
        "LIMS_INSTANCE_PATH": settings["instance"],
        "LIMS_AUDIT_ANCHOR_KEY_PATH": str(Path(settings["instance"]) / "keys" / "audit-anchor.pem"),
        "LIMS_SIGNING_KEY_PATH": str(Path(settings["instance"]) / "keys" / "lab-signing.p12"),
        "LIMS_UPLOAD_PATH": str(Path(settings["instance"]) / "files"),
    }
    env.pop("LIMS_REDIS_URL", None)
    bare_dir = tempfile.mkdtemp(prefix="bench-bare-")
    Path(bare_dir, "bare.py").write_text(BARE_APP)
    results = {}
    for name, spec, chdir, paths in (
        ("bare", "bare:app", bare_dir, ["/ping"]),
        ("verify", "lims.app:create_app()", str(ROOT), [f"/v/{token}" for token in tokens]),
    ):
        process, port = serve(spec, {**env, "LIMS_VERIFY_RATE_LIMIT": "100000000"}, 2, chdir)
        try:
            load(port, paths, 1)  # warm up every worker
            results[name] = load(port, paths)[0]
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    return results["verify"], results["bare"]


def fill_certificates(app, rows: int) -> float:
    """Copy an issued certificate ``rows`` times by SQL, each copy with its own number, token, seq and date."""
    from sqlalchemy import text

    from lims.extensions import db

    statement = text(
        """
        INSERT INTO certificate (number, revision, series, year, seq, kind, job_id, organisation_id, instrument_id,
            token, short_code, issued_on, issued_at, passed, valid_until, sticker_serial, instrument_summary,
            customer_name, lab_snapshot, content, pdf_sha256, pdf_size, signed_by_id, signature_meaning,
            signer_subject, status, search_text)
        SELECT 'F' || g || '-25-VL', 1000 + g, 'fill', 2025, g, c.kind, c.job_id, c.organisation_id,
            c.instrument_id, md5(g::text) || md5((g + 1)::text), c.short_code,
            DATE '2025-01-01' + (g % 700), TIMESTAMPTZ '2025-01-01' + g * INTERVAL '40 seconds', c.passed,
            c.valid_until, NULL, 'Can ban NHB-30 NH-' || g, 'Doanh nghiep ' || (g % 5000), c.lab_snapshot,
            c.content, c.pdf_sha256, c.pdf_size, c.signed_by_id, c.signature_meaning, c.signer_subject, 'issued',
            -- the folded words, as lims.core.search.fold writes them on save (the filled names are plain ASCII)
            lower('F' || g || '-25-VL Doanh nghiep ' || (g % 5000) || ' Can ban NHB-30 NH-' || g)
        FROM generate_series(1, :rows) AS g, (SELECT * FROM certificate ORDER BY id LIMIT 1) AS c
        """
    )
    with app.app_context():
        started = time.perf_counter()
        with db.engine.begin() as connection:
            connection.execute(statement, {"rows": rows})
            connection.execute(text("ANALYZE certificate"))
        db.session.remove()
        return time.perf_counter() - started


def page_times(app, paths: list[str], repeat: int = 20) -> list[float]:
    from sqlalchemy import select

    from lims.auth.models import User
    from lims.auth.permissions import SYSTEM
    from lims.auth.services import create_user
    from lims.extensions import db

    with app.app_context():
        if db.session.scalar(select(User.id).where(User.username == "benchmanager")) is None:
            create_user(
                db.session, SYSTEM, username="benchmanager", full_name="QL", password=TEST_PASSWORD, roles=("manager",)
            )
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    client.post("/login", data={"username": "benchmanager", "password": TEST_PASSWORD})
    times = []
    for path in paths:
        client.get(path)  # warm
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(path)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    from lims.app import create_app

    databases = PostgresDatabases()
    try:
        url = databases.create("bench_issuing")
        instance = Path(tempfile.mkdtemp(prefix="bench-issuing-"))
        settings = {"url": url, "instance": str(instance)}
        app = create_app(make_config(url, instance))
        upgrade_to_head(app)
        print("target: issuing scales with processes (a plateau after 2 is expected on 2 cores)")
        job_ids, signatory_id = make_jobs(app, JOBS_PER_PROCESS * 7)
        for processes in (1, 2, 4):
            share, job_ids = job_ids[: JOBS_PER_PROCESS * processes], job_ids[JOBS_PER_PROCESS * processes :]
            rate = certificates_per_second(settings, share, signatory_id, processes)
            print(f"  certificates/s with {processes} process(es): {rate:.1f}")
        verify, bare = verification_ratio(app, settings)
        print(
            f"verification under gunicorn (2 workers, no Redis): {verify:.0f} req/s, bare Flask {bare:.0f} req/s: "
            f"ratio {verify / bare:.2f} (target >= 0.50)"
        )
        fill = fill_certificates(app, args.rows)
        print(f"filled {args.rows:,} certificates by SQL in {fill:.1f} s")
        pages = {
            "certificates": ["/certificates", "/certificates?page=50"],
            "certificates search": ["/certificates?q=NH-99999", "/certificates?q=F12345-25-VL"],
        }
        for name, paths in pages.items():
            times = page_times(app, paths)
            print(f"  p95 {name} at {args.rows:,} certificates: {p95(times) * 1000:.0f} ms (target <= 200 ms)")
        print(
            "not measured yet (see /work/notes/issuing2.md): home, jobs board, requests, instruments, recall, "
            "standards, quality readiness, plan dashboard, audit trail at 1,000,000 rows; time to save a record"
        )
        with app.app_context():
            from lims.extensions import db

            db.engine.dispose()
    finally:
        databases.drop_all()


if __name__ == "__main__":
    main()
