"""Requests and contract review, the job board, calendar and worklist, measurement entry, authorisations."""

import calendar as month_calendar
from datetime import date, timedelta

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lims.auth.permissions import LAB_ROLES, Capability, may
from lims.core.dates import is_plausible_day, lab_today
from lims.core.display import page_locale, printed_result
from lims.core.errors import RuleViolation
from lims.core.exports import list_export
from lims.core.forms import choices, show_refusal
from lims.core.lists import fetch_page, parse_filters
from lims.core.navigation import register_home_panel, register_nav
from lims.core.web import read_view, write_view
from lims.core.words import in_language
from lims.customers import services as customer_services
from lims.extensions import db
from lims.jobs import observation_form, queries, reference, services
from lims.jobs.forms import (
    MAX_ITEM_ROWS,
    PLACE_LABELS,
    REQUEST_STATUS_NAMES,
    RULE_LABELS,
    SERVICE_LABELS,
    STAGE_NAMES,
    STATE_NAMES,
    AuthorisationForm,
    JobReviewForm,
    ReasonForm,
    RequestForm,
    RequestItemForm,
    ReviewRequestForm,
    ScheduleForm,
    VerifierCardForm,
)
from lims.jobs.models import JOB_STATES
from lims.procedures.services import available_procedures

blueprint = Blueprint("jobs", __name__, url_prefix="/jobs")


@blueprint.context_processor
def labels():
    return {
        "SERVICE_LABELS": SERVICE_LABELS,
        "PLACE_LABELS": PLACE_LABELS,
        "RULE_LABELS": RULE_LABELS,
        "STATE_NAMES": STATE_NAMES,
        "STAGE_NAMES": STAGE_NAMES,
        "REQUEST_STATUS_NAMES": REQUEST_STATUS_NAMES,
        "PROCEDURES": available_procedures(db.session),
    }


# --- requests ---------------------------------------------------------------------------------------------


@blueprint.route("/requests")
@read_view(Capability.READ_REQUESTS)
def requests():
    filters = parse_filters(queries.RequestFilter, request.args)
    page = fetch_page(db.session, queries.REQUESTS, current_user, filters, cursor=request.args.get("cursor"))
    organisations = queries.organisations_for(db.session, current_user) if current_user.is_lab_staff else []
    return render_template(
        "jobs/requests.html", page=page, filters=filters, statuses=queries.REQUEST_STATUSES, organisations=organisations
    )


@blueprint.route("/requests.csv")
@read_view(Capability.READ_REQUESTS)
def requests_export():
    return list_export(queries.REQUESTS, current_user, "yeu-cau", "csv")


@blueprint.route("/requests.xlsx")
@read_view(Capability.READ_REQUESTS)
def requests_export_xlsx():
    return list_export(queries.REQUESTS, current_user, "yeu-cau", "xlsx")


def _fill_request_choices(form: RequestForm) -> None:
    organisations = queries.organisations_for(db.session, current_user)
    form.organisation_id.choices = choices((o.id, o.name) for o in organisations)


def _picked(instrument) -> dict:
    """Return what the request form's picker shows and needs of an instrument (also its JSON answer)."""
    return {
        "id": instrument.id,
        "label": f"{instrument.instrument_type.name_vi} · {instrument.serial} · {instrument.organisation.name}",
        "code": instrument.label_code,
        "organisation_id": instrument.organisation_id,
        "procedures": [cls.key for cls in services.applicable_procedures(instrument.instrument_type)],
        "service": services.usual_service(instrument),
    }


