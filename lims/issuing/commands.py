"""`lims keys create`, `lims certificates issue`, `lims certificates numbering`."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lims.auth.models import User
from lims.core.errors import RuleViolation
from lims.core.unit_of_work import unit_of_work
from lims.extensions import db
from lims.issuing import batch as batches
from lims.issuing import keys, numbering, queries, services
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
    """Certificates: issue, numbering."""


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
@click.password_option("--password", confirmation_prompt=False, help="The signatory's password (asked for).")
@with_appcontext
def issue_command(job_numbers, username, as_batch, sticker, password) -> None:
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
            with unit_of_work(f"cli:{username}", user_id=signatory.id) as work:
                issued = services.issue_certificate(work, jobs[0], signatory, password, sticker_serial=sticker)
        except RuleViolation as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"issued {issued.display_number}")
        return
    try:
        with unit_of_work(f"cli:{username}", user_id=signatory.id) as work:
            started = batches.start_batch(work, signatory, password, [job.id for job in jobs])
    except RuleViolation as exc:
        raise click.ClickException(exc.message) from exc
    with click.progressbar(length=started.total, label=f"batch {started.id}") as bar:
        finished = batches.run_batch(started.id, progress=lambda done, total: bar.update(1))
    click.echo(f"issued {finished.done} of {finished.total}; refused {finished.failed}")
    for error in finished.errors:
        click.echo(f"  job {error['job_id']}: {error['message']}", err=True)


@certificates_group.command("numbering")
@click.argument("series", type=click.Choice(["verification", "calibration"]))
@click.argument("number_format")
@with_appcontext
def numbering_command(series: str, number_format: str) -> None:
    """Set the form of a series' numbers, e.g. "{seq}-{yy}-{unit}"."""
    try:
        with unit_of_work("cli:numbering") as work:
            numbering.set_number_format(work, series, number_format)
    except RuleViolation as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"{series}: {number_format}")


COMMANDS = [keys_group, certificates_group]
