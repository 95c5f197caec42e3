"""`lims backup`, `lims restore`, `lims files verify`, `lims maintenance daily|retention`."""

import logging
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from lims.core.errors import RuleViolation
from lims.core.files import file_store
from lims.core.unit_of_work import unit_of_work
from lims.extensions import db
from lims.ops.backup import BackupError, make_backup, restore_backup
from lims.ops.filecheck import verify_files

PASSPHRASE_HELP = "Passphrase that encrypts the keys in the backup (else LIMS_BACKUP_PASSPHRASE, else asked)."


@click.command("backup")
@click.argument("destination", type=click.Path(file_okay=False))
@click.option("--passphrase", envvar="LIMS_BACKUP_PASSPHRASE", help=PASSPHRASE_HELP)
@with_appcontext
def backup_command(destination: str, passphrase: str | None) -> None:
    """Write a consistent backup (database, every stored file, encrypted keys, manifest) into a new folder."""
    if not passphrase:
        passphrase = click.prompt("Backup passphrase", hide_input=True, confirmation_prompt=True)
    try:
        result = make_backup(current_app._get_current_object(), destination, passphrase)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    manifest = result.manifest
    audit = manifest["audit"]
    click.echo(
        f"backup written to {result.folder}: {manifest['database']['backend']} database at revision "
        f"{manifest['schema_revision']}, {sum(manifest['counts'].values())} rows, {manifest['stored_files']} stored "
        f"files, keys {', '.join(manifest['keys']) or 'none'}; "
        f"audit head event {audit['head_seq']} {audit['head_hash']}"
    )
    if not audit["intact"]:
        click.echo(f"WARNING: the audit chain did not verify when backed up: {audit['problem']}", err=True)
        sys.exit(2)


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.option("--passphrase", envvar="LIMS_BACKUP_PASSPHRASE", help="The backup's passphrase (or asked).")
@with_appcontext
def restore_command(source: str, passphrase: str | None) -> None:
    """Restore a backup into an empty database and file store, then check hashes, audit chain, counts and files."""
    if not passphrase:
        passphrase = click.prompt("Backup passphrase", hide_input=True)
    try:
        result = restore_backup(current_app._get_current_object(), source, passphrase)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    manifest = result.manifest
    if not result.ok:
        for problem in result.problems:
            click.echo(f"PROBLEM: {problem}", err=True)
        sys.exit(1)
    click.echo(
        f"restored {source}: revision {manifest['schema_revision']}, {sum(manifest['counts'].values())} rows, "
        f"{manifest['stored_files']} files; audit chain verified to event {manifest['audit']['head_seq']}"
    )


@click.group("files")
def files_group() -> None:
    """The store of files (issued PDFs, scanned certificates, documents)."""


@files_group.command("verify")
@with_appcontext
def verify_files_command() -> None:
    """Check that every file the database names is stored with its hash; list stored files nobody names."""
    result = verify_files(db.session, file_store())
    for digest, where in result.missing:
        click.echo(f"MISSING {digest} (named by {', '.join(where)})", err=True)
    for digest, where in result.corrupted:
        click.echo(f"CORRUPTED {digest} (named by {', '.join(where)})", err=True)
    for digest in result.orphans:
        click.echo(f"orphan {digest} (stored, named by no record)")
    click.echo(
        f"{result.checked} files checked in {file_store()}: {len(result.missing)} missing, "
        f"{len(result.corrupted)} corrupted, {len(result.orphans)} orphans"
    )
    sys.exit(0 if result.ok else 1)


@click.group("maintenance")
def maintenance_group() -> None:
    """The daily upkeep (run by deploy/lims-daily.timer) and its settings."""


def _daily_steps(backup_dir: str | None):
    from lims.audit.services import anchor_chain
    from lims.core.dates import lab_today
    from lims.customers import services as customers
    from lims.ops import retention

    def reminders():
        with unit_of_work("cli:daily-reminders") as session:
            queued = customers.queue_reminders(session, lab_today(), 30, "email")
        smtp_url = current_app.config.get("SMTP_URL")
        if not smtp_url:
            return f"{queued} queued (LIMS_SMTP_URL not set: they stay in the outbox)"
        with unit_of_work("cli:daily-reminders") as session:
            sent, failed = customers.send_outbox(session, smtp_url)
        return f"{queued} queued, {sent} sent, {failed} failed"

    def prune():
        with unit_of_work("cli:daily-retention") as session:
            removed = retention.prune(session)
        return ", ".join(f"{count} {table} rows removed" for table, count in removed.items())

    def anchor():
        with unit_of_work("cli:daily-anchor") as session:
            checkpoint = anchor_chain(session)
        return f"checkpoint at event {checkpoint.seq} hash {checkpoint.hash}"

    def backup():
        if not backup_dir:
            return "skipped: LIMS_BACKUP_DIR is not set"
        from lims.core.model import utcnow

        passphrase = current_app.config.get("BACKUP_PASSPHRASE") or ""
        folder = Path(backup_dir) / utcnow().strftime("%Y-%m-%dT%H%M%SZ")
        result = make_backup(current_app._get_current_object(), folder, passphrase)
        return f"written to {result.folder} ({result.manifest['stored_files']} files)"

    return [("reminders", reminders), ("retention", prune), ("audit anchor", anchor), ("backup", backup)]


@maintenance_group.command("daily")
@click.option("--backup-dir", envvar="LIMS_BACKUP_DIR", help="Folder receiving a dated backup (LIMS_BACKUP_DIR).")
@with_appcontext
def daily_command(backup_dir: str | None) -> None:
    """Queue and send reminders, prune old look-ups and sign-in attempts, anchor the audit chain, back up.

    Each step runs on its own: one failing is reported (exit 1) and does not stop the others.
    """
    failed = 0
    for name, step in _daily_steps(backup_dir):
        try:
            click.echo(f"{name}: {step()}")
        except Exception as exc:  # the next step must still run; the failure is reported and logged
            failed += 1
            db.session.rollback()
            logging.getLogger(__name__).exception("daily step %s failed", name)
            click.echo(f"{name}: FAILED: {exc}", err=True)
    sys.exit(1 if failed else 0)


@maintenance_group.command("retention")
@click.option("--lookups-days", type=int, help="Keep public verification look-ups this many days.")
@click.option("--sign-ins-days", type=int, help="Keep sign-in attempts this many days.")
@click.option("--reason", help="Why the period changes (kept in the audit trail).")
@with_appcontext
def retention_command(lookups_days: int | None, sign_ins_days: int | None, reason: str | None) -> None:
    """Show, or change, how long look-ups and sign-in attempts are kept."""
    from lims.ops import retention

    changes = {"lookups": lookups_days, "sign_ins": sign_ins_days}
    try:
        with unit_of_work("cli:retention") as session:
            for name, days in changes.items():
                if days is not None:
                    retention.set_retention(session, retention.BY_NAME[name], days, reason or "")
    except RuleViolation as exc:
        raise click.ClickException(exc.message) from None
    for item in retention.RETENTIONS:
        click.echo(f"{item.label}: kept {retention.retention_days(db.session, item)} days")


COMMANDS = [backup_command, restore_command, files_group, maintenance_group]
