"""The /metrics exposition: request counts and latency from every worker, and the lab's figures read at scrape time.

Certificates issued, batch progress and queue depth are read from the database and Redis when Prometheus asks,
so every worker (and the CLI, and RQ) reports the same truth and nothing is counted in one process's memory.
"""

import ipaddress
import os

from flask import current_app
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from lims.extensions import db


def allowed(remote_addr: str | None) -> bool:
    """Whether this address may read /metrics (LIMS_METRICS_ALLOW: comma-separated addresses or networks)."""
    if not remote_addr:
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    for item in current_app.config.get("METRICS_ALLOW", "").split(","):
        if item.strip() and address in ipaddress.ip_network(item.strip(), strict=False):
            return True
    return False


class LabCollector:
    """Figures of the lab read when scraped: certificates issued, unfinished batches' progress, queue depth."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from lims.issuing.models import Certificate, IssueBatch

        issued = CounterMetricFamily(
            "lims_certificates_issued", "Certificates issued (every revision)", labels=["kind"]
        )
        progress = GaugeMetricFamily(
            "lims_issue_batch_jobs", "Jobs of unfinished batch issues", labels=["batch", "state"]
        )
        with self.app.app_context():
            for kind, count in db.session.execute(select(Certificate.kind, func.count()).group_by(Certificate.kind)):
                issued.add_metric([kind], count)
            batches = db.session.execute(
                select(IssueBatch.id, IssueBatch.total, IssueBatch.done, IssueBatch.failed).where(
                    IssueBatch.status != "finished"
                )
            )
            for batch_id, total, done, failed in batches:
                progress.add_metric([str(batch_id), "total"], total)
                progress.add_metric([str(batch_id), "done"], done)
                progress.add_metric([str(batch_id), "failed"], failed)
            db.session.remove()
        yield issued
        yield progress
        url = self.app.config.get("REDIS_URL")
        if url:
            from redis import Redis
            from rq import Queue

            from lims.issuing.batch import QUEUE_NAME

            queue = Queue(QUEUE_NAME, connection=Redis.from_url(url, socket_timeout=2))
            depth = GaugeMetricFamily("lims_queue_jobs", "Jobs waiting in the work queue", labels=["queue"])
            depth.add_metric([QUEUE_NAME], queue.count)
            yield depth


def exposition() -> bytes:
    """Return the metrics text: every worker's request metrics (multiprocess mode) and the lab's figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        requests = CollectorRegistry()
        multiprocess.MultiProcessCollector(requests)
    else:
        requests = REGISTRY
    lab = CollectorRegistry()
    lab.register(LabCollector(current_app._get_current_object()))
    return generate_latest(requests) + generate_latest(lab)
