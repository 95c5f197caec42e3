"""The lab's signing key: one loaded signer per process, reloaded only when the key file changes."""

import logging
import os
import secrets
import shutil
import tempfile
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import current_app
from flask_babel import gettext as _

from certificates.signing import CertificateSigner, SigningKeyError, create_self_signed_key
from lims.core.errors import RuleViolation

log = logging.getLogger(__name__)

_lock = threading.Lock()
_cached: dict[str, object] = {}  # {"key": (path, mtime_ns), "signer": CertificateSigner}


def certificate_path(key_path: str | os.PathLike) -> Path:
    """Return where the public certificate of a key file is kept (beside it, for verifiers and tests)."""
    path = Path(key_path)
    return path.with_name(path.stem + "-cert.pem")


def lab_signer() -> CertificateSigner:
    """Return the process's signer for app.config["SIGNING_KEY_PATH"], loading it once per file version.

    With LIMS_SIGNING_PKCS11_MODULE set the key is on a PKCS#11 token instead (the lab's CA-issued USB key).
    """
    if current_app.config.get("SIGNING_PKCS11_MODULE"):
        return _token_signer()
    path = current_app.config["SIGNING_KEY_PATH"]
    try:
        mtime = os.stat(path).st_mtime_ns
    except FileNotFoundError:
        raise RuleViolation(
            _(
                "Chưa có khóa ký số tại %(path)s; quản trị viên chạy `lims keys create` hoặc cấu hình khóa thật",
                path=path,
            )
        ) from None
    key = (str(path), mtime)
    with _lock:
        if _cached.get("key") != key:
            passphrase = current_app.config.get("SIGNING_KEY_PASSPHRASE") or None
            try:
                signer = CertificateSigner(path, passphrase)
            except SigningKeyError as exc:
                raise RuleViolation(_("Không nạp được khóa ký số: %(exc)s", exc=exc)) from exc
            _cached.update(key=key, signer=signer)
            log.info("signing key loaded from %s (%s)", path, signer.subject)
        return _cached["signer"]  # type: ignore[return-value]


def _token_signer() -> CertificateSigner:
    config = current_app.config
    key = ("pkcs11", config["SIGNING_PKCS11_MODULE"], config["SIGNING_PKCS11_TOKEN"], config["SIGNING_PKCS11_KEY"])
    with _lock:
        if _cached.get("key") != key:
            try:
                signer = CertificateSigner.from_token(
                    config["SIGNING_PKCS11_MODULE"],
                    config["SIGNING_PKCS11_TOKEN"],
                    config["SIGNING_PKCS11_PIN"],
                    config["SIGNING_PKCS11_KEY"],
                    config.get("SIGNING_PKCS11_CERT") or None,
                )
            except SigningKeyError as exc:
                raise RuleViolation(_("Không dùng được khóa ký số trên token: %(exc)s", exc=exc)) from exc
            previous = _cached.get("signer")
            if previous is not None:
                previous.close()  # a token allows one login per process: the old session goes first
            _cached.update(key=key, signer=signer)
            log.info("signing key on token %s (%s)", config["SIGNING_PKCS11_TOKEN"], signer.subject)
        return _cached["signer"]  # type: ignore[return-value]


def create_lab_key(common_name: str, organisation: str, passphrase: str | None, overwrite: bool = False) -> Path:
    """Write a self-signed demo signing key at SIGNING_KEY_PATH (and its certificate beside it); return the path."""
    target = Path(current_app.config["SIGNING_KEY_PATH"])
    if target.exists() and not overwrite:
        raise RuleViolation(_("Đã có khóa tại %(target)s", target=target))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        # PKCS#12 encryption needs a passphrase; a demo key configured without one is re-saved unencrypted.
        temporary = passphrase or secrets.token_urlsafe(16)
        made = create_self_signed_key(scratch, common_name, organisation, temporary)
        if not passphrase:
            key, cert, extra = pkcs12.load_key_and_certificates(made["pkcs12"].read_bytes(), temporary.encode())
            made["pkcs12"].write_bytes(
                pkcs12.serialize_key_and_certificates(
                    common_name.encode(), key, cert, extra, serialization.NoEncryption()
                )
            )
        shutil.move(made["certificate"], certificate_path(target))
        os.replace(made["pkcs12"], target)
    target.chmod(0o600)
    return target


def create_configured_lab_key(overwrite: bool = False) -> Path:
    """Write the demo signing key named by the app's config (lab names, passphrase) at SIGNING_KEY_PATH."""
    config = current_app.config
    # X.509 limits a name attribute to 64 characters; the lab's full name is often longer.
    return create_lab_key(
        config["LAB_SHORT_NAME"][:64],
        config["LAB_NAME"][:64],
        config.get("SIGNING_KEY_PASSPHRASE") or None,
        overwrite,
    )
