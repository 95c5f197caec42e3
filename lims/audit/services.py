"""Check the audit chain end to end, and sign checkpoints of its head."""

import base64
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.audit.models import AuditAnchor, AuditEvent
from lims.audit.trail import GENESIS_HASH, chain_hash, current_actor, lock_chain, public_key_text
from lims.core.model import utcnow

# Columns copied out of the hashed payload for querying; each must still equal the payload's value.
_MIRRORED = ("actor_id", "actor", "action", "entity", "entity_id", "reason")


@dataclass(frozen=True)
class ChainVerification:
    """The outcome of recomputing the audit chain."""

    ok: bool
    checked: int
    anchors_checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "anchors_checked": self.anchors_checked,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
        }


def _anchor_message(seq: int, event_hash: str, created_at: datetime) -> bytes:
    return f"{seq}:{event_hash}:{created_at.isoformat()}".encode()


def _check_event(row: AuditEvent, expected_seq: int, prev_hash: str) -> str | None:
    if row.seq != expected_seq:
        if row.seq > expected_seq:
            return f"event {expected_seq} is missing (deleted): the chain jumps from {expected_seq - 1} to {row.seq}"
        return f"event {row.seq} is out of order"
    if row.prev_hash != prev_hash:
        return f"event {row.seq} does not link to the event before it (deleted, inserted or reordered)"
    if chain_hash(prev_hash, row.payload) != row.hash:
        return f"event {row.seq} was altered: its content no longer matches its hash"
    try:
        document = json.loads(row.payload)
    except ValueError:
        return f"event {row.seq} was altered: its payload is not JSON"
    if document.get("seq") != row.seq or document.get("occurred_at") != row.occurred_at.isoformat():
        return f"event {row.seq} was altered: its sequence or time differs from what was hashed"
    for column in _MIRRORED:
        stored = getattr(row, column)
        hashed = document.get(column)
        if (str(hashed) if column == "entity_id" else hashed) != stored:
            return f"event {row.seq} was altered: {column} differs from what was hashed"
    return None


def _events_in_order(session: Session, batch: int = 2000, after_seq: int | None = None):
    # Keyset pages rather than one streaming cursor: bounded memory, and nothing left open when checking stops early.
    last_seq = after_seq
    while True:
        query = select(AuditEvent).order_by(AuditEvent.seq).limit(batch)
        if last_seq is not None:
            query = query.where(AuditEvent.seq > last_seq)
        rows = session.scalars(query).all()
        if not rows:
            return
        yield from rows
        last_seq = rows[-1].seq


def verify_chain(session: Session) -> ChainVerification:
    """Recompute every event's hash and link, then check the signed anchors against the chain."""
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    hashes_at_anchor: dict[int, str] = {}
    anchors = session.scalars(select(AuditAnchor).order_by(AuditAnchor.seq)).all()
    anchor_seqs = {anchor.seq for anchor in anchors}
    for row in _events_in_order(session):
        problem = _check_event(row, expected_seq, prev_hash)
        if problem:
            return ChainVerification(False, checked, 0, expected_seq if row.seq > expected_seq else row.seq, problem)
        if row.seq in anchor_seqs:
            hashes_at_anchor[row.seq] = row.hash
        prev_hash = row.hash
        expected_seq += 1
        checked += 1
    head_seq = expected_seq - 1
    trusted_key = _load_public_key_if_present()
    for anchor in anchors:
        problem = _check_anchor(anchor, head_seq, hashes_at_anchor, trusted_key)
        if problem:
            return ChainVerification(False, checked, 0, min(anchor.seq, head_seq + 1), problem, head_seq, prev_hash)
    return ChainVerification(True, checked, len(anchors), head_seq=head_seq, head_hash=prev_hash)