def _render_request_form(form: RequestForm, status: int = 200):
    # Only the instruments already on the form are loaded: the picker finds the others as the receiver types.
    ids = {entry.instrument_id.data for entry in form.items if entry.instrument_id.data}
    picked = {}
    for instrument_id in ids:
        try:
            picked[instrument_id] = _picked(customer_services.get_instrument(db.session, current_user, instrument_id))
        except RuleViolation:
            continue  # not visible to this person: the service refuses the row by name
    procedure_choices = [
        (cls.key, in_language(cls.title_vi, cls.title_en), cls.kind)
        for cls in available_procedures(db.session).values()
    ]
    service_choices = [
        (
            choice.value,
            choice.label,
            "verification" if choice.value in services.VERIFICATION_SERVICES else "calibration",
        )
        for choice in RequestItemForm.service_choices()
        if choice.value
    ]
    page = render_template(
        "jobs/request_form.html",
        form=form,
        picked=picked,
        procedure_choices=procedure_choices,
        service_choices=service_choices,
        max_rows=MAX_ITEM_ROWS,
    )
    return page, status


@blueprint.route("/requests/instruments")
@read_view(Capability.SUBMIT_REQUESTS)
def request_instruments():
    """Answer the request form's instrument picker: at most 20 instruments matching what was typed."""
    found = queries.pickable_instruments(
        db.session, current_user, request.args.get("q"), organisation_id=_int_arg("organisation_id")
    )
    return jsonify({"instruments": [_picked(instrument) for instrument in found]})


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@blueprint.route("/requests/new", methods=["GET"])
@read_view(Capability.SUBMIT_REQUESTS)
def request_new():
    """Start a request, for an instrument ("Tiếp nhận" on its page) or an enterprise when one is named."""
    form = RequestForm()
    _fill_request_choices(form)
    instrument_id, organisation_id = _int_arg("instrument_id"), _int_arg("organisation_id")
    if instrument_id:
        instrument = customer_services.get_instrument(db.session, current_user, instrument_id)
        row = form.items[0]
        form.organisation_id.data = instrument.organisation_id
        row.instrument_id.data = instrument.id
        row.service.data = services.usual_service(instrument)
        row.procedure_key.data = services.usual_procedure(instrument, row.service.data)
    elif organisation_id:
        form.organisation_id.data = customer_services.get_organisation(db.session, current_user, organisation_id).id
    return _render_request_form(form)


@blueprint.route("/requests/new", methods=["POST"])
@write_view(Capability.SUBMIT_REQUESTS)
def request_create():
    form = RequestForm()
    _fill_request_choices(form)
    if not form.validate_on_submit():
        return _render_request_form(form, 400)
    # Every row goes to the service (which skips the empty ones), so a refusal's items[n] is the form's row n
    # (a browser posts every row; WTForms numbers the rows it was given from 0).
    items = [
        services.RequestItem(entry.instrument_id.data or 0, entry.service.data or "", entry.procedure_key.data or "")
        for entry in form.items
    ]
    try:
        created = services.create_request(
            db.session,
            current_user,
            organisation_id=form.organisation_id.data,
            items=items,
            place=form.place.data,
            site_address=form.site_address.data,
            wants_conformity_statement=form.wants_conformity_statement.data,
            decision_rule=form.decision_rule.data,
            agreed_on=form.agreed_on.data,
            contact_name=form.contact_name.data,
            notes=form.notes.data,
        )
    except RuleViolation as exc:
        show_refusal(form, exc)
        return _render_request_form(form, exc.status)
    flash(_("Đã ghi yêu cầu %(number)s.", number=created.number), "success")
    return redirect(url_for("jobs.request_detail", request_id=created.id))


def _fill_technicians(form) -> None:
    form.technician_id.choices = choices(
        [(0, "—")] + [(person.id, person.full_name) for person in queries.technicians(db.session)]
    )


def _render_request_detail(service_request, form, status: int = 200):
    inapplicable = {
        item.id
        for item in service_request.items
        if not services.procedure_applies(item.instrument.instrument_type, item.procedure_key)
    }
    methods = {
        item.id: services.allowed_methods(item.instrument.instrument_type, item.procedure_key)
        for item in service_request.items
    }
    page = render_template(
        "jobs/request_detail.html", req=service_request, form=form, inapplicable=inapplicable, methods=methods
    )
    return page, status


