"""The lab signs with its key on a PKCS#11 token when the settings name one (SoftHSM2 here)."""

import pytest

from certificates.signing import verify_signature
from tests.conftest import TEST_PASSWORD
from tests.lims.test_issuing_support import make_world
from tests.softhsm import KEY, PIN, SOFTHSM, needs_softhsm, softhsm_tokens

pytestmark = needs_softhsm


@pytest.fixture()
def on_token(app, monkeypatch):
    from lims.issuing import keys

    certificates = softhsm_tokens()
    monkeypatch.setattr(keys, "_cached", {})  # this test's signer, not the file key another test loaded
    for name, value in {
        "SIGNING_PKCS11_MODULE": SOFTHSM,
        "SIGNING_PKCS11_TOKEN": "lims-rsa",
        "SIGNING_PKCS11_PIN": PIN,
        "SIGNING_PKCS11_KEY": KEY,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    yield certificates["rsa"]
    if keys._cached.get("signer") is not None:
        keys._cached["signer"].close()  # the token's login belongs to the process: leave it logged out


def test_a_certificate_issued_with_the_token_settings_is_signed_by_the_token(
    app, session, make_user, make_organisation, on_token
):
    from lims.core.files import read_bytes
    from lims.issuing import services

    world = make_world(session, make_user, make_organisation, app)
    world.stickers()
    certificate = services.issue_certificate(
        session, world.job(), world.signatory, TEST_PASSWORD, sticker_serial="VL 0000001"
    )
    session.commit()
    status = verify_signature(read_bytes(certificate.pdf_sha256), [on_token])
    assert status.ok, status.problem


def test_a_token_that_cannot_be_used_refuses_issuing_with_a_reason(app, app_context, monkeypatch, on_token):
    from lims.core.errors import RuleViolation
    from lims.issuing.keys import lab_signer

    monkeypatch.setitem(app.config, "SIGNING_PKCS11_PIN", "000000")
    with pytest.raises(RuleViolation, match="token"):
        lab_signer()


def test_a_calibration_dcc_is_signed_by_the_token_key_too(app, session, make_user, make_organisation, on_token):
    from certificates import dcc
    from lims.core.files import read_bytes
    from lims.issuing import services

    world = make_world(session, make_user, make_organisation, app)
    certificate = services.issue_certificate(session, world.job(kind="calibration"), world.signatory, TEST_PASSWORD)
    session.commit()
    xml = read_bytes(certificate.dcc_sha256)
    assert dcc.verify_dcc_signature(xml, on_token.read_bytes()).valid
    assert verify_signature(read_bytes(certificate.pdf_sha256), [on_token]).ok
