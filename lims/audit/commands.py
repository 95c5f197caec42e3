"""`lims audit verify` and `lims audit anchor`."""

import json
import sys

import click
from flask.cli import with_appcontext

from lims.audit.services import anchor_chain, verify_chain, verify_since_anchor
from lims.core.unit_of_work import unit_of_work
from lims.extensions import db


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit trail."""


@audit_group.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--full", is_flag=True, help="Recompute the whole chain, not only the events since the last checkpoint.")
@with_appcontext
def verify_command(as_json: bool, full: bool) -> None:
    """Check the signed checkpoints and recompute the chain since the last one (all of it with --full).

    Exit 1 naming the first altered, deleted or reordered event.
    """
    result = verify_chain(db.session) if full else verify_since_anchor(db.session)
    if as_json:
        click.echo(json.dumps(result.as_dict()))
    elif result.ok:
        click.echo(
            f"audit chain intact: {result.checked} events and {result.anchors_checked} signed checkpoints checked"
        )
    else:
        click.echo(f"audit chain BROKEN at event {result.first_bad_seq}: {result.problem}", err=True)
    sys.exit(0 if result.ok else 1)


@audit_group.command("anchor")
@with_appcontext
def anchor_command() -> None:
    """Record a signed checkpoint of the chain's head (keep the printed line outside the system too)."""
    with unit_of_work("cli:audit-anchor"):
        anchor = anchor_chain(db.session)
    click.echo(f"checkpoint at event {anchor.seq} hash {anchor.hash} signature {anchor.signature}")


COMMANDS = [audit_group]
