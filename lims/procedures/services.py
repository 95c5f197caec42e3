"""Procedures defined as data, in the lab: upload a version, approve it (a second person), withdraw it, confirm its
unconfirmed legal values, and find the Procedure a job or a record uses. Rules here; never a commit.

A definition's text is validated by the science (:mod:`instruments.procedures.validation`) when uploaded and again
when approved; a job keeps the version it was given at contract review and a record the version it was computed
with, so a new version never changes an old record or certificate.
"""

import difflib
import hashlib
import logging
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.errors import InputError
from instruments.procedures import PROCEDURES, Procedure, get_procedure
from instruments.procedures.defined import DefinedProcedure, load_procedure
from instruments.procedures.definition import DefinitionError
from instruments.procedures.validation import ValidationReport, validate_definition
from lims.audit.trail import audit_reason
from lims.auth.models import User
from lims.core.errors import NotFound, PermissionDenied, RuleViolation
from lims.core.model import utcnow
from lims.customers.models import InstrumentType
from lims.procedures.models import ProcedureVersion, UnconfirmedValue, VersionStatus

log = logging.getLogger(__name__)

MANAGERS = frozenset({"admin", "manager"})
MAX_UPLOAD = 200_000  # characters, as the science's reader allows


def _check_manager(actor: User) -> None:
    if not actor.roles & MANAGERS:
        raise PermissionDenied("Chỉ quản lý phòng thí nghiệm được làm việc này / only a lab manager may do this")


def definition_text(raw: bytes | str) -> str:
    """Return an uploaded file's text; RuleViolation naming ``definition`` if it is not UTF-8 or too long."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise RuleViolation(
                "Tệp định nghĩa phải là văn bản UTF-8 / the definition file must be UTF-8 text", field="definition"
            ) from None
    if not raw.strip():
        raise RuleViolation("Tệp định nghĩa trống / the definition file is empty", field="definition")
    if len(raw) > MAX_UPLOAD:
        raise RuleViolation("Tệp định nghĩa quá dài / the definition file is too long", field="definition")
    return raw


def check_definition(text: str) -> ValidationReport:
    """Validate a definition's text (read it, run its worked examples); stores nothing."""
    return validate_definition(text)


def previous_version(session: Session, version: ProcedureVersion) -> ProcedureVersion | None:
    """Return the version of the same procedure uploaded just before this one."""
    return session.scalars(
        select(ProcedureVersion)
        .where(ProcedureVersion.key == version.key, ProcedureVersion.id < version.id)
        .order_by(ProcedureVersion.id.desc())
        .limit(1)
    ).first()


def difference(before: str | None, after: str, before_name: str = "", after_name: str = "") -> list[str]:
    """Return the lines of a unified difference between two definition texts (all lines added when none before)."""
    return list(
        difflib.unified_diff(
            (before or "").splitlines(), after.splitlines(), before_name or "(none)", after_name, lineterm=""
        )
    )


def upload_version(session: Session, actor: User, raw: bytes | str) -> ProcedureVersion:
    """Store a valid definition as a draft version; refuse an invalid one (naming its first problem) or a repeat."""
    _check_manager(actor)
    text = definition_text(raw)
    report = check_definition(text)
    if not report.valid:
        first = report.all_problems()[0]
        raise RuleViolation(
            f"Định nghĩa không dùng được / the definition cannot be used: {first.field}: {first.message}",
            field="definition",
        )
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    same = session.scalar(select(ProcedureVersion).where(ProcedureVersion.sha256 == sha256))
    if same is not None:
        raise RuleViolation(
            f"Định nghĩa này đã được tải lên / this definition was uploaded already: {same.label}", field="definition"
        )
    definition = report.procedure.definition
    taken = session.scalar(
        select(ProcedureVersion).where(
            ProcedureVersion.key == definition.key, ProcedureVersion.version == definition.version
        )
    )
    if taken is not None:
        raise RuleViolation(
            f"Đã có phiên bản {taken.label} với nội dung khác: hãy tăng số phiên bản / {taken.label} exists with other "
            "content: raise the version number",
            field="definition",
        )
    if definition.key in PROCEDURES:
        raise RuleViolation(
            f"Khóa {definition.key} là của một quy trình có sẵn / {definition.key} is a built-in procedure's key",
            field="definition",
        )
    version = ProcedureVersion(
        key=definition.key,
        version=definition.version,
        effective=definition.effective,
        kind=definition.kind,
        title_vi=definition.title.vi,
        title_en=definition.title.en,
        definition_text=text,
        sha256=sha256,
        status=VersionStatus.DRAFT,
        validation_report=report.as_dict(),
        instrument_types=list(definition.instrument_types),
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
        unconfirmed_values=[UnconfirmedValue(path=item.path, note=item.note) for item in definition.unconfirmed],
    )
    session.add(version)
    with audit_reason(f"procedure {version.label} uploaded"):
        session.flush()
    log.info("procedure %s uploaded by %s", version.label, actor.username)
    return version


