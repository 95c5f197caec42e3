"""Enterprises, their instruments, recall and reminders, the instrument catalogue, and the calendar feed."""

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from certificates.qr import qr_svg
from lims.auth.permissions import LAB_ROLES, Capability
from lims.core.dates import lab_today
from lims.core.errors import NotFound, RuleViolation
from lims.core.exports import list_export
from lims.core.forms import choices, refuse_invalid, show_refusal
from lims.core.links import public_url
from lims.core.lists import fetch_page, parse_filters
from lims.core.navigation import register_home_panel, register_nav
from lims.core.web import read_view, write_view
from lims.customers import queries, services
from lims.customers.charts import due_by_month_svg
from lims.customers.forms import (
    ENROLMENT_STATE_LABELS,
    ENROLMENT_STEP_LABELS,
    VALID_UNTIL_LABELS,
    ConfirmCycleForm,
    ConfirmMethodForm,
    ContactForm,
    CycleForm,
    EnrolmentForm,
    ImportForm,
    InstrumentForm,
    InstrumentTypeForm,
    OrganisationForm,
    ReminderForm,
    ValidUntilRuleForm,
)
from lims.customers.models import InstrumentType, Method, OutboxMessage, VerificationCycle
from lims.extensions import db

blueprint = Blueprint("customers", __name__, url_prefix="/customers")
IMPORT_COLUMNS = queries.INSTRUMENT_EXPORT_HEADER  # a file exported from the list imports back


def _int_arg(name: str, default: int | None = None) -> int | None:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        return default


# --- enterprises ------------------------------------------------------------------------------------------------


@blueprint.route("/")
@read_view(Capability.READ_CUSTOMERS)
def organisations():
    if current_user.roles == {"enterprise"}:
        return redirect(url_for("customers.organisation", organisation_id=current_user.organisation_id or 0))
    page = db.paginate(queries.organisations_query(current_user, request.args.get("q")), per_page=50, error_out=False)
    counts = queries.instrument_counts_by_organisation(db.session, [o.id for o in page.items], lab_today())
    return render_template(
        "customers/organisations.html",
        page=page,
        counts=counts,
        enrolled=services.enrolled_enterprises_count(db.session, lab_today()),
    )


@blueprint.route("/new", methods=["GET"])
@read_view(Capability.MANAGE_CUSTOMERS)
def organisation_new():
    return render_template("customers/organisation_form.html", form=OrganisationForm(province="Vĩnh Long"), item=None)


@blueprint.route("/new", methods=["POST"])
@write_view(Capability.MANAGE_CUSTOMERS)
def organisation_create():
    form = OrganisationForm()
    if not form.validate_on_submit():
        return render_template("customers/organisation_form.html", form=form, item=None), 400
    try:
        organisation = services.create_organisation(db.session, current_user, **_organisation_fields(form))
    except RuleViolation as exc:
        show_refusal(form, exc)
        return render_template("customers/organisation_form.html", form=form, item=None), 422
    flash(_("Đã thêm doanh nghiệp %(name)s.", name=organisation.name), "success")
    return redirect(url_for("customers.organisation", organisation_id=organisation.id))


def _organisation_fields(form: OrganisationForm) -> dict:
    return {name: getattr(form, name).data for name in services.ORGANISATION_FIELDS}


@blueprint.route("/<int:organisation_id>")
@read_view(Capability.READ_CUSTOMERS)
def organisation(organisation_id: int):
    item = services.get_organisation(db.session, current_user, organisation_id)
    today = lab_today()
    summary = queries.recall_summary(db.session, current_user, today, organisation_id=item.id)
    return render_template(
        "customers/organisation.html",
        item=item,
        summary=summary,
        chart=due_by_month_svg(summary.months),
        contact_form=ContactForm(),
        state_labels=ENROLMENT_STATE_LABELS,
        step_labels=ENROLMENT_STEP_LABELS,
        calendar_url=url_for("customers.calendar", token=item.calendar_token, _external=True)
        if item.calendar_token
        else None,
    )


@blueprint.route("/<int:organisation_id>/edit", methods=["GET"])
@read_view(Capability.MANAGE_CUSTOMERS)
def organisation_edit(organisation_id: int):
    item = services.get_organisation(db.session, current_user, organisation_id)
    return render_template("customers/organisation_form.html", form=OrganisationForm(obj=item), item=item)


