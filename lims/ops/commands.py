"""`lims backup`, `lims restore`, `lims files verify`."""

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from lims.core.files import file_store
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


COMMANDS = [backup_command, restore_command, files_group]
