"""Backups the lab can restore: the database, every stored file, the keys, and a manifest that proves them whole.

A backup is a folder:

    manifest.json         format, time, schema revision, audit head, row counts, SHA-256 of every file below
    database.sqlite3      SQLite's online backup (a consistent copy while the app runs), or
    database.pgdump       pg_dump's custom format, taken in the same snapshot that read the audit head
    files/aa/bb/<sha256>  every file of the store (content-addressed, so the name is the hash)
    keys/                 the signing key (PKCS#12) and the audit checkpoint key (PEM), both encrypted with the
                          passphrase the operator gives; the signing certificate (public)

The database is copied first and the files after: a file is stored before the transaction naming it commits and
never changes nor leaves the store, so every file the copied database names is in the store when the files are
copied. The manifest is written last, so a backup cut short has none and `lims restore` refuses it.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import Flask
from sqlalchemy.orm import Session

from lims.audit.services import verify_chain
from lims.core.files import LocalFolder, file_store
from lims.core.model import utcnow
from lims.extensions import db
from lims.ops.filecheck import verify_files
from lims.ops.readiness import database_revision

MANIFEST = "manifest.json"
FORMAT = 1
SIGNING_KEY = "keys/signing-key.p12"
SIGNING_CERT = "keys/signing-key-cert.pem"
ANCHOR_KEY = "keys/audit-anchor.pem"
MIN_PASSPHRASE = 12


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _backend(app: Flask) -> str:
    return sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()


def _libpq(app: Flask) -> tuple[str, dict[str, str]]:
    """Return a libpq connection URL without the password, and the environment that carries the password."""
    url = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # on the command line it would show in `ps`
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(sa.select(sa.func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }


def _describe(session: Session) -> dict:
    """Schema revision, audit head and row counts of the database ``session`` reads."""
    chain = verify_chain(session)
    return {
        "schema_revision": database_revision(session.connection()),
        "audit": {
            "intact": chain.ok,
            "events": chain.checked,
            "head_seq": chain.head_seq,
            "head_hash": chain.head_hash,
            "problem": chain.problem,
        },
        "counts": _counts(session),
    }


def _snapshot_sqlite(app: Flask, target: Path) -> dict:
    source = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)
    engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.pool.NullPool)
    try:
        with Session(engine) as session:
            return _describe(session)
    finally:
        engine.dispose()


def _snapshot_postgresql(app: Flask, target: Path) -> dict:
    """Read the audit head and counts, and run pg_dump, in one exported snapshot: all three see the same data."""
    url, env = _libpq(app)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection, connection.begin():
        snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
        with Session(bind=connection) as session:
            described = _describe(session)
        command = [
            app.config["PG_DUMP"],
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--snapshot={snapshot}",
            f"--file={target}",
            f"--dbname={url}",
        ]
        try:
            subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        except FileNotFoundError:
            raise BackupError(
                f"pg_dump not found ({app.config['PG_DUMP']}): install postgresql-client of the server's major "
                "version or name it with LIMS_PG_DUMP"
            ) from None
        except subprocess.CalledProcessError as exc:
            raise BackupError(f"pg_dump failed: {exc.stderr.strip()}") from None
    return described


def _encrypted_keys(app: Flask, folder: Path, passphrase: str) -> list[str]:
    """Write the lab's keys into ``folder``/keys encrypted with ``passphrase``; return the files written."""
    written = []
    (folder / "keys").mkdir(mode=0o700)
    secret = passphrase.encode()
    signing = Path(app.config["SIGNING_KEY_PATH"])
    if signing.exists():
        configured = (app.config.get("SIGNING_KEY_PASSPHRASE") or "").encode() or None
        key, cert, extra = pkcs12.load_key_and_certificates(signing.read_bytes(), configured)
        _write_private(
            folder / SIGNING_KEY,
            pkcs12.serialize_key_and_certificates(
                b"lab-signing", key, cert, extra, serialization.BestAvailableEncryption(secret)
            ),
        )
        written.append(SIGNING_KEY)
        certificate = signing.with_name(signing.stem + "-cert.pem")
        if certificate.exists():
            shutil.copyfile(certificate, folder / SIGNING_CERT)
            written.append(SIGNING_CERT)
    anchor = Path(app.config["AUDIT_ANCHOR_KEY_PATH"])
    if anchor.exists():
        key = serialization.load_pem_private_key(anchor.read_bytes(), password=None)
        _write_private(
            folder / ANCHOR_KEY,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(secret),
            ),
        )
        written.append(ANCHOR_KEY)
    return written


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _check_passphrase(passphrase: str | None) -> str:
    if not passphrase or len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(f"the backup passphrase must have at least {MIN_PASSPHRASE} characters")
    return passphrase


