"""`lims keys create`, `lims certificates issue`, `lims certificates numbering`, `lims worker`, `lims dcc read`."""

import os

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from certificates import dcc
from lims.auth.models import User
from lims.auth.permissions import SYSTEM
from lims.core.errors import RuleViolation
from lims.core.unit_of_work import unit_of_work
from lims.extensions import db
from lims.issuing import batch as batches
from lims.issuing import keys, numbering, queries, services
from lims.issuing.models import Certificate, IssueBatch
from lims.jobs.models import Job


@click.group("keys")
def keys_group() -> None:
    """The lab's signing key."""


@keys_group.command("create")
@click.option("--overwrite", is_flag=True, help="Replace an existing key (certificates already signed stay valid).")
@with_appcontext
def create_key_command(overwrite: bool) -> None:
    """Make a self-signed demo signing key at LIMS_SIGNING_KEY_PATH (a real lab configures its own)."""
    try:
        path = keys.create_configured_lab_key(overwrite)
    except RuleViolation as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"signing key written to {path}; certificate: {keys.certificate_path(path)}")


@click.group("certificates")
def certificates_group() -> None:
    """Certificates: issue, resume a batch, void a number, numbering."""


def _signatory(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.BadParameter(f"no account {username!r}", param_hint="--signatory")
    return user


@certificates_group.command("issue")
@click.argument("job_numbers", nargs=-1)
@click.option("--signatory", "username", required=True, help="The signatory's username.")
@click.option("--batch", "as_batch", is_flag=True, help="Issue the given jobs (or every reviewed job) as one batch.")
@click.option("--sticker", help="The sticker serial applied (a single passed verification).")
@click.option("--first-sticker", help="Batch: first serial of the roll, applied in job order to passed verifications.")
@click.password_option("--password", confirmation_prompt=False, help="The signatory's password (asked for).")
@with_appcontext
def issue_command(job_numbers, username, as_batch, sticker, first_sticker, password) -> None:
    """Sign and issue the certificates of reviewed jobs."""
    session = db.session
    signatory = _signatory(session, username)
    if job_numbers:
        jobs = session.scalars(select(Job).where(Job.number.in_(job_numbers))).all()
    else:
        jobs = session.scalars(queries.ready_jobs()).all()
    if not jobs:
        raise click.ClickException("no reviewed job to issue")
    if not as_batch:
        if len(jobs) != 1:
            raise click.ClickException("give one job number, or use --batch")
        try:
            # Two transactions, as on the page: the number first, then the signed PDF.
            with unit_of_work(f"cli:{username}", user_id=signatory.id) as work:
                reserved = services.reserve_certificate(work, signatory, jobs[0], password, sticker_serial=sticker)
            with unit_of_work(f"cli:{username}", user_id=signatory.id) as work:
                issued = services.complete_certificate(work, signatory, reserved)
        except RuleViolation as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"issued {issued.display_number}")
        return
    try:
        with unit_of_work(f"cli:{username}", user_id=signatory.id) as work:
            pairs = batches.pair_stickers(work, list(jobs), first_sticker)
            named = {pair.job.id: pair.sticker_serial for pair in pairs if pair.sticker_serial}
            for pair in pairs:
                click.echo(f"  {pair.job.number} -> {pair.sticker_serial or '-'} {'; '.join(pair.problems)}")
            started = batches.start_batch(work, signatory, password, [job.id for job in jobs], named)
    except RuleViolation as exc:
        raise click.ClickException(exc.message) from exc
    _run(started.id, started.total)


def _run(batch_id: int, total: int) -> None:
    with click.progressbar(length=total, label=f"batch {batch_id}") as bar:
        finished = batches.run_batch(batch_id, progress=lambda done, total: bar.update(1))
    click.echo(f"issued {finished.done} of {finished.total}; refused {finished.failed}")
    for error in finished.errors:
        click.echo(f"  job {error['job_id']}: {error['message']}", err=True)


@certificates_group.command("resume")
@click.argument("batch_id", type=int)
@with_appcontext
def resume_command(batch_id: int) -> None:
    """Run an interrupted batch again: issues only what is left, completes numbers taken but not rendered."""
    found = db.session.get(IssueBatch, batch_id)
    if found is None:
        raise click.ClickException(f"no batch {batch_id}")
    if found.status == "running" and not batches.is_interrupted(found):
        click.echo(f"batch {batch_id} seems alive (heartbeat {found.heartbeat_at}); resuming it anyway", err=True)
    total = found.total
    db.session.rollback()
    _run(batch_id, total)


