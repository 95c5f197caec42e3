"""Pages of proficiency testing: PT and comparison rounds and their results."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.forms import refuse_invalid
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.quality import forms, queries, services
from lims.quality.models import (
    ProficiencyRound,
)
from lims.quality.views._common import _get
from lims.quality.views.blueprint import blueprint


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
