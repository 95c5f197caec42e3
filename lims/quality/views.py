"""Pages of the quality system: readiness, evidence, documents, people, PT, nonconformities, audits, the pack."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.dates import lab_today
from lims.core.errors import NotFound, RuleViolation
from lims.core.exports import download
from lims.core.files import accept_pdf_upload, read_bytes
from lims.core.forms import choices, refuse_invalid
from lims.core.navigation import register_home_panel, register_nav
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.jobs import queries as job_queries
from lims.quality import catalogue as catalogues
from lims.quality import forms, queries, reports, services
from lims.quality.automation import sweep_system_nonconformities
from lims.quality.evidence import FRESHNESS_SETTINGS, catalogue_readiness, freshness_limits
from lims.quality.models import (
    ControlledDocument,
    CorrectiveAction,
    DocumentVersion,
    EvidenceLink,
    InternalAudit,
    ProficiencyRound,
    Requirement,
    RequirementCatalogue,
    Risk,
    TrainingEvent,
)

blueprint = Blueprint("quality", __name__, url_prefix="/quality")


def _get(model, ident: int):
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound(_("Không có hồ sơ này"))
    return row


def _staff_choices(form_field, blank: bool = False) -> None:
    pairs = [(u.id, u.full_name) for u in queries.lab_staff(db.session)]
    form_field.choices = choices(([(0, "—")] if blank else []) + pairs)


# Readiness ------------------------------------------------------------------------------------------------------
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


# Documents ------------------------------------------------------------------------------------------------------
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


# People ---------------------------------------------------------------------------------------------------------
@blueprint.route("/competence")
@read_view(Capability.READ_QUALITY)
def competence():
    form = forms.CompetenceForm()
    _staff_choices(form.user_id)
    return render_template(
        "quality/competence.html",
        records=db.session.scalars(queries.competence_query()).all(),
        authorisations=job_queries.authorisations(db.session),
        form=form,
    )


@blueprint.route("/competence", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def competence_create():
    form = forms.CompetenceForm()
    _staff_choices(form.user_id)
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.add_competence_record(
        db.session,
        current_user,
        user_id=form.user_id.data,
        kind=form.kind.data,
        title=form.title.data,
        institution=form.institution.data,
        started_on=form.started_on.data,
        ended_on=form.ended_on.data,
    )
    return redirect(url_for("quality.competence"))


@blueprint.route("/training")
@read_view(Capability.READ_QUALITY)
def training():
    year = request.args.get("year", type=int) or lab_today().year
    return render_template(
        "quality/training.html",
        events=db.session.scalars(queries.training_query()).all(),
        form=forms.TrainingEventForm(),
        year=year,
        trained_in_year=services.people_trained(db.session, date(year, 1, 1), date(year, 12, 31)),
    )


@blueprint.route("/training", methods=["POST"])
@write_view(Capability.RECORD_QUALITY)
def training_create():
    form = forms.TrainingEventForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    event = services.create_training_event(
        db.session,
        current_user,
        title=form.title.data,
        held_on=form.held_on.data,
        ended_on=form.ended_on.data,
        place=form.place.data,
        organiser=form.organiser.data,
        hours=form.hours.data,
    )
    return redirect(url_for("quality.training_event", event_id=event.id))


def _attendee_form():
    form = forms.AttendeeForm()
    _staff_choices(form.user_id, blank=True)
    return form


@blueprint.route("/training/<int:event_id>")
@read_view(Capability.READ_QUALITY)
def training_event(event_id: int):
    event = _get(TrainingEvent, event_id)
    return render_template(
        "quality/training_event.html",
        event=event,
        attendances=queries.attendances_of(db.session, current_user, event),
        form=_attendee_form(),
    )


@blueprint.route("/training/<int:event_id>/attendees", methods=["POST"])
@write_view(Capability.RECORD_QUALITY)
def training_attendee(event_id: int):
    event = _get(TrainingEvent, event_id)
    form = _attendee_form()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.add_attendee(
        db.session,
        current_user,
        event,
        full_name=form.full_name.data or "",
        organisation_name=form.organisation_name.data,
        category=form.category.data,
        user_id=form.user_id.data or None,
        id_number=form.id_number.data,
        email=form.email.data,
    )
    return redirect(url_for("quality.training_event", event_id=event.id))


# Proficiency testing --------------------------------------------------------------------------------------------
@blueprint.route("/proficiency")
@read_view(Capability.READ_QUALITY)
def proficiency():
    return render_template(
        "quality/proficiency.html", rounds=db.session.scalars(queries.rounds_query()).all(), form=forms.RoundForm()
    )


@blueprint.route("/proficiency", methods=["POST"])
@write_view(Capability.RECORD_QUALITY)
def proficiency_create():
    form = forms.RoundForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    round_ = services.create_proficiency_round(
        db.session,
        current_user,
        code=form.code.data,
        kind=form.kind.data,
        provider=form.provider.data,
        title=form.title.data,
        field=form.field.data,
        held_on=form.held_on.data,
    )
    return redirect(url_for("quality.proficiency_round", round_id=round_.id))


@blueprint.route("/proficiency/<int:round_id>")
@read_view(Capability.READ_QUALITY)
def proficiency_round(round_id: int):
    return render_template(
        "quality/proficiency_round.html", round=_get(ProficiencyRound, round_id), form=forms.ResultForm()
    )


@blueprint.route("/proficiency/<int:round_id>/results", methods=["POST"])
@write_view(Capability.RECORD_QUALITY)
def proficiency_result(round_id: int):
    round_ = _get(ProficiencyRound, round_id)
    form = forms.ResultForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    result = services.record_proficiency_result(
        db.session,
        current_user,
        round_,
        item=form.item.data,
        unit=form.unit.data,
        lab_value=form.lab_value.data,
        lab_uncertainty=form.lab_uncertainty.data,
        reference_value=form.reference_value.data,
        reference_uncertainty=form.reference_uncertainty.data,
    )
    if not result.satisfactory:
        flash(_("En = %(en).2f: không đạt; đã mở hồ sơ không phù hợp.", en=result.en), "warning")
    return redirect(url_for("quality.proficiency_round", round_id=round_.id))


# Nonconformities ------------------------------------------------------------------------------------------------
def _nc_form():
    form = forms.NonconformityForm()
    form.organisation_id.choices = choices(
        [(0, "—")] + [(o.id, o.name) for o in queries.readable_organisations(db.session, current_user)]
    )
    return form


@blueprint.route("/nonconformities")
@read_view(Capability.READ_QUALITY)
def nonconformities():
    status = request.args.get("status") or None
    page = db.paginate(queries.nonconformities_query(current_user, status), per_page=30, error_out=False)
    form = _nc_form()
    form.raised_on.data = lab_today()
    return render_template("quality/nonconformities.html", page=page, form=form, status=status)


@blueprint.route("/nonconformities", methods=["POST"])
@write_view(Capability.RECORD_QUALITY)
def nonconformity_create():
    form = _nc_form()
    if not form.validate_on_submit():
        refuse_invalid(form)
    nonconformity = services.raise_nonconformity(
        db.session,
        current_user,
        kind=form.kind.data,
        title=form.title.data,
        description=form.description.data,
        raised_on=form.raised_on.data,
        clause=form.clause.data,
        organisation_id=form.organisation_id.data or None,
        source="complaint" if form.kind.data == "complaint" else "manual",
    )
    return redirect(url_for("quality.nonconformity", nonconformity_id=nonconformity.id))


@blueprint.route("/nonconformities/sweep", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def nonconformity_sweep():
    opened = sweep_system_nonconformities(db.session, current_user)
    flash(_("Đã mở %(n)s hồ sơ từ dữ liệu hệ thống.", n=len(opened)), "info")
    return redirect(url_for("quality.nonconformities"))


@blueprint.route("/nonconformities/<int:nonconformity_id>")
@read_view(Capability.READ_QUALITY)
def nonconformity(nonconformity_id: int):
    item = queries.get_nonconformity(db.session, current_user, nonconformity_id)
    plan_form = forms.ActionPlanForm()
    _staff_choices(plan_form.owner_id)
    today = lab_today()
    return render_template(
        "quality/nonconformity.html",
        item=item,
        plan_form=plan_form,
        done_form=forms.ActionDoneForm(data={"done_on": today}),
        review_form=forms.EffectivenessForm(data={"reviewed_on": today}),
    )


@blueprint.route("/nonconformities/<int:nonconformity_id>/plan", methods=["POST"])
@write_view(Capability.RECORD_QUALITY)
def nonconformity_plan(nonconformity_id: int):
    item = queries.get_nonconformity(db.session, current_user, nonconformity_id)
    form = forms.ActionPlanForm()
    _staff_choices(form.owner_id)
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.plan_corrective_action(
        db.session,
        current_user,
        item,
        root_cause=form.root_cause.data,
        owner_id=form.owner_id.data,
        due_on=form.due_on.data,
        actions=(form.actions.data or "").splitlines(),
    )
    return redirect(url_for("quality.nonconformity", nonconformity_id=item.id))


@blueprint.route("/actions/<int:action_id>/done", methods=["POST"])
@write_view(Capability.RECORD_QUALITY)
def action_done(action_id: int):
    action = _get(CorrectiveAction, action_id)
    form = forms.ActionDoneForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.complete_action(db.session, current_user, action, form.done_on.data, form.note.data)
    return redirect(url_for("quality.nonconformity", nonconformity_id=action.nonconformity_id))


@blueprint.route("/nonconformities/<int:nonconformity_id>/review", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def nonconformity_review(nonconformity_id: int):
    item = queries.get_nonconformity(db.session, current_user, nonconformity_id)
    form = forms.EffectivenessForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.review_effectiveness(
        db.session,
        current_user,
        item,
        effective=form.effective.data,
        review=form.review.data,
        reviewed_on=form.reviewed_on.data,
    )
    if form.effective.data:
        flash(_("Đã đánh giá hiệu lực và đóng sự không phù hợp."), "success")
    else:
        flash(_("Đã ghi đánh giá; sự không phù hợp được mở lại để thêm hành động khắc phục."), "warning")
    return redirect(url_for("quality.nonconformity", nonconformity_id=item.id))


# Internal audits, reviews, risks, chain checks ------------------------------------------------------------------
@blueprint.route("/audits")
@read_view(Capability.READ_QUALITY)
def audits():
    return render_template(
        "quality/audits.html", audits=db.session.scalars(queries.audits_query()).all(), form=forms.AuditForm()
    )


@blueprint.route("/audits", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def audit_create():
    form = forms.AuditForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    audit = services.plan_internal_audit(
        db.session,
        current_user,
        title=form.title.data,
        scope=form.scope.data,
        auditors=form.auditors.data,
        planned_on=form.planned_on.data,
    )
    return redirect(url_for("quality.audit", audit_id=audit.id))


@blueprint.route("/audits/<int:audit_id>")
@read_view(Capability.READ_QUALITY)
def audit(audit_id: int):
    return render_template(
        "quality/audit.html",
        audit=_get(InternalAudit, audit_id),
        held_form=forms.AuditHeldForm(),
        finding_form=forms.FindingForm(),
    )


@blueprint.route("/audits/<int:audit_id>/held", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def audit_held(audit_id: int):
    audit_ = _get(InternalAudit, audit_id)
    form = forms.AuditHeldForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.record_audit_held(db.session, current_user, audit_, held_on=form.held_on.data, summary=form.summary.data)
    return redirect(url_for("quality.audit", audit_id=audit_.id))


@blueprint.route("/audits/<int:audit_id>/findings", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def audit_finding(audit_id: int):
    audit_ = _get(InternalAudit, audit_id)
    form = forms.FindingForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.add_audit_finding(
        db.session,
        current_user,
        audit_,
        clause=form.clause.data,
        kind=form.kind.data,
        description=form.description.data,
    )
    return redirect(url_for("quality.audit", audit_id=audit_.id))


@blueprint.route("/reviews")
@read_view(Capability.READ_QUALITY)
def reviews():
    return render_template(
        "quality/reviews.html", reviews=db.session.scalars(queries.reviews_query()).all(), form=forms.ReviewForm()
    )


@blueprint.route("/reviews", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def review_create():
    form = forms.ReviewForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.record_management_review(
        db.session,
        current_user,
        held_on=form.held_on.data,
        chaired_by=form.chaired_by.data,
        attendees=form.attendees.data,
        inputs=form.inputs.data,
        decisions=form.decisions.data,
        next_review_on=form.next_review_on.data,
    )
    return redirect(url_for("quality.reviews"))


@blueprint.route("/risks")
@read_view(Capability.READ_QUALITY)
def risks():
    status = request.args.get("status")
    status = status if status in queries.RISK_FILTERS else None
    return render_template(
        "quality/risks.html",
        risks=db.session.scalars(queries.risks_query(status)).all(),
        status=status,
        form=forms.RiskForm(),
        today=lab_today(),
    )


@blueprint.route("/risks", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def risk_create():
    form = forms.RiskForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.record_risk(
        db.session,
        current_user,
        kind=form.kind.data,
        title=form.title.data,
        clause=form.clause.data,
        likelihood=form.likelihood.data,
        impact=form.impact.data,
        treatment=form.treatment.data,
        owner_id=current_user.id,
        review_on=form.review_on.data,
    )
    return redirect(url_for("quality.risks"))


def _risk_edit_form(risk: Risk | None = None) -> forms.RiskEditForm:
    form = forms.RiskEditForm(obj=risk)
    _staff_choices(form.owner_id, blank=True)
    return form


# Three forms on one page share field names (likelihood, reason): prefixes keep their ids and inputs apart.
REVIEW_PREFIX, CLOSE_PREFIX = "review", "close"


@blueprint.route("/risks/<int:risk_id>")
@read_view(Capability.READ_QUALITY)
def risk(risk_id: int):
    item = _get(Risk, risk_id)
    today = lab_today()
    return render_template(
        "quality/risk.html",
        risk=item,
        edit_form=_risk_edit_form(item),
        review_form=forms.RiskReviewForm(
            prefix=REVIEW_PREFIX, data={"reviewed_on": today, "likelihood": item.likelihood, "impact": item.impact}
        ),
        close_form=forms.RiskCloseForm(prefix=CLOSE_PREFIX, data={"closed_on": today}),
        today=today,
    )


@blueprint.route("/risks/<int:risk_id>/edit", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def risk_edit(risk_id: int):
    item = _get(Risk, risk_id)
    form = _risk_edit_form()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.update_risk(
        db.session,
        current_user,
        item,
        likelihood=form.likelihood.data,
        impact=form.impact.data,
        treatment=form.treatment.data,
        owner_id=form.owner_id.data or None,
        review_on=form.review_on.data,
        reason=form.reason.data,
    )
    flash(_("Đã cập nhật đánh giá rủi ro."), "success")
    return redirect(url_for("quality.risk", risk_id=item.id))


@blueprint.route("/risks/<int:risk_id>/review", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def risk_review(risk_id: int):
    item = _get(Risk, risk_id)
    form = forms.RiskReviewForm(prefix=REVIEW_PREFIX)
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.review_risk(
        db.session,
        current_user,
        item,
        reviewed_on=form.reviewed_on.data,
        likelihood=form.likelihood.data,
        impact=form.impact.data,
        note=form.note.data,
        next_review_on=form.next_review_on.data,
    )
    flash(_("Đã ghi nhận lần xem xét."), "success")
    return redirect(url_for("quality.risk", risk_id=item.id))


@blueprint.route("/risks/<int:risk_id>/close", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def risk_close(risk_id: int):
    item = _get(Risk, risk_id)
    form = forms.RiskCloseForm(prefix=CLOSE_PREFIX)
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.close_risk(
        db.session,
        current_user,
        item,
        closed_on=form.closed_on.data,
        reason=form.reason.data,
        effectiveness=form.effectiveness.data,
        effective=form.effective.data,
    )
    flash(_("Đã đóng rủi ro; rủi ro vẫn được lưu trong danh sách."), "success")
    return redirect(url_for("quality.risk", risk_id=item.id))


@blueprint.route("/chain-checks")
@read_view(Capability.READ_QUALITY)
def chain_checks():
    return render_template(
        "quality/chain_checks.html", checks=db.session.scalars(queries.chain_checks_query().limit(50)).all()
    )


@blueprint.route("/chain-checks", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def chain_check_create():
    check = services.record_chain_check(db.session, current_user)
    flash(_("Chuỗi nguyên vẹn.") if check.ok else _("Chuỗi bị can thiệp: %(p)s", p=check.problem), "info")
    return redirect(url_for("quality.chain_checks"))


# Lab settings ---------------------------------------------------------------------------------------------------
@blueprint.route("/settings")
@read_view(Capability.READ_QUALITY)
def settings():
    limits = freshness_limits(db.session)
    return render_template(
        "quality/settings.html",
        form=forms.FreshnessForm(data={setting.name: getattr(limits, setting.name) for setting in FRESHNESS_SETTINGS}),
        settings=FRESHNESS_SETTINGS,
        limits=limits,
    )


@blueprint.route("/settings", methods=["POST"])
@write_view(Capability.MANAGE_QUALITY)
def settings_save():
    form = forms.FreshnessForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.set_freshness_limits(
        db.session,
        current_user,
        {setting.name: getattr(form, setting.name).data for setting in FRESHNESS_SETTINGS},
        reason=form.reason.data,
    )
    flash(_("Đã lưu giới hạn thời gian của bằng chứng."), "success")
    return redirect(url_for("quality.settings"))


# The inspector's evidence pack ----------------------------------------------------------------------------------
def _period_args() -> tuple[date, date]:
    today = lab_today()
    try:
        start = date.fromisoformat(request.args.get("start") or f"{today.year}-01-01")
        end = date.fromisoformat(request.args.get("end") or today.isoformat())
    except ValueError:
        abort(400)
    if end < start:
        raise RuleViolation(_("Ngày cuối trước ngày đầu"), field="end")
    return start, end


@blueprint.route("/pack")
@read_view(Capability.EXPORT_EVIDENCE)
def pack():
    start, end = _period_args()
    return render_template(
        "quality/pack.html",
        organisations=queries.readable_organisations(db.session, current_user),
        start=start,
        end=end,
    )


@blueprint.route("/pack/download")
@read_view(Capability.EXPORT_EVIDENCE)
def pack_download():
    start, end = _period_args()
    organisation = queries.get_readable_organisation(
        db.session, current_user, request.args.get("organisation_id", type=int)
    )
    pack_ = reports.build_evidence_pack(db.session, organisation, start, end, lab_today(), current_user.username)
    return download(pack_.data, "application/zip", pack_.file_name)


def _panel(user) -> dict:
    catalogue = db.session.scalar(queries.catalogues_query().limit(1))
    result = catalogue_readiness(db.session, catalogue, lab_today()) if catalogue else None
    open_count = len(db.session.scalars(queries.nonconformities_query(user, "open")).all())
    last_check = db.session.scalar(queries.chain_checks_query().limit(1))
    return {"result": result, "open_count": open_count, "last_check": last_check}


register_nav("quality.readiness", _l("Chất lượng"), (Capability.READ_QUALITY,), order=70)
register_home_panel("quality", "quality/_panel.html", (Capability.READ_QUALITY,), _panel, order=70)