@blueprint.route("/<int:organisation_id>/edit", methods=["POST"])
@write_view(Capability.MANAGE_CUSTOMERS)
def organisation_update(organisation_id: int):
    item = services.get_organisation(db.session, current_user, organisation_id)
    form = OrganisationForm()
    if not form.validate_on_submit():
        return render_template("customers/organisation_form.html", form=form, item=item), 400
    try:
        services.update_organisation(db.session, current_user, item, **_organisation_fields(form))
    except RuleViolation as exc:
        show_refusal(form, exc)
        return render_template("customers/organisation_form.html", form=form, item=item), 422
    flash(_("Đã lưu."), "success")
    return redirect(url_for("customers.organisation", organisation_id=item.id))


@blueprint.route("/<int:organisation_id>/contacts", methods=["POST"])
@write_view(Capability.MANAGE_CUSTOMERS)
def contact_add(organisation_id: int):
    item = services.get_organisation(db.session, current_user, organisation_id)
    form = ContactForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.add_contact(
        db.session,
        current_user,
        item,
        name=form.name.data,
        position=form.position.data,
        phone=form.phone.data,
        email=form.email.data,
        receives_reminders=form.receives_reminders.data,
    )
    flash(_("Đã thêm người liên hệ %(name)s.", name=form.name.data), "success")
    return redirect(url_for("customers.organisation", organisation_id=item.id))


@blueprint.route("/<int:organisation_id>/contacts/<int:contact_id>/delete", methods=["POST"])
@write_view(Capability.MANAGE_CUSTOMERS)
def contact_remove(organisation_id: int, contact_id: int):
    item = services.get_organisation(db.session, current_user, organisation_id)
    services.remove_contact(db.session, current_user, item, contact_id)
    flash(_("Đã xóa người liên hệ."), "success")
    return redirect(url_for("customers.organisation", organisation_id=item.id))


@blueprint.route("/<int:organisation_id>/enrolment", methods=["GET"])
@read_view(Capability.MANAGE_ASSURANCE)
def enrolment_edit(organisation_id: int):
    item = services.get_organisation(db.session, current_user, organisation_id)
    form = EnrolmentForm(obj=item.enrolment) if item.enrolment else EnrolmentForm(enrolled_on=lab_today())
    return render_template("customers/enrolment_form.html", form=form, item=item)


@blueprint.route("/<int:organisation_id>/enrolment", methods=["POST"])
@write_view(Capability.MANAGE_ASSURANCE)
def enrolment_save(organisation_id: int):
    item = services.get_organisation(db.session, current_user, organisation_id)
    form = EnrolmentForm()
    if not form.validate_on_submit():
        return render_template("customers/enrolment_form.html", form=form, item=item), 400
    try:
        services.save_enrolment(
            db.session,
            current_user,
            item,
            status=form.status.data,
            enrolled_on=form.enrolled_on.data,
            withdrawn_on=form.withdrawn_on.data,
            steps_done=form.steps_done.data,
            notes=form.notes.data,
        )
    except RuleViolation as exc:
        show_refusal(form, exc)
        return render_template("customers/enrolment_form.html", form=form, item=item), 422
    flash(_("Đã lưu thông tin tham gia chương trình đảm bảo đo lường."), "success")
    return redirect(url_for("customers.organisation", organisation_id=item.id))


@blueprint.route("/<int:organisation_id>/calendar-link", methods=["POST"])
@write_view(Capability.SHARE_CALENDAR)
def calendar_link(organisation_id: int):
    item = services.get_organisation(db.session, current_user, organisation_id)
    services.calendar_token(db.session, current_user, item, renew=True)
    flash(_("Đã tạo liên kết lịch mới; liên kết cũ không còn dùng được."), "success")
    return redirect(url_for("customers.organisation", organisation_id=item.id))


@blueprint.route("/calendar/<token>.ics")
@read_view(public=True)
def calendar(token: str):
    organisation = services.organisation_by_calendar_token(db.session, token)
    # Event ids name the lab's public address, never the Host header a client chose.
    body = services.calendar_feed(db.session, organisation, urlsplit(current_app.config["PUBLIC_URL"]).hostname)
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=3600"})


# --- instruments -------------------------------------------------------------------------------------------------


@blueprint.route("/instruments")
@read_view(Capability.READ_CUSTOMERS)
def instruments():
    filters = parse_filters(queries.InstrumentFilter, request.args)
    labelled = queries.instrument_id_in(filters.search)
    if labelled:  # a label's code or QR address, typed or scanned into the search: open that instrument
        return redirect(url_for("customers.instrument", instrument_id=labelled))
    page = fetch_page(db.session, queries.INSTRUMENTS, current_user, filters, cursor=request.args.get("cursor"))
    types = db.session.scalars(queries.instrument_types_query()).all()
    return render_template("customers/instruments.html", page=page, filters=filters, types=types, today=lab_today())


