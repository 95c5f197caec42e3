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

from lims.core.errors import RuleViolation

PDF_MAGIC = b"%PDF-"


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
    """Store bytes under their SHA-256 (atomically; storing the same bytes twice is a no-op)."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return StoredFile(digest, len(data))


def read_bytes(sha256: str) -> bytes:
    """Return a stored file's bytes, checking they still hash to their name."""
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
