"""The `lims` command: the Flask app's commands plus `lims calc`, which needs no app at all."""

import click
from flask.cli import FlaskGroup

from lims.cli.calc import calc_group
from lims.cli.procedures import procedures_group


def _create_app():
    from lims.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True, load_dotenv=False)
def main() -> None:
    """Calibration laboratory system."""


main.add_command(calc_group)
main.add_command(procedures_group)
