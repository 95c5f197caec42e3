"""Approve and issue certificates, correct them by a new revision, revoke them; never a commit.

A certificate is rendered once, signed with the lab's key, stored by its SHA-256 and never rendered again. A
correction (ISO/IEC 17025 7.8.8) is a new row with the same number and the next revision, printed "<number>/R<n>",
naming the one it replaces; the replaced one then verifies as superseded.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import event, func, inspect, select, update
from sqlalchemy.orm import Session, object_session

from certificates import dcc
from certificates.document import Kind
from certificates.render import render_certificate
from certificates.signing import Attachment
from instruments.errors import InputError
from lims.audit.trail import audit_reason, record_event
from lims.auth.models import User
from lims.auth.passwords import check_password
from lims.auth.permissions import Capability, may, require
from lims.core.dates import lab_today
from lims.core.errors import PermissionDenied, RuleViolation
from lims.core.files import StoredFile, store_bytes
from lims.core.links import public_url
from lims.core.locking import locked, locked_one
from lims.core.model import nfc, utcnow
from lims.customers.models import Instrument
from lims.customers.services import record_service, reset_service, verification_valid_until
from lims.issuing import dcc as issuing_dcc
from lims.issuing import document, stickers
from lims.issuing.keys import lab_signer
from lims.issuing.models import Certificate, IssueBatch, Sticker
from lims.issuing.numbering import next_number
from lims.jobs.models import Job
from lims.jobs.second_look import ensure_certifiable
from lims.jobs.services import mark_certified, measured_by, reopen_for_certificate
from lims.standards.models import IntermediateCheck

log = logging.getLogger(__name__)

SIGNATURE_MEANING = "Phê duyệt và ban hành / approved and issued"  # in the signed PDF: both languages
# Letters and digits that cannot be misread for one another when typed from paper.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
DCC_DESCRIPTION = (
    "Giấy chứng nhận hiệu chuẩn số (DCC 3.3.0) / Digital Calibration Certificate (DCC 3.3.0)"  # in the PDF
)


def new_short_code() -> str:
    """Return an 8-character code printed as XXXX-XXXX, typed with the number on the public page."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code: str) -> str:
    cleaned = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == 8 else cleaned


def verification_url(token: str) -> str:
    return f"{public_url()}/v/{token}"


def valid_until_for(session: Session, instrument: Instrument, verified_on: date) -> date:
    """Return "Có giá trị đến" of a passed verification, refusing a cycle a manager has not confirmed."""
    # Refuses by itself when no cycle was in force on the day.
    valid_until, cycle = verification_valid_until(session, instrument.instrument_type_id, verified_on)
    if not cycle.confirmed:
        raise RuleViolation(
            _(
                "Chu kỳ kiểm định theo %(legal_source)s chưa được xác nhận: trưởng phòng phải xác nhận trước khi "
                "cấp giấy chứng nhận",
                legal_source=cycle.legal_source,
            ),
            field="valid_until",
        )
    if valid_until is None:
        raise RuleViolation(
            _("Loại phương tiện đo này chỉ kiểm định ban đầu, không có chu kỳ"),
            field="valid_until",
        )
    return valid_until


# --- approval and issue ---


def check_signatory(signatory: User, password: str | None, job: Job, batch_id: int | None = None) -> None:
    """Refuse anyone but an authorised signatory who re-enters their password and did not measure the job."""
    if not may(signatory, Capability.ISSUE_CERTIFICATES):
        raise PermissionDenied(_("Chỉ người ký được ủy quyền mới ký"))
    if batch_id is not None:
        batch = object_session(job).get(IssueBatch, batch_id)
        confirmed = batch is not None and batch.signatory_id == signatory.id and job.id in batch.job_ids
        if not confirmed:
            raise PermissionDenied(_("Công việc không thuộc đợt cấp đã ký"))
    elif not check_password(signatory.password_hash, password or ""):
        raise RuleViolation(_("Mật khẩu xác nhận chữ ký không đúng"), field="password")
    if measured_by(signatory, job):
        raise PermissionDenied(_("Người ký không được là người đã đo công việc này"))


