"""Pages of the inspector's evidence pack: choosing the period and organisation, downloading the pack."""

from datetime import date

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.dates import lab_today
from lims.core.errors import RuleViolation
from lims.core.exports import download
from lims.core.web import read_view
from lims.extensions import db
from lims.quality import queries, reports
from lims.quality.views.blueprint import blueprint


def _period_args() -> tuple[date, date]:
    today = lab_today()
    try:
        start = date.fromisoformat(request.args.get("start") or f"{today.year}-01-01")
        end = date.fromisoformat(request.args.get("end") or today.isoformat())
    except ValueError:
        abort(400)
    if end < start:
        raise RuleViolation(_("Ngày cuối trước ngày đầu"), field="end")
    return start, end


@blueprint.route("/pack")
@read_view(Capability.EXPORT_EVIDENCE)
def pack():
    start, end = _period_args()
    return render_template(
        "quality/pack.html",
        organisations=queries.readable_organisations(db.session, current_user),
        start=start,
        end=end,
    )


@blueprint.route("/pack/download")
@read_view(Capability.EXPORT_EVIDENCE)
def pack_download():
    start, end = _period_args()
    organisation = queries.get_readable_organisation(
        db.session, current_user, request.args.get("organisation_id", type=int)
    )
    pack_ = reports.build_evidence_pack(db.session, organisation, start, end, lab_today(), current_user.username)
    return download(pack_.data, "application/zip", pack_.file_name)
