"""PAdES signatures on certificates (pyHanko): load the key once, sign many PDFs, verify a signed PDF."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
from pyhanko.pdf_utils import embed, generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.attributes import CMSAttributeProvider
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers.pdf_cms import SignedAttributeProviderSpec
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

SIGNATURE_FIELD = "LabSignature"
# Room for a P-256 or RSA-2048 CMS signature with its certificate chain; fixing it skips pyHanko's trial signature.
RESERVED_BYTES = 12_000


class SigningKeyError(RuntimeError):
    """The signing key or certificate could not be loaded."""


class _SigningCertificateAttribute(CMSAttributeProvider):
    """The signing-certificate-v2 attribute (PAdES), built once per key and handed out as a fresh parse."""

    attribute_type = "signing_certificate_v2"

    def __init__(self, der: bytes):
        self._der = der

    async def build_attr_value(self, dry_run=False):
        return tsp.SigningCertificateV2.load(self._der)


class _KeptAttributes(SignedAttributeProviderSpec):
    """The signed attributes of the lab's PAdES signatures beside content type and message digest: only the
    signing certificate's identifier, which is the same for every certificate the lab signs."""

    def __init__(self, signing_cert):
        self._attribute = _SigningCertificateAttribute(as_signing_certificate_v2(signing_cert).dump())

    def signed_attr_providers(self, data_digest: bytes, digest_algorithm: str):
        yield self._attribute


class _KeptKeySigner(signers.SimpleSigner):
    """A SimpleSigner that parses its private key, and builds its fixed signed attributes, once."""

    # pyHanko rebuilds the signing-certificate-v2 attribute from the certificate for every signature, and
    # serialising the certificate's names through asn1crypto is most of the cost of a signature (some 8 ms of 12);
    # the attribute depends on the certificate alone.
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
        self.signed_attr_prov_spec = _KeptAttributes(self.signing_cert)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if mechanism == "ecdsa":
            return self._key.sign(data, ec.ECDSA(_hash(digest_algorithm)))
        if mechanism == "rsassa_pkcs1v15":
            return self._key.sign(data, PKCS1v15(), _hash(digest_algorithm))
        return super().sign_raw(data, digest_algorithm)  # PSS and rarer keys: pyHanko's own path


def _outside_event_loop(function, *args, **kwargs):
    """Call one of pyHanko's synchronous functions, which start their own asyncio loop.

    They fail inside a thread that already runs a loop (an async worker, or Playwright in the browser tests), so
    there the call goes to a short-lived thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(function, *args, **kwargs).result()


def _hash(name: str) -> hashes.HashAlgorithm:
    return {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[name]


class _SignerKey:
    """The lab's key as an XML signer sees it: a ``sign`` call and the certificate's public key.

    signxml asks a private key for ``sign(data, padding=PKCS1v15(), algorithm=SHA256())`` (RSA) or
    ``sign(data, signature_algorithm=ECDSA(SHA256()))`` (EC), and for ``key_size``; both answers come from the same
    raw signature pyHanko makes for a PDF, so a file key and a token key sign alike.
    """

    def __init__(self, signer: CertificateSigner):
        self._signer = signer
        self._public = x509.load_pem_x509_certificate(signer.certificate_pem).public_key()

    @property
    def key_size(self) -> int:
        return self._public.key_size

    def public_key(self):
        return self._public

    def sign(self, data: bytes, *args, **kwargs) -> bytes:
        return self._signer._sign_raw(data)


@dataclass(frozen=True)
class Attachment:
    """A file carried inside a certificate's PDF as an associated file (PDF/A-3 style), e.g. its DCC."""

    name: str
    data: bytes
    mime_type: str
    description: str
    relationship: str = "/Alternative"  # the XML says the same as the page, in another form

    def embed_into(self, writer) -> None:
        now = datetime.now(UTC)
        data = embed.EmbeddedFileObject.from_file_data(
            writer,
            data=self.data,
            mime_type=self.mime_type,
            params=embed.EmbeddedFileParams(creation_date=now, modification_date=now),
        )
        spec = embed.FileSpec(
            file_spec_string=self.name,
            file_name=self.name,
            embedded_data=data,
            description=self.description,
            af_relationship=generic.NameObject(self.relationship),
        )
        embed.embed_file(writer, spec)