@blueprint.route("/instruments.csv")
@read_view(Capability.READ_CUSTOMERS)
def instruments_export():
    return list_export(queries.INSTRUMENTS, current_user, "phuong-tien-do", "csv")


@blueprint.route("/instruments.xlsx")
@read_view(Capability.READ_CUSTOMERS)
def instruments_export_xlsx():
    return list_export(queries.INSTRUMENTS, current_user, "phuong-tien-do", "xlsx")


@blueprint.route("/instruments/<int:instrument_id>")
@read_view(Capability.READ_CUSTOMERS)
def instrument(instrument_id: int):
    item = services.get_instrument(db.session, current_user, instrument_id)
    return render_template("customers/instrument.html", item=item, today=lab_today())


@blueprint.route("/instruments/<int:instrument_id>/label")
@read_view(Capability.READ_CATALOGUE)
def instrument_label(instrument_id: int):
    """The instrument's label: its code and a QR code opening its page, to print and stick on it."""
    item = services.get_instrument(db.session, current_user, instrument_id)
    address = public_url() + url_for("customers.instrument", instrument_id=item.id)
    return render_template("customers/label.html", item=item, address=address, qr=Markup(qr_svg(address)))


def _fill_types(form: InstrumentForm) -> None:
    types = db.session.scalars(queries.instrument_types_query(active_only=True)).all()
    form.instrument_type_id.choices = choices((t.id, f"{t.name_vi} ({t.code})") for t in types)


def _instrument_values(form: InstrumentForm) -> dict:
    values = {name: getattr(form, name).data for name in services.INSTRUMENT_FIELDS if hasattr(form, name)}
    values["last_service_kind"] = values.get("last_service_kind") or None
    return values


@blueprint.route("/<int:organisation_id>/instruments/new", methods=["GET"])
@read_view(Capability.MANAGE_CUSTOMERS)
def instrument_new(organisation_id: int):
    owner = services.get_organisation(db.session, current_user, organisation_id)
    form = InstrumentForm()
    _fill_types(form)
    return render_template("customers/instrument_form.html", form=form, owner=owner, item=None)


@blueprint.route("/<int:organisation_id>/instruments/new", methods=["POST"])
@write_view(Capability.MANAGE_CUSTOMERS)
def instrument_create(organisation_id: int):
    owner = services.get_organisation(db.session, current_user, organisation_id)
    form = InstrumentForm()
    _fill_types(form)
    if not form.validate_on_submit():
        return render_template("customers/instrument_form.html", form=form, owner=owner, item=None), 400
    try:
        item = services.create_instrument(db.session, current_user, owner, **_instrument_values(form))
    except RuleViolation as exc:
        show_refusal(form, exc)
        return render_template("customers/instrument_form.html", form=form, owner=owner, item=None), 422
    flash(_("Đã thêm phương tiện đo."), "success")
    return redirect(url_for("customers.instrument", instrument_id=item.id))


@blueprint.route("/instruments/<int:instrument_id>/edit", methods=["GET"])
@read_view(Capability.MANAGE_CUSTOMERS)
def instrument_edit(instrument_id: int):
    item = services.get_instrument(db.session, current_user, instrument_id)
    form = InstrumentForm(obj=item)
    _fill_types(form)
    form.last_service_kind.data = item.last_service_kind or ""
    return render_template("customers/instrument_form.html", form=form, owner=item.organisation, item=item)


@blueprint.route("/instruments/<int:instrument_id>/edit", methods=["POST"])
@write_view(Capability.MANAGE_CUSTOMERS)
def instrument_update(instrument_id: int):
    item = services.get_instrument(db.session, current_user, instrument_id)
    form = InstrumentForm()
    _fill_types(form)
    if not form.validate_on_submit():
        return render_template("customers/instrument_form.html", form=form, owner=item.organisation, item=item), 400
    try:
        services.update_instrument(db.session, current_user, item, **_instrument_values(form))
    except RuleViolation as exc:
        show_refusal(form, exc)
        return render_template("customers/instrument_form.html", form=form, owner=item.organisation, item=item), 422
    flash(_("Đã lưu."), "success")
    return redirect(url_for("customers.instrument", instrument_id=item.id))


def _fill_organisations(form: ImportForm) -> None:
    found = db.session.scalars(queries.organisations_query(current_user)).all()
    form.organisation_id.choices = choices(
        [(0, _("— theo cột tax_code (mã số thuế) của từng dòng —"))]
        + [(o.id, f"{o.name} ({o.tax_code})") for o in found]
    )


