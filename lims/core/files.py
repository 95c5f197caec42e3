"""Files addressed by their SHA-256: scanned certificates, controlled documents, issued PDFs.

Content addressing makes a stored file immutable by construction (its name is its hash), deduplicates, and lets
several app processes share one folder or object store without coordination. Where the files live is chosen by
LIMS_FILES_URL: a local folder (the default, LIMS_UPLOAD_PATH) or an S3-compatible bucket
(``s3://bucket/prefix?endpoint_url=https://...``, credentials from boto3's usual environment), so that several
servers share one store.
"""

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from lims.core.errors import RuleViolation
from lims.extensions import db

PDF_MAGIC = b"%PDF-"
_HEX = frozenset("0123456789abcdef")
PENDING_FILES = "lims_pending_files"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class FileMissing(FileNotFoundError):
    """A file the database names is not in the store."""


def check_digest(sha256: str) -> str:
    if len(sha256) != 64 or not set(sha256) <= _HEX:
        raise ValueError("not a SHA-256 hex digest")
    return sha256


def _fan_out(sha256: str) -> str:
    # Two levels of fan-out keep folders (and object listings) small.
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}"


class LocalFolder:
    """Files in a folder of this server (or a shared mount)."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"folder {self.root}"

    def path_for(self, sha256: str) -> Path:
        return self.root / _fan_out(check_digest(sha256))

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def read(self, sha256: str) -> bytes:
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError:
            raise FileMissing(f"stored file {sha256} is missing from {self}") from None

    def write(self, sha256: str, data: bytes) -> None:
        target = self.path_for(sha256)
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

    def digests(self) -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if path.is_file() and len(path.name) == 64 and set(path.name) <= _HEX:
                yield path.name

    def check_ready(self) -> None:
        """Raise OSError unless files can be written here."""
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.root, prefix=".ready-"):
            pass


class S3Bucket:
    """Files in an S3-compatible bucket (MinIO, Ceph, a provider's object storage) shared by every server."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, region: str | None = None):
        import boto3

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region)

    def __repr__(self) -> str:
        return f"bucket s3://{self.bucket}/{self.prefix}"

    def _key(self, sha256: str) -> str:
        return self.prefix + _fan_out(check_digest(sha256))

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def read(self, sha256: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileMissing(f"stored file {sha256} is missing from {self}") from None
            raise

    def write(self, sha256: str, data: bytes) -> None:
        # An object appears whole or not at all, and the same name always holds the same bytes: no lock needed.
        if not self.exists(sha256):
            self.client.put_object(Bucket=self.bucket, Key=self._key(sha256), Body=data)

    def digests(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", ()):
                name = item["Key"].rsplit("/", 1)[-1]
                if len(name) == 64 and set(name) <= _HEX:
                    yield name

    def check_ready(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def open_store(url: str | None, upload_path: str | os.PathLike) -> LocalFolder | S3Bucket:
    """Return the store a LIMS_FILES_URL names (``file:///path``, ``s3://bucket/prefix?endpoint_url=...``)."""
    if not url:
        return LocalFolder(upload_path)
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalFolder(parts.path)
    if parts.scheme == "s3":
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(options) - {"endpoint_url", "region"}
        if unknown or not parts.netloc:
            raise ValueError(f"LIMS_FILES_URL: expected s3://bucket/prefix?endpoint_url=...&region=..., got {url}")
        return S3Bucket(parts.netloc, parts.path, options.get("endpoint_url"), options.get("region"))
    raise ValueError(f"LIMS_FILES_URL must start with file:// or s3://, got {url}")


def file_store() -> LocalFolder | S3Bucket:
    """Return the app's file store (opened once per app and process; it keeps no state of its own)."""
    store = current_app.extensions.get("lims_files")
    if store is None:
        store = open_store(current_app.config.get("FILES_URL"), current_app.config["UPLOAD_PATH"])
        current_app.extensions["lims_files"] = store
    return store


def store_bytes(data: bytes) -> StoredFile:
    """Keep bytes to be stored under their SHA-256 when the current transaction commits.

    A request refused after an upload (a rule, a constraint, a later field) rolls back and leaves no file behind:
    files are written only when the records that name them are about to commit (see :func:`_write_pending`).
    Storing the same bytes twice is a no-op.
    """
    digest = hashlib.sha256(data).hexdigest()
    db.session.info.setdefault(PENDING_FILES, {}).setdefault(digest, data)
    return StoredFile(digest, len(data))


@event.listens_for(OrmSession, "before_commit")
def _write_pending(session) -> None:
    # Before the commit, so a committed record never names a missing file; a commit that then fails leaves at
    # worst an unreferenced file, never a referenced one missing.
    pending = session.info.pop(PENDING_FILES, None)
    for digest, data in (pending or {}).items():
        file_store().write(digest, data)


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_pending(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(PENDING_FILES, None)


def read_bytes(sha256: str) -> bytes:
    """Return a stored file's bytes (or those stored earlier in this transaction), checking they match their name."""
    pending = db.session.info.get(PENDING_FILES, {})
    if sha256 in pending:
        return pending[sha256]
    data = file_store().read(sha256)
    if hashlib.sha256(data).hexdigest() != sha256:
        raise RuntimeError(f"stored file {sha256} is corrupted: its content no longer matches its hash")
    return data


def accept_pdf_upload(upload, field: str, max_bytes: int = 20 * 1024 * 1024) -> StoredFile:
    """Check an uploaded file is a PDF within the size limit, and store it; RuleViolation names the field."""
    if upload is None or not getattr(upload, "filename", ""):
        raise RuleViolation(_("Chưa chọn tệp"), field=field)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RuleViolation(
            _("Tệp lớn hơn %(value)s MB", value=max_bytes // (1024 * 1024)),
            field=field,
        )
    if not data.startswith(PDF_MAGIC):
        raise RuleViolation(_("Tệp không phải PDF"), field=field)
    return store_bytes(data)
