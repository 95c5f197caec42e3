"""All the certificates of a list at once: a ZIP of their PDFs as issued, with a manifest an enterprise can file.

The list is the certificate list's own (lims.issuing.queries.CERTIFICATES, its filters and scope), so the archive
holds exactly what the page shows. Revoked certificates are left out; each PDF is the stored, signed file, and the
manifest gives each one's SHA-256 so a recipient can check every file.
"""

import io
import zipfile
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lims.core.errors import RuleViolation
from lims.core.exports import csv_bytes
from lims.core.files import read_bytes
from lims.issuing.queries import CERTIFICATES, CertificateFilter

MAX_FILES = 500  # a larger archive is a batch job, not a request: narrow the filters
MANIFEST = ("file", "number", "kind", "status", "customer", "instrument", "issued_on", "valid_until", "sha256")


def file_name(certificate) -> str:
    return f"GCN-{certificate.display_number.replace('/', '-')}.pdf"


def certificates_zip(session: Session, actor, filters: CertificateFilter, today: date) -> bytes:
    """Return a ZIP of the certificates the actor may see that pass the filters (revoked ones left out)."""
    rows = [c for c in CERTIFICATES.rows(session, actor, filters) if c.status != "revoked"][: MAX_FILES + 1]
    if len(rows) > MAX_FILES:
        raise RuleViolation(_("Quá %(most)d giấy chứng nhận: hãy lọc bớt.", most=MAX_FILES), field="q")
    stamp = (today.year, today.month, today.day, 0, 0, 0)
    buffer = io.BytesIO()
    manifest = []
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for certificate in rows:
            name = file_name(certificate)
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), read_bytes(certificate.pdf_sha256))
            manifest.append(
                (
                    name, certificate.display_number, certificate.kind, certificate.status,
                    certificate.customer_name, certificate.instrument_summary, certificate.issued_on,
                    certificate.valid_until, certificate.pdf_sha256,
                )
            )  # fmt: skip
        archive.writestr(zipfile.ZipInfo("manifest.csv", date_time=stamp), csv_bytes(MANIFEST, manifest))
    return buffer.getvalue()
