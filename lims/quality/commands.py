"""`lims quality check-chain` and `lims quality sweep`: jobs a lab runs from cron."""

import click
from flask.cli import with_appcontext

from lims.auth.permissions import SYSTEM
from lims.core.unit_of_work import unit_of_work
from lims.quality import services
from lims.quality.automation import sweep_system_nonconformities


@click.group("quality")
def quality_group() -> None:
    """The quality system."""


@quality_group.command("check-chain")
@with_appcontext
def check_chain_command() -> None:
    """Verify the audit chain and record the result as evidence for 17025 7.11 (exit 1 if broken)."""
    with unit_of_work("cli:quality-check-chain") as session:
        check = services.record_chain_check(session, SYSTEM)
    click.echo(
        f"audit chain {'intact' if check.ok else 'BROKEN: ' + (check.problem or '')}: {check.events_checked} events"
    )
    raise SystemExit(0 if check.ok else 1)


@quality_group.command("sweep")
@with_appcontext
def sweep_command() -> None:
    """Open nonconformities for flagged records that have none yet (checks out of limits, failed standards, En)."""
    with unit_of_work("cli:quality-sweep") as session:
        opened = sweep_system_nonconformities(session, SYSTEM)
        numbers = [case.number for case in opened]
    click.echo(f"opened {len(numbers)}: {', '.join(numbers)}" if numbers else "nothing to open")


COMMANDS = [quality_group]
