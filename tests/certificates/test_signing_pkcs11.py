"""Signing with a key on a PKCS#11 token, against SoftHSM2 (a software token): the lab's real key lives on a USB
token from a licensed CA and never leaves it. The tokens are initialised in a temporary folder with a key and its
certificate imported (tests/softhsm.py); each test signs a certificate PDF and validates the signature."""

import pytest

from certificates.signing import CertificateSigner, SigningKeyError, create_self_signed_key, verify_signature
from tests.softhsm import KEY, KINDS, PIN, SOFTHSM, needs_softhsm, softhsm_tokens

pytestmark = needs_softhsm


@pytest.fixture(scope="module")
def tokens():
    return softhsm_tokens()


@pytest.mark.parametrize("kind", KINDS)
def test_a_certificate_signed_on_the_token_validates_against_the_lab_certificate(tokens, kind, verification_pdf):
    signer = CertificateSigner.from_token(SOFTHSM, f"lims-{kind}", PIN, KEY)
    try:
        assert "Trần Thị Mỹ Hạnh" in signer.subject
        signed = signer.sign(verification_pdf, "Cấp giấy chứng nhận", "Vĩnh Long", "Trần Thị Mỹ Hạnh")
    finally:
        signer.close()
    status = verify_signature(signed, [tokens[kind]])
    assert status.ok, status.problem
    assert "Trần Thị Mỹ Hạnh" in status.signer_name
    # The signature is the token's key: another certificate of the same name does not make it trusted.
    other = create_self_signed_key(tokens[kind].parent / f"other-{kind}", "Trần Thị Mỹ Hạnh", "Nơi khác", "pw-2")
    assert not verify_signature(signed, [other["certificate"]]).trusted


def test_a_wrong_pin_or_label_is_a_signing_key_error(tokens):
    with pytest.raises(SigningKeyError, match="lab-signing"):
        CertificateSigner.from_token(SOFTHSM, "lims-ec", "000000", KEY)
    with pytest.raises(SigningKeyError, match="no-such-key"):
        CertificateSigner.from_token(SOFTHSM, "lims-ec", PIN, "no-such-key")
