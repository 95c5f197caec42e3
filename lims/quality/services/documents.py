"""Controlled documents: registering a document, its versions and their approval, withdrawing it (17025 8.3)."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.audit.trail import audit_reason
from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.core.files import StoredFile
from lims.core.model import nfc, utcnow
from lims.quality.models import (
    DOCUMENT_KINDS,
    ControlledDocument,
    DocumentVersion,
)
from lims.quality.services._common import _d, _required


def create_document(session: Session, actor, *, code: str, title: str, kind: str) -> ControlledDocument:
    """Register a controlled document (its first version is uploaded next)."""
    require(actor, Capability.RECORD_QUALITY)
    code = _required(code, "code", _("mã tài liệu"))
    if kind not in DOCUMENT_KINDS:
        raise RuleViolation(_("Loại tài liệu không hợp lệ"), field="kind")
    if session.scalar(select(ControlledDocument.id).where(ControlledDocument.code == code)):
        raise RuleViolation(_("Mã tài liệu đã có: %(code)s", code=code), field="code")
    document = ControlledDocument(code=code, title=_required(title, "title", _("tên tài liệu")), kind=kind)
    session.add(document)
    session.flush()
    return document


def add_document_version(
    session: Session,
    actor,
    document: ControlledDocument,
    stored: StoredFile,
    *,
    file_name: str,
    review_due_on: date,
    change_note: str | None,
) -> DocumentVersion:
    """Add a new version of a document from a file already stored by its SHA-256; it waits for approval."""
    require(actor, Capability.RECORD_QUALITY)
    if document.withdrawn:
        raise RuleViolation(_("Tài liệu đã bị thu hồi"), field="file")
    if any(v.approved_at is None for v in document.versions):
        raise RuleViolation(_("Còn một phiên bản chờ phê duyệt"), field="file")
    if any(v.file_sha256 == stored.sha256 for v in document.versions):
        raise RuleViolation(_("Tệp này trùng một phiên bản trước"), field="file")
    number = max((v.number for v in document.versions), default=0) + 1
    version = DocumentVersion(
        document=document,
        number=number,
        file_sha256=stored.sha256,
        file_name=nfc(file_name)[:200] or f"{document.code}-v{number}.pdf",
        file_size=stored.size,
        change_note=change_note or None,
        uploaded_by_id=actor.id,
        review_due_on=review_due_on,
    )
    session.add(version)
    session.flush()
    return version


def approve_document_version(session: Session, actor, version: DocumentVersion, effective_on: date) -> None:
    """Approve a document version: it becomes the one in force (a person does not approve their own upload)."""
    require(actor, Capability.MANAGE_QUALITY)
    if version.document.withdrawn:
        raise RuleViolation(
            _("Tài liệu đã bị thu hồi, không được phê duyệt"),
            field="version",
        )
    if version.approved_at is not None:
        raise RuleViolation(_("Phiên bản đã được phê duyệt"), field="version")
    if version.uploaded_by_id == actor.id:
        raise RuleViolation(_("Người tải lên không tự phê duyệt"), field="version")
    with audit_reason(f"phê duyệt {version.document.code} v{version.number}"):
        version.approved_by_id = actor.id
        version.approved_at = utcnow()
        version.effective_on = effective_on
        session.flush()


def withdraw_document(
    session: Session, actor, document: ControlledDocument, *, withdrawn_on: date, reason: str
) -> ControlledDocument:
    """Withdraw a document: it becomes obsolete (17025 8.3.2 f), stays listed and readable, and is never in force again.

    A version still waiting for approval can no longer be approved, and no new version can be added.
    """
    require(actor, Capability.MANAGE_QUALITY)
    if document.withdrawn:
        raise RuleViolation(
            _(
                "Tài liệu đã bị thu hồi ngày %(value)s",
                value=_d(document.withdrawn_on) if document.withdrawn_on else "—",
            ),
            field="reason",
        )
    reason = _required(reason, "reason", _("lý do thu hồi"))
    current = document.current
    if current is not None and current.effective_on is not None and withdrawn_on < current.effective_on:
        raise RuleViolation(
            _("Ngày thu hồi trước ngày hiệu lực %(d)s của phiên bản hiện hành", d=_d(current.effective_on)),
            field="withdrawn_on",
        )
    with audit_reason(f"thu hồi {document.code}: {reason}"):
        document.withdrawn = True
        document.withdrawn_on = withdrawn_on
        document.withdrawn_reason = reason
        document.withdrawn_by_id = actor.id
        session.flush()
    return document
