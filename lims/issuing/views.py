"""Pages of issuing: certificates, signing, batches, stickers, impact of a failed standard, public verification."""

import logging

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from certificates.marks import stamp_revoked
from lims.auth.models import User
from lims.auth.permissions import Capability, may_see_organisation
from lims.core.dates import lab_day, lab_today
from lims.core.errors import NotFound, RuleViolation
from lims.core.exports import download, list_export
from lims.core.files import read_bytes
from lims.core.forms import choices, refuse_invalid
from lims.core.limits import limiter
from lims.core.links import public_url
from lims.core.lists import fetch_page, parse_filters
from lims.core.navigation import register_home_panel, register_nav
from lims.core.web import client_address, read_view, write_view
from lims.extensions import db
from lims.issuing import batch as batches
from lims.issuing import impact, numbering, queries, services, stickers, verification
from lims.issuing.forms import (
    AmendForm,
    BatchForm,
    BatchResumeForm,
    IssueForm,
    LookupForm,
    NotifyForm,
    NumberFormatForm,
    RevokeForm,
    StickerDiscardForm,
    StickerHandOutForm,
    StickerReceiveForm,
    UploadForm,
    VoidForm,
)
from lims.issuing.labels import CertificateStatus  # noqa: F401  (the label filter finds the issuing codes)
from lims.issuing.models import CERTIFICATE_STATUSES
from lims.jobs.models import Job

log = logging.getLogger(__name__)
blueprint = Blueprint("issuing", __name__)


