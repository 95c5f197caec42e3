import pytest
from asn1crypto import x509 as asn1_x509

from certificates.signing import CertificateSigner, SigningKeyError, verify_signature


@pytest.fixture(scope="module")
def signed(demo_key, verification_pdf):
    signer = CertificateSigner(demo_key["pkcs12"], "pw-1")
    return signer.sign(verification_pdf, "Cấp giấy chứng nhận", "Vĩnh Long", "Trần Thị Mỹ Hạnh")


def test_signed_certificate_is_intact_and_trusted_with_its_root(signed, demo_key):
    status = verify_signature(signed, [demo_key["certificate"]])
    assert (status.intact, status.valid, status.trusted, status.covers_whole_document) == (True, True, True, True)
    assert status.ok
    assert "Trần Thị Mỹ Hạnh" in status.signer_name
    assert status.signing_time is not None


def test_signature_is_intact_but_untrusted_without_the_root(signed):
    status = verify_signature(signed, [])
    assert status.intact and status.valid
    assert not status.trusted and not status.ok


def test_trust_root_may_be_given_as_a_loaded_certificate(signed, demo_key):
    from pyhanko.keys import load_cert_from_pemder

    root = load_cert_from_pemder(str(demo_key["certificate"]))
    assert isinstance(root, asn1_x509.Certificate)
    assert verify_signature(signed, [root]).trusted


def test_signing_appends_an_update_and_keeps_the_rendered_bytes(signed, verification_pdf):
    assert signed.startswith(verification_pdf)
    assert b"/ByteRange" in signed[len(verification_pdf) :]


@pytest.mark.parametrize("where", [0.1, 0.5, 0.9])
def test_changing_one_byte_of_the_signed_pdf_fails_validation(signed, demo_key, verification_pdf, where):
    position = int(len(verification_pdf) * where)
    tampered = bytearray(signed)
    tampered[position] ^= 0x01
    status = verify_signature(bytes(tampered), [demo_key["certificate"]])
    assert not status.ok
    assert not (status.intact and status.valid)


def test_an_unsigned_pdf_is_reported_as_unsigned(verification_pdf):
    status = verify_signature(verification_pdf, [])
    assert not status.ok and "no signature" in status.problem


def test_one_signer_signs_many_certificates(demo_key, verification_pdf, calibration_pdf):
    signer = CertificateSigner(demo_key["pkcs12"], "pw-1")
    for pdf in (verification_pdf, calibration_pdf, verification_pdf):
        assert verify_signature(signer.sign(pdf, "Cấp GCN", "Vĩnh Long", "TTMH"), [demo_key["certificate"]]).ok


def test_a_wrong_passphrase_is_a_clear_error(demo_key):
    with pytest.raises(SigningKeyError):
        CertificateSigner(demo_key["pkcs12"], "wrong")


def test_a_pem_rsa_key_and_certificate_sign_as_well(tmp_path, verification_pdf):
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Phòng thí nghiệm RSA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"rsa-pw"),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    signed = CertificateSigner(key_path, "rsa-pw", cert_path=cert_path).sign(verification_pdf, "r", "l", "n")
    status = verify_signature(signed, [cert_path])
    assert status.intact and status.valid and status.trusted


def test_each_signature_names_its_signing_certificate_as_pades_requires(demo_key, verification_pdf, calibration_pdf):
    import hashlib
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    signer = CertificateSigner(demo_key["pkcs12"], "pw-1")
    digests = set()
    for pdf in (verification_pdf, calibration_pdf):
        embedded = PdfFileReader(io.BytesIO(signer.sign(pdf, "Cấp GCN", "Vĩnh Long", "TTMH"))).embedded_signatures[0]
        attributes = {a["type"].native: a["values"][0] for a in embedded.signer_info["signed_attrs"]}
        assert set(attributes) == {"content_type", "message_digest", "signing_certificate_v2"}
        cert_id = attributes["signing_certificate_v2"]["certs"][0]
        assert cert_id["cert_hash"].native == hashlib.sha256(embedded.signer_cert.dump()).digest()
        digests.add(attributes["message_digest"].native)
    assert len(digests) == 2  # the kept attributes never carry one document's digest into another
