"""Write audit events for every change of a domain record, in the same transaction, chained by SHA-256.

Appends are serialised: on PostgreSQL by an advisory transaction lock, on SQLite by its single-writer lock, so two
transactions can never read the same head and fork the chain, and a rolled-back transaction leaves no gap.
"""

import base64
import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from lims.audit.models import AuditEvent
from lims.core.model import nfc, utcnow
from lims.extensions import db

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Any constant bigint; it names the lock that serialises appends to the chain on PostgreSQL.
AUDIT_LOCK_KEY = 0x4C494D53_41554454  # "LIMSAUDT"


@dataclass(frozen=True)
class Actor:
    """Who is changing records: a user (with id) or a named process (CLI, worker, system)."""

    user_id: int | None
    label: str


SYSTEM_ACTOR = Actor(None, "system")
_actor: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)
_reason: ContextVar[str | None] = ContextVar("audit_reason", default=None)


def current_actor() -> Actor:
    return _actor.get() or SYSTEM_ACTOR


@contextmanager
def acting_as(user_id: int | None, label: str) -> Iterator[None]:
    """Attribute every change made inside the block to this actor."""
    token = _actor.set(Actor(user_id, label))
    try:
        yield
    finally:
        _actor.reset(token)


def set_actor(user_id: int | None, label: str) -> None:
    """Attribute the rest of this context's changes (one request) to this actor."""
    _actor.set(Actor(user_id, label))


@contextmanager
def audit_reason(reason: str | None) -> Iterator[None]:
    """Record why: every change made inside the block carries this reason in its audit event."""
    token = _reason.set(nfc(reason))
    try:
        yield
    finally:
        _reason.reset(token)


def canonical_json(document: dict[str, Any]) -> str:
    """Return the one JSON text of a document that is hashed: sorted keys, no spaces, UTF-8 characters."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, payload: str) -> str:
    """Return the hash of an event: SHA-256 over the previous event's hash and this event's canonical JSON."""
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def json_value(value: Any) -> Any:
    """Return a JSON-ready copy of a column value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest(), "bytes": len(value)}
    if isinstance(value, dict | list | tuple):
        return json.loads(json.dumps(value, default=str))
    return str(value)


def _is_audited(instance: Any) -> bool:
    return isinstance(instance, db.Model) and type(instance).__audited__


def _identity(instance: Any) -> str:
    # The primary key from the instance itself: in after_flush a new row's identity key is not assigned yet.
    key = inspect(instance).mapper.primary_key_from_instance(instance)
    return ",".join("" if part is None else str(part) for part in key)


def _column_keys(mapper) -> frozenset[str]:
    keys = _COLUMN_KEYS.get(mapper)
    if keys is None:
        skip = getattr(mapper.class_, "__audit_skip__", frozenset())
        keys = _COLUMN_KEYS[mapper] = frozenset(attr.key for attr in mapper.column_attrs if attr.key not in skip)
    return keys


_COLUMN_KEYS: dict[Any, frozenset[str]] = {}


def _column_values(instance: Any) -> dict[str, Any]:
    state = inspect(instance)
    redact = type(instance).__audit_redact__
    values = {}
    for key in sorted(_column_keys(state.mapper)):
        # After a flush the state holds every column it wrote (defaults included); a deleted row may need a load.
        value = state.dict[key] if key in state.dict else getattr(instance, key)
        values[key] = "[redacted]" if key in redact and value is not None else json_value(value)
    return values


def _changed_values(instance: Any) -> dict[str, list[Any]]:
    state = inspect(instance)
    redact = type(instance).__audit_redact__
    changes = {}
    skip = getattr(type(instance), "__audit_skip__", frozenset())
    for column_attr in state.mapper.column_attrs:
        if column_attr.key in skip:
            continue
        history = state.attrs[column_attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if column_attr.key in redact:
            changes[column_attr.key] = ["[redacted]", "[redacted]"]
        else:
            changes[column_attr.key] = [json_value(old), json_value(new)]
    return changes


def _pending_changes(session: Session) -> list[dict[str, Any]]:
    changes = []
    for instance in session.new:
        if _is_audited(instance):
            changes.append({"action": "insert", "instance": instance, "changes": _column_values(instance)})
    for instance in session.dirty:
        if _is_audited(instance) and session.is_modified(instance, include_collections=False):
            changed = _changed_values(instance)
            if changed:
                changes.append({"action": "update", "instance": instance, "changes": changed})
    for instance in session.deleted:
        if _is_audited(instance):
            changes.append({"action": "delete", "instance": instance, "changes": _column_values(instance)})
    return changes


def lock_chain(connection: Connection) -> None:
    """Serialise appends until the end of the transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})


def append_events(connection: Connection, events: list[dict[str, Any]]) -> None:
    """Append events (action, entity, entity_id, changes, reason) at the head of the chain."""
    if not events:
        return
    lock_chain(connection)
    head = connection.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, prev_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    actor = current_actor()
    rows = []
    for item in events:
        seq += 1
        occurred_at = utcnow()
        document = {
            "seq": seq,
            "occurred_at": occurred_at.isoformat(),
            "actor_id": actor.user_id,
            "actor": actor.label,
            "action": item["action"],
            "entity": item["entity"],
            "entity_id": str(item["entity_id"]),
            "reason": item.get("reason"),
            "changes": item.get("changes") or {},
        }
        payload = canonical_json(document)
        event_hash = chain_hash(prev_hash, payload)
        rows.append(
            {
                "seq": seq,
                "occurred_at": occurred_at,
                "actor_id": actor.user_id,
                "actor": actor.label,
                "action": item["action"],
                "entity": item["entity"],
                "entity_id": str(item["entity_id"]),
                "reason": item.get("reason"),
                "payload": payload,
                "prev_hash": prev_hash,
                "hash": event_hash,
            }
        )
        prev_hash = event_hash
    connection.execute(insert(AuditEvent.__table__), rows)


def record_event(session: Session, action: str, entity: str, entity_id: Any, details: dict | None = None) -> None:
    """Append an event that is not a row change (a login, a signature, an export) in the current transaction."""
    session.flush()
    append_events(
        session.connection(),
        [
            {
                "action": action,
                "entity": entity,
                "entity_id": entity_id,
                "changes": {key: json_value(value) for key, value in (details or {}).items()},
                "reason": _reason.get(),
            }
        ],
    )


@event.listens_for(Session, "before_flush")
def _normalise_text(session: Session, flush_context, instances) -> None:
    # Every text column, whatever its declared type, is stored NFC. Only loaded values can have been typed.
    for instance in list(session.new) + list(session.dirty):
        if not isinstance(instance, db.Model):
            continue
        state = inspect(instance)
        column_keys = _column_keys(state.mapper)
        for key, value in list(state.dict.items()):
            if isinstance(value, str) and key in column_keys:
                normalised = nfc(value)
                if normalised != value:
                    setattr(instance, key, normalised)


@event.listens_for(Session, "after_flush")
def _write_audit_events(session: Session, flush_context) -> None:
    # Runs after the rows were written (ids known) but while new/dirty/deleted and attribute history still show
    # what this flush changed.
    if session.info.get("audit_disabled"):
        return
    reason = _reason.get()
    events = [
        {
            "action": change["action"],
            "entity": type(change["instance"]).__tablename__,
            "entity_id": _identity(change["instance"]),
            "changes": change["changes"],
            "reason": reason,
        }
        for change in _pending_changes(session)
    ]
    append_events(session.connection(), events)


def public_key_text(public_key) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")