def _remarks(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


# --- certificates: lists, detail, download ---


@blueprint.route("/certificates")
@read_view(Capability.READ_CERTIFICATES)
def certificates():
    filters = parse_filters(queries.CertificateFilter, request.args)
    page = fetch_page(db.session, queries.CERTIFICATES, current_user, filters, cursor=request.args.get("cursor"))
    return render_template("issuing/certificates.html", page=page, filters=filters, statuses=CERTIFICATE_STATUSES)


@blueprint.route("/certificates.csv")
@read_view(Capability.READ_CERTIFICATES)
def certificates_export():
    return list_export(queries.CERTIFICATES, current_user, "giay-chung-nhan", "csv")


@blueprint.route("/certificates.xlsx")
@read_view(Capability.READ_CERTIFICATES)
def certificates_export_xlsx():
    return list_export(queries.CERTIFICATES, current_user, "giay-chung-nhan", "xlsx")


@blueprint.route("/certificates/<int:certificate_id>")
@read_view(Capability.READ_CERTIFICATES)
def certificate(certificate_id: int):
    found = queries.get_certificate(db.session, current_user, certificate_id)
    return render_template(
        "issuing/certificate.html",
        certificate=found,
        revisions=queries.revisions_of(db.session, found),
        amend_form=AmendForm(),
        revoke_form=RevokeForm(),
        void_form=VoidForm(),
        public_url=services.verification_url(found.token),
    )


@blueprint.route("/certificates/<int:certificate_id>/pdf")
@read_view(Capability.READ_CERTIFICATES)
def certificate_pdf(certificate_id: int):
    found = queries.get_certificate(db.session, current_user, certificate_id)
    if found.pdf_sha256 is None:
        raise NotFound(_("Giấy chứng nhận này chưa có tệp PDF."))
    # The stored, signed bytes, exactly as issued: never rendered again.
    data = read_bytes(found.pdf_sha256)
    filename = f"GCN-{found.display_number.replace('/', '-')}"
    headers = {"X-Content-SHA256": found.pdf_sha256}
    if found.status == "revoked":
        # Marked on the way out, appended after the original bytes, which stay the first part of the file.
        data = stamp_revoked(data, lab_day(found.revoked_at) if found.revoked_at else lab_today())
        filename += "-thu-hoi"
        headers = {"X-Original-SHA256": found.pdf_sha256}
    return download(data, "application/pdf", f"{filename}.pdf", inline=True, headers=headers)


@blueprint.route("/certificates/<int:certificate_id>/dcc.xml")
@read_view(Capability.READ_CERTIFICATES)
def certificate_dcc(certificate_id: int):
    found = queries.get_certificate(db.session, current_user, certificate_id)
    if not found.dcc_sha256:
        abort(404)
    # The stored, signed XML, exactly as issued (the same bytes the PDF carries inside it).
    filename = f"DCC-{found.display_number.replace('/', '-')}.xml"
    return download(
        read_bytes(found.dcc_sha256), "application/xml", filename, headers={"X-Content-SHA256": found.dcc_sha256}
    )


# --- approval and issue ---


@blueprint.route("/issuing/ready")
@read_view(Capability.READ_ISSUING_QUEUE)
def ready():
    jobs = db.session.scalars(queries.ready_jobs()).all()
    return render_template("issuing/ready.html", jobs=jobs, form=BatchForm())


@blueprint.route("/issuing/jobs/<int:job_id>", methods=["GET"])
@read_view(Capability.ISSUE_CERTIFICATES)
def issue_form(job_id: int):
    job = queries.get_job(db.session, job_id)
    return render_template("issuing/issue.html", job=job, form=IssueForm())


@blueprint.route("/issuing/jobs/<int:job_id>", methods=["POST"])
@write_view(Capability.ISSUE_CERTIFICATES)
def issue_submit(job_id: int):
    job = queries.get_job(db.session, job_id)
    form = IssueForm()
    if not form.validate_on_submit():
        return render_template("issuing/issue.html", job=job, form=form), 400
    try:
        issued = services.reserve_certificate(
            db.session,
            current_user,
            job,
            form.password.data,
            sticker_serial=form.sticker_serial.data or None,
            remarks=_remarks(form.remarks.data),
        )
    except RuleViolation as exc:
        field = getattr(form, exc.field or "", None) or form.password
        field.errors.append(exc.message)
        return render_template("issuing/issue.html", job=job, form=form), exc.status
    # The number, job and sticker are settled: commit them now so the next issuer need not wait for the
    # rendering and signing below (this request's second and last commit is write_view's).
    db.session.commit()
    issued = _complete(issued)
    flash(_("Đã cấp giấy chứng nhận số %(number)s.", number=issued.display_number), "success")
    return redirect(url_for("issuing.certificate", certificate_id=issued.id))


def _complete(certificate):
    """Render and sign a reserved certificate; if that fails it stays "issuing" and is resumed later."""
    certificate_id = certificate.id
    try:
        return services.complete_certificate(db.session, current_user, certificate)
    except Exception:  # the number is committed; the certificate page offers to finish it
        log.exception("certificate %s: rendering or signing failed; left issuing", certificate.display_number)
        db.session.rollback()
        flash(_("Chưa lập xong tệp PDF của giấy chứng nhận; hãy thử lại từ trang của nó."), "warning")
        return queries.get_certificate(db.session, current_user, certificate_id)


@blueprint.route("/certificates/<int:certificate_id>/complete", methods=["POST"])
@write_view(Capability.ISSUE_CERTIFICATES)
def complete(certificate_id: int):
    found = queries.get_certificate(db.session, current_user, certificate_id)
    finished = _complete(found)
    if finished.status == "issued":
        flash(_("Đã cấp giấy chứng nhận số %(number)s.", number=finished.display_number), "success")
    return redirect(url_for("issuing.certificate", certificate_id=certificate_id))


@blueprint.route("/certificates/<int:certificate_id>/void", methods=["POST"])
@write_view(Capability.MANAGE_NUMBERING)
def void(certificate_id: int):
    found = queries.get_certificate(db.session, current_user, certificate_id)
    form = VoidForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.void_certificate(db.session, current_user, found, form.reason.data)
    flash(_("Đã hủy số %(number)s.", number=found.display_number), "warning")
    return redirect(url_for("issuing.certificate", certificate_id=found.id))


@blueprint.route("/certificates/<int:certificate_id>/amend", methods=["POST"])
@write_view(Capability.ISSUE_CERTIFICATES)
def amend(certificate_id: int):
    found = queries.get_certificate(db.session, current_user, certificate_id)
    form = AmendForm()
    if not form.validate_on_submit():
        raise RuleViolation(_("Cần lý do và mật khẩu để sửa đổi."), field="reason")
    amended = services.amend_certificate(
        db.session, current_user, found, form.password.data, form.reason.data, remarks=_remarks(form.remarks.data)
    )
    flash(_("Đã ban hành bản sửa đổi %(number)s.", number=amended.display_number), "success")
    return redirect(url_for("issuing.certificate", certificate_id=amended.id))


@blueprint.route("/certificates/<int:certificate_id>/revoke", methods=["POST"])
@write_view(Capability.REVOKE_CERTIFICATES)
def revoke(certificate_id: int):
    found = queries.get_certificate(db.session, current_user, certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.revoke_certificate(db.session, current_user, found, form.reason.data, form.password.data)
    flash(_("Đã thu hồi giấy chứng nhận %(number)s.", number=found.display_number), "warning")
    return redirect(url_for("issuing.certificate", certificate_id=found.id))


# --- batch issue ---


def _job_ids(values) -> list[int]:
    return sorted({int(value) for value in values.getlist("job_ids") if value.isdigit()})


def _named_stickers(values, job_ids: list[int]) -> dict[int, str]:
    return {job_id: values.get(f"sticker_{job_id}", "")[:40] for job_id in job_ids if values.get(f"sticker_{job_id}")}


@blueprint.route("/issuing/batch/confirm")
@read_view(Capability.ISSUE_CERTIFICATES)
def batch_confirm():
    """The jobs chosen, each with the sticker it will carry and what would stop it, before the password."""
    job_ids = _job_ids(request.args)
    if not job_ids:
        raise RuleViolation(_("Chưa chọn công việc nào."), field="job_ids")
    jobs = db.session.scalars(queries.ready_jobs().where(Job.id.in_(job_ids))).all()
    pairs = batches.pair_stickers(
        db.session, list(jobs), request.args.get("first_sticker"), _named_stickers(request.args, job_ids)
    )
    return render_template("issuing/batch_confirm.html", pairs=pairs, form=BatchForm())


@blueprint.route("/issuing/batch", methods=["POST"])
@write_view(Capability.ISSUE_CERTIFICATES)
def batch_start():
    form = BatchForm()
    if not form.validate_on_submit():
        raise RuleViolation(_("Cần mật khẩu để ký."), field="password")
    job_ids = _job_ids(request.form)
    started = batches.start_batch(
        db.session, current_user, form.password.data, job_ids, _named_stickers(request.form, job_ids)
    )
    batches.enqueue_after_commit(db.session, started.id)
    return redirect(url_for("issuing.batch_page", batch_id=started.id))


@blueprint.route("/issuing/batch/<int:batch_id>")
@read_view(Capability.READ_ISSUING)
def batch_page(batch_id: int):
    found = queries.get_batch(db.session, batch_id)
    return render_template(
        "issuing/batch.html", batch=found, interrupted=batches.is_interrupted(found), resume_form=BatchResumeForm()
    )


@blueprint.route("/issuing/batch/<int:batch_id>/resume", methods=["POST"])
@write_view(Capability.ISSUE_CERTIFICATES, Capability.MANAGE_NUMBERING)
def batch_resume(batch_id: int):
    found = queries.get_batch(db.session, batch_id)
    if not BatchResumeForm().validate_on_submit():
        raise RuleViolation(_("Yêu cầu không hợp lệ."), field="batch")
    batches.resume_batch(db.session, current_user, found)
    batches.enqueue_after_commit(db.session, found.id)
    flash(_("Đợt cấp #%(id)s được chạy tiếp.", id=found.id), "success")
    return redirect(url_for("issuing.batch_page", batch_id=batch_id))


@blueprint.route("/issuing/batch/<int:batch_id>/progress")
@read_view(Capability.READ_ISSUING)
def batch_progress(batch_id: int):
    found = queries.get_batch(db.session, batch_id)
    return jsonify(
        {
            "done": found.done,
            "failed": found.failed,
            "total": found.total,
            "status": "interrupted" if batches.is_interrupted(found) else found.status,
            "errors": found.errors,
        }
    )


# --- numbering settings ---


@blueprint.route("/issuing/numbering", methods=["GET"])
@read_view(Capability.MANAGE_NUMBERING)
def numbering_form():
    formats = {series: numbering.number_format(db.session, series) for series in ("verification", "calibration")}
    return render_template("issuing/numbering.html", form=NumberFormatForm(), formats=formats)


@blueprint.route("/issuing/numbering", methods=["POST"])
@write_view(Capability.MANAGE_NUMBERING)
def numbering_submit():
    form = NumberFormatForm()
    if not form.validate_on_submit():
        raise RuleViolation(_("Mẫu số không hợp lệ."), field="number_format")
    numbering.set_number_format(db.session, current_user, form.series.data, form.number_format.data)
    flash(_("Đã lưu mẫu số."), "success")
    return redirect(url_for("issuing.numbering_form"))


# --- stickers ---


def _staff_choices(form: StickerHandOutForm) -> None:
    staff = db.session.scalars(queries.staff_query()).all()
    form.holder_id.choices = choices((user.id, user.full_name) for user in staff if user.is_lab_staff)


@blueprint.route("/stickers")
@read_view(Capability.READ_STICKERS)
def sticker_register():
    hand_out = StickerHandOutForm()
    _staff_choices(hand_out)
    return render_template(
        "issuing/stickers.html",
        report=stickers.sticker_report(db.session),
        batches=stickers.batch_accounting(db.session),
        receive_form=StickerReceiveForm(),
        hand_out_form=hand_out,
        discard_form=StickerDiscardForm(),
    )


@blueprint.route("/stickers/receive", methods=["POST"])
@write_view(Capability.MANAGE_STICKERS)
def stickers_receive():
    form = StickerReceiveForm()
    if not form.validate_on_submit():
        raise RuleViolation(_("Thông tin nhận tem chưa hợp lệ."), field="first")
    received = stickers.receive_stickers(
        db.session,
        current_user,
        prefix=form.prefix.data or "",
        first=form.first.data,
        last=form.last.data,
        digits=form.digits.data,
        received_on=form.received_on.data,
        supplier=form.supplier.data,
    )
    flash(_("Đã nhận %(count)s tem.", count=received.last_number - received.first_number + 1), "success")
    return redirect(url_for("issuing.sticker_register"))


@blueprint.route("/stickers/hand-out", methods=["POST"])
@write_view(Capability.MANAGE_STICKERS)
def stickers_hand_out():
    form = StickerHandOutForm()
    _staff_choices(form)
    if not form.validate_on_submit():
        raise RuleViolation(_("Chọn người nhận và ghi số tem."), field="serials")
    holder = db.session.get(User, form.holder_id.data)
    handed = stickers.hand_out_stickers(db.session, current_user, _remarks(form.serials.data), holder)
    flash(_("Đã giao %(count)s tem.", count=len(handed)), "success")
    return redirect(url_for("issuing.sticker_register"))


@blueprint.route("/stickers/discard", methods=["POST"])
@write_view(Capability.HANDLE_STICKERS)
def stickers_discard():
    form = StickerDiscardForm()
    if not form.validate_on_submit():
        raise RuleViolation(_("Ghi số tem và lý do."), field="reason")
    stickers.discard_sticker(db.session, current_user, form.serial.data, form.state.data, form.reason.data)
    flash(_("Đã ghi nhận tem %(serial)s.", serial=form.serial.data), "success")
    return redirect(url_for("issuing.sticker_register"))


@blueprint.route("/stickers/sheet")
@read_view(Capability.READ_ISSUING)
def sticker_sheet():
    ids = [int(value) for value in request.args.getlist("certificate_id") if value.isdigit()]
    found = [queries.get_certificate(db.session, current_user, cid) for cid in ids]
    data = stickers.sticker_sheet(found, public_url(), current_app.config["LAB_SHORT_NAME"])
    return download(data, "application/pdf", "tem.pdf", inline=True)


# --- impact of a standard found out of tolerance ---


@blueprint.route("/issuing/impact/<int:standard_id>")
@read_view(Capability.READ_IMPACT)
def impact_page(standard_id: int):
    standard = queries.get_standard(db.session, standard_id)
    found = impact.impact_of(db.session, standard, queries.since_arg(request.args.get("since")))
    visible = [c for c in found.certificates if may_see_organisation(current_user, c.organisation_id)]
    return render_template("issuing/impact.html", impact=found, certificates=visible, form=NotifyForm())


@blueprint.route("/issuing/impact/<int:standard_id>/notify", methods=["POST"])
@write_view(Capability.NOTIFY_IMPACT)
def impact_notify(standard_id: int):
    standard = queries.get_standard(db.session, standard_id)
    form = NotifyForm()
    if not form.validate_on_submit():
        raise RuleViolation(_("Cần nội dung thông báo."), field="message")
    found = impact.impact_of(db.session, standard, queries.since_arg(request.form.get("since")))
    notices = impact.notify_impact(db.session, current_user, found, form.message.data)
    flash(_("Đã xếp %(count)s thông báo cho doanh nghiệp.", count=len(notices)), "success")
    return redirect(url_for("issuing.impact_page", standard_id=standard_id))


@blueprint.route("/issuing/impact")
@read_view(Capability.READ_IMPACT)
def impact_index():
    return render_template("issuing/impact_index.html", standards=db.session.scalars(queries.standards_query()).all())


# --- public verification ---


def _verify_limit() -> str:
    limit, window = verification.limit_and_window()
    return f"{limit} per {int(window.total_seconds() // 60)} minutes"


# One count per address across every kind of look-up; a refused one never reaches the database.
_limited = limiter.shared_limit(
    _verify_limit,
    scope="verify",
    exempt_when=lambda: request.endpoint == "issuing.verify_lookup" and not request.args,  # the empty form
)


@blueprint.errorhandler(429)
def _throttled(_error):
    return render_template(
        "issuing/verify.html", verdict=None, form=LookupForm(formdata=None), upload_form=UploadForm(), throttled=True
    ), 429


def _verdict_page(verdict, method: str, query_text: str | None):
    verification.log_check(method, query_text, verdict, client_address())
    token = verdict.certificate.token if verdict.certificate else None
    return render_template(
        "issuing/verify.html",
        verdict=verdict,
        form=LookupForm(formdata=None),
        upload_form=UploadForm(),
        token=token,
    )


@blueprint.route("/v/<token>")
@read_view(public=True)
@_limited
def verify_token(token: str):
    return _verdict_page(verification.by_token(db.session, token[:64]), "link", token[:16])


@blueprint.route("/verify")
@read_view(public=True)
@_limited
def verify_lookup():
    form = LookupForm(request.args)
    if not request.args:
        return render_template(
            "issuing/verify.html", verdict=None, form=LookupForm(formdata=None), upload_form=UploadForm()
        )
    if not form.validate():
        return render_template("issuing/verify.html", verdict=None, form=form, upload_form=UploadForm()), 400
    verdict = verification.by_number(db.session, form.number.data, form.code.data)
    return _verdict_page(verdict, "number", form.number.data)


def _upload_bytes(form: UploadForm) -> bytes:
    data = form.file.data.read(current_app.config["MAX_CONTENT_LENGTH"] + 1)
    if not (data.startswith(b"%PDF-") or verification.looks_like_xml(data)):
        raise RuleViolation(_("Tệp không phải PDF hay DCC (XML) của giấy chứng nhận."), field="file")
    return data


@blueprint.route("/verify/file", methods=["POST"])
@write_view(public=True)
@_limited
def verify_file():
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template(
            "issuing/verify.html", verdict=None, form=LookupForm(formdata=None), upload_form=form
        ), 400
    expected = None
    token = request.form.get("token")
    if token:
        expected = verification.by_token(db.session, token[:64]).certificate
    verdict = verification.by_file(db.session, _upload_bytes(form), expected)
    return _verdict_page(verdict, "upload", None)


register_nav("issuing.certificates", _l("Giấy chứng nhận"), (Capability.READ_CERTIFICATES,), order=40)
register_nav("issuing.ready", _l("Chờ cấp"), (Capability.READ_ISSUING_QUEUE,), order=41)
register_nav("issuing.sticker_register", _l("Tem kiểm định"), (Capability.READ_STICKERS,), order=42)
register_nav("issuing.impact_index", _l("Truy xuất ngược"), (Capability.READ_IMPACT,), order=43)


def _ready_panel(user) -> dict:
    # The oldest few are offered to sign from here; the list page holds the rest and the batch issue.
    first = db.session.scalars(queries.ready_jobs().limit(5)).all() if user.has_role("signatory") else []
    return {"ready": queries.count_ready(db.session), "first": first}


register_home_panel("issuing-ready", "issuing/_panel.html", (Capability.READ_ISSUING_QUEUE,), _ready_panel, order=20)
