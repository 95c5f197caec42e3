"""Pages of nonconformities, complaints and corrective actions: raising, the system sweep, planning, completing
and reviewing effectiveness."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.dates import lab_today
from lims.core.forms import choices, refuse_invalid
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.quality import forms, queries, services
from lims.quality.automation import sweep_system_nonconformities
from lims.quality.models import (
    CorrectiveAction,
)
from lims.quality.views._common import _get, _staff_choices
from lims.quality.views.blueprint import blueprint


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