def approve_version(session: Session, actor: User, version: ProcedureVersion) -> ProcedureVersion:
    """Approve a draft (17025 7.2.2): a manager other than the uploader, after validating it again.

    The approved version becomes the one new jobs get; the one approved before is withdrawn (its jobs and records
    keep it). The catalogue's instrument types the definition names list the procedure from now on.
    """
    _check_manager(actor)
    if version.status != VersionStatus.DRAFT:
        raise RuleViolation(
            "Chỉ phê duyệt được phiên bản dự thảo / only a draft version can be approved", field="status"
        )
    if actor.id == version.uploaded_by_id:
        raise PermissionDenied(
            "Người tải lên không được tự phê duyệt: cần người thứ hai / the uploader may not approve it",
            field="approved_by",
        )
    # The science may have changed since the upload: the examples must still give what they say.
    report = check_definition(version.definition_text)
    if not report.valid:
        first = report.all_problems()[0]
        raise RuleViolation(
            f"Định nghĩa không còn hợp lệ / the definition is no longer valid: {first.field}: {first.message}",
            field="definition",
        )
    current = current_version(session, version.key)
    with audit_reason(f"procedure {version.label} approved"):
        if current is not None:
            current.status = VersionStatus.WITHDRAWN
            current.withdrawn_reason = f"replaced by version {version.version}"
            current.withdrawn_at = utcnow()
            session.flush()  # the one-approved-per-key index sees the old one go before the new one comes
        version.validation_report = report.as_dict()
        version.status = VersionStatus.APPROVED
        version.approved_by_id = actor.id
        version.approved_at = utcnow()
        for instrument_type in session.scalars(
            select(InstrumentType).where(InstrumentType.code.in_(version.instrument_types or []))
        ):
            keys = [key.strip() for key in (instrument_type.procedure_keys or "").replace(" ", ",").split(",")]
            if version.key not in keys:
                instrument_type.procedure_keys = ",".join([key for key in keys if key] + [version.key])
        session.flush()
    log.info("procedure %s approved by %s", version.label, actor.username)
    return version


def withdraw_version(session: Session, actor: User, version: ProcedureVersion, reason: str) -> ProcedureVersion:
    """Withdraw a version from use for new jobs, with the reason; jobs and records that used it keep it."""
    _check_manager(actor)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("Cần ghi lý do thu hồi / the reason for withdrawing is required", field="reason")
    if version.status == VersionStatus.WITHDRAWN:
        raise RuleViolation("Phiên bản đã bị thu hồi / the version is already withdrawn", field="status")
    with audit_reason(reason):
        version.status = VersionStatus.WITHDRAWN
        version.withdrawn_reason = reason
        version.withdrawn_at = utcnow()
        session.flush()
    return version