@blueprint.route("/requests/<int:request_id>")
@read_view(Capability.READ_REQUESTS)
def request_detail(request_id: int):
    service_request = queries.load_request(db.session, current_user, request_id)
    form = ReviewRequestForm(
        day=lab_today(),
        wants_conformity_statement=service_request.wants_conformity_statement,
        conformity_specification=service_request.conformity_specification,
    )
    _fill_technicians(form)
    return _render_request_detail(service_request, form)


@blueprint.route("/requests/<int:request_id>/accept", methods=["POST"])
@write_view(Capability.REVIEW_CONTRACTS)
def request_accept(request_id: int):
    service_request = queries.load_request(db.session, current_user, request_id)
    form = ReviewRequestForm()
    _fill_technicians(form)
    if not form.validate_on_submit():
        return _render_request_detail(service_request, form, 400)
    technician = queries.load_user(db.session, form.technician_id.data) if form.technician_id.data else None
    # The method chosen per line at contract review: a select named method-<item id> (empty: none chosen).
    methods = {
        item.id: int(request.form[f"method-{item.id}"])
        for item in service_request.items
        if request.form.get(f"method-{item.id}", "").isdigit()
    }
    jobs = services.accept_request(
        db.session,
        current_user,
        service_request,
        notes=form.notes.data,
        agreed_on=form.agreed_on.data,
        technician=technician,
        day=form.day.data,
        methods=methods,
        wants_conformity_statement=form.wants_conformity_statement.data,
        conformity_specification=form.conformity_specification.data,
    )
    if technician is not None:
        flash(
            _(
                "Đã chấp nhận yêu cầu; đã giao %(count)s công việc cho %(name)s.",
                count=len(jobs),
                name=technician.full_name,
            ),
            "success",
        )
    else:
        flash(_("Đã chấp nhận yêu cầu; đã mở %(count)s công việc.", count=len(jobs)), "success")
    return redirect(url_for("jobs.request_detail", request_id=request_id))


@blueprint.route("/requests/<int:request_id>/decline", methods=["POST"])
@write_view(Capability.REVIEW_CONTRACTS)
def request_decline(request_id: int):
    service_request = queries.load_request(db.session, current_user, request_id)
    form = ReviewRequestForm()
    form.validate_on_submit()
    services.decline_request(db.session, current_user, service_request, notes=form.notes.data)
    flash(_("Đã từ chối yêu cầu."), "info")
    return redirect(url_for("jobs.request_detail", request_id=request_id))


# --- jobs -------------------------------------------------------------------------------------------------


@blueprint.route("/")
@read_view(Capability.READ_JOBS)
def board():
    return render_template("jobs/board.html", board=queries.board(db.session, current_user))


@blueprint.route("/list")
@read_view(Capability.READ_JOBS)
def jobs_list():
    filters = parse_filters(queries.JobFilter, request.args)
    page = fetch_page(db.session, queries.JOBS, current_user, filters, cursor=request.args.get("cursor"))
    return render_template(
        "jobs/jobs.html", page=page, filters=filters, states=JOB_STATES, technicians=queries.technicians(db.session)
    )


@blueprint.route("/list.csv")
@read_view(Capability.READ_JOBS)
def jobs_export():
    return list_export(queries.JOBS, current_user, "cong-viec", "csv")


@blueprint.route("/list.xlsx")
@read_view(Capability.READ_JOBS)
def jobs_export_xlsx():
    return list_export(queries.JOBS, current_user, "cong-viec", "xlsx")


@blueprint.route("/<int:job_id>")
@read_view(Capability.READ_JOBS)
def job_detail(job_id: int):
    job = queries.load_job(db.session, current_user, job_id)
    schedule = ScheduleForm(technician_id=job.technician_id or 0, day=job.scheduled_on or lab_today())
    schedule.technician_id.choices = choices((u.id, u.full_name) for u in queries.technicians(db.session))
    return render_template(
        "jobs/job_detail.html",
        job=job,
        schedule_form=schedule,
        reason_form=ReasonForm(),
        review_form=JobReviewForm(),
        measured_by_me=services.measured_by(current_user, job),
        current=services.current_records(job),
        transitions=services.TRANSITIONS,
    )


