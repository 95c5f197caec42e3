"""The audit trail, read by lab managers and inspectors, and its integrity check."""

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lims.audit import queries
from lims.audit.scope import shown_changes
from lims.audit.services import verify_chain
from lims.auth.permissions import Capability
from lims.core.navigation import register_home_panel, register_nav
from lims.core.web import read_view
from lims.extensions import db

blueprint = Blueprint("audit", __name__, url_prefix="/audit")


@blueprint.route("/")
@read_view(Capability.READ_AUDIT)
def events():
    query = queries.events_query(
        current_user,
        entity=request.args.get("entity") or None,
        entity_id=request.args.get("entity_id") or None,
        actor=request.args.get("actor") or None,
    )
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("audit/events.html", page=page, shown_changes=shown_changes)


@blueprint.route("/verify")
@read_view(Capability.READ_AUDIT)
def verify():
    result = verify_chain(db.session)
    anchors = db.session.scalars(queries.anchors_query().limit(20)).all()
    return render_template("audit/verify.html", result=result, anchors=anchors)


register_nav("audit.events", _l("Nhật ký thay đổi"), (Capability.READ_AUDIT,), order=90)
register_home_panel(
    "audit",
    "audit/_panel.html",
    (Capability.READ_AUDIT,),
    lambda user: {"anchors": db.session.scalars(queries.anchors_query().limit(1)).all()},
    order=95,
)
