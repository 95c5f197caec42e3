"""Demo data: `lims demo load` fills an empty lab with realistic records; running it twice changes nothing."""

import importlib
import importlib.util

import click
from flask import current_app
from flask.cli import with_appcontext

from lims.core.unit_of_work import unit_of_work

DEMO_PASSWORD = "demo-lims-2026"  # noqa: S105 - printed on purpose: demo accounts only


def _loaders():
    from lims.app import DOMAINS

    for domain in DOMAINS:
        module_name = f"lims.{domain}.demo"
        if importlib.util.find_spec(module_name) is not None:
            module = importlib.import_module(module_name)
            yield domain, module.load


def load_demo() -> list[tuple[str, str]]:
    """Load every domain's demo records in one transaction; return the demo logins."""
    logins: list[tuple[str, str]] = []
    with unit_of_work("demo-loader") as session:
        for _domain, load in _loaders():
            logins.extend(load(session) or [])
    return logins


@click.group("demo")
def demo_group() -> None:
    """Demo data."""


@demo_group.command("load")
@with_appcontext
def load_command() -> None:
    """Load the demo data (idempotent) and print the demo logins."""
    if current_app.config["ENV"] == "production":
        # The demo accounts' password is printed in the README: they must never exist on a real server.
        raise click.ClickException("lims demo load refuses to run in production (LIMS_ENV=production)")
    logins = load_demo()
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, what in logins:
        click.echo(f"  {username:14} {what}")
