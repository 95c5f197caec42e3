"""Public verification of certificates: by QR link, by number and code, or by an uploaded PDF; logged and limited."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates import dcc
from lims.core.model import nfc
from lims.extensions import db
from lims.issuing.models import Certificate, CertificateCheck
from lims.issuing.services import normalise_code


@dataclass(frozen=True)
class Verdict:
    """What the public learns: the certificate's standing, a few identifying fields, and its replacement."""

    outcome: str  # genuine | superseded | revoked | not_found
    certificate: Certificate | None = None
    replaced_by: Certificate | None = None
    file_matches: bool | None = None  # for an uploaded file: byte-for-byte the issued one


def limit_and_window() -> tuple[int, timedelta]:
    config = current_app.config
    return int(config.get("VERIFY_RATE_LIMIT", 30)), timedelta(minutes=int(config.get("VERIFY_RATE_MINUTES", 10)))


def log_check(method: str, query_text: str | None, verdict: Verdict | None, remote_addr: str | None) -> None:
    # Its own short transaction, like a sign-in attempt: a look-up counts whatever happens to the request.
    from sqlalchemy.orm import Session as OwnSession

    with OwnSession(db.engine) as own:
        own.add(
            CertificateCheck(
                method=method,
                query_text=(query_text or "")[:120],
                certificate_id=verdict.certificate.id if verdict and verdict.certificate else None,
                outcome=verdict.outcome if verdict else "throttled",
                remote_addr=remote_addr,
            )
        )
        own.commit()


def _replacement(session: Session, certificate: Certificate) -> Certificate | None:
    return session.scalar(select(Certificate).where(Certificate.supersedes_id == certificate.id))


def verdict_for(session: Session, certificate: Certificate | None) -> Verdict:
    if certificate is None or certificate.status in ("issuing", "void"):
        # A number still being issued, or voided, was never handed to anyone as a certificate.
        return Verdict("not_found")
    if certificate.status == "superseded":
        # Follow the chain to the revision in force today.
        newest = _replacement(session, certificate)
        while newest is not None and newest.status == "superseded":
            following = _replacement(session, newest)
            if following is None:
                break
            newest = following
        return Verdict("superseded", certificate, replaced_by=newest)
    return Verdict(certificate.status if certificate.status == "revoked" else "genuine", certificate)


def by_token(session: Session, token: str) -> Verdict:
    return verdict_for(session, session.scalar(select(Certificate).where(Certificate.token == token)))


def by_number(session: Session, number: str, code: str) -> Verdict:
    """Find a certificate by its printed number (with "/R1" for a revision) and the code printed beside the QR."""
    number = nfc((number or "").strip())
    revision = 0
    if "/R" in number.upper():
        base, rev = number[: number.upper().rindex("/R")], number[number.upper().rindex("/R") + 2 :]
        if rev.isdigit():
            number, revision = base, int(rev)
    certificate = None
    # as printed first, then as typed in small letters ("3-26-vl"): two look-ups on the index, never a scan
    for candidate in dict.fromkeys((number, number.upper())):
        certificate = session.scalar(
            select(Certificate).where(Certificate.number == candidate, Certificate.revision == revision)
        )
        if certificate is not None:
            break
    if certificate is None or certificate.short_code != normalise_code(code):
        return Verdict("not_found")
    return verdict_for(session, certificate)


def looks_like_xml(data: bytes) -> bool:
    """Whether an upload is XML (a DCC) rather than a PDF: by its first bytes, as the browser's name may lie."""
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def _certificate_a_dcc_names(session: Session, data: bytes) -> Certificate | None:
    """The certificate a DCC says it is (its unique identifier, "<number>" or "<number>/R<n>"), if it is ours."""
    try:
        number = dcc.read_dcc(data).number
    except (dcc.DccInvalid, ValueError, ArithmeticError):  # unreadable: it is not one of ours
        return None
    revision = 0
    if "/R" in number:
        number, _sep, rev = number.rpartition("/R")
        revision = int(rev) if rev.isdigit() else 0
    return session.scalar(select(Certificate).where(Certificate.number == number, Certificate.revision == revision))


def by_file(session: Session, data: bytes, expected: Certificate | None = None) -> Verdict:
    """Compare an uploaded PDF or DCC with the issued ones by SHA-256: byte-for-byte the issued one, or not.

    A DCC that is not byte-for-byte ours but names one of our certificates is that certificate, changed.
    """
    digest = hashlib.sha256(data).hexdigest()
    column = Certificate.dcc_sha256 if looks_like_xml(data) else Certificate.pdf_sha256
    found = session.scalar(select(Certificate).where(column == digest))
    if found is None and expected is None and column is Certificate.dcc_sha256:
        expected = _certificate_a_dcc_names(session, data)
    if expected is not None and (found is None or found.id == expected.id):
        verdict = verdict_for(session, expected)
        return Verdict(verdict.outcome, expected, verdict.replaced_by, file_matches=found is not None)
    # A genuine file of another of our certificates (often the original an amendment replaced, uploaded on the
    # revision's page) is told as what it is, superseded or not, rather than as a forgery of the expected one.
    if found is None:
        return Verdict("not_found", file_matches=False)
    verdict = verdict_for(session, found)
    return Verdict(verdict.outcome, found, verdict.replaced_by, file_matches=True)
