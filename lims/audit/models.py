"""Audit events (append-only, hash-chained) and signed checkpoints of the chain's head."""

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lims.core.model import utcnow
from lims.extensions import db


class AuditEvent(db.Model):
    """One change of one record: who, when, what, the old and new values, chained to the event before it."""

    __tablename__ = "audit_event"
    __audited__ = False

    # The sequence number is the chain position: assigned under a lock as head + 1, so it has no gaps.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))  # insert | update | delete | event name
    entity: Mapped[str] = mapped_column(String(80), index=True)
    entity_id: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(Text)
    # The exact canonical JSON that was hashed; the columns above are copies for querying, checked against it.
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditAnchor(db.Model):
    """A signed checkpoint of the chain's head, so that a truncated tail is detectable."""

    __tablename__ = "audit_anchor"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    # Ed25519 signature over "seq:hash:created_at", with the public key that checks it.
    signature: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
