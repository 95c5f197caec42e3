"""Pages of controlled documents: the list, a document, its versions, approval, withdrawal and the files."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.dates import lab_today
from lims.core.exports import download
from lims.core.files import accept_pdf_upload, read_bytes
from lims.core.forms import refuse_invalid
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.quality import forms, queries, services
from lims.quality.models import (
    ControlledDocument,
    DocumentVersion,
)
from lims.quality.views._common import _get
from lims.quality.views.blueprint import blueprint


@blueprint.route("/documents")
@read_view(Capability.READ_QUALITY)
def documents():
    return render_template(
        "quality/documents.html",
        documents=db.session.scalars(queries.documents_query()).all(),
        form=forms.DocumentForm(),
        today=lab_today(),
    )


@blueprint.route("/documents", methods=["POST"])
@write_view(Capability.RECORD_QUALITY)
def document_create():
    form = forms.DocumentForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    document = services.create_document(
        db.session, current_user, code=form.code.data, title=form.title.data, kind=form.kind.data
    )
    return redirect(url_for("quality.document", document_id=document.id))


@blueprint.route("/documents/<int:document_id>")
@read_view(Capability.READ_QUALITY)
def document(document_id: int):
    return render_template(
        "quality/document.html",
        document=_get(ControlledDocument, document_id),
        form=forms.VersionForm(),
        approve_form=forms.ApproveForm(data={"effective_on": lab_today()}),
        withdraw_form=forms.WithdrawForm(data={"withdrawn_on": lab_today()}),
        today=lab_today(),
    )


@blueprint.route("/documents/<int:document_id>/withdraw", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def document_withdraw(document_id: int):
    document = _get(ControlledDocument, document_id)
    form = forms.WithdrawForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.withdraw_document(
        db.session, current_user, document, withdrawn_on=form.withdrawn_on.data, reason=form.reason.data
    )
    flash(_("Đã thu hồi tài liệu; tài liệu được đánh dấu lỗi thời."), "success")
    return redirect(url_for("quality.document", document_id=document.id))


@blueprint.route("/documents/<int:document_id>/versions", methods=["POST"])
@write_view(Capability.RECORD_QUALITY)
def document_upload(document_id: int):
    document = _get(ControlledDocument, document_id)
    form = forms.VersionForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    stored = accept_pdf_upload(form.file.data, "file")
    services.add_document_version(
        db.session,
        current_user,
        document,
        stored,
        file_name=form.file.data.filename,
        review_due_on=form.review_due_on.data,
        change_note=form.change_note.data,
    )
    flash(_("Đã tải lên phiên bản mới, chờ phê duyệt."), "success")
    return redirect(url_for("quality.document", document_id=document.id))


@blueprint.route("/versions/<int:version_id>/approve", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def version_approve(version_id: int):
    version = _get(DocumentVersion, version_id)
    form = forms.ApproveForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.approve_document_version(db.session, current_user, version, form.effective_on.data)
    flash(_("Đã phê duyệt."), "success")
    return redirect(url_for("quality.document", document_id=version.document_id))


@blueprint.route("/versions/<int:version_id>/file")
@read_view(Capability.READ_QUALITY)
def version_file(version_id: int):
    version = _get(DocumentVersion, version_id)
    # The file name of a copy not in force says so, so a download is not used by mistake (8.3.2 f).
    document = version.document
    if document.withdrawn or (version.approved_at is not None and document.current is not version):
        suffix = "-obsolete"
    elif version.approved_at is None:
        suffix = "-draft"
    else:
        suffix = ""
    return download(
        read_bytes(version.file_sha256),
        "application/pdf",
        f"{version.document.code}-v{version.number}{suffix}.pdf",
        inline=True,
    )
