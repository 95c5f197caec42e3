"""`lims procedures list`: the measurement procedures the science offers, with their observation schemas."""

import json

import click


@click.group("procedures")
def procedures_group() -> None:
    """Measurement procedures (no app or database needed)."""


@procedures_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print every procedure with its schema as JSON.")
def list_procedures(as_json: bool) -> None:
    """List the registered procedures: key, kind, standard and title."""
    # Imported here so that every other `lims` command does not load the procedures' numerical libraries.
    from instruments.procedures import all_procedures

    procedures = all_procedures()
    if as_json:
        click.echo(json.dumps([cls.describe() for cls in procedures], ensure_ascii=False, indent=2))
        return
    for cls in procedures:
        click.echo(f"{cls.key:<26} {cls.kind:<13} {cls.standard:<28} {cls.title_en} / {cls.title_vi}")


@procedures_group.command("example")
@click.argument("key")
def example_procedure(key: str) -> None:
    """Print a record that `lims calc procedure KEY -` computes (observations, conditions, standards, instrument)."""
    from instruments.errors import InputError
    from instruments.procedures import get_procedure

    try:
        document = get_procedure(key).example_record()
    except InputError as exc:
        click.echo(json.dumps(exc.as_dict(), ensure_ascii=False), err=True)
        raise SystemExit(2) from exc
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))