@dataclass(frozen=True)
class _Stored:
    pdf: StoredFile
    dcc: StoredFile | None
    signer_subject: str


def _render_and_store(doc, record, supersedes: Certificate | None = None) -> _Stored:
    """Render and sign the PDF (a calibration's signed DCC attached inside it) and store both by SHA-256."""
    signer = lab_signer()
    lab = doc.lab
    attachments = ()
    dcc_xml = None
    if doc.kind is Kind.CALIBRATION:
        replaces = None
        if supersedes is not None:
            replaces = dcc.Replaced(supersedes.display_number, supersedes.dcc_sha256 or supersedes.pdf_sha256)
        dcc_xml = issuing_dcc.build_signed_dcc(doc, record, signer, replaces)
        attachments = (Attachment(dcc.FILE_NAME, dcc_xml, dcc.MIME_TYPE, DCC_DESCRIPTION),)
    pdf = render_certificate(doc)
    signed = signer.sign(
        pdf, reason=SIGNATURE_MEANING, location=lab.province, signer_name=doc.signatory.name, attachments=attachments
    )
    stored_pdf = store_bytes(signed)
    return _Stored(stored_pdf, store_bytes(dcc_xml) if dcc_xml else None, signer.subject)


def original_certificate(session: Session, job_id: int) -> Certificate | None:
    """The job's original certificate (revision 0) that stands or is being issued; a voided number does not count."""
    return session.scalar(
        select(Certificate).where(Certificate.job_id == job_id, Certificate.revision == 0, Certificate.status != "void")
    )


def stop_reasons(session: Session, job: Job) -> list[str]:
    """What stops a reviewed job from being signed, in words; empty when nothing does."""
    return [stop.message for stop in stops_of(session, job)]


def stops_of(session: Session, job: Job) -> list[RuleViolation]:
    """What stops a reviewed job from being signed, each as the refusal it is (with the field it concerns).

    A record whose reference values differ from the standard's certificate, and a standard whose latest
    intermediate check fell outside its limits, are found again here whatever the path (single or batch issue).
    """
    reasons: list[RuleViolation] = []
    try:
        ensure_certifiable(job)  # flagged for a second look, or a legal value not yet confirmed
    except RuleViolation as exc:
        reasons.append(exc)
    for record in job.records:
        if not record.superseded and record.reference_differs:
            reasons.append(
                RuleViolation(
                    _("Biên bản đo có giá trị chuẩn khác giấy chứng nhận của chuẩn; cần soát xét lại."), field="job"
                )
            )
            break
    standard_ids = [use.standard_id for use in job.standards_used]
    if standard_ids:
        latest: dict[tuple[int, int | None], IntermediateCheck] = {}
        checks = session.scalars(
            select(IntermediateCheck)
            .where(IntermediateCheck.standard_id.in_(standard_ids), IntermediateCheck.checked_on <= lab_today())
            .order_by(IntermediateCheck.checked_on, IntermediateCheck.id)
        )
        for check in checks:
            latest[(check.standard_id, check.item_id)] = check
        for (standard_id, _item), check in sorted(latest.items(), key=lambda entry: entry[0][0]):
            if not check.within_limits:
                code = check.standard.code if check.standard else standard_id
                reasons.append(
                    RuleViolation(
                        _(
                            "Chuẩn %(code)s có kiểm tra giữa kỳ ngày %(day)s ngoài giới hạn.",
                            code=code,
                            day=f"{check.checked_on:%d/%m/%Y}",
                        ),
                        field="standards",
                    )
                )
    return reasons


def _lock_job(session: Session, job: Job) -> Job:
    locked_job = locked_one(session, Job, Job.id == job.id)
    if locked_job is None:  # pragma: no cover - the caller loaded it in this request
        raise RuleViolation(_("Không có công việc này."), field="job")
    return locked_job


