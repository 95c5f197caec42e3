"""Pages of the quality system's lab settings: how old a record may be and still count as current evidence."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.forms import refuse_invalid
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.quality import forms, services
from lims.quality.evidence import FRESHNESS_SETTINGS, freshness_limits
from lims.quality.views.blueprint import blueprint


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