class CertificateSigner:
    """The lab's signing identity, loaded once from PKCS#12 or from a PEM key and certificate."""

    def __init__(
        self,
        key_path: str | os.PathLike,
        passphrase: str | bytes | None = None,
        cert_path: str | os.PathLike | None = None,
        chain_paths: tuple[str | os.PathLike, ...] = (),
    ):
        """Load ``key_path`` (a .p12/.pfx holding key and certificate, or a PEM key with ``cert_path``)."""
        secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
        try:
            key_bytes = Path(key_path).read_bytes()
            if cert_path is None:
                key, cert, extra = pkcs12.load_key_and_certificates(key_bytes, secret)
                if key is None or cert is None:
                    raise SigningKeyError(f"{key_path} holds no private key and certificate")
                extra_certs = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in extra]
            else:
                key = serialization.load_pem_private_key(key_bytes, secret)
                cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
                extra_certs = []
            extra_certs += list(load_certs_from_pemder([str(p) for p in chain_paths]))
        except (OSError, ValueError, TypeError) as exc:
            raise SigningKeyError(f"cannot load the signing key from {key_path}: {exc}") from exc
        self._lock = contextlib.nullcontext()  # the parsed key is safe to share between threads
        store = SimpleCertificateStore()
        store.register_multiple(extra_certs)
        self._signer = _KeptKeySigner(
            signing_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            signing_key=translate_pyca_cryptography_key_to_asn1(key),
            cert_registry=store,
        )

    @classmethod
    def from_token(
        cls,
        module_path: str | os.PathLike,
        token_label: str,
        pin: str,
        key_label: str,
        cert_label: str | None = None,
    ) -> CertificateSigner:
        """Sign with a key that never leaves a PKCS#11 token (the USB key a licensed CA issues, an HSM).

        ``module_path`` is the token vendor's PKCS#11 library; the certificate is read from the token under
        ``cert_label`` (the key's label when not given), with every other certificate the token holds (the CA's
        chain) embedded in the signatures.
        """
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        session = None
        try:
            session = open_pkcs11_session(
                str(module_path), token_criteria=TokenCriteria(label=token_label), user_pin=pin
            )
            labels = dict(cert_label=cert_label or key_label, key_label=key_label, other_certs_to_pull=None)
            signer = PKCS11Signer(session, **labels)
            if signer.signing_cert.public_key.algorithm == "ec":
                # Many tokens (SoftHSM2 among them) offer only raw ECDSA: the digest is computed here.
                signer = PKCS11Signer(session, use_raw_mechanism=True, **labels)
        except Exception as exc:  # python-pkcs11 and pyHanko raise many kinds; all mean the token cannot sign
            if session is not None:
                session.close()
            raise SigningKeyError(f"cannot use the key {key_label!r} of token {token_label!r}: {exc}") from exc
        token_signer = cls.__new__(cls)
        token_signer._signer = signer
        token_signer._session = session
        # One PKCS#11 session is not safe to use from two threads at once (a batch thread beside a request).
        token_signer._lock = threading.Lock()
        return token_signer

    def close(self) -> None:
        """Close the token session (the token logs out when its last session closes); nothing for a key file."""
        session = getattr(self, "_session", None)
        if session is not None:
            self._session = None
            session.close()

    @property
    def subject(self) -> str:
        """Return the signer certificate's subject, as people read it."""
        return self._signer.signing_cert.subject.human_friendly

    @property
    def certificate_pem(self) -> bytes:
        """Return the signer's certificate in PEM."""
        der = self._signer.signing_cert.dump()
        return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)

    def sign_xml(self, xml: bytes) -> bytes:
        """Return ``xml`` (a DCC) with an enveloped XML signature by the same key and certificate as the PDFs.

        The key is used through pyHanko's signer, so a key that never leaves its PKCS#11 token signs DCCs too.
        """
        from certificates.dcc import sign_dcc

        return sign_dcc(xml, _SignerKey(self), self.certificate_pem)

    def _sign_raw(self, data: bytes) -> bytes:
        """Sign ``data`` with SHA-256 as the key's mechanism does for CMS: PKCS#1 v1.5 for RSA, DER ECDSA for EC."""
        with self._lock:
            return _outside_event_loop(asyncio.run, self._signer.async_sign_raw(data, "sha256"))

    def sign(
        self,
        pdf_bytes: bytes,
        reason: str,
        location: str,
        signer_name: str,
        attachments: tuple[Attachment, ...] = (),
    ) -> bytes:
        """Return ``pdf_bytes`` with an invisible PAdES signature appended as an incremental update.

        ``attachments`` are embedded first (EmbeddedFiles and the catalogue's /AF), so the signature covers them.
        """
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes), strict=False)
        for attachment in attachments:
            attachment.embed_into(writer)
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            reason=reason,
            location=location,
            name=signer_name,
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
        )
        pdf_signer = signers.PdfSigner(meta, self._signer, new_field_spec=fields.SigFieldSpec(SIGNATURE_FIELD))
        with self._lock:
            out = _outside_event_loop(pdf_signer.sign_pdf, writer, bytes_reserved=RESERVED_BYTES)
        return out.getvalue()


