"""Pages of procedures defined as data: the versions, uploading one (with its validation report and the difference
from the previous version), approving it (a second person), withdrawing it, confirming its unconfirmed values."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.errors import RuleViolation
from lims.core.forms import refuse_invalid, show_refusal
from lims.core.navigation import register_nav
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.procedures import services
from lims.procedures.forms import ConfirmForm, UploadForm, WithdrawForm
from lims.procedures.models import VersionStatus

blueprint = Blueprint("procedures", __name__, url_prefix="/procedures")
STATUS_LABELS = {
    VersionStatus.DRAFT: _l("dự thảo, chờ phê duyệt"),
    VersionStatus.APPROVED: _l("đã phê duyệt"),
    VersionStatus.WITHDRAWN: _l("đã thu hồi"),
}


@blueprint.context_processor
def labels() -> dict:
    return {"status_labels": STATUS_LABELS}


def _index_page(form: UploadForm, report=None, status: int = 200):
    versions = services.versions(db.session)
    return render_template("procedures/index.html", versions=versions, form=form, report=report), status


@blueprint.route("/")
@read_view(Capability.READ_CATALOGUE)
def index():
    return _index_page(UploadForm())


@blueprint.route("/upload", methods=["POST"])
@write_view(services.MANAGE)
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _index_page(form, status=400)
    try:
        text = services.definition_text(form.definition.data.read())
        report = services.check_definition(text)
        if not report.valid:
            # Nothing is stored: the page shows what is wrong, each problem at its path.
            form.definition.errors = [_("Định nghĩa không dùng được: xem báo cáo kiểm tra bên dưới.")]
            return _index_page(form, report=report.as_dict(), status=422)
        version = services.upload_version(db.session, current_user, text)
    except RuleViolation as exc:
        show_refusal(form, exc)
        return _index_page(form, status=422)
    flash(_("Đã tải lên %(label)s: chờ người thứ hai phê duyệt.", label=version.label), "success")
    return redirect(url_for("procedures.detail", version_id=version.id))


@blueprint.route("/<int:version_id>")
@read_view(Capability.READ_CATALOGUE)
def detail(version_id: int):
    version = services.get_version(db.session, version_id)
    previous = services.previous_version(db.session, version)
    diff = services.difference(
        previous.definition_text if previous else None,
        version.definition_text,
        previous.label if previous else "",
        version.label,
    )
    return render_template(
        "procedures/detail.html",
        version=version,
        previous=previous,
        diff=diff,
        report=version.validation_report,
        withdraw_form=WithdrawForm(),
        confirm_form=ConfirmForm(),
    )


@blueprint.route("/<int:version_id>/approve", methods=["POST"])
@write_view(services.MANAGE)
def approve(version_id: int):
    version = services.get_version(db.session, version_id)
    services.approve_version(db.session, current_user, version)
    flash(_("Đã phê duyệt %(label)s.", label=version.label), "success")
    return redirect(url_for("procedures.detail", version_id=version.id))


@blueprint.route("/<int:version_id>/withdraw", methods=["POST"])
@write_view(services.MANAGE)
def withdraw(version_id: int):
    version = services.get_version(db.session, version_id)
    form = WithdrawForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.withdraw_version(db.session, current_user, version, form.reason.data)
    flash(_("Đã thu hồi %(label)s.", label=version.label), "success")
    return redirect(url_for("procedures.detail", version_id=version.id))


@blueprint.route("/values/<int:value_id>/confirm", methods=["POST"])
@write_view(services.MANAGE)
def confirm(value_id: int):
    value = services.get_unconfirmed_value(db.session, value_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.confirm_value(db.session, current_user, value, reason=form.reason.data)
    flash(_("Đã xác nhận %(path)s.", path=value.path), "success")
    return redirect(url_for("procedures.detail", version_id=value.version_id))


register_nav("procedures.index", _l("Quy trình"), (Capability.READ_CATALOGUE,), order=45)
