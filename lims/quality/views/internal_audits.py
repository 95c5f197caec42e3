"""Pages of internal audits (findings included) and management reviews."""

from flask import redirect, render_template, url_for
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.forms import refuse_invalid
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.quality import forms, queries, services
from lims.quality.models import (
    InternalAudit,
)
from lims.quality.views._common import _get
from lims.quality.views.blueprint import blueprint


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
