"""Operations figures: the shared file store (local folder vs S3 on moto's server at 127.0.0.1), the cost of the
request log and metrics per request, and the time of a backup and restore.

Run: .venv/bin/python tests/benchmarks/bench_ops.py
"""

import hashlib
import logging
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.conftest import make_config, upgrade_to_head  # noqa: E402

FILES = 200
FILE_BYTES = 250_000  # a typical signed two-page certificate
REQUESTS = 2000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _payloads() -> list[bytes]:
    return [os.urandom(FILE_BYTES) for _ in range(FILES)]


def store_figures(store, payloads) -> tuple[float, float]:
    writes, reads = [], []
    for data in payloads:
        digest = hashlib.sha256(data).hexdigest()
        started = time.perf_counter()
        store.write(digest, data)
        writes.append(time.perf_counter() - started)
    for data in payloads:
        digest = hashlib.sha256(data).hexdigest()
        started = time.perf_counter()
        assert store.read(digest) == data
        reads.append(time.perf_counter() - started)
    return statistics.median(writes) * 1000, statistics.median(reads) * 1000


def request_overhead(app) -> float:
    """ms per /healthz request with the request log and metrics on, minus with both off."""
    client = app.test_client()
    timings = {}
    for observed in (False, True):
        app.config["METRICS"] = observed
        logging.getLogger("lims.request").disabled = not observed
        started = time.perf_counter()
        for _ in range(REQUESTS):
            client.get("/healthz")
        timings[observed] = (time.perf_counter() - started) / REQUESTS * 1000
    return timings[True] - timings[False]


def main() -> None:
    from moto.server import ThreadedMotoServer

    from lims.app import create_app
    from lims.core.files import LocalFolder, open_store
    from lims.ops.backup import make_backup, restore_backup

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    payloads = _payloads()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        local_write, local_read = store_figures(LocalFolder(root / "files"), payloads)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
        port = _free_port()
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        server.start()
        try:
            import boto3

            boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}").create_bucket(Bucket="bench")
            s3_write, s3_read = store_figures(
                open_store(f"s3://bench?endpoint_url=http://127.0.0.1:{port}", ""), payloads
            )
        finally:
            server.stop()
        print(f"file store, {FILES} files of {FILE_BYTES // 1000} kB, median per file:")
        print(f"  local folder  write {local_write:6.2f} ms  read {local_read:6.2f} ms   target: read <= 50 ms")
        print(f"  S3 on moto    write {s3_write:6.2f} ms  read {s3_read:6.2f} ms   (moto is a Python mock: the round")
        print("    trip of the code, not the speed of a real store; LIMS_BENCH_S3_URL=s3://... measures the lab's)")
        real = os.environ.get("LIMS_BENCH_S3_URL")
        if real:
            write, read = store_figures(open_store(real, ""), payloads)
            print(f"  {real.split('?')[0]}  write {write:6.2f} ms  read {read:6.2f} ms   target: read <= 50 ms")

        app = create_app(
            make_config(f"sqlite:///{root / 'lims.sqlite3'}", root / "instance", UPLOAD_PATH=str(root / "files"))
        )
        upgrade_to_head(app)
        app.testing = False
        overhead = request_overhead(app)
        print(f"request log + metrics: {overhead:+.3f} ms per request   target: <= 1 ms")

        started = time.perf_counter()
        make_backup(app, root / "backup", "bench passphrase 123")
        backed = time.perf_counter() - started
        restored_app = create_app(
            make_config(
                f"sqlite:///{root / 'restored.sqlite3'}", root / "restored", UPLOAD_PATH=str(root / "restored-files")
            )
        )
        started = time.perf_counter()
        result = restore_backup(restored_app, root / "backup", "bench passphrase 123")
        restore_seconds = time.perf_counter() - started
        assert result.ok, result.problems
        megabytes = FILES * FILE_BYTES / 1e6
        per_10k = (backed / FILES) * 10_000 / 60
        print(
            f"backup of {FILES} files ({megabytes:.0f} MB): {backed:.2f} s, restore and check {restore_seconds:.2f} s"
        )
        print(f"  10,000 certificates at this rate: backup {per_10k:.1f} min   target: <= 60 min (the nightly window)")


if __name__ == "__main__":
    main()