def issue_certificate(
    session: Session,
    actor,
    job: Job,
    password: str | None,
    *,
    sticker_serial: str | None = None,
    remarks: tuple[str, ...] = (),
    issued_on: date | None = None,
    batch_id: int | None = None,
) -> Certificate:
    """Approve a reviewed job and issue its signed certificate in the caller's one transaction.

    The number stays taken while the PDF is rendered; a process issuing many certificates at once reserves
    (:func:`reserve_certificate`), commits, then completes (:func:`complete_certificate`) instead.
    """
    certificate = reserve_certificate(
        session,
        actor,
        job,
        password,
        sticker_serial=sticker_serial,
        remarks=remarks,
        issued_on=issued_on,
        batch_id=batch_id,
    )
    return complete_certificate(session, actor, certificate)


def reserve_certificate(
    session: Session,
    actor,
    job: Job,
    password: str | None,
    *,
    sticker_serial: str | None = None,
    remarks: tuple[str, ...] = (),
    issued_on: date | None = None,
    batch_id: int | None = None,
) -> Certificate:
    """Take the next number for a reviewed job: the certificate is "issuing", the job certified, the sticker used.

    Only this is serialised between issuers: the job and sticker rows are locked before they are checked, the
    number counter and the audit chain after. A repeated submission by the same signatory answers with the
    certificate the first one reserved. ``batch_id`` names a batch the same signatory confirmed with their
    password; the worker then passes no password.
    """
    require(actor, Capability.ISSUE_CERTIFICATES)
    # What stops the job is said first, whoever asks; the password hash is slow on purpose: checked before any
    # lock is taken.
    stops = stops_of(session, job)
    if len(stops) == 1:
        raise stops[0]  # one reason: refused at the field it concerns (method, procedure, job, standards)
    if stops:
        raise RuleViolation("; ".join(stop.message for stop in stops), field="job")
    check_signatory(actor, password, job, batch_id=batch_id)
    job = _lock_job(session, job)
    existing = original_certificate(session, job.id)
    if existing is not None:
        if existing.signed_by_id == actor.id:
            return existing
        raise RuleViolation(
            _(
                "Công việc %(job)s đã có giấy chứng nhận %(number)s.",
                job=job.number,
                number=existing.display_number,
            ),
            field="job",
        )
    if job.status != "reviewed":
        raise RuleViolation(
            _(
                "Chỉ cấp giấy chứng nhận cho công việc đã soát xét (công việc %(number)s đang ở trạng thái "
                "'%(status)s')",
                number=job.number,
                status=job.status,
            ),
            field="job",
        )
    kind = document.kind_of(job)
    issued_on = issued_on or lab_today()
    record = document.final_record(job)
    if record is None:
        raise RuleViolation(_("Công việc chưa có biên bản đo"), field="job")
    passed = job.passed if job.passed is not None else record.passed
    valid_until = None
    sticker = None
    measured = job.measured_on or record.measured_on
    if kind.value == "verification" and passed:
        valid_until = valid_until_for(session, job.instrument, measured)
        sticker = stickers.take_for_certificate(session, actor, sticker_serial)
    elif sticker_serial:
        raise RuleViolation(
            _("Chỉ gắn tem cho phương tiện đo kiểm định đạt"),
            field="sticker_serial",
        )
    remarks = tuple(nfc(r.strip()) for r in remarks if r and r.strip())
    lab = document.lab_snapshot()
    fields = dict(
        series=kind.value,
        year=issued_on.year,
        revision=0,
        issued_on=issued_on,
        passed=passed,
        valid_until=valid_until,
        sticker_serial=sticker.serial if sticker else None,
    )
    # Whatever the document refuses is refused now, before a number is taken that could then never be issued.
    _document(session, job, actor, lab, remarks, number="0", token="", short_code="", **fields)
    seq, number = next_number(session, actor, kind.value, issued_on.year)
    certificate = Certificate(
        kind=kind.value,
        job=job,
        organisation_id=job.request.organisation_id,
        instrument_id=job.instrument_id,
        number=number,
        seq=seq,
        token=secrets.token_urlsafe(24),
        short_code=new_short_code(),
        lab_snapshot=lab,
        content={"remarks": list(remarks)},  # what the signatory added, until the document replaces it
        signed_by_id=actor.id,
        signature_meaning=SIGNATURE_MEANING,
        batch_id=batch_id,
        status="issuing",
        **fields,
    )
    session.add(certificate)
    session.flush()
    if sticker is not None:
        stickers.mark_used(session, actor, sticker, certificate)
    mark_certified(session, actor, job)
    record_service(session, actor, job.instrument, kind.value, measured, valid_until)
    log.info("certificate %s reserved for job %s by %s", number, job.number, actor.username)
    return certificate


