"""Pages of requirements and their evidence: readiness against a catalogue, a requirement and its linked
documents, the self-assessment, the requirement catalogues and assessments against national criteria."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.dates import lab_today
from lims.core.errors import RuleViolation
from lims.core.exports import download
from lims.core.forms import choices, refuse_invalid
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.quality import catalogue as catalogues
from lims.quality import forms, queries, reports, services
from lims.quality.evidence import catalogue_readiness
from lims.quality.models import (
    ControlledDocument,
    EvidenceLink,
    Requirement,
    RequirementCatalogue,
)
from lims.quality.views._common import _get
from lims.quality.views.blueprint import blueprint


@blueprint.route("/")
@read_view(Capability.READ_QUALITY)
def readiness():
    all_catalogues = db.session.scalars(queries.catalogues_query()).all()
    chosen = request.args.get("catalogue", type=int)
    catalogue = next((c for c in all_catalogues if c.id == chosen), all_catalogues[0] if all_catalogues else None)
    result = catalogue_readiness(db.session, catalogue, lab_today()) if catalogue else None
    return render_template("quality/readiness.html", catalogues=all_catalogues, catalogue=catalogue, result=result)


@blueprint.route("/requirements/<int:requirement_id>")
@read_view(Capability.READ_QUALITY)
def requirement(requirement_id: int):
    item = _get(Requirement, requirement_id)
    result = catalogue_readiness(db.session, item.catalogue, lab_today())
    row = next(r for r in result.rows if r.requirement.id == item.id)
    form = forms.LinkForm()
    form.document_id.choices = choices(
        (d.id, f"{d.code} {d.title}") for d in db.session.scalars(queries.documents_query(include_withdrawn=False))
    )
    return render_template("quality/requirement.html", row=row, form=form)


@blueprint.route("/requirements/<int:requirement_id>/links", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def requirement_link(requirement_id: int):
    item = _get(Requirement, requirement_id)
    form = forms.LinkForm()
    form.document_id.choices = choices(
        (d.id, d.code) for d in db.session.scalars(queries.documents_query(include_withdrawn=False))
    )
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.link_evidence(
        db.session, current_user, item, _get(ControlledDocument, form.document_id.data), form.note.data
    )
    flash(_("Đã liên kết bằng chứng."), "success")
    return redirect(url_for("quality.requirement", requirement_id=item.id))


@blueprint.route("/links/<int:link_id>/delete", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def requirement_unlink(link_id: int):
    link = _get(EvidenceLink, link_id)
    requirement_id = link.requirement_id
    services.unlink_evidence(db.session, current_user, link)
    flash(_("Đã bỏ liên kết bằng chứng."), "success")
    return redirect(url_for("quality.requirement", requirement_id=requirement_id))


@blueprint.route("/self-assessment.pdf")
@read_view(Capability.READ_QUALITY)
def self_assessment():
    pdf = reports.self_assessment_pdf(db.session, lab_today())
    return download(pdf, "application/pdf", f"tu-danh-gia-{lab_today():%Y%m%d}.pdf")


# Catalogues -----------------------------------------------------------------------------------------------------
@blueprint.route("/catalogues")
@read_view(Capability.READ_QUALITY)
def catalogue_list():
    return render_template(
        "quality/catalogues.html",
        catalogues=db.session.scalars(queries.catalogues_query()).all(),
        form=forms.ImportCatalogueForm(),
        assessments=db.session.scalars(queries.assessments_query(current_user)).all(),
        assessment_form=_assessment_form(),
    )


@blueprint.route("/catalogues/sample.csv")
@read_view(Capability.READ_QUALITY)
def catalogue_sample():
    # Flask adds the charset to a text mimetype itself
    return download(catalogues.sample_national_csv(), "text/csv", "national-criteria-sample.csv")


@blueprint.route("/catalogues/import", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def catalogue_import():
    form = forms.ImportCatalogueForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        raise RuleViolation(_("Chưa chọn tệp"), field="file")
    report = catalogues.import_catalogue(
        db.session,
        current_user,
        code=form.code.data,
        name=form.name.data,
        version=form.version.data or None,
        data=upload.read(2 * 1024 * 1024),
        user_id=current_user.id,
    )
    flash(
        _("Đã nhập: thêm %(a)s, cập nhật %(u)s, bỏ %(r)s.", a=report.added, u=report.updated, r=report.removed),
        "success",
    )
    return redirect(url_for("quality.readiness", catalogue=report.catalogue.id))


def _assessment_form():
    form = forms.AssessmentForm()
    form.catalogue_id.choices = choices((c.id, c.name) for c in db.session.scalars(queries.catalogues_query()))
    form.organisation_id.choices = choices(
        (o.id, o.name) for o in queries.readable_organisations(db.session, current_user)
    )
    return form


@blueprint.route("/assessments", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def assessment_create():
    form = _assessment_form()
    if not form.validate_on_submit():
        refuse_invalid(form)
    catalogue = _get(RequirementCatalogue, form.catalogue_id.data)
    percent = catalogue_readiness(db.session, catalogue, form.assessed_on.data).percent
    services.record_criteria_assessment(
        db.session,
        current_user,
        catalogue=catalogue,
        organisation_id=form.organisation_id.data,
        assessed_on=form.assessed_on.data,
        outcome=form.outcome.data,
        readiness_percent=percent,
        notes=form.notes.data,
    )
    flash(_("Đã ghi nhận đánh giá."), "success")
    return redirect(url_for("quality.catalogue_list"))
