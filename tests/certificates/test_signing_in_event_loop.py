"""Signing works from a thread that already runs an asyncio loop (an async worker, Playwright in the tests)."""

import asyncio
import concurrent.futures

from certificates.signing import CertificateSigner, create_self_signed_key, verify_signature


def test_signing_and_validating_inside_a_running_event_loop(tmp_path, verification_pdf):
    paths = create_self_signed_key(tmp_path, "Phòng thí nghiệm", "Trung tâm", "secret-pass")
    signer = CertificateSigner(paths["pkcs12"], "secret-pass")

    async def inside_a_loop():
        signed = signer.sign(verification_pdf, "Phê duyệt", "Vĩnh Long", "Người ký")
        return verify_signature(signed, trust_roots=[paths["certificate"]])

    # A thread of its own, so this test's loop does not meet one the test runner may already run (Playwright's).
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        status = executor.submit(asyncio.run, inside_a_loop()).result()
    assert status.ok
