"""`lims jobs second-look`: flag reviewed jobs whose records would not stand under today's procedure rules."""

import click
from flask.cli import with_appcontext

from lims.core.unit_of_work import unit_of_work
from lims.jobs import services


@click.group("jobs")
def jobs_group() -> None:
    """Jobs and their measurement records."""


@jobs_group.command("second-look")
@with_appcontext
def second_look_command() -> None:
    """Flag reviewed, uncertified jobs whose stored records lack what a procedure now requires (never recomputed)."""
    with unit_of_work("cli:jobs-second-look") as session:
        flagged = services.sweep_reviewed_jobs(session)
        for job in flagged:
            click.echo(f"{job.number}: {job.second_look_reason}")
    click.echo(f"{len(flagged)} job(s) flagged for a second look")


COMMANDS = (jobs_group,)
