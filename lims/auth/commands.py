"""`lims user create` and `lims user list`."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lims.auth import services
from lims.auth.models import ROLES, User
from lims.auth.permissions import SYSTEM
from lims.core.errors import RuleViolation
from lims.core.unit_of_work import unit_of_work
from lims.customers.models import Organisation
from lims.extensions import db


@click.group("user")
def user_group() -> None:
    """Accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name as printed on certificates.")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES), help="Repeat for several.")
@click.option("--email")
@click.option("--organisation", help="Tax code or exact name of the enterprise (for enterprise accounts).")
@click.password_option(help="Asked for when not given.")
@with_appcontext
def create_command(username, full_name, roles, email, organisation, password) -> None:
    """Create an account."""
    with unit_of_work("cli:user-create") as session:
        organisation_id = None
        if organisation:
            found = session.scalar(
                select(Organisation).where(
                    (Organisation.tax_code == organisation) | (Organisation.name == organisation)
                )
            )
            if found is None:
                raise click.BadParameter(f"no organisation {organisation!r}", param_hint="--organisation")
            organisation_id = found.id
        try:
            user = services.create_user(
                session,
                SYSTEM,
                username=username,
                full_name=full_name,
                password=password,
                roles=roles,
                email=email,
                organisation_id=organisation_id,
            )
        except RuleViolation as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"created {user.username} with roles {', '.join(sorted(user.roles))}")


@user_group.command("list")
@with_appcontext
def list_command() -> None:
    """List accounts and their roles."""
    for user in db.session.scalars(select(User).order_by(User.username)):
        state = "" if user.active else " (locked)"
        click.echo(f"{user.username:20} {','.join(sorted(user.roles)):30} {user.full_name}{state}")


COMMANDS = [user_group]