def verify_since_anchor(session: Session) -> ChainVerification:
    """Check every signed checkpoint against its event, then recompute the chain from the newest one to the head.

    What a checkpoint vouches for was verified when it was signed and cannot change without breaking its signature
    or its event's hash; so the daily check reads one event per checkpoint and the events since the last one.
    ``verify_chain`` recomputes the whole chain (``lims audit verify --full``).
    """
    anchors = session.scalars(select(AuditAnchor).order_by(AuditAnchor.seq)).all()
    head_seq = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) or 0
    hashes = dict(
        session.execute(
            select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.in_([anchor.seq for anchor in anchors]))
        ).all()
    )
    trusted_key = _load_public_key_if_present()
    for anchor in anchors:
        problem = _check_anchor(anchor, head_seq, hashes, trusted_key)
        if problem:
            return ChainVerification(False, 0, 0, min(anchor.seq, head_seq + 1), problem, head_seq)
    start = anchors[-1] if anchors else None
    expected_seq, prev_hash = (start.seq + 1, start.hash) if start else (1, GENESIS_HASH)
    checked = 0
    for row in _events_in_order(session, after_seq=start.seq if start else None):
        problem = _check_event(row, expected_seq, prev_hash)
        if problem:
            return ChainVerification(False, checked, len(anchors), min(row.seq, expected_seq), problem)
        prev_hash, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
    return ChainVerification(True, checked, len(anchors), head_seq=expected_seq - 1, head_hash=prev_hash)


def _check_anchor(anchor: AuditAnchor, head_seq: int, hashes: dict[int, str], trusted_key: str | None) -> str | None:
    try:
        public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(anchor.public_key))
        public_key.verify(
            base64.b64decode(anchor.signature), _anchor_message(anchor.seq, anchor.hash, anchor.created_at)
        )
    except (InvalidSignature, ValueError):
        return f"checkpoint {anchor.id} at event {anchor.seq} has an invalid signature"
    if trusted_key is not None and anchor.public_key != trusted_key:
        return f"checkpoint {anchor.id} was signed by a key that is not the lab's audit key"
    if anchor.seq > head_seq:
        return (
            f"the chain was truncated: checkpoint {anchor.id} vouches for event {anchor.seq}, "
            f"the chain ends at {head_seq}"
        )
    if hashes.get(anchor.seq) != anchor.hash:
        return f"event {anchor.seq} differs from the signed checkpoint {anchor.id}"
    return None


def _anchor_key_path() -> Path | None:
    """Where the lab's audit checkpoint key lives: read from the current application's configuration each time, so
    that two applications in one process (a restore target beside the source) never sign with each other's key."""
    if not has_app_context():
        return None
    configured = current_app.config.get("AUDIT_ANCHOR_KEY_PATH")
    return Path(configured) if configured else None


def _load_private_key(create: bool) -> Ed25519PrivateKey | None:
    _key_path = _anchor_key_path()
    if _key_path is None:
        return None
    if not _key_path.exists():
        if not create:
            return None
        _key_path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(_key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return key
    return serialization.load_pem_private_key(_key_path.read_bytes(), password=None)


def _load_public_key_if_present() -> str | None:
    key = _load_private_key(create=False)
    return public_key_text(key.public_key()) if key else None


def anchor_chain(session: Session) -> AuditAnchor:
    """Sign a checkpoint of the current head of the chain with the lab's audit key (created on first use)."""
    key = _load_private_key(create=True)
    if key is None:
        raise RuntimeError("no audit anchor key path is configured (LIMS_AUDIT_ANCHOR_KEY_PATH)")
    lock_chain(session.connection())
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    seq, event_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    created_at = utcnow()
    signature = key.sign(_anchor_message(seq, event_hash, created_at))
    anchor = AuditAnchor(
        seq=seq,
        hash=event_hash,
        created_at=created_at,
        signature=base64.b64encode(signature).decode("ascii"),
        public_key=public_key_text(key.public_key()),
        created_by=current_actor().label,
    )
    session.add(anchor)
    session.flush()
    return anchor
