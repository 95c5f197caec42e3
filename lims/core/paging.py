"""Pages of a long list whose count stops at a cap: a list of a million rows is never counted to the end.

Counting every row of a million-row list costs as much as reading them; past the cap the page says "10 000+" and
still pages through the first pages (the deep end of such a list is reached by filtering, not by paging).
"""

import sqlalchemy as sa
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy.orm import Session

COUNT_CAP = 10_000


class CappedPagination(SelectPagination):
    """A Flask-SQLAlchemy page whose ``total`` is exact up to ``cap`` and ``cap + 1`` beyond (``capped`` then)."""

    cap = COUNT_CAP

    def _query_count(self) -> int:
        select = self._query_args["select"]
        sub = select.with_only_columns(sa.literal(1)).order_by(None).limit(self.cap + 1).subquery()
        return self._query_args["session"].execute(sa.select(sa.func.count()).select_from(sub)).scalar() or 0

    @property
    def capped(self) -> bool:
        return self.total is not None and self.total > self.cap


def capped_paginate(session: Session, select: sa.Select, per_page: int, page: int | None = None) -> CappedPagination:
    """Return a page of ``select`` (page from the ``page`` query argument when not given)."""
    return CappedPagination(select=select, session=session, page=page, per_page=per_page, error_out=False)
