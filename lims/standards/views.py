"""Pages of the standards register: list and export, detail with charts, and the forms that change it."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lims.auth.permissions import Capability, may
from lims.core.dates import lab_today
from lims.core.errors import RuleViolation
from lims.core.exports import download, list_export
from lims.core.files import read_bytes
from lims.core.forms import choices, show_refusal
from lims.core.lists import fetch_page
from lims.core.navigation import register_home_panel, register_nav
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.standards import queries, services
from lims.standards.charts import ChartPoint, control_chart_svg
from lims.standards.forms import (
    KIND_LABELS,
    LEVEL_LABELS,
    MASS_UNITS,
    STATUS_LABELS,
    VALUE_ROWS,
    CalibrationForm,
    CheckForm,
    ItemForm,
    StandardEditForm,
    StandardForm,
    StatusForm,
    parse_items,
    parse_values,
)

blueprint = Blueprint("standards", __name__, url_prefix="/standards")
# Inspectors see what is due too: an overdue standard is the first thing an inspection looks for.
PANEL_ROLES = ("admin", "manager", "technician", "inspector")
LABELS = {"kinds": KIND_LABELS, "levels": LEVEL_LABELS, "statuses": STATUS_LABELS}


@blueprint.route("/")
@read_view(Capability.READ_STANDARDS)
def index():
    queries.ensure_may_read(current_user)
    filters = queries.StandardFilter.from_args(request.args)
    today = lab_today()
    page = fetch_page(db.session, queries.STANDARDS, current_user, filters, cursor=request.args.get("cursor"))
    return render_template(
        "standards/index.html",
        page=page,
        filters=filters,
        today=today,
        summary=queries.due_summary(db.session, today),
        may_write=may(current_user, Capability.MANAGE_STANDARDS),
        **LABELS,
    )


@blueprint.route("/export.csv")
@read_view(Capability.READ_STANDARDS)
def export_csv():
    queries.ensure_may_read(current_user)
    return list_export(queries.STANDARDS, current_user, "so-chuan-thiet-bi", "csv")


@blueprint.route("/export.xlsx")
@read_view(Capability.READ_STANDARDS)
def export_xlsx():
    queries.ensure_may_read(current_user)
    return list_export(queries.STANDARDS, current_user, "so-chuan-thiet-bi", "xlsx")


@blueprint.route("/new", methods=["GET"])
@read_view(Capability.MANAGE_STANDARDS)
def new():
    return render_template("standards/form.html", form=StandardForm())


@blueprint.route("/new", methods=["POST"])
@write_view(Capability.MANAGE_STANDARDS)
def create():
    form = StandardForm()
    if not form.validate_on_submit():
        return render_template("standards/form.html", form=form), 400
    try:
        items = parse_items(form.items_text.data)
        if not items and form.composition_from.data and form.composition_to.data:
            items = services.weight_set_composition(
                form.composition_from.data, form.composition_to.data, form.accuracy_class.data or None
            )
        standard = services.register_standard(
            db.session,
            current_user,
            code=form.code.data,
            name=form.name.data,
            kind=form.kind.data,
            level=form.level.data,
            accuracy_class=form.accuracy_class.data,
            maker=form.maker.data,
            model=form.model.data,
            serial=form.serial.data,
            range_text=form.range_text.data,
            resolution_text=form.resolution_text.data,
            location=form.location.data,
            owner=form.owner.data,
            calibration_interval_months=form.calibration_interval_months.data,
            put_in_service_on=form.put_in_service_on.data,
            items=items,
        )
    except RuleViolation as exc:
        db.session.rollback()
        show_refusal(form, exc)
        return render_template("standards/form.html", form=form), 422
    flash(_("Đã đăng ký chuẩn %(code)s.", code=standard.code), "success")
    return redirect(url_for("standards.detail", standard_id=standard.id))


@blueprint.route("/<int:standard_id>/edit", methods=["GET"])
@read_view(Capability.MANAGE_STANDARDS)
def edit(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    return render_template("standards/edit_form.html", standard=standard, form=StandardEditForm(obj=standard))


@blueprint.route("/<int:standard_id>/edit", methods=["POST"])
@write_view(Capability.MANAGE_STANDARDS)
def update(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    form = StandardEditForm()
    if not form.validate_on_submit():
        return render_template("standards/edit_form.html", standard=standard, form=form), 400
    try:
        changed = services.update_standard_details(
            db.session,
            current_user,
            standard,
            reason=form.reason.data,
            **{name: getattr(form, name).data for name in services.DETAIL_FIELDS},
        )
    except RuleViolation as exc:
        db.session.rollback()
        standard = queries.get_standard(db.session, current_user, standard_id)
        show_refusal(form, exc)
        return render_template("standards/edit_form.html", standard=standard, form=form), 422
    if changed:
        fields = ", ".join(str(getattr(form, name).label.text) for name in changed)
        flash(_("Đã lưu thông tin chuẩn %(code)s: %(fields)s.", code=standard.code, fields=fields), "success")
    else:
        flash(_("Không có gì thay đổi; không có gì được lưu."), "info")
    return redirect(url_for("standards.detail", standard_id=standard.id))


@blueprint.route("/<int:standard_id>/items/new", methods=["GET"])
@read_view(Capability.MANAGE_STANDARDS)
def item_new(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    form = ItemForm()
    if not form.is_submitted():
        form.accuracy_class.data = standard.accuracy_class
    return render_template("standards/item_form.html", standard=standard, form=form)


@blueprint.route("/<int:standard_id>/items/new", methods=["POST"])
@write_view(Capability.MANAGE_STANDARDS)
def item_create(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    form = ItemForm()
    if not form.validate_on_submit():
        return render_template("standards/item_form.html", standard=standard, form=form), 400
    try:
        item = services.add_standard_item(
            db.session,
            current_user,
            standard,
            services.ItemInput(
                nominal=form.nominal.data,
                marking=form.marking.data,
                accuracy_class=form.accuracy_class.data,
                density=_float(form.density.data),
                density_uncertainty=_float(form.density_uncertainty.data),
            ),
            field="",
        )
    except RuleViolation as exc:
        db.session.rollback()
        standard = queries.get_standard(db.session, current_user, standard_id)
        show_refusal(form, exc)
        return render_template("standards/item_form.html", standard=standard, form=form), 422
    flash(
        _(
            "Đã thêm quả cân %(nominal)s%(marking)s. Quả cân này chưa có giá trị hiệu chuẩn: "
            "hãy ghi giấy chứng nhận hiệu chuẩn của nó trước khi dùng.",
            nominal=item.nominal,
            marking=item.marking or "",
        ),
        "success",
    )
    return redirect(url_for("standards.detail", standard_id=standard.id))


def _float(value) -> float | None:
    return None if value is None else float(value)


def _drift_chart(standard, item):
    if item is None:
        return None, []
    history = queries.item_history(db.session, item)
    mpe = queries.item_mpe_mg(item, standard)
    points = []
    for calibration, value in history:
        try:
            correction = queries.to_mg(value.value, value.unit)
            uncertainty = queries.to_mg(value.expanded_uncertainty, value.unit)
        except KeyError:
            continue
        outside = mpe is not None and abs(correction) > mpe
        points.append(
            ChartPoint(calibration.calibrated_on, correction, uncertainty, outside, calibration.certificate_number)
        )
    chart = control_chart_svg(
        points,
        lower_limit=-mpe if mpe is not None else None,
        upper_limit=mpe if mpe is not None else None,
        unit="mg",
        title=_("Số hiệu chính của quả cân %(nominal)s qua các lần hiệu chuẩn", nominal=item.nominal),
        limit_label="±MPE",
    )
    return chart, history


def _checks_chart(checks):
    if not checks:
        return None
    latest = checks[-1]
    return control_chart_svg(
        [ChartPoint(c.checked_on, c.value, 0.0, not c.within_limits, c.description) for c in checks],
        lower_limit=latest.lower_limit,
        upper_limit=latest.upper_limit,
        unit=latest.unit,
        title=_("Kết quả kiểm tra giữa kỳ"),
    )


@blueprint.route("/<int:standard_id>")
@read_view(Capability.READ_STANDARDS)
def detail(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    item = None
    if request.args.get("item", type=int):
        item = next((i for i in standard.items if i.id == request.args.get("item", type=int)), None)
    item = item or queries.most_drifting_item(db.session, standard)
    drift_chart, drift_history = _drift_chart(standard, item)
    checks = db.session.scalars(queries.checks_of(standard)).all()
    today = lab_today()
    return render_template(
        "standards/detail.html",
        standard=standard,
        drift_item=item,
        drift_chart=drift_chart,
        drift_history=drift_history,
        checks=checks,
        checks_chart=_checks_chart(checks),
        flagged=[c for c in checks if not c.within_limits],
        today=today,
        usable_today=_usable(standard, today),
        may_write=may(current_user, Capability.MANAGE_STANDARDS),
        may_check=may(current_user, Capability.RECORD_CHECKS),
        **LABELS,
    )


def _usable(standard, day) -> str | None:
    try:
        services.ensure_usable_on(standard, day)
    except RuleViolation as exc:
        return exc.message
    return None


def _calibration_form_context(standard, form):
    return {
        "standard": standard,
        "form": form,
        "rows": range(VALUE_ROWS),
        "mass_units": MASS_UNITS,
        "posted": request.form,
    }


@blueprint.route("/<int:standard_id>/calibrations/new", methods=["GET"])
@read_view(Capability.MANAGE_STANDARDS)
def calibration_new(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    return render_template("standards/calibration_form.html", **_calibration_form_context(standard, CalibrationForm()))


@blueprint.route("/<int:standard_id>/calibrations/new", methods=["POST"])
@write_view(Capability.MANAGE_STANDARDS)
def calibration_create(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    form = CalibrationForm()
    if not form.validate_on_submit():
        return render_template("standards/calibration_form.html", **_calibration_form_context(standard, form)), 400
    try:
        calibration = services.record_calibration(
            db.session,
            current_user,
            standard,
            certificate_number=form.certificate_number.data,
            calibrating_lab=form.calibrating_lab.data,
            lab_accreditation=form.lab_accreditation.data,
            calibrated_on=form.calibrated_on.data,
            due_on=form.due_on.data,
            traceability=form.traceability.data,
            values=parse_values(request.form, standard.items, form.value_unit.data),
            document=form.document.data or None,
            today=lab_today(),
        )
    except RuleViolation as exc:
        db.session.rollback()
        standard = queries.get_standard(db.session, current_user, standard_id)
        show_refusal(form, exc)
        return render_template("standards/calibration_form.html", **_calibration_form_context(standard, form)), 422
    flash(_("Đã ghi giấy chứng nhận %(number)s.", number=calibration.certificate_number), "success")
    return redirect(url_for("standards.calibration", standard_id=standard.id, calibration_id=calibration.id))


@blueprint.route("/<int:standard_id>/calibrations/<int:calibration_id>")
@read_view(Capability.READ_STANDARDS)
def calibration(standard_id: int, calibration_id: int):
    calibration = queries.get_calibration(db.session, current_user, standard_id, calibration_id)
    return render_template(
        "standards/calibration.html",
        calibration=calibration,
        standard=calibration.standard,
        conformity=queries.calibration_conformity(calibration),
        other_values=[v for v in calibration.values if v.item_id is None or v.quantity != "correction"],
        **LABELS,
    )


@blueprint.route("/<int:standard_id>/calibrations/<int:calibration_id>/document")
@read_view(Capability.READ_STANDARDS)
def calibration_document(standard_id: int, calibration_id: int):
    calibration = queries.get_calibration(db.session, current_user, standard_id, calibration_id)
    if not calibration.document_sha256:
        return render_template("errors/error.html", code=404, message=None), 404
    name = calibration.document_name or f"{calibration.certificate_number}.pdf"
    return download(read_bytes(calibration.document_sha256), "application/pdf", name, inline=True)


def _check_form(standard, formdata=None):
    form = CheckForm(formdata=formdata) if formdata is not None else CheckForm()
    form.item_id.choices = choices(
        [(0, "—")] + [(i.id, f"{i.nominal}{i.marking or ''} ({i.accuracy_class or ''})") for i in standard.items]
    )
    return form


@blueprint.route("/<int:standard_id>/checks/new", methods=["GET"])
@read_view(Capability.RECORD_CHECKS)
def check_new(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    form = _check_form(standard)
    if not form.is_submitted():
        form.checked_on.data = lab_today()
    return render_template("standards/check_form.html", standard=standard, form=form)


@blueprint.route("/<int:standard_id>/checks/new", methods=["POST"])
@write_view(Capability.RECORD_CHECKS)
def check_create(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    form = _check_form(standard)
    if not form.validate_on_submit():
        return render_template("standards/check_form.html", standard=standard, form=form), 400
    try:
        check = services.record_intermediate_check(
            db.session,
            current_user,
            standard,
            checked_on=form.checked_on.data,
            today=lab_today(),
            description=form.description.data,
            value=form.value.data,
            unit=form.unit.data,
            lower_limit=form.lower_limit.data,
            upper_limit=form.upper_limit.data,
            item_id=form.item_id.data or None,
            notes=form.notes.data,
        )
    except RuleViolation as exc:
        db.session.rollback()
        standard = queries.get_standard(db.session, current_user, standard_id)
        show_refusal(form, exc)
        return render_template("standards/check_form.html", standard=standard, form=form), 422
    if check.within_limits:
        flash(_("Đã ghi kết quả kiểm tra: trong giới hạn."), "success")
    else:
        flash(_("Kết quả kiểm tra NGOÀI giới hạn: nên tạm ngừng sử dụng chuẩn và xem xét sự không phù hợp."), "danger")
    return redirect(url_for("standards.detail", standard_id=standard.id))


@blueprint.route("/<int:standard_id>/status", methods=["GET"])
@read_view(Capability.MANAGE_STANDARDS)
def status_form(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    form = StatusForm()
    wanted = request.args.get("to")
    if wanted in STATUS_LABELS:
        form.to_status.data = wanted
    return render_template("standards/status_form.html", standard=standard, form=form, statuses=STATUS_LABELS)


@blueprint.route("/<int:standard_id>/status", methods=["POST"])
@write_view(Capability.MANAGE_STANDARDS)
def status_change(standard_id: int):
    standard = queries.get_standard(db.session, current_user, standard_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return render_template("standards/status_form.html", standard=standard, form=form, statuses=STATUS_LABELS), 400
    try:
        services.change_status(db.session, current_user, standard, form.to_status.data, form.reason.data)
    except RuleViolation as exc:
        db.session.rollback()
        standard = queries.get_standard(db.session, current_user, standard_id)
        show_refusal(form, exc)
        return render_template("standards/status_form.html", standard=standard, form=form, statuses=STATUS_LABELS), 422
    flash(_("Đã đổi trạng thái: %(status)s.", status=STATUS_LABELS[standard.status]), "success")
    return redirect(url_for("standards.detail", standard_id=standard.id))


def _panel(user) -> dict:
    today = lab_today()
    soon = queries.StandardFilter(due="30")
    overdue = queries.StandardFilter(due="overdue")
    return {
        "summary": queries.due_summary(db.session, today),
        "overdue": db.session.scalars(queries.standards_query(overdue, today).limit(5)).all(),
        "soon": db.session.scalars(queries.standards_query(soon, today).limit(5)).all(),
        "flagged": db.session.scalars(queries.out_of_limit_checks(since=services.add_months(today, -3)).limit(5)).all(),
        "today": today,
    }


register_nav("standards.index", _l("Chuẩn và thiết bị"), (Capability.READ_STANDARDS,), order=30)
register_home_panel("standards_due", "standards/_panel.html", PANEL_ROLES, _panel, order=30)