@dataclass(frozen=True)
class BackupResult:
    folder: Path
    manifest: dict


def make_backup(app: Flask, destination: str | os.PathLike, passphrase: str) -> BackupResult:
    """Write a consistent, verifiable backup of the deployment into the new folder ``destination``."""
    _check_passphrase(passphrase)
    folder = Path(destination)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} already exists and is not empty: give a new folder for each backup")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    backend = _backend(app)
    with app.app_context():
        if backend == "sqlite":
            database_file = "database.sqlite3"
            described = _snapshot_sqlite(app, folder / database_file)
        elif backend == "postgresql":
            database_file = "database.pgdump"
            described = _snapshot_postgresql(app, folder / database_file)
        else:
            raise BackupError(f"no backup method for a {backend} database")
        copy = LocalFolder(folder / "files")
        store = file_store()
        stored = []
        for digest in store.digests():
            data = store.read(digest)
            if hashlib.sha256(data).hexdigest() != digest:
                raise BackupError(f"stored file {digest} is corrupted in {store}; run `lims files verify`")
            copy.write(digest, data)
            stored.append(digest)
        keys = _encrypted_keys(app, folder, passphrase)
    listed = [database_file, *keys, *(f"files/{d[:2]}/{d[2:4]}/{d}" for d in sorted(stored))]
    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "database": {"backend": backend, "file": database_file},
        **described,
        "stored_files": len(stored),
        "keys": keys,
        "files": {name: sha256_of(folder / name) for name in listed},
    }
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".manifest-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, ensure_ascii=False)
    os.replace(temporary, folder / MANIFEST)
    return BackupResult(folder, manifest)


# --- restore ---------------------------------------------------------------------------------------------------


def read_manifest(source: str | os.PathLike) -> dict:
    """Return the backup's manifest after checking every file it lists against its SHA-256."""
    folder = Path(source)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} has no {MANIFEST}: not a backup, or one that did not finish") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{folder} is a backup of format {manifest.get('format')}; this version reads {FORMAT}")
    bad = []
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            bad.append(f"{name} is missing")
        elif sha256_of(path) != expected:
            bad.append(f"{name} does not match its SHA-256")
    if bad:
        raise BackupError("the backup is damaged: " + "; ".join(bad[:10]) + (" ..." if len(bad) > 10 else ""))
    return manifest


def _refuse_existing_data(app: Flask, manifest: dict) -> None:
    backend = _backend(app)
    if backend != manifest["database"]["backend"]:
        raise BackupError(
            f"the backup holds a {manifest['database']['backend']} database; this deployment uses {backend}"
        )
    tables = sa.inspect(db.engine).get_table_names()
    if tables:
        raise BackupError(f"the database is not empty ({len(tables)} tables): restore only into a new, empty database")
    if next(iter(file_store().digests()), None) is not None:
        raise BackupError(f"the file store ({file_store()}) is not empty: restore only into an empty store")
    for configured, name in (("SIGNING_KEY_PATH", SIGNING_KEY), ("AUDIT_ANCHOR_KEY_PATH", ANCHOR_KEY)):
        if name in manifest["keys"] and Path(app.config[configured]).exists():
            raise BackupError(f"a key already exists at {app.config[configured]}: restore only where there is none")


