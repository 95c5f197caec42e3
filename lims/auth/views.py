"""Sign in and out, language, and the admin's account pages."""

import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from lims.auth import queries, services
from lims.auth import tokens as tokens_service
from lims.auth.forms import ROLE_LABELS, LoginForm, NewPasswordForm, PasswordChangeForm, TokenForm, UserForm
from lims.auth.models import User
from lims.auth.permissions import Capability
from lims.core.errors import RuleViolation
from lims.core.forms import choices, show_refusal
from lims.core.model import utcnow
from lims.core.navigation import register_nav
from lims.core.web import client_address, read_view, write_view
from lims.extensions import db, login_manager

blueprint = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """Return the person a session or remember-me cookie names, if it was opened in their current generation.

    Signing out, a password change, deactivation and an admin's "sign out everywhere" raise the generation, so every
    older session and remember-me cookie of that person stops here, on the next request of each device.
    """
    user_id, _dot, generation = identity.partition(".")
    if not (user_id.isdigit() and generation.isdigit()):
        return None  # a cookie from before generations existed, or not one of ours
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after sign-in is a phishing aid. Browsers read "\" as "/" and drop
    # tabs and line breaks ("/\t/evil.example"), and a line break cannot go into the Location header at all.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(character in target for character in "\\\t\r\n")
        and not urlsplit(target).netloc
    ):
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
        db.session, form.username.data, form.password.data, client_address(), request.headers.get("User-Agent")
    )
    if result.wait_until is not None:
        seconds = max(1, math.ceil((result.wait_until - utcnow()).total_seconds()))
        flash(_("Đăng nhập sai nhiều lần: vui lòng thử lại sau %(n)d giây.", n=seconds), "danger")
        response = make_response(render_template("auth/login.html", form=form), 429)
        response.headers["Retry-After"] = str(seconds)
        return response
    if result.locked:
        flash(
            _(
                "Tài khoản đã bị khóa sau nhiều lần đăng nhập sai. Hãy mở liên kết đã gửi tới thư điện tử của "
                "tài khoản, hoặc nhờ quản trị viên mở khóa."
            ),
            "danger",
        )
        return render_template("auth/login.html", form=form), 423
    if result.user is None:
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "danger")
        return render_template("auth/login.html", form=form), 401
    session.clear()  # a fresh session on sign-in: no fixation
    login_user(result.user, remember=form.remember.data)
    return redirect(_safe_next(request.args.get("next")))


@blueprint.route("/logout", methods=["POST"])
@write_view(Capability.OWN_ACCOUNT, inspector_may=True)
def logout():
    services.end_sessions(db.session, current_user, current_user)
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


# --- one's account and API tokens ------------------------------------------------------------------------------


def _render_account(form: TokenForm, new_secret: str | None = None, status: int = 200):
    tokens = tokens_service.tokens_of(db.session, current_user)
    return render_template(
        "auth/account.html",
        form=form,
        tokens=tokens,
        uses=queries.token_uses(db.session, [token.id for token in tokens]),
        new_secret=new_secret,
        now=utcnow(),
    ), status


@blueprint.route("/account", methods=["GET"])
@read_view(Capability.OWN_ACCOUNT)
def account():
    return _render_account(TokenForm())


@blueprint.route("/account/tokens", methods=["POST"])
@write_view(Capability.OWN_ACCOUNT)
def token_create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _render_account(form, status=400)
    try:
        made = tokens_service.create_token(
            db.session, current_user, current_user, name=form.name.data, scope=form.scope.data,
            days=form.expires_days.data,
        )  # fmt: skip
    except RuleViolation as exc:
        show_refusal(form, exc)
        return _render_account(form, status=422)
    # Shown on this answer only: the lab keeps its hash, so it can never be shown again.
    return _render_account(TokenForm(formdata=None), new_secret=made.secret)


@blueprint.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@write_view(Capability.OWN_ACCOUNT)
def token_revoke(token_id: int):
    tokens_service.revoke_token(db.session, current_user, token_id)
    flash(_("Đã thu hồi mã truy cập."), "success")
    return redirect(url_for("auth.account"))


