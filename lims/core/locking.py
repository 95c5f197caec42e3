"""Row locks taken before a rule reads what it checks, so two transactions cannot both pass the same check.

On PostgreSQL a ``SELECT ... FOR UPDATE`` locks the rows until the transaction ends; a second transaction waits and
then reads the rows as the first left them. SQLite has no row locks but one writer at a time: a no-op write takes
the database's write lock (waiting for another writer to finish, up to the busy timeout), and what the transaction
reads afterwards no other writer can change before it ends.
"""

from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

Model = TypeVar("Model")


def locked(session: Session, model: type[Model], *conditions: Any) -> list[Model]:
    """Lock the rows of ``model`` matching the conditions and return them freshly read (ordered by id)."""
    if session.get_bind().dialect.name != "postgresql":
        session.execute(
            update(model).where(*conditions).values(id=model.id).execution_options(synchronize_session=False)  # type: ignore[attr-defined]
        )
        query = select(model).where(*conditions)
    else:
        query = select(model).where(*conditions).with_for_update()
    # Rows already in the session were read before the lock: read them again.
    query = query.order_by(model.id).execution_options(populate_existing=True)  # type: ignore[attr-defined]
    return list(session.scalars(query))


def locked_one(session: Session, model: type[Model], *conditions: Any) -> Model | None:
    rows = locked(session, model, *conditions)
    return rows[0] if rows else None
