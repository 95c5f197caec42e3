"""Reads of accounts."""

from sqlalchemy import Select, select

from lims.auth.models import User
from lims.core.words import vietnamese
from lims.customers.models import Organisation


def users_query() -> Select:
    return select(User).order_by(User.username)


def organisations_query(kind: str | None = None) -> Select:
    query = select(Organisation).order_by(vietnamese(Organisation.name))
    return query.where(Organisation.kind == kind) if kind else query