def _document(
    session: Session,
    job: Job,
    signatory: User,
    lab: dict,
    remarks,
    *,
    number,
    token,
    short_code,
    supersedes=None,
    **fields,
):
    display = number if fields["revision"] == 0 else f"{number}/R{fields['revision']}"
    try:
        return document.build_certificate(
            session,
            job,
            number=display,
            issued=fields["issued_on"],
            signatory=signatory,
            lab=lab,
            verification_url=verification_url(token),
            verification_code=short_code,
            sticker_serial=fields["sticker_serial"],
            valid_until=fields["valid_until"],
            revision=fields["revision"],
            supersedes=supersedes.display_number if supersedes else None,
            remarks=tuple(remarks),
        )
    except InputError as exc:
        # The document refuses what a certificate may not say (dates out of order, a pass without validity...).
        raise RuleViolation(_("Không lập được giấy chứng nhận: %(exc)s", exc=exc), field="job") from exc


def complete_certificate(session: Session, actor, certificate: Certificate) -> Certificate:
    """Render, sign and store the PDF of an "issuing" certificate, and record it as issued.

    Rendering takes no lock; the certificate row is locked only to record the result, and a certificate another
    process completed meanwhile is left as that process recorded it (this call is then a no-op). Safe to repeat:
    resuming an interrupted issue calls it again. The certificate is signed in the name of the signatory who
    reserved it, whoever completes it (the same signatory, the batch worker, or ``lims certificates resume``).
    """
    require(actor, Capability.ISSUE_CERTIFICATES)
    if certificate.status != "issuing":
        return certificate
    doc = _document(
        session,
        certificate.job,
        certificate.signed_by,
        certificate.lab_snapshot,
        (certificate.content or {}).get("remarks") or (),
        number=certificate.number,
        token=certificate.token,
        short_code=certificate.short_code,
        supersedes=certificate.supersedes,
        series=certificate.series,
        year=certificate.year,
        revision=certificate.revision,
        issued_on=certificate.issued_on,
        passed=certificate.passed,
        valid_until=certificate.valid_until,
        sticker_serial=certificate.sticker_serial,
    )
    stored = _render_and_store(doc, document.final_record(certificate.job), certificate.supersedes)
    certificate = locked_one(session, Certificate, Certificate.id == certificate.id)
    if certificate.status != "issuing":
        return certificate
    certificate.content = document.as_json(doc)
    certificate.instrument_summary = " · ".join(
        p for p in (doc.instrument.name, doc.instrument.model, doc.instrument.serial) if p
    )
    certificate.customer_name = doc.customer.name
    certificate.pdf_sha256, certificate.pdf_size = stored.pdf.sha256, stored.pdf.size
    certificate.dcc_sha256 = stored.dcc.sha256 if stored.dcc else None
    certificate.dcc_size = stored.dcc.size if stored.dcc else None
    certificate.signer_subject = stored.signer_subject
    certificate.issued_at = utcnow()
    certificate.status = "issued"
    session.flush()
    record_event(
        session,
        "sign",
        "certificate",
        certificate.id,
        {
            "number": certificate.display_number,
            "meaning": SIGNATURE_MEANING,
            "pdf_sha256": certificate.pdf_sha256,
            "dcc_sha256": certificate.dcc_sha256,
        },
    )
    if certificate.batch_id is not None:
        # Counted in the same transaction as the certificate: the batch's progress never lags behind it.
        session.execute(
            update(IssueBatch)
            .where(IssueBatch.id == certificate.batch_id)
            .values(done=IssueBatch.done + 1, heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return certificate


def void_certificate(session: Session, actor, certificate: Certificate, reason: str) -> Certificate:
    """Void a number that was taken but can never be issued: kept in the register as void, with the reason.

    The job goes back to reviewed (it can be issued again under a new number), the sticker back to its holder or
    the stock, and the instrument's service back to its previous valid certificate.
    """
    require(actor, Capability.MANAGE_NUMBERING)
    reason = nfc((reason or "").strip())
    if not reason:
        raise RuleViolation(_("Cần ghi lý do hủy số."), field="reason")
    certificate = locked_one(session, Certificate, Certificate.id == certificate.id)
    if certificate.status != "issuing":
        raise RuleViolation(
            _(
                "Chỉ hủy được số đang cấp dở (%(number)s: %(status)s).",
                number=certificate.display_number,
                status=certificate.status,
            ),
            field="certificate",
        )
    with audit_reason(f"hủy số: {reason}"):
        certificate.status = "void"
        session.flush()
        for sticker in locked(session, Sticker, Sticker.certificate_id == certificate.id):
            stickers.release(session, actor, sticker)
        if certificate.revision == 0:
            reopen_for_certificate(session, actor, certificate.job, reason)
        restore_instrument_service(session, actor, certificate.instrument)
    return certificate


def restore_instrument_service(session: Session, actor, instrument: Instrument) -> Instrument:
    """Set the instrument's last service and next due date from its newest certificate that still stands.

    Called when a certificate stops standing (revoked, voided): recall, the due lists and the ICS feed read these
    fields. With no certificate left standing, the instrument has no valid service on record.
    """
    if not may(actor, Capability.MANAGE_NUMBERING):  # voiding a number, else revoking a certificate
        require(actor, Capability.REVOKE_CERTIFICATES)
    session.flush()
    standing = session.execute(
        select(Certificate.kind, Job.measured_on, Certificate.issued_on, Certificate.valid_until)
        .join(Job, Job.id == Certificate.job_id)
        .where(Certificate.instrument_id == instrument.id, Certificate.status == "issued")
        .order_by(func.coalesce(Job.measured_on, Certificate.issued_on).desc(), Certificate.id.desc())
        .limit(1)
    ).first()
    if standing is None:
        return reset_service(session, actor, instrument, None, None, None)
    return reset_service(
        session, actor, instrument, standing.kind, standing.measured_on or standing.issued_on, standing.valid_until
    )


AMENDMENT_REMARK = "Sửa đổi / Amendment:"  # printed on the certificate


def _standing_remarks(certificate: Certificate) -> tuple[str, ...]:
    """The remarks a certificate printed, without the note of an earlier amendment (each revision says its own)."""
    printed = (certificate.content or {}).get("remarks") or ()
    return tuple(r for r in printed if not r.startswith(AMENDMENT_REMARK))


def amend_certificate(
    session: Session,
    actor,
    certificate: Certificate,
    password: str,
    reason: str,
    *,
    remarks: tuple[str, ...] = (),
    issued_on: date | None = None,
) -> Certificate:
    """Issue a corrected revision of a certificate (same number, next revision) that supersedes it."""
    require(actor, Capability.ISSUE_CERTIFICATES)
    reason = nfc((reason or "").strip())
    if not reason:
        raise RuleViolation(_("Cần ghi lý do sửa đổi"), field="reason")
    if certificate.status != "issued":
        raise RuleViolation(
            _(
                "Giấy chứng nhận %(display_number)s đã '%(status)s', không sửa đổi được",
                display_number=certificate.display_number,
                status=certificate.status,
            ),
            field="certificate",
        )
    job = certificate.job
    check_signatory(actor, password, job)
    issued_on = issued_on or lab_today()
    # The replaced certificate's standing changes in the same transaction as the new one is issued.
    with audit_reason(f"sửa đổi: {reason}"):
        certificate.status = "superseded"
        session.flush()
        amended = Certificate(
            kind=certificate.kind,
            job=job,
            organisation_id=certificate.organisation_id,
            instrument_id=certificate.instrument_id,
            number=certificate.number,
            series=certificate.series,
            year=certificate.year,
            seq=certificate.seq,
            revision=certificate.revision + 1,
            issued_on=issued_on,
            passed=certificate.passed,
            valid_until=certificate.valid_until,
            sticker_serial=certificate.sticker_serial,
            token=secrets.token_urlsafe(24),
            short_code=new_short_code(),
            lab_snapshot=document.lab_snapshot(),
            # the replaced certificate's own remarks stand on the revision, then the new ones and why it changed
            content={
                "remarks": [
                    nfc(r.strip())
                    for r in (*_standing_remarks(certificate), *remarks, f"{AMENDMENT_REMARK} {reason}")
                    if r and r.strip()
                ]
            },
            signed_by_id=actor.id,
            signature_meaning=SIGNATURE_MEANING,
            supersedes_id=certificate.id,
            amendment_reason=reason,
            status="issuing",
        )
        session.add(amended)
        session.flush()
        # A correction keeps its number: nothing to serialise with other issuers, so it completes at once.
        amended = complete_certificate(session, actor, amended)
    return amended


def revoke_certificate(
    session: Session, actor, certificate: Certificate, reason: str, password: str | None
) -> Certificate:
    """Withdraw an issued certificate, recording who and why; it then verifies as revoked.

    Like signing, revoking changes what the certificate is worth to its holder: the person re-enters their password.
    """
    require(actor, Capability.REVOKE_CERTIFICATES)
    reason = nfc((reason or "").strip())
    if not reason:
        raise RuleViolation(_("Cần ghi lý do thu hồi"), field="reason")
    if not check_password(actor.password_hash, password or ""):
        raise RuleViolation(_("Mật khẩu xác nhận không đúng"), field="password")
    if certificate.status != "issued":
        raise RuleViolation(
            _("Giấy chứng nhận đang '%(status)s'", status=certificate.status),
            field="certificate",
        )
    with audit_reason(f"thu hồi: {reason}"):
        certificate.status = "revoked"
        certificate.revoked_at = utcnow()
        certificate.revoked_by_id = actor.id
        certificate.revoke_reason = reason
        session.flush()
        restore_instrument_service(session, actor, certificate.instrument)
    return certificate


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_issued_certificates(session: Session, flush_context, instances) -> None:
    # The backstop behind every service: whatever code runs, an issued certificate's content stays as signed.
    for instance in session.dirty:
        if not isinstance(instance, Certificate):
            continue
        state = inspect(instance)
        status = state.attrs["status"].history
        before = (status.deleted or status.unchanged or [instance.status])[0]
        # An "issuing" certificate has no document yet: completing it fills the document in, once.
        allowed = Certificate.MUTABLE_COLUMNS | (Certificate.COMPLETED_COLUMNS if before == "issuing" else set())
        changed = {
            attr.key for attr in state.mapper.column_attrs if state.attrs[attr.key].history.has_changes()
        } - allowed
        if changed:
            raise PermissionDenied(
                _(
                    "Giấy chứng nhận đã cấp không được thay đổi; hãy ban hành bản sửa đổi: %(items)s",
                    items=", ".join(sorted(changed)),
                )
            )
    for instance in session.deleted:
        if isinstance(instance, Certificate):
            raise PermissionDenied(_("Giấy chứng nhận đã cấp không được xóa"))