@blueprint.route("/import", methods=["GET"])
@read_view(Capability.MANAGE_CUSTOMERS)
def import_form():
    form = ImportForm(organisation_id=_int_arg("organisation_id", 0))
    _fill_organisations(form)
    return render_template("customers/import.html", form=form, report=None, columns=IMPORT_COLUMNS)


@blueprint.route("/import", methods=["POST"])
@write_view(Capability.MANAGE_CUSTOMERS)
def import_upload():
    form = ImportForm()
    _fill_organisations(form)
    if not form.validate_on_submit():
        return render_template("customers/import.html", form=form, report=None, columns=IMPORT_COLUMNS), 400
    upload = form.file.data
    report = services.import_instruments(
        db.session,
        current_user,
        upload.read(),
        upload.filename or "upload",
        organisation_id=form.organisation_id.data or None,
    )
    if not report.ok:
        # A 422 makes write_view roll back: nothing of a refused file stays.
        return render_template("customers/import.html", form=form, report=report, columns=IMPORT_COLUMNS), 422
    flash(_("Đã nhập %(count)s phương tiện đo.", count=report.imported), "success")
    return render_template("customers/import.html", form=form, report=report, columns=IMPORT_COLUMNS)


# --- recall and reminders ------------------------------------------------------------------------------------


@blueprint.route("/recall")
@read_view(Capability.READ_CUSTOMERS)
def recall():
    today = lab_today()
    filters = parse_filters(queries.RecallFilter, request.args)
    days, organisation_id = filters.within_days, filters.organisation_id
    summary = queries.recall_summary(db.session, current_user, today, days, organisation_id=organisation_id)
    page = fetch_page(db.session, queries.RECALL, current_user, filters, cursor=request.args.get("cursor"))
    return render_template(
        "customers/recall.html",
        page=page,
        summary=summary,
        chart=due_by_month_svg(summary.months),
        days=days,
        today=today,
        organisation_id=organisation_id,
        reminder_form=ReminderForm(days=days),
    )


@blueprint.route("/outbox")
@read_view(Capability.SEND_REMINDERS)
def outbox():
    page = db.paginate(queries.outbox_query(request.args.get("status") or None), per_page=30, error_out=False)
    return render_template(
        "customers/outbox.html", page=page, smtp=bool(current_app.config.get("SMTP_URL")), form=ReminderForm()
    )


@blueprint.route("/outbox/queue", methods=["POST"])
@write_view(Capability.SEND_REMINDERS)
def reminders_queue():
    form = ReminderForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    queued = services.queue_reminders(db.session, current_user, lab_today(), form.days.data, form.channel.data)
    flash(_("Đã đưa %(count)s thông báo vào hộp thư đi.", count=queued), "success")
    return redirect(url_for("customers.outbox"))


@blueprint.route("/outbox/send", methods=["POST"])
@write_view(Capability.SEND_REMINDERS)
def outbox_send():
    smtp_url = current_app.config.get("SMTP_URL")
    if not smtp_url:
        flash(_("Chưa cấu hình máy chủ thư (LIMS_SMTP_URL): thông báo vẫn nằm trong hộp thư đi."), "warning")
        return redirect(url_for("customers.outbox"))
    sent, failed = services.send_outbox(db.session, current_user, smtp_url)
    flash(_("Đã gửi %(sent)s, lỗi %(failed)s.", sent=sent, failed=failed), "info")
    return redirect(url_for("customers.outbox"))


@blueprint.route("/outbox/<int:message_id>/printed", methods=["POST"])
@write_view(Capability.SEND_REMINDERS)
def letter_printed(message_id: int):
    services.mark_letter_printed(db.session, current_user, message_id)
    flash(_("Đã đánh dấu thư đã in."), "success")
    return redirect(url_for("customers.outbox"))


@blueprint.route("/outbox/<int:message_id>")
@read_view(Capability.SEND_REMINDERS)
def outbox_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(_("Không có thư này"))
    return render_template("customers/outbox_message.html", message=message)


# --- the catalogue -----------------------------------------------------------------------------------------------


@blueprint.route("/types")
@read_view(Capability.READ_CATALOGUE)
def types():
    return render_template(
        "customers/types.html",
        types=db.session.scalars(queries.instrument_types_query()).all(),
        unconfirmed=db.session.scalars(queries.unconfirmed_cycles_query()).all(),
        methods=db.session.scalars(queries.methods_query()).all(),
        method_form=ConfirmMethodForm(),
        rule_form=ValidUntilRuleForm(rule=services.valid_until_rule(db.session)),
        rule_labels=VALID_UNTIL_LABELS,
    )