def confirm_value(session: Session, actor: User, value: UnconfirmedValue, confirmation: str) -> UnconfirmedValue:
    """Confirm a legal value a definition marks unconfirmed, saying what it was checked against (audited)."""
    _check_manager(actor)
    confirmation = (confirmation or "").strip()
    if not confirmation:
        raise RuleViolation("Cần nêu căn cứ xác nhận / say what the value was checked against", field="confirmation")
    if value.confirmed:
        raise RuleViolation("Giá trị này đã được xác nhận / this value is already confirmed", field="confirmation")
    with audit_reason(confirmation):
        value.confirmed = True
        value.confirmed_by_id = actor.id
        value.confirmed_at = utcnow()
        value.confirmation = confirmation
        session.flush()
    return value


def ensure_confirmed(session: Session, version_id: int | None) -> None:
    """Refuse to certify with a procedure version whose unconfirmed legal values a manager has not confirmed."""
    if version_id is None:
        return
    version = session.get(ProcedureVersion, version_id)
    waiting = [] if version is None else version.waiting_confirmation
    if waiting:
        paths = ", ".join(value.path for value in waiting)
        raise RuleViolation(
            f"Quy trình {version.label} còn giá trị pháp lý chưa được xác nhận ({paths}): trưởng phòng phải xác nhận "
            f"trước khi cấp giấy chứng nhận / {version.label} has legal values not yet confirmed ({paths}): a manager "
            "must confirm them before certification",
            field="procedure",
        )


# --- finding the Procedure of a job ------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _class_of_text(sha256: str, text: str) -> type[DefinedProcedure]:
    # Keyed by the text's hash: a version's text never changes, so its class never does.
    return load_procedure(text)


def version_class(version: ProcedureVersion) -> type[DefinedProcedure]:
    """Return the Procedure class of a stored version (read once per process)."""
    try:
        return _class_of_text(version.sha256, version.definition_text)
    except DefinitionError as exc:  # only if the science changed under a stored version
        raise RuleViolation(
            f"Không đọc được định nghĩa / the definition cannot be read: {version.label}: {exc}",
            field="procedure",
        ) from exc


def current_version(session: Session, key: str) -> ProcedureVersion | None:
    """Return the approved version of a procedure defined as data (None for a built-in or unknown key)."""
    return session.scalar(
        select(ProcedureVersion).where(ProcedureVersion.key == key, ProcedureVersion.status == VersionStatus.APPROVED)
    )


def available_procedures(session: Session) -> dict[str, type[Procedure]]:
    """Return every procedure a job can be given now: the built-in ones and the approved definitions, by key."""
    available: dict[str, type[Procedure]] = dict(PROCEDURES)
    approved = session.scalars(
        select(ProcedureVersion).where(ProcedureVersion.status == VersionStatus.APPROVED).order_by(ProcedureVersion.key)
    )
    for version in approved:
        available[version.key] = version_class(version)
    return available


def resolve_procedure(session: Session, key: str, version_id: int | None = None) -> type[Procedure]:
    """Return the Procedure class of a key (and the version a job or record keeps), built-in or defined as data."""
    if version_id is not None:
        version = session.get(ProcedureVersion, version_id)
        if version is None:
            raise NotFound("Không có phiên bản quy trình này / no such procedure version")
        return version_class(version)
    if key in PROCEDURES:
        return get_procedure(key)
    version = current_version(session, key)
    if version is None:
        try:
            return get_procedure(key)
        except InputError as exc:
            raise RuleViolation(f"Không có quy trình / no procedure {key}", field="procedure_key") from exc
    return version_class(version)


def version_for_new_job(session: Session, key: str) -> int | None:
    """Return the id of the version a new request line or job gets for a key (None for a built-in procedure)."""
    if key in PROCEDURES:
        return None
    version = current_version(session, key)
    return None if version is None else version.id


def get_version(session: Session, version_id: int) -> ProcedureVersion:
    version = session.get(ProcedureVersion, version_id)
    if version is None:
        raise NotFound("Không có phiên bản quy trình này / no such procedure version")
    return version


def get_unconfirmed_value(session: Session, value_id: int) -> UnconfirmedValue:
    value = session.get(UnconfirmedValue, value_id)
    if value is None:
        raise NotFound("Không có giá trị này / no such value")
    return value