def _job_action(job_id: int, action, message: str):
    job = queries.load_job(db.session, current_user, job_id)
    action(job)
    flash(message, "success")
    return redirect(url_for("jobs.job_detail", job_id=job_id))


@blueprint.route("/<int:job_id>/schedule", methods=["POST"])
@write_view(Capability.PLAN_JOBS)
def job_schedule(job_id: int):
    form = ScheduleForm()
    if not form.validate_on_submit():
        raise RuleViolation(_("Cần chọn kỹ thuật viên và ngày"), field="day")
    technician = queries.load_user(db.session, form.technician_id.data)
    return _job_action(
        job_id,
        lambda job: services.schedule_job(db.session, current_user, job, technician=technician, day=form.day.data),
        _("Đã lên lịch."),
    )


@blueprint.route("/<int:job_id>/start", methods=["POST"])
@write_view(Capability.MEASURE)
def job_start(job_id: int):
    """Begin measuring and open the record form: starting is for entering what is measured."""
    job = queries.load_job(db.session, current_user, job_id)
    services.start_job(db.session, current_user, job)
    flash(_("Bắt đầu đo."), "success")
    return redirect(url_for("jobs.record_form", job_id=job_id, stage="as_found"))


@blueprint.route("/<int:job_id>/finish", methods=["POST"])
@write_view(Capability.MEASURE)
def job_finish(job_id: int):
    return _job_action(
        job_id, lambda job: services.finish_measurement(db.session, current_user, job), _("Đã hoàn thành phép đo.")
    )


@blueprint.route("/<int:job_id>/reopen", methods=["POST"])
@write_view(Capability.HANDLE_JOBS)
def job_reopen(job_id: int):
    reason = ReasonForm().reason.data
    return _job_action(
        job_id, lambda job: services.reopen_measurement(db.session, current_user, job, reason), _("Đã trả lại để đo.")
    )


@blueprint.route("/<int:job_id>/review", methods=["POST"])
@write_view(Capability.REVIEW_RECORDS)
def job_review(job_id: int):
    notes = JobReviewForm().notes.data
    return _job_action(
        job_id, lambda job: services.review_job(db.session, current_user, job, notes=notes), _("Đã soát xét.")
    )


@blueprint.route("/<int:job_id>/hold", methods=["POST"])
@write_view(Capability.HANDLE_JOBS)
def job_hold(job_id: int):
    reason = ReasonForm().reason.data
    return _job_action(
        job_id, lambda job: services.hold_job(db.session, current_user, job, reason), _("Đã tạm dừng công việc.")
    )


@blueprint.route("/<int:job_id>/resume", methods=["POST"])
@write_view(Capability.HANDLE_JOBS)
def job_resume(job_id: int):
    return _job_action(job_id, lambda job: services.resume_job(db.session, current_user, job), _("Đã tiếp tục."))


@blueprint.route("/<int:job_id>/cancel", methods=["POST"])
@write_view(Capability.PLAN_JOBS)
def job_cancel(job_id: int):
    reason = ReasonForm().reason.data
    return _job_action(
        job_id, lambda job: services.cancel_job(db.session, current_user, job, reason), _("Đã hủy công việc.")
    )


# --- measurement records ----------------------------------------------------------------------------------


def _stage() -> str:
    stage = request.values.get("stage", "as_found")
    if stage not in services.STAGES:
        raise RuleViolation(_("Giai đoạn không hợp lệ"), field="stage")
    return stage


