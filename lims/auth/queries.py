"""Reads of accounts."""

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lims.auth.models import ApiTokenUse, User
from lims.core.words import vietnamese
from lims.customers.models import Organisation


def users_query() -> Select:
    return select(User).order_by(User.username)


def organisations_query(kind: str | None = None) -> Select:
    query = select(Organisation).order_by(vietnamese(Organisation.name))
    return query.where(Organisation.kind == kind) if kind else query


def token_uses(session: Session, token_ids: list[int]) -> dict[int, tuple[int, datetime | None]]:
    """Return {token id: (uses, last use)} for a person's tokens."""
    if not token_ids:
        return {}
    rows = session.execute(
        select(ApiTokenUse.token_id, func.count(), func.max(ApiTokenUse.used_at))
        .where(ApiTokenUse.token_id.in_(token_ids))
        .group_by(ApiTokenUse.token_id)
    ).all()
    return {token_id: (count, last) for token_id, count, last in rows}
