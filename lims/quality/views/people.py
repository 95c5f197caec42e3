"""Pages of people: staff competence records, training events and their attendees."""

from datetime import date

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.dates import lab_today
from lims.core.forms import refuse_invalid
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.jobs import queries as job_queries
from lims.quality import forms, queries, services
from lims.quality.models import (
    TrainingEvent,
)
from lims.quality.views._common import _get, _staff_choices
from lims.quality.views.blueprint import blueprint


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
