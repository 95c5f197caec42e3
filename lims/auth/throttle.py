"""Slowing password guessing without letting anyone lock others out.

Each failed sign-in pushes back a "not before" time on the account guessed (from any address) and, more steeply, on
the pair (address, account). An attempt before that time is refused at once, without looking at the password; the
request never sleeps. Only an account's own run of LOGIN_LOCK_AFTER consecutive failures (100, NIST SP 800-63B-4
3.2.2) locks it, until its owner follows the link e-mailed to them or an admin unlocks it. Failures from one address
never touch other accounts: a whole lab, or everyone behind a reverse proxy, shares an address.

Counters are keyed by the typed username whether or not the account exists, so throttling tells nobody which
accounts exist. They are written in their own short transaction: the sign-in request itself rolls back.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lims.auth.models import LoginThrottle
from lims.core.model import utcnow
from lims.extensions import db

ACCOUNT = ""  # the remote_addr of an account's own row: failures from every address


@dataclass(frozen=True)
class Backoff:
    """Failures allowed before waiting, and the longest wait (seconds); the wait doubles with each failure."""

    free: int
    longest: int

    def wait(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        return timedelta(seconds=min(2 ** min(failures - self.free, 30), self.longest))


# The account's own wait stays short, so a stranger guessing it cannot keep its owner out for long; one address
# guessing one account waits up to an hour.
ACCOUNT_BACKOFF = Backoff(free=5, longest=300)
PAIR_BACKOFF = Backoff(free=3, longest=3600)


def _key(username: str) -> str:
    return username[:80]


def _address(remote_addr: str | None) -> str:
    return (remote_addr or "-")[:64]


def not_before(session: Session, username: str, remote_addr: str | None) -> datetime | None:
    """Return until when an attempt on this account from this address is refused, or None if it may go ahead."""
    rows = session.scalars(
        select(LoginThrottle).where(
            LoginThrottle.username == _key(username),
            LoginThrottle.remote_addr.in_((ACCOUNT, _address(remote_addr))),
        )
    ).all()
    latest = max((row.not_before for row in rows if row.not_before), default=None)
    return latest if latest and latest > utcnow() else None


def record_failure(username: str, remote_addr: str | None) -> int:
    """Count a failed attempt on the account and on the pair; return the account's consecutive failures."""
    for attempt in range(2):  # a concurrent first failure may insert the same row: then count again
        try:
            with Session(db.engine) as own:
                now = utcnow()
                account = _counted(own, username, ACCOUNT, ACCOUNT_BACKOFF, now)
                _counted(own, username, _address(remote_addr), PAIR_BACKOFF, now)
                own.commit()
                return account
        except IntegrityError:
            if attempt:
                raise
    raise AssertionError("unreachable")


def _counted(own: Session, username: str, address: str, backoff: Backoff, now: datetime) -> int:
    row = own.scalar(
        select(LoginThrottle).where(LoginThrottle.username == _key(username), LoginThrottle.remote_addr == address)
    )
    if row is None:
        row = LoginThrottle(username=_key(username), remote_addr=address, failures=0)
        own.add(row)
    row.failures += 1
    row.not_before = now + backoff.wait(row.failures)
    own.flush()
    return row.failures


def clear(session: Session, username: str, remote_addr: str | None = None) -> None:
    """Forget the account's run of failures (and the pair's, or every pair's when no address is given)."""
    query = delete(LoginThrottle).where(LoginThrottle.username == _key(username))
    if remote_addr is not None:
        query = query.where(LoginThrottle.remote_addr.in_((ACCOUNT, _address(remote_addr))))
    session.execute(query)


def lock_after() -> int:
    return current_app.config["LOGIN_LOCK_AFTER"]