def _load_type(type_id: int) -> InstrumentType:
    instrument_type = db.session.get(InstrumentType, type_id)
    if instrument_type is None:
        raise NotFound(_("Không có loại phương tiện đo này"))
    return instrument_type


@blueprint.route("/types/<int:type_id>")
@read_view(Capability.READ_CATALOGUE)
def type_detail(type_id: int):
    instrument_type = _load_type(type_id)
    form = InstrumentTypeForm(obj=instrument_type)
    return render_template(
        "customers/type.html",
        item=instrument_type,
        form=form,
        cycle_form=CycleForm(),
        confirm_form=ConfirmCycleForm(),
        today=lab_today(),
    )


@blueprint.route("/types/<int:type_id>", methods=["POST"])
@write_view(Capability.MANAGE_CATALOGUE)
def type_update(type_id: int):
    instrument_type = _load_type(type_id)
    form = InstrumentTypeForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.update_instrument_type(
        db.session,
        current_user,
        instrument_type,
        **{name: getattr(form, name).data for name in services.TYPE_FIELDS},
    )
    flash(_("Đã lưu."), "success")
    return redirect(url_for("customers.type_detail", type_id=type_id))


@blueprint.route("/types/<int:type_id>/cycles", methods=["POST"])
@write_view(Capability.MANAGE_CATALOGUE)
def cycle_add(type_id: int):
    instrument_type = _load_type(type_id)
    form = CycleForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.add_cycle(
        db.session,
        current_user,
        instrument_type,
        months=form.months.data,
        effective_from=form.effective_from.data,
        legal_source=form.legal_source.data,
        reason=form.reason.data,
    )
    flash(_("Đã thêm chu kỳ kiểm định."), "success")
    return redirect(url_for("customers.type_detail", type_id=type_id))


@blueprint.route("/cycles/<int:cycle_id>/confirm", methods=["POST"])
@write_view(Capability.MANAGE_CATALOGUE)
def cycle_confirm(cycle_id: int):
    cycle = db.session.get(VerificationCycle, cycle_id)
    if cycle is None:
        raise NotFound(_("Không có chu kỳ này"))
    form = ConfirmCycleForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.confirm_cycle(
        db.session,
        current_user,
        cycle,
        months=form.months.data,
        legal_source=form.legal_source.data,
        reason=form.reason.data,
    )
    flash(_("Đã xác nhận chu kỳ kiểm định."), "success")
    return redirect(url_for("customers.type_detail", type_id=cycle.instrument_type_id))


@blueprint.route("/methods/<int:method_id>/confirm", methods=["POST"])
@write_view(Capability.MANAGE_CATALOGUE)
def method_confirm(method_id: int):
    method = db.session.get(Method, method_id)
    if method is None:
        raise NotFound(_("Không có phương pháp này"))
    form = ConfirmMethodForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.confirm_method(db.session, current_user, method, reason=form.reason.data)
    flash(_("Đã xác nhận phương pháp %(code)s.", code=method.code), "success")
    return redirect(url_for("customers.types"))


@blueprint.route("/settings/valid-until", methods=["POST"])
@write_view(Capability.MANAGE_CATALOGUE)
def valid_until_rule_save():
    form = ValidUntilRuleForm()
    if not form.validate_on_submit():
        refuse_invalid(form)
    services.set_valid_until_rule(db.session, current_user, form.rule.data, reason=_("cài đặt của phòng thí nghiệm"))
    flash(_("Đã lưu cách tính ngày có giá trị đến."), "success")
    return redirect(url_for("customers.types"))


def _panel(user) -> dict:
    today = lab_today()
    summary = queries.recall_summary(db.session, user, today, months=6)
    context = {"summary": summary, "chart": due_by_month_svg(summary.months, width=420, height=140)}
    if user.is_lab_staff:
        context["unconfirmed"] = len(db.session.scalars(queries.unconfirmed_cycles_query()).all())
    return context


register_nav("customers.organisations", _l("Doanh nghiệp"), (*LAB_ROLES, "inspector"), order=20)
register_nav("customers.instruments", _l("Phương tiện đo"), (Capability.READ_CUSTOMERS,), order=21)
register_nav("customers.recall", _l("Đến hạn"), (Capability.READ_CUSTOMERS,), order=22)
register_nav("customers.types", _l("Danh mục PTĐ"), (Capability.READ_CATALOGUE,), order=80)
register_home_panel("customers", "customers/_panel.html", (Capability.READ_CUSTOMERS,), _panel, order=20)
