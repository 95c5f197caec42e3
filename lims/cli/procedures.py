"""`lims procedures list|validate|example|import|versions`: the procedures the science offers, checking a definition,
storing one, and the versions stored."""

import json
from importlib import resources

import click
from flask.cli import with_appcontext


@click.group("procedures")
def procedures_group() -> None:
    """Measurement procedures (list and validate need no app or database)."""


def find_procedure(key: str):  # noqa: ANN201 - a Procedure class, imported lazily
    """Return the procedure registered under ``key``, else the shipped definition with that key.

    InputError naming "procedure" when neither has it.
    """
    from instruments.errors import InputError
    from instruments.procedures import get_procedure
    from instruments.procedures.defined import load_procedure
    from instruments.procedures.definition import DefinitionError

    try:
        return get_procedure(key)
    except InputError as refused:
        for text in shipped_definitions().values():
            try:
                cls = load_procedure(text)
            except DefinitionError:
                continue
            if cls.key == key:
                return cls
        raise refused


def shipped_definitions() -> dict[str, str]:
    """Return the texts of the procedure definitions shipped with the project, by file name."""
    folder = resources.files("instruments.procedures") / "definitions"
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda entry: entry.name)
        if entry.name.endswith((".yaml", ".yml", ".json"))
    }


@procedures_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print every procedure with its schema as JSON.")
def list_procedures(as_json: bool) -> None:
    """List the registered procedures (key, kind, standard, title), then the definitions shipped as files."""
    # Imported here so that every other `lims` command does not load the procedures' numerical libraries.
    from instruments.procedures import all_procedures
    from instruments.procedures.defined import load_procedure
    from instruments.procedures.definition import DefinitionError

    procedures = all_procedures()
    shipped = []
    for name, text in shipped_definitions().items():
        try:
            shipped.append((name, load_procedure(text)))
        except DefinitionError as exc:
            click.echo(f"{name}: not readable: {exc}", err=True)
    if as_json:
        described = [cls.describe() for cls in procedures]
        described += [{**cls.describe(), "version": cls.version, "file": name} for name, cls in shipped]
        click.echo(json.dumps(described, ensure_ascii=False, indent=2))
        return
    for cls in procedures:
        click.echo(f"{cls.key:<26} {cls.kind:<13} {cls.standard:<28} {cls.title_en} / {cls.title_vi}")
    for name, cls in shipped:
        where = f"definition {name}, version {cls.version}"
        click.echo(f"{cls.key:<26} {cls.kind:<13} {cls.standard:<28} {cls.title_en} / {cls.title_vi} ({where})")


@procedures_group.command("validate")
@click.argument("file", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="Print the validation report as JSON.")
def validate(file, as_json: bool) -> None:  # noqa: ANN001 - click's file
    """Read a procedure definition (YAML or JSON) and run its worked examples; exit 2 if it cannot be used."""
    from instruments.procedures.validation import validate_definition

    report = validate_definition(file.read())
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(report.lines()))
    if not report.valid:
        raise SystemExit(2)


@procedures_group.command("example")
@click.argument("key")
def example_procedure(key: str) -> None:
    """Print a record that `lims calc procedure KEY -` computes (observations, conditions, standards, instrument)."""
    from instruments.errors import InputError

    try:
        document = find_procedure(key).example_record()
    except InputError as exc:
        click.echo(json.dumps(exc.as_dict(), ensure_ascii=False), err=True)
        raise SystemExit(2) from exc
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


@procedures_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--by", "username", required=True, help="The manager uploading it (a second one approves it).")
@click.option("--approve-by", "approver", help="A second manager approving it at once.")
@with_appcontext
def import_definition(file, username: str, approver: str | None) -> None:  # noqa: ANN001 - click's file
    """Store a valid definition as a draft version (refused, with its report, if invalid); optionally approve it."""
    from sqlalchemy import select

    from lims.auth.models import User
    from lims.core.errors import RuleViolation
    from lims.core.unit_of_work import unit_of_work
    from lims.extensions import db
    from lims.procedures import services

    def user(name: str, option: str) -> User:
        found = db.session.scalar(select(User).where(User.username == name))
        if found is None:
            raise click.BadParameter(f"no account {name!r}", param_hint=option)
        return found

    uploader = user(username, "--by")
    second = user(approver, "--approve-by") if approver else None
    text = file.read()
    try:
        report = services.check_definition(services.definition_text(text))
        if not report.valid:
            click.echo("\n".join(report.lines()), err=True)
            raise SystemExit(2)
        with unit_of_work(f"cli:{username}", user_id=uploader.id) as session:
            version = services.upload_version(session, uploader, text)
            label, version_id = version.label, version.id
        click.echo(f"imported {label} as a draft (id {version_id})")
        if second is not None:
            with unit_of_work(f"cli:{approver}", user_id=second.id) as session:
                services.approve_version(session, second, services.get_version(session, version_id))
            click.echo(f"approved {label} by {approver}")
    except RuleViolation as exc:
        raise click.ClickException(exc.message) from exc


@procedures_group.command("versions")
@with_appcontext
def list_versions() -> None:
    """List the definition versions stored in the database: status, effective date, values awaiting confirmation."""
    from sqlalchemy import select

    from lims.extensions import db
    from lims.procedures.models import ProcedureVersion

    for version in db.session.scalars(select(ProcedureVersion).order_by(ProcedureVersion.key, ProcedureVersion.id)):
        waiting = len(version.waiting_confirmation)
        click.echo(
            f"{version.key:<26} v{version.version:<4} {version.status:<10} effective {version.effective.isoformat()}"
            f"  unconfirmed values waiting: {waiting}"
        )