@certificates_group.command("void")
@click.argument("number")
@click.option("--manager", "username", required=True, help="The manager's username.")
@click.option("--reason", required=True, help="Why the number can never be issued.")
@with_appcontext
def void_command(number: str, username: str, reason: str) -> None:
    """Void a certificate number that was taken but can never be issued (it stays in the register as void)."""
    manager = _signatory(db.session, username)
    found = db.session.scalar(select(Certificate).where(Certificate.number == number, Certificate.revision == 0))
    if found is None:
        raise click.ClickException(f"no certificate {number}")
    try:
        with unit_of_work(f"cli:{username}", user_id=manager.id) as work:
            services.void_certificate(work, manager, found, reason)
    except RuleViolation as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"voided {number}")


@certificates_group.command("numbering")
@click.argument("series", type=click.Choice(["verification", "calibration"]))
@click.argument("number_format")
@with_appcontext
def numbering_command(series: str, number_format: str) -> None:
    """Set the form of a series' numbers, e.g. "{seq}-{yy}-{unit}"."""
    try:
        with unit_of_work("cli:numbering") as work:
            numbering.set_number_format(work, SYSTEM, series, number_format)
    except RuleViolation as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{series}: {number_format}")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Quit once the queue is empty (tests, cron).")
@click.option("--no-fork", is_flag=True, help="Run each job in this process instead of a forked child.")
@with_appcontext
def worker_command(burst: bool, no_fork: bool) -> None:
    """Do the queued batch work (batch issue) from the Redis queue at LIMS_REDIS_URL."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException(
            "LIMS_REDIS_URL is not set: without a queue the web process runs batches itself and needs no worker"
        )
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, SimpleWorker, Worker

    connection = Redis.from_url(url)
    try:
        connection.ping()
    except RedisError as exc:
        raise click.ClickException(f"cannot reach the Redis of LIMS_REDIS_URL: {exc}") from exc
    queues = [Queue(batches.QUEUE_NAME, connection=connection)]  # read now: the lab's only queue so far
    if no_fork:
        worker = SimpleWorker(queues, connection=connection)
    else:
        engines = list(db.engines.values())
        # A forked job must open its own database connections, never reuse the parent's (SQLAlchemy's advice).
        os.register_at_fork(after_in_child=lambda: [engine.dispose(close=False) for engine in engines])
        worker = Worker(queues, connection=connection)
    worker.work(burst=burst)


@click.group("dcc")
def dcc_group() -> None:
    """Digital Calibration Certificates (DCC 3.3.0 XML)."""


@dcc_group.command("read")
@click.argument("path", type=click.File("rb"))
def dcc_read_command(path) -> None:
    """Print a DCC's results as tables, after checking it against the schema and its signature."""
    data = path.read(dcc.MAX_DCC_BYTES + 1)
    try:
        dcc.validate_dcc(data)
        read = dcc.read_dcc(data)
    except dcc.DccInvalid as exc:
        raise click.ClickException(f"not a valid DCC 3.3.0: {exc}") from exc
    signature = dcc.verify_dcc_signature(data)
    click.echo(f"DCC {read.number}, issued {read.issued}" + (f", replaces {read.replaces}" if read.replaces else ""))
    intact = "intact (made by the certificate it carries)"
    click.echo("signature: " + (intact if signature.valid else signature.problem))
    for name, columns in read.tables:
        click.echo(f"\n{name}")
        headings = [f"{c.name} [{c.unit}]" if c.unit else c.name for c in columns]
        rows = []
        for i in range(max((len(c.values) for c in columns), default=0)):
            cells = []
            for column in columns:
                value = column.values[i] if i < len(column.values) else ""
                text = str(value)
                if column.uncertainties:
                    k = column.coverage_factors[i] if column.coverage_factors else ""
                    text += f" ± {column.uncertainties[i]}" + (f" (k = {k})" if k != "" else "")
                cells.append(text)
            rows.append(cells)
        widths = [max(len(h), *(len(r[j]) for r in rows)) if rows else len(h) for j, h in enumerate(headings)]
        click.echo("  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True)))
        for row in rows:
            click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


COMMANDS = [keys_group, certificates_group, worker_command, dcc_group]