def _reference_note(prefill) -> str:
    """Say where the reference values come from, or why they could not be filled, in the reader's language."""
    if prefill is None:
        return ""
    parts = []
    source = prefill.source
    if prefill.values and source:
        parts.append(
            _(
                "Giá trị chuẩn lấy từ giấy chứng nhận %(certificate)s (%(lab)s, ngày %(day)s) của chuẩn %(code)s, "
                "quả cân %(item)s.",
                certificate=source["certificate_number"],
                lab=source["calibrating_lab"],
                day=source["calibrated_on"],
                code=source["code"],
                item=f"{source['item']}{' ' + source['marking'] if source['marking'] else ''}",
            )
        )
        if prefill.others:
            parts.append(
                _(
                    "Bộ chuẩn còn quả cân cùng danh định: %(others)s; đã dùng quả không có ký hiệu, kiểm tra lại nếu "
                    "dùng quả khác.",
                    others=", ".join(prefill.others),
                )
            )
        if prefill.missing:
            parts.append(_("Sổ chuẩn chưa có khối lượng riêng của quả cân chuẩn: cần nhập tay."))
    elif prefill.problem == "no_nominal":
        parts.append(_("Chưa có giá trị danh định của quả cân cần hiệu chuẩn: chưa điền được giá trị chuẩn."))
    elif prefill.problem == "several_nominals":
        parts.append(
            _("Các quả cân cần hiệu chuẩn có giá trị danh định khác nhau: giá trị chuẩn cần nhập tay từng lần cân.")
        )
    elif prefill.problem == "no_standard":
        parts.append(_("Chọn chuẩn đã dùng để điền giá trị chuẩn từ giấy chứng nhận."))
    elif prefill.problem == "no_item":
        parts.append(
            _(
                "Chuẩn đã chọn không có quả cân danh định %(nominal)s trên giấy chứng nhận còn hiệu lực ngày đo: "
                "giá trị chuẩn cần nhập tay.",
                nominal=prefill.nominal,
            )
        )
    elif prefill.problem == "quantity" and source:
        parts.append(
            _(
                "Giấy chứng nhận %(certificate)s không ghi số hiệu chính cho quả cân %(item)s: giá trị chuẩn cần "
                "nhập tay.",
                certificate=source["certificate_number"],
                item=source["item"],
            )
        )
    return " ".join(str(part) for part in parts)


def _field_label(schema: dict, name: str | None) -> str:
    """Name an input of the record form by its labels in the page's language ("Độ lệch tâm › dòng 4 › Số chỉ I")."""
    if not name:
        return ""
    english = str(get_locale()) == "en"
    if name.startswith(f"{observation_form.CONDITIONS}."):
        for limit in schema["environment"]:
            if name == f"{observation_form.CONDITIONS}.{limit['name']}":
                return limit["label_en"] if english else limit["label_vi"]
        return ""
    words = []
    for part in observation_form.label_parts(schema["fields"], name):
        if isinstance(part, int):
            words.append(_("dòng %(number)s", number=part))
        else:
            words.append(part["label_en"] if english else part["label_vi"])
    return " › ".join(words)


def _render_record_form(
    job, stage, observations, conditions, standard_ids, measured_on, reason="", status=200, fill=False, refusal=None
):
    schema = services.procedure_for(job).schema().as_dict()
    prefill = services.reference_prefill(
        db.session, job, standard_ids, measured_on, reference.nominals_under_test(observations)
    )
    if fill and prefill is not None:
        observations = prefill.apply(observations)
    widgets = observation_form.build(schema["fields"], observations)
    environment = observation_form.environment_widgets(schema["environment"], conditions)
    if prefill is not None:
        observation_form.attach_note(widgets, f"{observation_form.OBSERVATIONS}.reference", _reference_note(prefill))
    errors = {}
    if refusal is not None:
        name = observation_form.input_name(refusal.field) or ""
        if not observation_form.attach_error(widgets + environment, name, refusal.message):
            errors[name] = refusal.message
    standards = queries.standards_to_choose(db.session)
    problems = {standard.id: services.standard_problem(standard, measured_on) for standard in standards}
    return (
        render_template(
            "jobs/record_form.html",
            job=job,
            stage=stage,
            widgets=widgets,
            environment=environment,
            standards=standards,
            problems=problems,
            chosen={standard_id for standard_id in standard_ids if not problems.get(standard_id)},
            measured_on=measured_on,
            change_reason=reason,
            previous=services.current_records(job).get(stage),
            prefilled=bool(fill and prefill and prefill.values),
            refusal=refusal,
            refused_at=_field_label(schema, observation_form.input_name(refusal.field)) if refusal else "",
            errors=errors,
        ),
        status,
    )