@blueprint.route("/account/password", methods=["GET"])
@read_view(Capability.OWN_ACCOUNT)
def password_form():
    return render_template("auth/password.html", form=PasswordChangeForm())


@blueprint.route("/account/password", methods=["POST"])
@write_view(Capability.CHANGE_PASSWORD, inspector_may=True)
def password_change():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form), 400
    try:
        services.change_own_password(db.session, current_user, form.current_password.data, form.password.data)
    except RuleViolation as exc:
        getattr(form, exc.field or "current_password").errors.append(exc.message)
        return render_template("auth/password.html", form=form), 422
    # The change ended every session of this person; this device goes on in the new generation.
    _continue_here(current_user._get_current_object())
    flash(_("Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc."), "success")
    return redirect(url_for("home.index"))


def _continue_here(user: User) -> None:
    """Keep this device signed in (remembered if it was) after its person's older sessions were ended."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remembered)


def _fill_choices(form: UserForm) -> None:
    organisations = db.session.scalars(queries.organisations_query()).all()
    form.organisation_id.choices = choices([(0, "—")] + [(o.id, o.name) for o in organisations])
    form.inspector_scope_ids.choices = choices((o.id, o.name) for o in organisations if o.kind == "enterprise")


@blueprint.route("/admin/users")
@read_view(Capability.MANAGE_USERS)
def users():
    return render_template("auth/users.html", users=db.session.scalars(queries.users_query()).all(), labels=ROLE_LABELS)


@blueprint.route("/admin/users/new", methods=["GET"])
@read_view(Capability.MANAGE_USERS)
def user_new():
    form = UserForm()
    _fill_choices(form)
    return render_template("auth/user_form.html", form=form, user=None)


@blueprint.route("/admin/users/new", methods=["POST"])
@write_view(Capability.MANAGE_USERS)
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
            current_user,
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
@read_view(Capability.MANAGE_USERS)
def user_edit(user_id: int):
    user = services.get_user(db.session, user_id)
    form = UserForm(obj=user)
    _fill_choices(form)
    form.roles.data = sorted(user.roles)
    form.organisation_id.data = user.organisation_id or 0
    form.inspector_scope_ids.data = [scope.organisation_id for scope in user.inspector_scopes]
    return render_template("auth/user_form.html", form=form, user=user)


@blueprint.route("/admin/users/<int:user_id>", methods=["POST"])
@write_view(Capability.MANAGE_USERS)
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


@blueprint.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@write_view(Capability.MANAGE_USERS)
def user_unlock(user_id: int):
    user = services.get_user(db.session, user_id)
    services.unlock_account(db.session, current_user, user)
    flash(_("Đã mở khóa tài khoản %(name)s.", name=user.username), "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))


@blueprint.route("/account/unlock/<token>", methods=["GET"])
@read_view(public=True)
def unlock_form(token: str):
    user = services.user_for_unlock_token(db.session, token)
    return render_template("auth/unlock.html", form=NewPasswordForm(), user=user)


@blueprint.route("/account/unlock/<token>", methods=["POST"])
@write_view(public=True)
def unlock_submit(token: str):
    user = services.user_for_unlock_token(db.session, token)
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/unlock.html", form=form, user=user), 400
    try:
        services.unlock_with_new_password(db.session, user, form.password.data)
    except RuleViolation as exc:
        form.password.errors.append(exc.message)
        return render_template("auth/unlock.html", form=form, user=user), 422
    flash(_("Đã mở khóa tài khoản và đặt mật khẩu mới; hãy đăng nhập."), "success")
    return redirect(url_for("auth.login"))


@blueprint.route("/admin/users/<int:user_id>/sign-out", methods=["POST"])
@write_view(Capability.MANAGE_USERS)
def user_sign_out(user_id: int):
    user = services.get_user(db.session, user_id)
    services.end_sessions(db.session, current_user, user)
    if user.id == current_user.id:
        _continue_here(user)
    flash(_("Mọi phiên đăng nhập của %(name)s đã kết thúc.", name=user.username), "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))


register_nav("auth.users", _l("Tài khoản"), (Capability.MANAGE_USERS,), order=95)
