"""SoftHSM2 tokens for the tests of signing with a key on a PKCS#11 token (the lab's CA-issued USB key).

A PKCS#11 library is loaded once per process and reads SOFTHSM2_CONF then, so the tokens are made once per test
process (in a temporary folder) and shared by every test that needs them.
"""

import atexit
import functools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from certificates.signing import create_self_signed_key

SOFTHSM = next(
    (
        p
        for p in ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
        if Path(p).exists()
    ),
    None,
)
needs_softhsm = pytest.mark.skipif(
    SOFTHSM is None or shutil.which("softhsm2-util") is None, reason="SoftHSM2 is not installed (debian-packages.txt)"
)
PIN, KEY = "246810", "lab-signing"
KINDS = ("ec", "rsa")  # the demo's P-256; RSA-2048 as Vietnamese CAs issue on their USB tokens


def _rsa_key_and_certificate(common_name: str):
    from datetime import UTC, datetime, timedelta

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert


@functools.cache
def softhsm_tokens() -> dict[str, Path]:
    """SoftHSM2 tokens, one per key kind, each holding the lab's key and certificate as a CA's token holds them;
    returns {kind: path of the public certificate}."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    folder = Path(tempfile.mkdtemp(prefix="lims-softhsm-"))
    atexit.register(shutil.rmtree, folder, True)
    (folder / "tokens").mkdir()
    config = folder / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(config)  # for the whole process: the library reads it once
    certificates = {}
    for kind in KINDS:
        token = f"lims-{kind}"
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", token, "--pin", PIN, "--so-pin", "13579"],
            check=True,
            capture_output=True,
        )
        if kind == "ec":
            made = create_self_signed_key(folder / kind, "Trần Thị Mỹ Hạnh", "TT KT TĐC Vĩnh Long", "pw-1")
            key, cert, _extra = pkcs12.load_key_and_certificates(made["pkcs12"].read_bytes(), b"pw-1")
        else:
            key, cert = _rsa_key_and_certificate("Trần Thị Mỹ Hạnh")
        certificates[kind] = folder / f"{kind}-cert.pem"
        certificates[kind].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_pem = folder / f"{kind}-key.pem"
        key_pem.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        subprocess.run(
            ["softhsm2-util", "--import", str(key_pem), "--token", token, "--label", KEY, "--id", "01", "--pin", PIN],
            check=True,
            capture_output=True,
        )
        key_pem.unlink()
        certificates[kind] = (certificates[kind], cert)
    # softhsm2-util imports keys only; the certificates go in through PKCS#11 itself, as a CA's tool does.
    library = pkcs11.lib(SOFTHSM)
    for kind, (_path, cert) in certificates.items():
        with library.get_token(token_label=f"lims-{kind}").open(rw=True, user_pin=PIN) as session:
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: KEY,
                    Attribute.ID: b"\x01",
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
    return {kind: path for kind, (path, _cert) in certificates.items()}
