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

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.errors import InputError
from instruments.procedures import PROCEDURES, Procedure, get_procedure
from instruments.procedures.defined import DefinedProcedure, load_procedure
from instruments.procedures.definition import DefinitionError
from instruments.procedures.validation import ValidationReport, validate_definition
from lims.audit.trail import audit_reason
from lims.auth.models import User
from lims.auth.permissions import Capability, require
from lims.core.errors import NotFound, PermissionDenied, RuleViolation
from lims.core.model import utcnow
from lims.customers.models import InstrumentType, Method
from lims.customers.services import stamp_confirmed
from lims.procedures.models import ProcedureVersion, UnconfirmedValue, VersionStatus

log = logging.getLogger(__name__)

MAX_UPLOAD = 200_000  # characters, as the science's reader allows
# Procedures belong to the lab's catalogue: who manages instrument types, cycles and methods manages them.
MANAGE = Capability.MANAGE_CATALOGUE


def definition_text(raw: bytes | str) -> str:
    """Return an uploaded file's text; RuleViolation naming ``definition`` if it is not UTF-8 or too long."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise RuleViolation(_("Tệp định nghĩa phải là văn bản UTF-8."), field="definition") from None
    if not raw.strip():
        raise RuleViolation(_("Tệp định nghĩa trống."), field="definition")
    if len(raw) > MAX_UPLOAD:
        raise RuleViolation(_("Tệp định nghĩa quá dài."), field="definition")
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
    require(actor, MANAGE)
    text = definition_text(raw)
    report = check_definition(text)
    if not report.valid:
        first = report.all_problems()[0]
        raise RuleViolation(
            _("Định nghĩa không dùng được: %(path)s: %(problem)s", path=first.field, problem=first.message),
            field="definition",
        )
    sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    same = session.scalar(select(ProcedureVersion).where(ProcedureVersion.sha256 == sha256))
    if same is not None:
        raise RuleViolation(_("Định nghĩa này đã được tải lên: %(label)s", label=same.label), field="definition")
    definition = report.procedure.definition
    taken = session.scalar(
        select(ProcedureVersion).where(
            ProcedureVersion.key == definition.key, ProcedureVersion.version == definition.version
        )
    )
    if taken is not None:
        raise RuleViolation(
            _("Đã có phiên bản %(label)s với nội dung khác: hãy tăng số phiên bản.", label=taken.label),
            field="definition",
        )
    if definition.key in PROCEDURES:
        raise RuleViolation(
            _("Khóa %(key)s là của một quy trình có sẵn.", key=definition.key),
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
    require(actor, MANAGE)
    if version.status != VersionStatus.DRAFT:
        raise RuleViolation(_("Chỉ phê duyệt được phiên bản dự thảo."), field="status")
    if actor.id == version.uploaded_by_id:
        raise PermissionDenied(
            _("Người tải lên không được tự phê duyệt: cần người thứ hai."),
            field="approved_by",
        )
    # The science may have changed since the upload: the examples must still give what they say.
    report = check_definition(version.definition_text)
    if not report.valid:
        first = report.all_problems()[0]
        raise RuleViolation(
            _("Định nghĩa không còn hợp lệ: %(path)s: %(problem)s", path=first.field, problem=first.message),
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
        types = session.scalars(
            select(InstrumentType).where(InstrumentType.code.in_(version.instrument_types or []))
        ).all()
        for instrument_type in types:
            keys = [key.strip() for key in (instrument_type.procedure_keys or "").replace(" ", ",").split(",")]
            if version.key not in keys:
                instrument_type.procedure_keys = ",".join([key for key in keys if key] + [version.key])
        _link_methods(session, actor, version, report.procedure.definition.methods, types)
        session.flush()
    log.info("procedure %s approved by %s", version.label, actor.username)
    return version


def _link_methods(session: Session, actor: User, version: ProcedureVersion, methods, types) -> None:
    # One model of methods: the ĐLVN methods a definition implements are the catalogue's Method rows, so contract
    # review picks (procedure version, method) as for a built-in procedure, and an unconfirmed method blocks
    # certification the same way. A method new to the catalogue is created confirmed by the approver: its code and
    # title were read by the uploader and checked by this second person with the rest of the definition.
    for reference in methods:
        method = session.scalar(select(Method).where(Method.code == reference.code))
        if method is None:
            method = Method(
                code=reference.code,
                title_vi=reference.name_vi,
                title_en=reference.name_en or reference.name_vi,
                procedure_keys="",
                source=f"procedure definition {version.label}",
                confirmed=True,
                confirmed_by_id=actor.id,
                confirmed_at=utcnow(),
            )
            session.add(method)
        if version.key not in method.procedures:
            method.procedure_keys = ",".join([*method.procedures, version.key])
        for instrument_type in types:
            if method not in instrument_type.methods:
                instrument_type.methods.append(method)


def withdraw_version(session: Session, actor: User, version: ProcedureVersion, reason: str) -> ProcedureVersion:
    """Withdraw a version from use for new jobs, with the reason; jobs and records that used it keep it."""
    require(actor, MANAGE)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Cần ghi lý do thu hồi."), field="reason")
    if version.status == VersionStatus.WITHDRAWN:
        raise RuleViolation(_("Phiên bản đã bị thu hồi."), field="status")
    with audit_reason(reason):
        version.status = VersionStatus.WITHDRAWN
        version.withdrawn_reason = reason
        version.withdrawn_at = utcnow()
        session.flush()
    return version


def confirm_value(session: Session, actor: User, value: UnconfirmedValue, *, reason: str) -> UnconfirmedValue:
    """Confirm a legal value a definition marks unconfirmed, saying what it was checked against (audited).

    The same confirmation as a seeded cycle's or method's (:func:`lims.customers.services.stamp_confirmed`).
    """
    require(actor, MANAGE)
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Cần nêu căn cứ xác nhận."), field="reason")
    if value.confirmed:
        raise RuleViolation(_("Giá trị này đã được xác nhận."), field="reason")
    value.confirmation = reason
    stamp_confirmed(session, actor, value, reason)
    return value


def ensure_confirmed(session: Session, version_id: int | None) -> None:
    """Refuse to certify with a procedure version whose unconfirmed legal values a manager has not confirmed."""
    if version_id is None:
        return
    version = session.get(ProcedureVersion, version_id)
    waiting = [] if version is None else version.waiting_confirmation
    if waiting:
        raise RuleViolation(
            _(
                "Quy trình %(label)s còn giá trị pháp lý chưa được xác nhận (%(paths)s): trưởng phòng phải xác nhận "
                "trước khi cấp giấy chứng nhận.",
                label=version.label,
                paths=", ".join(value.path for value in waiting),
            ),
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
            _("Không đọc được định nghĩa %(label)s: %(problem)s", label=version.label, problem=exc),
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
            raise NotFound(_("Không có phiên bản quy trình này."))
        return version_class(version)
    if key in PROCEDURES:
        return get_procedure(key)
    version = current_version(session, key)
    if version is None:
        try:
            return get_procedure(key)
        except InputError as exc:
            raise RuleViolation(_("Không có quy trình %(key)s.", key=key), field="procedure_key") from exc
    return version_class(version)


def version_for_new_job(session: Session, key: str) -> int | None:
    """Return the id of the version a new request line or job gets for a key (None for a built-in procedure)."""
    if key in PROCEDURES:
        return None
    version = current_version(session, key)
    return None if version is None else version.id


def versions(session: Session) -> list[ProcedureVersion]:
    """Every stored version, by key and newest first within a key (the procedures page)."""
    return list(
        session.scalars(select(ProcedureVersion).order_by(ProcedureVersion.key, ProcedureVersion.id.desc()))
    )


def get_version(session: Session, version_id: int) -> ProcedureVersion:
    version = session.get(ProcedureVersion, version_id)
    if version is None:
        raise NotFound(_("Không có phiên bản quy trình này."))
    return version


def get_unconfirmed_value(session: Session, value_id: int) -> UnconfirmedValue:
    value = session.get(UnconfirmedValue, value_id)
    if value is None:
        raise NotFound(_("Không có giá trị này."))
    return value
