"""Pages of chain checks: the audit trail's chain verified and the record of each check (17025 7.11)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.web import read_view, write_view
from lims.extensions import db
from lims.quality import queries, services
from lims.quality.views.blueprint import blueprint


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
