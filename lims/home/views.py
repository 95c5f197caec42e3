"""Each role's home page: the boxes the domains registered for that role."""

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lims.auth.permissions import Capability
from lims.core.navigation import home_panels
from lims.core.web import read_view

blueprint = Blueprint("home", __name__)

HOME_TITLES = {
    "admin": _l("Quản trị hệ thống"),
    "manager": _l("Bảng điều hành phòng thí nghiệm"),
    "signatory": _l("Phê duyệt và ký"),
    "technician": _l("Công việc của tôi"),
    "enterprise": _l("Cổng doanh nghiệp"),
    "inspector": _l("Thanh tra, kiểm tra (chỉ đọc)"),
}
ROLE_PRECEDENCE = ("admin", "manager", "signatory", "technician", "enterprise", "inspector")


@blueprint.route("/")
@read_view(public=True)
def root():
    return redirect(url_for("home.index"))


@blueprint.route("/home")
@read_view(Capability.OWN_ACCOUNT)
def index():
    main_role = next(role for role in ROLE_PRECEDENCE if role in current_user.roles)
    return render_template(
        "home/index.html", main_role=main_role, title=HOME_TITLES[main_role], panels=home_panels(current_user)
    )