@blueprint.route("/<int:job_id>/record", methods=["GET"])
@read_view(Capability.MEASURE)
def record_form(job_id: int):
    job = queries.load_job(db.session, current_user, job_id)
    stage = _stage()
    previous = services.current_records(job).get(stage)
    if previous is not None:
        observations, conditions = previous.observations, previous.conditions
        standard_ids = [entry["standard_id"] for entry in previous.standards_snapshot]
    else:
        observations, conditions = services.initial_observations(job), {}
        standard_ids = [row.standard_id for row in job.standards_used]
    return _render_record_form(job, stage, observations, conditions, standard_ids, lab_today(), fill=previous is None)


@blueprint.route("/<int:job_id>/reference")
@read_view(Capability.MEASURE)
def record_reference(job_id: int):
    """The reference values the chosen standards' certificates give, for the form to fill when a standard is picked."""
    job = queries.load_job(db.session, current_user, job_id)
    standard_ids = [int(value) for value in request.args.getlist("standards") if value.isdigit()]
    try:
        day = date.fromisoformat(request.args.get("measured_on", ""))
    except ValueError:
        day = lab_today()
    nominals = [value for value in request.args.getlist("nominal") if value.strip()]
    prefill = services.reference_prefill(db.session, job, standard_ids, day, nominals)
    return jsonify(
        {
            "values": prefill.values if prefill else {},
            "source": prefill.source if prefill else None,
            "note": _reference_note(prefill),
        }
    )


def _typed(job, raw: bool = False):
    schema = services.procedure_for(job).schema().as_dict()
    observations = observation_form.read(schema["fields"], request.form, raw=raw)
    conditions = observation_form.read_conditions(schema["environment"], request.form, raw=raw)
    return observations, conditions


def _as_typed(job):
    """Return what was typed, read as the procedure's values, or as the text typed when it cannot be read so."""
    try:
        return _typed(job)
    except RuleViolation:
        return _typed(job, raw=True)


def _measured_on() -> date | None:
    text = request.form.get("measured_on", "").strip()
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        raise RuleViolation(_("Ngày đo không hợp lệ"), field="measured_on") from None
    if day is not None and not is_plausible_day(day):
        raise RuleViolation(_("Ngày phải nằm trong khoảng 1900–2100."), field="measured_on")
    return day


@blueprint.route("/<int:job_id>/record", methods=["POST"])
@write_view(Capability.MEASURE)
def record_save(job_id: int):
    job = queries.load_job(db.session, current_user, job_id)
    stage = _stage()
    standard_ids = [int(value) for value in request.form.getlist("standards") if value.isdigit()]
    measured_on = None
    reason = request.form.get("change_reason", "")
    try:
        measured_on = _measured_on()
        observations, conditions = _typed(job)
        record = services.record_measurement(
            db.session,
            current_user,
            job,
            stage=stage,
            observations=observations,
            conditions=conditions,
            standard_ids=standard_ids,
            measured_on=measured_on,
            change_reason=reason,
        )
    except RuleViolation as exc:
        # Nothing is saved (write_view rolls back on the error status); the form comes back as typed, with the
        # refusal at the field it names.
        db.session.rollback()
        observations, conditions = _as_typed(job)
        day = measured_on or lab_today()
        return _render_record_form(
            job, stage, observations, conditions, standard_ids, day, reason, exc.status, refusal=exc
        )
    if request.form.get("then") == "finish":  # "Lưu và hoàn thành": the measurement ends with this record
        services.finish_measurement(db.session, current_user, job)
        flash(_("Đã lưu biên bản (lần %(revision)s) và hoàn thành phép đo.", revision=record.revision), "success")
        return redirect(url_for("jobs.job_detail", job_id=job.id))
    flash(_("Đã lưu biên bản (lần %(revision)s).", revision=record.revision), "success")
    return redirect(url_for("jobs.record_detail", record_id=record.id))


