"""Sign in and out, language, and the admin's account pages."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from lims.auth import queries, services
from lims.auth.forms import ROLE_LABELS, LoginForm, PasswordChangeForm, UserForm
from lims.auth.models import User
from lims.core.errors import RuleViolation
from lims.core.forms import choices, show_refusal
from lims.core.navigation import register_nav
from lims.core.web import ALL_ROLES, read_view, write_view
from lims.extensions import db, login_manager

blueprint = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after sign-in is a phishing aid.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("home.index")


@blueprint.route("/login", methods=["GET"])
@read_view(public=True)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    return render_template("auth/login.html", form=LoginForm())


@blueprint.route("/login", methods=["POST"])
@write_view(public=True)
def login_submit():
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400
    result = services.sign_in(
        db.session, form.username.data, form.password.data, request.remote_addr, request.headers.get("User-Agent")
    )
    if result.locked:
        flash(_("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút."), "danger")
        return render_template("auth/login.html", form=form), 429
    if result.user is None:
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "danger")
        return render_template("auth/login.html", form=form), 401
    session.clear()  # a fresh session on sign-in: no fixation
    login_user(result.user, remember=form.remember.data)
    return redirect(_safe_next(request.args.get("next")))


@blueprint.route("/logout", methods=["POST"])
@write_view(*ALL_ROLES, inspector_may=True)
def logout():
    logout_user()
    session.clear()
    flash(_("Đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@blueprint.route("/lang/<code>")
@read_view(public=True)
def set_language(code: str):
    # A display preference kept in the signed session cookie, not a record: a plain link serves everyone.
    if code in ("vi", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")))


@blueprint.route("/account/password", methods=["GET"])
@read_view(*ALL_ROLES)
def password_form():
    return render_template("auth/password.html", form=PasswordChangeForm())


@blueprint.route("/account/password", methods=["POST"])
@write_view(*(ALL_ROLES - {"inspector"}))
def password_change():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 400
    try:
        services.change_own_password(db.session, current_user, form.current_password.data, form.password.data)
    except RuleViolation as exc:
        form.current_password.errors.append(exc.message)
        return render_template("auth/password.html", form=form), 422
    flash(_("Đã đổi mật khẩu."), "success")
    return redirect(url_for("home.index"))


def _fill_choices(form: UserForm) -> None:
    organisations = db.session.scalars(queries.organisations_query()).all()
    form.organisation_id.choices = choices([(0, "—")] + [(o.id, o.name) for o in organisations])
    form.inspector_scope_ids.choices = choices((o.id, o.name) for o in organisations if o.kind == "enterprise")


@blueprint.route("/admin/users")
@read_view("admin")
def users():
    return render_template("auth/users.html", users=db.session.scalars(queries.users_query()).all(), labels=ROLE_LABELS)


@blueprint.route("/admin/users/new", methods=["GET"])
@read_view("admin")
def user_new():
    form = UserForm()
    _fill_choices(form)
    return render_template("auth/user_form.html", form=form, user=None)


@blueprint.route("/admin/users/new", methods=["POST"])
@write_view("admin")
def user_create():
    form = UserForm()
    _fill_choices(form)
    if not form.validate_on_submit() or not form.password.data:
        if not form.password.data:
            form.password.errors = [*form.password.errors, _("Cần đặt mật khẩu cho tài khoản mới.")]
        return render_template("auth/user_form.html", form=form, user=None), 400
    try:
        user = services.create_user(
            db.session,
            username=form.username.data,
            full_name=form.full_name.data,
            email=form.email.data,
            password=form.password.data,
            roles=form.roles.data,
            organisation_id=form.organisation_id.data or None,
            inspector_scope_ids=form.inspector_scope_ids.data,
        )
    except RuleViolation as exc:
        show_refusal(form, exc)
        return render_template("auth/user_form.html", form=form, user=None), 422
    flash(_("Đã tạo tài khoản %(name)s.", name=user.username), "success")
    return redirect(url_for("auth.users"))


@blueprint.route("/admin/users/<int:user_id>", methods=["GET"])
@read_view("admin")
def user_edit(user_id: int):
    user = services.get_user(db.session, user_id)
    form = UserForm(obj=user)
    _fill_choices(form)
    form.roles.data = sorted(user.roles)
    form.organisation_id.data = user.organisation_id or 0
    form.inspector_scope_ids.data = [scope.organisation_id for scope in user.inspector_scopes]
    return render_template("auth/user_form.html", form=form, user=user)


@blueprint.route("/admin/users/<int:user_id>", methods=["POST"])
@write_view("admin")
def user_update(user_id: int):
    user = services.get_user(db.session, user_id)
    form = UserForm()
    _fill_choices(form)
    form.username.data = user.username
    if not form.validate_on_submit():
        return render_template("auth/user_form.html", form=form, user=user), 400
    try:
        services.update_user(
            db.session,
            current_user,
            user,
            full_name=form.full_name.data,
            email=form.email.data,
            roles=form.roles.data,
            active=form.active.data,
            organisation_id=form.organisation_id.data or None,
            inspector_scope_ids=form.inspector_scope_ids.data,
            new_password=form.password.data or None,
        )
    except RuleViolation as exc:
        show_refusal(form, exc)
        return render_template("auth/user_form.html", form=form, user=user), exc.status
    flash(_("Đã lưu tài khoản %(name)s.", name=user.username), "success")
    return redirect(url_for("auth.users"))


register_nav("auth.users", _l("Tài khoản"), ("admin",), order=95)
