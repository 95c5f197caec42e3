"""gunicorn settings of the lab system (used by lims-web.service: gunicorn -c deploy/gunicorn.conf.py).

Values come from the environment file (/etc/lims/lims.env) so that one file serves every server.
"""

import multiprocessing
import os
import shutil
from pathlib import Path

wsgi_app = "lims.app:create_app()"
bind = os.environ.get("LIMS_BIND", "127.0.0.1:8000")  # nginx in front; never exposed directly
# Certificates are signed in the request: CPU-bound, so processes rather than threads; 2 per core plus one.
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "sync"
timeout = 120  # a large XLSX import or a quality pack takes a while on a small server
graceful_timeout = 30
max_requests = 2000  # a worker is replaced now and then, so a slow leak never grows for months
max_requests_jitter = 200
forwarded_allow_ips = "127.0.0.1"
accesslog = None  # the app logs one line per request itself (request id, user, status, time)
errorlog = "-"  # journald

# /readyz warns when several workers run without the Redis queue; this tells it how many there are.
os.environ["LIMS_WEB_WORKERS"] = str(workers)
# Prometheus multiprocess mode: every worker writes its counts into files of this folder, /metrics adds them up.
if os.environ.get("LIMS_METRICS") == "1":
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/run/lims/prometheus")


def on_starting(server):
    """Start each run with an empty metrics folder (files of dead workers from the last run would be counted)."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    """Let prometheus-client drop a dead worker's live gauges (its counters stay counted)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
