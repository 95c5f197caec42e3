"""Personal access tokens for the API: made by their owner (or `lims token create`), shown once, kept hashed.

A token acts as its owner, with the owner's roles and organisation, and never more: a ``read`` token is refused on
every writing route. It is accepted on /api/ only, sent as ``Authorization: Bearer lims_...``; every use is recorded
(when, what, from where, the answer) in its own short transaction, so refused requests are recorded too.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.audit.trail import audit_reason
from lims.auth.models import ApiToken, ApiTokenUse, User
from lims.auth.permissions import Capability, require
from lims.core.errors import NotFound, RuleViolation
from lims.core.model import nfc, utcnow

log = logging.getLogger(__name__)

SCOPES = ("read", "write")
PREFIX = "lims_"
MAX_DAYS = 730  # two years: a token outliving that is forgotten, not managed


@dataclass(frozen=True)
class NewToken:
    """A token just made: the record, and the secret shown this once."""

    token: ApiToken
    secret: str


def token_hash(secret: str) -> str:
    """Return what is stored of a token (its SHA-256: the secret is random, long and never typed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, actor, owner: User, *, name: str, scope: str, days: int | None = 90
) -> NewToken:
    """Make a token for ``owner`` (a person makes their own; a system command any person's)."""
    require(actor, Capability.OWN_ACCOUNT)
    if getattr(actor, "id", None) is not None and actor.id != owner.id:
        raise RuleViolation(_("Chỉ người dùng được tạo mã truy cập cho chính mình."), field="user")
    name = nfc((name or "").strip())
    if not name or len(name) > 100:
        raise RuleViolation(_("Cần đặt tên cho mã truy cập (tối đa 100 ký tự)."), field="name")
    if scope not in SCOPES:
        raise RuleViolation(_("Phạm vi phải là read hoặc write."), field="scope")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise RuleViolation(_("Thời hạn phải từ 1 đến %(most)d ngày.", most=MAX_DAYS), field="expires_days")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=owner.id,
        name=name,
        prefix=secret[:12],
        token_hash=token_hash(secret),
        scope=scope,
        expires_at=utcnow() + timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    log.info("API token %s (%s) created for %s", token.id, scope, owner.username)
    return NewToken(token, secret)


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The tokens of a person, newest first (revoked and expired ones too: they say what was used)."""
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())))


def revoke_token(session: Session, actor, token_id: int) -> ApiToken:
    """Revoke one of one's own tokens (an admin, anyone's)."""
    require(actor, Capability.OWN_ACCOUNT)
    token = session.get(ApiToken, token_id)
    is_admin = "admin" in getattr(actor, "roles", frozenset()) or getattr(actor, "id", 0) is None
    if token is None or (token.user_id != getattr(actor, "id", None) and not is_admin):
        raise NotFound(_("Không có mã truy cập này."))
    if token.revoked_at is None:
        with audit_reason("API token revoked"):
            token.revoked_at = utcnow()
            session.flush()
    return token


def usable(token: ApiToken | None, now: datetime) -> bool:
    """Whether a token may still be used: not revoked, not expired, its owner active."""
    return (
        token is not None
        and token.revoked_at is None
        and (token.expires_at is None or token.expires_at > now)
        and token.user.active
    )


def find_token(session: Session, secret: str) -> ApiToken | None:
    """Return the usable token a secret names, or None."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    return token if usable(token, utcnow()) else None


def record_use(engine, token_id: int, *, method: str, path: str, status: int, remote_addr: str | None) -> None:
    """Record one use of a token in its own short transaction (the request's may have been rolled back)."""
    now = utcnow()
    try:
        with Session(engine) as own, own.begin():
            own.add(
                ApiTokenUse(
                    token_id=token_id, used_at=now, method=method, path=path[:300], status=status,
                    remote_addr=remote_addr,
                )
            )  # fmt: skip
    except Exception:  # the answer is already made: a lost record is logged, never a failed request
        log.exception("could not record the use of API token %s", token_id)
