"""The unit of work of a CLI command or background job: one commit at the end, rollback on any error."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from lims.audit.trail import acting_as
from lims.extensions import db


@contextmanager
def unit_of_work(actor: str, user_id: int | None = None) -> Iterator[Session]:
    """Run the block's changes as one transaction attributed to ``actor``; commit only if it finishes."""
    with acting_as(user_id, actor):
        try:
            yield db.session
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
