"""Files addressed by their SHA-256: scanned certificates, controlled documents, issued PDFs.

Content addressing makes a stored file immutable by construction (its name is its hash), deduplicates, and lets
several app processes share one folder or object store without coordination.
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from lims.core.errors import RuleViolation
from lims.extensions import db

PDF_MAGIC = b"%PDF-"
PENDING_FILES = "lims_pending_files"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


def _root() -> Path:
    return Path(current_app.config["UPLOAD_PATH"])


def path_for(sha256: str) -> Path:
    """Return where the file with this hash lives (two levels of fan-out keep folders small)."""
    if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
        raise ValueError("not a SHA-256 hex digest")
    return _root() / sha256[:2] / sha256[2:4] / sha256


def store_bytes(data: bytes) -> StoredFile:
    """Keep bytes to be stored under their SHA-256 when the current transaction commits.

    A request refused after an upload (a rule, a constraint, a later field) rolls back and leaves no file behind:
    files are written only when the records that name them are about to commit (see :func:`_write_pending`).
    """
    digest = hashlib.sha256(data).hexdigest()
    _pending(db.session).setdefault(digest, data)
    return StoredFile(digest, len(data))


def write_file(digest: str, data: bytes) -> None:
    """Write one file under its hash now (atomically; writing the same bytes twice is a no-op)."""
    target = path_for(digest)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _pending(session) -> dict[str, bytes]:
    return session.info.setdefault(PENDING_FILES, {})


@event.listens_for(OrmSession, "before_commit")
def _write_pending(session) -> None:
    # Before the commit, so a committed record never names a missing file; a commit that then fails leaves at
    # worst an unreferenced file, never a referenced one missing.
    pending = session.info.pop(PENDING_FILES, None)
    for digest, data in (pending or {}).items():
        write_file(digest, data)


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_pending(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(PENDING_FILES, None)


def read_bytes(sha256: str) -> bytes:
    """Return a stored file's bytes (or those stored earlier in this transaction), checking they match their name."""
    pending = db.session.info.get(PENDING_FILES, {})
    if sha256 in pending:
        return pending[sha256]
    data = path_for(sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(f"stored file {sha256} is corrupted: its content no longer matches its hash")
    return data


def accept_pdf_upload(upload, field: str, max_bytes: int = 20 * 1024 * 1024) -> StoredFile:
    """Check an uploaded file is a PDF within the size limit, and store it; RuleViolation names the field."""
    if upload is None or not getattr(upload, "filename", ""):
        raise RuleViolation("Chưa chọn tệp / no file chosen", field=field)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RuleViolation(
            f"Tệp lớn hơn {max_bytes // (1024 * 1024)} MB / the file is larger than {max_bytes // (1024 * 1024)} MB",
            field=field,
        )
    if not data.startswith(PDF_MAGIC):
        raise RuleViolation("Tệp không phải PDF / the file is not a PDF", field=field)
    return store_bytes(data)
