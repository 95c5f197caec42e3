"""`lims catalogue seed`, `lims import instruments FILE`, `lims reminders queue|send`."""

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from lims.auth.permissions import SYSTEM
from lims.core.dates import lab_today
from lims.core.unit_of_work import unit_of_work
from lims.customers import services
from lims.customers.importing import read_sheet
from lims.customers.models import Organisation


@click.group("catalogue")
def catalogue_group() -> None:
    """The instrument catalogue and its verification cycles."""


@catalogue_group.command("seed")
@with_appcontext
def seed_command() -> None:
    """Add the seed file's instrument types and cycles that the database lacks (idempotent)."""
    with unit_of_work("cli:catalogue-seed") as session:
        types, cycles = services.seed_catalogue(session, SYSTEM)
    click.echo(f"catalogue: {types} types and {cycles} cycles added")


@click.group("import")
def import_group() -> None:
    """Bulk imports."""


@import_group.command("instruments")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", help="Tax code of the enterprise owning every row (else a tax_code column).")
@with_appcontext
def import_instruments_command(file: Path, organisation: str | None) -> None:
    """Import instruments from a CSV or XLSX file: every row, or none and a report of the refused rows."""
    content = file.read_bytes()
    try:
        _keys, rows = read_sheet(content, file.name)
        total = sum(1 for _ in rows)
    except ValueError:
        total = 0
    with unit_of_work("cli:import-instruments") as session:
        organisation_id = None
        if organisation:
            code = services.check_tax_code(organisation)
            organisation_id = session.scalar(select(Organisation.id).where(Organisation.tax_code == code))
            if organisation_id is None:
                raise click.BadParameter(f"no enterprise with tax code {code}", param_hint="--organisation")
        with click.progressbar(length=total, label=_("Đọc và kiểm tra"), file=sys.stderr) as bar:
            report = services.import_instruments(
                session, SYSTEM, content, file.name, organisation_id=organisation_id, progress=bar.update
            )
        if not report.ok:
            session.rollback()
            for problem in report.problems:
                click.echo(f"dòng/row {problem.row}, cột/column {problem.column}: {problem.reason}", err=True)
            raise click.ClickException(
                f"{len(report.problems)} problem(s) in {report.rows} rows: nothing imported / không nhập dòng nào"
            )
    click.echo(f"imported {report.imported} instruments (sha256 {report.sha256})")


@click.group("reminders")
def reminders_group() -> None:
    """Recall reminders."""


@reminders_group.command("queue")
@click.option("--days", default=30, show_default=True, help="Announce instruments due within this many days.")
@click.option("--channel", type=click.Choice(services.CHANNELS), default="email", show_default=True)
@with_appcontext
def queue_command(days: int, channel: str) -> None:
    """Queue reminders for instruments due soon or overdue (never twice for the same due date)."""
    with unit_of_work("cli:reminders-queue") as session:
        queued = services.queue_reminders(session, SYSTEM, lab_today(), days, channel)
    click.echo(f"{queued} reminder(s) queued")


@reminders_group.command("send")
@with_appcontext
def send_command() -> None:
    """Send the queued e-mails through LIMS_SMTP_URL (without it they stay listed in the outbox)."""
    smtp_url = current_app.config.get("SMTP_URL")
    if not smtp_url:
        click.echo("LIMS_SMTP_URL is not set: the reminders stay in the outbox")
        return
    with unit_of_work("cli:reminders-send") as session:
        sent, failed = services.send_outbox(session, SYSTEM, smtp_url)
    click.echo(f"{sent} sent, {failed} failed")


COMMANDS = [catalogue_group, import_group, reminders_group]
