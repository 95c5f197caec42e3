"""`lims calc NAME FILE|-`: the measurement science without the web app, its configuration or a database."""

import json
import sys
from typing import Any

import click

from instruments.calculations import CALCULATIONS, calculation, json_ready
from instruments.errors import InputError


def _refuse(field: str, message: str) -> None:
    click.echo(json.dumps({"error": message, "field": field}, ensure_ascii=False), err=True)
    sys.exit(2)


def _reject_non_finite(token: str) -> float:
    # json.loads accepts NaN and Infinity by default; the contract says they are errors.
    raise ValueError(f"{token} is not a number the contract accepts")


def _read_document(source: str) -> Any:
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as exc:
        _refuse("FILE", f"cannot read {source}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        _refuse("FILE", f"{source} is not UTF-8 text")
    try:
        return json.loads(text, parse_constant=_reject_non_finite)
    except ValueError as exc:
        _refuse("", f"input is not valid JSON: {exc}")


def run_calculation(name: str, source: str) -> None:
    """Compute one document and print the JSON result; exit 2 with one JSON error object when refused."""
    document = _read_document(source)
    if not isinstance(document, dict):
        _refuse("", "the input must be a JSON object")
    try:
        result = calculation(name)(document)
    except InputError as exc:
        _refuse(exc.field, exc.message)
    except (ValueError, ArithmeticError) as exc:
        # A numerical failure the science did not foresee is still a refusal, never a traceback.
        _refuse("", f"cannot compute: {exc}")
    click.echo(json.dumps(json_ready(result), ensure_ascii=False))


@click.group("calc")
def calc_group() -> None:
    """Measurement calculations: JSON in, JSON out (see docs of the calculation contract)."""


def _make_command(name: str) -> click.Command:
    @click.command(name, help=f"Compute `{name}` from a JSON document (a file, or - for standard input).")
    @click.argument("source", metavar="FILE|-")
    def command(source: str) -> None:
        run_calculation(name, source)

    return command


for _name in CALCULATIONS:
    calc_group.add_command(_make_command(_name))


@calc_group.command("procedure")
@click.argument("key")
@click.argument("source", metavar="FILE|-")
def procedure_command(key: str, source: str) -> None:
    """Run the registered procedure KEY on a record (observations, conditions, standards' values, instrument).

    Prints the result, the decision and its rule, the certificate tables, what is missing for a decision and the
    conditions out of limits. `lims procedures example KEY` prints a valid input.
    """
    # Imported here so that the other commands do not load the procedures' numerical libraries.
    from lims.cli.procedures import find_procedure

    document = _read_document(source)
    try:
        procedure = find_procedure(key)()
        result = procedure.run_record(document)
    except InputError as exc:
        _refuse(exc.field, exc.message)
    except (ValueError, ArithmeticError) as exc:
        _refuse("", f"cannot compute: {exc}")
    click.echo(json.dumps(json_ready(result), ensure_ascii=False))