@blueprint.route("/<int:job_id>/preview", methods=["POST"])
@write_view(Capability.MEASURE)
def record_preview(job_id: int):
    job = queries.load_job(db.session, current_user, job_id)
    schema = services.procedure_for(job).schema().as_dict()
    try:
        observations, conditions = _typed(job)
        missing = observation_form.first_missing(schema["fields"], observations)
        if missing:  # not a refusal: the technician has not typed everything yet
            return jsonify(
                {"complete": False, "field": missing, "label": _field_label(schema, missing), "result": None}
            )
        standard_ids = [int(value) for value in request.form.getlist("standards") if value.isdigit()]
        standards = services.standards_on(db.session, standard_ids, _measured_on() or lab_today())
        preview = services.compute_result(job, _stage(), observations, conditions, standards)
    except RuleViolation as exc:
        name = observation_form.input_name(exc.field)
        body = {"error": exc.message, "field": exc.field, "input": name, "label": _field_label(schema, name)}
        return jsonify(body), exc.status
    finally:
        db.session.rollback()  # a preview saves nothing, whatever the procedure touched
    return jsonify(
        {
            "complete": True,
            "result": preview.result,
            # every number already written by the one formatter, in the page's language
            "printed": printed_result(preview.result, page_locale()),
            "passed": preview.passed,
            "environment_problems": preview.environment_problems,
        }
    )


def result_budgets(value, path: str = "") -> list[dict]:
    """Return every uncertainty budget a result holds, wherever the procedure put it (per weight, per load),
    with its place, its rows and the expanded uncertainty and coverage factor beside it (as the preview shows)."""
    found = []
    if isinstance(value, list):
        for index, item in enumerate(value):
            found += result_budgets(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "budget" and isinstance(item, list):
                found.append(
                    {
                        "path": path,
                        "rows": item,
                        "expanded_uncertainty": value.get("expanded_uncertainty"),
                        "coverage_factor": value.get("coverage_factor"),
                    }
                )
            else:
                found += result_budgets(item, f"{path}.{key}" if path else key)
    return found


@blueprint.route("/records/<int:record_id>")
@read_view(Capability.READ_JOBS)
def record_detail(record_id: int):
    record = queries.load_record(db.session, current_user, record_id)
    return render_template(
        "jobs/record_detail.html",
        record=record,
        history=services.record_history(db.session, record),
        budgets=result_budgets((record.result or {}).get("values")),
    )


# --- calendar and worklist --------------------------------------------------------------------------------


@blueprint.route("/calendar")
@read_view(Capability.READ_JOBS)
def calendar():
    view = request.args.get("view", "week")
    try:
        day = date.fromisoformat(request.args.get("day", "")) if request.args.get("day") else lab_today()
    except ValueError:
        day = lab_today()
    technician_id = request.args.get("technician", type=int)
    if view == "month":
        first = day.replace(day=1)
        last = first.replace(day=month_calendar.monthrange(first.year, first.month)[1])
        previous, following = first - timedelta(days=1), last + timedelta(days=1)
    else:
        view = "week"
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=6)
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    return render_template(
        "jobs/calendar.html",
        view=view,
        first=first,
        last=last,
        previous=previous,
        following=following,
        days=queries.calendar(db.session, current_user, first, last, technician_id),
        technicians=queries.technicians(db.session),
        technician_id=technician_id,
        today=lab_today(),
    )


@blueprint.route("/worklist")
@read_view(Capability.KEEP_WORKLIST)
def worklist():
    today = lab_today()
    return render_template("jobs/worklist.html", jobs=queries.worklist(db.session, current_user, today), today=today)


# --- authorisations ---------------------------------------------------------------------------------------


def _authorisation_forms():
    staff = choices((u.id, f"{u.full_name} ({u.username})") for u in queries.lab_staff(db.session))
    grant, card = AuthorisationForm(prefix="auth"), VerifierCardForm(prefix="card")
    grant.user_id.choices = staff
    grant.procedure_key.choices = choices(
        (cls.key, f"{in_language(cls.title_vi, cls.title_en)} ({cls.key})")
        for cls in available_procedures(db.session).values()
    )
    card.user_id.choices = staff
    return grant, card