@dataclass(frozen=True)
class SignatureStatus:
    """What a reader needs to know about a certificate's signature."""

    intact: bool  # the signed bytes are unchanged
    valid: bool  # the cryptographic signature checks out
    trusted: bool  # the signer's certificate chains to one of the given trust roots
    signer_name: str = ""
    signing_time: datetime | None = None
    covers_whole_document: bool = False  # nothing was appended after signing
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_document


def verify_signature(pdf_bytes: bytes, trust_roots=()) -> SignatureStatus:
    """Validate the last signature of ``pdf_bytes`` against ``trust_roots`` (paths or asn1crypto certificates)."""
    roots = [load_cert_from_pemder(str(r)) if isinstance(r, str | os.PathLike) else r for r in trust_roots]
    try:
        reader = PdfFileReader(io.BytesIO(pdf_bytes), strict=False)
        embedded = reader.embedded_signatures
    except Exception as exc:  # a damaged file is a failed verification, not a crash
        return SignatureStatus(False, False, False, problem=f"unreadable PDF: {exc}")
    if not embedded:
        return SignatureStatus(False, False, False, problem="the document carries no signature")
    sig = embedded[-1]
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    try:
        status = _outside_event_loop(validate_pdf_signature, sig, signer_validation_context=context)
    except Exception as exc:
        return SignatureStatus(False, False, False, problem=f"signature cannot be validated: {exc}")
    return SignatureStatus(
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        signer_name=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signing_time=status.signer_reported_dt,
        covers_whole_document=status.coverage is not None and status.coverage.name == "ENTIRE_FILE",
        problem="" if status.bottom_line else status.summary(),
    )


def create_self_signed_key(
    directory: str | os.PathLike,
    common_name: str,
    organisation: str,
    passphrase: str,
    valid_days: int = 3 * 365,
) -> dict[str, Path]:
    """Write a demo EC P-256 key with a self-signed signing certificate; return paths of the .p12 and .pem cert."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # nonRepudiation
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    p12_path = folder / "signing.p12"
    cert_path = folder / "signing-cert.pem"
    p12_path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            common_name.encode(), key, cert, None, serialization.BestAvailableEncryption(passphrase.encode())
        )
    )
    p12_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return {"pkcs12": p12_path, "certificate": cert_path}
