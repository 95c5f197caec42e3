"""Pages of the risk register: risks and opportunities, reassessment, periodic reviews, closing."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.dates import lab_today
from lims.core.forms import refuse_invalid
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.quality import forms, queries, services
from lims.quality.models import (
    Risk,
)
from lims.quality.views._common import _get, _staff_choices
from lims.quality.views.blueprint import blueprint


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