def _render_authorisations(grant, card, status=200):
    return (
        render_template(
            "jobs/authorisations.html",
            authorisations=queries.authorisations(db.session),
            cards=queries.verifier_cards(db.session),
            grant=grant,
            card=card,
            today=lab_today(),
            revoke_form=ReasonForm(),
        ),
        status,
    )


@blueprint.route("/authorisations")
@read_view(Capability.MANAGE_AUTHORISATIONS)
def authorisations():
    grant, card = _authorisation_forms()
    return _render_authorisations(grant, card)


@blueprint.route("/authorisations", methods=["POST"])
@write_view(Capability.MANAGE_AUTHORISATIONS)
def authorisation_grant():
    grant, card = _authorisation_forms()
    if not grant.validate_on_submit():
        return _render_authorisations(grant, card, 400)
    services.grant_authorisation(
        db.session,
        current_user,
        user_id=grant.user_id.data,
        procedure_key=grant.procedure_key.data,
        valid_from=grant.valid_from.data,
        valid_until=grant.valid_until.data,
    )
    flash(_("Đã cấp quyền thực hiện quy trình."), "success")
    return redirect(url_for("jobs.authorisations"))


@blueprint.route("/authorisations/<int:authorisation_id>/revoke", methods=["POST"])
@write_view(Capability.MANAGE_AUTHORISATIONS)
def authorisation_revoke(authorisation_id: int):
    authorisation = queries.load_authorisation(db.session, authorisation_id)
    services.revoke_authorisation(db.session, current_user, authorisation, ReasonForm().reason.data)
    flash(_("Đã thu hồi quyền."), "info")
    return redirect(url_for("jobs.authorisations"))


@blueprint.route("/cards", methods=["POST"])
@write_view(Capability.MANAGE_AUTHORISATIONS)
def card_grant():
    grant, card = _authorisation_forms()
    if not card.validate_on_submit():
        return _render_authorisations(grant, card, 400)
    services.grant_verifier_card(
        db.session,
        current_user,
        user_id=card.user_id.data,
        card_number=card.card_number.data,
        field=card.field.data,
        valid_from=card.valid_from.data,
        valid_until=card.valid_until.data,
        issued_by=card.issued_by.data,
    )
    flash(_("Đã ghi thẻ kiểm định viên."), "success")
    return redirect(url_for("jobs.authorisations"))


# --- menu and home panels ---------------------------------------------------------------------------------


def _to_review(user) -> list:
    """Return a few jobs waiting for a second person's review that this person may review (not measured by them)."""
    if not may(user, Capability.REVIEW_RECORDS):
        return []
    waiting = db.session.scalars(queries.jobs_query(user, "measured").limit(20)).all()
    return [job for job in waiting if not services.measured_by(user, job)][:5]


def _worklist_panel(user):
    today = lab_today()
    return {"jobs": queries.worklist(db.session, user, today), "today": today, "to_review": _to_review(user)}


def _board_panel(user):
    return {
        "counts": queries.board_counts(db.session, user),
        "states": queries.BOARD_STATES,
        "names": STATE_NAMES,
        "to_review": _to_review(user),
    }


# Enterprises see their own requests (requests_query scopes the list to their organisation).
register_nav("jobs.requests", _l("Yêu cầu"), (Capability.READ_REQUESTS,), order=30)
register_nav("jobs.board", _l("Công việc"), (Capability.READ_JOBS,), order=31)
register_nav("jobs.calendar", _l("Lịch"), LAB_ROLES, order=32)
register_nav("jobs.worklist", _l("Việc hôm nay"), (Capability.KEEP_WORKLIST,), order=33)
register_nav("jobs.authorisations", _l("Phân quyền đo"), (Capability.MANAGE_AUTHORISATIONS,), order=90)
register_home_panel(
    "jobs-worklist", "jobs/_worklist_panel.html", (Capability.KEEP_WORKLIST,), _worklist_panel, order=10
)
register_home_panel("jobs-board", "jobs/_board_panel.html", ("manager",), _board_panel, order=10)
