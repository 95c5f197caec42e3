"""`lims user create` and `lims user list`."""

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from lims.auth import services, tokens
from lims.auth.models import ROLES, User, username_key
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


@click.group("token")
def token_group() -> None:
    """Personal access tokens for the API."""


@token_group.command("create")
@click.argument("username")
@click.option("--scope", type=click.Choice(tokens.SCOPES), default="read", show_default=True)
@click.option("--expires", "days", type=click.IntRange(1, tokens.MAX_DAYS), default=90, show_default=True,
              help="Days until the token stops working.")  # fmt: skip
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@with_appcontext
def token_create_command(username, scope, days, name) -> None:
    """Make a token for an account and print it (this once: only its hash is kept)."""
    with unit_of_work("cli:token-create") as session:
        user = session.scalar(select(User).where(User.username_key == username_key(username)))
        if user is None:
            raise click.BadParameter(f"no account {username!r}", param_hint="USERNAME")
        try:
            made = tokens.create_token(session, SYSTEM, user, name=name, scope=scope, days=days)
        except RuleViolation as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(made.secret)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke_command(token_id) -> None:
    """Revoke a token by its number."""
    with unit_of_work("cli:token-revoke") as session:
        try:
            tokens.revoke_token(session, SYSTEM, token_id)
        except RuleViolation as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"revoked token {token_id}")


COMMANDS = [user_group, token_group]