def _decrypt_keys(app: Flask, folder: Path, manifest: dict, passphrase: str) -> dict[str, bytes]:
    """Return the keys to write (path -> bytes), re-encrypted as this deployment's settings say."""
    secret = passphrase.encode()
    keys: dict[str, bytes] = {}
    try:
        if SIGNING_KEY in manifest["keys"]:
            key, cert, extra = pkcs12.load_key_and_certificates((folder / SIGNING_KEY).read_bytes(), secret)
            configured = app.config.get("SIGNING_KEY_PASSPHRASE") or ""
            encryption = (
                serialization.BestAvailableEncryption(configured.encode())
                if configured
                else serialization.NoEncryption()
            )
            keys[app.config["SIGNING_KEY_PATH"]] = pkcs12.serialize_key_and_certificates(
                b"lab-signing", key, cert, extra, encryption
            )
        if ANCHOR_KEY in manifest["keys"]:
            key = serialization.load_pem_private_key((folder / ANCHOR_KEY).read_bytes(), password=secret)
            keys[app.config["AUDIT_ANCHOR_KEY_PATH"]] = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
    except ValueError:
        raise BackupError("the passphrase does not open the keys of this backup") from None
    return keys


def _restore_database(app: Flask, folder: Path, manifest: dict) -> None:
    source = folder / manifest["database"]["file"]
    db.engine.dispose()  # no pooled connection may hold the empty database open
    if manifest["database"]["backend"] == "sqlite":
        target = sa.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(source)) as backup, closing(sqlite3.connect(target)) as live:
            backup.backup(live)
        return
    url, env = _libpq(app)
    command = [
        app.config["PG_RESTORE"],
        "--no-owner",
        "--no-privileges",
        "--single-transaction",  # all or nothing
        "--exit-on-error",
        f"--dbname={url}",
        str(source),
    ]
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(f"pg_restore not found ({app.config['PG_RESTORE']}): install postgresql-client") from None
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"pg_restore failed: {exc.stderr.strip()}") from None


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def restore_backup(app: Flask, source: str | os.PathLike, passphrase: str) -> RestoreResult:
    """Restore a backup into this deployment's empty database, file store and key paths; then check it all."""
    folder = Path(source)
    manifest = read_manifest(folder)
    with app.app_context():
        _refuse_existing_data(app, manifest)
        keys = _decrypt_keys(app, folder, manifest, passphrase) if manifest["keys"] else {}
        _restore_database(app, folder, manifest)
        store = file_store()
        backup_files = LocalFolder(folder / "files")
        for digest in backup_files.digests():
            store.write(digest, backup_files.read(digest))  # hashes were checked against the manifest above
        for path, data in keys.items():
            _write_private(Path(path), data)
        certificate = folder / SIGNING_CERT
        if certificate.exists():
            signing = Path(app.config["SIGNING_KEY_PATH"])
            shutil.copyfile(certificate, signing.with_name(signing.stem + "-cert.pem"))
        return RestoreResult(manifest, check_restored(manifest))


def check_restored(manifest: dict) -> list[str]:
    """Compare the restored deployment with the manifest: schema, audit chain and head, counts, files."""
    problems = []
    with Session(db.engine) as session:
        described = _describe(session)
        files = verify_files(session, file_store())
    if described["schema_revision"] != manifest["schema_revision"]:
        problems.append(f"schema revision {described['schema_revision']}, the backup has {manifest['schema_revision']}")
    audit, expected = described["audit"], manifest["audit"]
    if not audit["intact"]:
        problems.append(f"the audit chain does not verify: {audit['problem']}")
    if (audit["head_seq"], audit["head_hash"]) != (expected["head_seq"], expected["head_hash"]):
        problems.append(f"audit head is event {audit['head_seq']}, the backup's is {expected['head_seq']}")
    for table, count in manifest["counts"].items():
        if described["counts"].get(table) != count:
            problems.append(f"{table} has {described['counts'].get(table)} rows, the backup {count}")
    for digest, where in files.missing + files.corrupted:
        problems.append(f"file {digest} named by {', '.join(where)} is missing or damaged")
    return problems
