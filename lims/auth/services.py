"""Sign-in (with throttling) and account management: the rules, the changes, the audit trail; never a commit."""

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth import throttle
from lims.auth.models import LAB_ROLES, ROLES, InspectorScope, LoginAttempt, User, UserRole, username_key
from lims.auth.passwords import check_password, hash_password, needs_rehash, password_problem
from lims.auth.permissions import Capability, may, require
from lims.core.errors import NotFound, PermissionDenied, RuleViolation
from lims.core.inputs import CONTROL_CHARACTER
from lims.core.model import nfc, utcnow
from lims.customers.models import Organisation, OutboxMessage
from lims.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignInResult:
    """The outcome of a sign-in: the person, or why not (``wait_until``: too early after failures; ``locked``)."""

    user: User | None
    wait_until: datetime | None = None
    locked: bool = False


def _record_attempt(username: str, remote_addr: str | None, user_agent: str | None, succeeded: bool) -> None:
    # Its own short transaction: a refused sign-in must still be recorded, whatever happens to the request.
    with Session(db.engine) as own:
        own.add(
            LoginAttempt(
                username=username[:80],
                remote_addr=remote_addr,
                # A header is the one input no form check sees: a NUL in it would fail on PostgreSQL.
                user_agent=CONTROL_CHARACTER.sub("", user_agent or "")[:300],
                succeeded=succeeded,
            )
        )
        own.commit()


def sign_in(
    session: Session, username: str, password: str, remote_addr: str | None, user_agent: str | None = None
) -> SignInResult:
    """Check a username and password; refuse early attempts after failures, and a locked account.

    See lims/auth/throttle.py for why failures slow the account and the (address, account) pair and lock only the
    account guessed, and only after LOGIN_LOCK_AFTER consecutive failures.
    """
    username = username_key(username)  # "An" and "an" are one account, counted together
    wait_until = throttle.not_before(session, username, remote_addr)
    if wait_until is not None:
        log.warning("sign-in for %r from %s refused until %s", username, remote_addr, wait_until)
        return SignInResult(None, wait_until=wait_until)
    user = session.scalar(select(User).where(User.username_key == username))
    if user is not None and user.locked_at is not None:
        # Checked before the password, so a locked account tells a guesser nothing about its password.
        _record_attempt(username, remote_addr, user_agent, succeeded=False)
        return SignInResult(None, locked=True)
    if not check_password(user.password_hash if user else None, password) or not user.active:
        _record_attempt(username, remote_addr, user_agent, succeeded=False)
        failures = throttle.record_failure(username, remote_addr)
        if user is not None and failures >= throttle.lock_after():
            _lock(user.id)
            return SignInResult(None, locked=True)
        return SignInResult(None)
    _record_attempt(username, remote_addr, user_agent, succeeded=True)
    throttle.clear(session, username, remote_addr)
    user.last_login_at = utcnow()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return SignInResult(user)


def _lock(user_id: int) -> None:
    # Its own transaction, like the failure that caused it; the owner is sent a link to unlock it themselves.
    with Session(db.engine) as own:
        user = own.get(User, user_id)
        if user.locked_at is None:
            user.locked_at = utcnow()
            own.flush()
            queue_unlock_link(own, user)
            log.warning("account %s locked after %d consecutive failed sign-ins", user.username, throttle.lock_after())
        own.commit()


UNLOCK_SALT = "lims-unlock"  # noqa: S105 - a signing namespace, not a secret
UNLOCK_LINK_HOURS = 24


def _unlock_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=UNLOCK_SALT)


def unlock_token(user: User) -> str:
    """Return the token of an unlock link: it names the account and the lock, so it stops working once used."""
    return _unlock_serializer().dumps({"user": user.id, "locked_at": user.locked_at.isoformat()})


def queue_unlock_link(session: Session, user: User) -> OutboxMessage | None:
    """Put an e-mail with the account's unlock link in the outbox (sent by `lims outbox send`); None without address."""
    if not user.email:
        return None
    link = f"{current_app.config['PUBLIC_URL']}/account/unlock/{unlock_token(user)}"
    message = OutboxMessage(
        organisation_id=user.organisation_id,
        channel="email",
        recipient=user.email,
        subject="Tài khoản LIMS bị khóa",
        body=(
            f"Tài khoản {user.username} đã bị khóa sau {throttle.lock_after()} lần đăng nhập sai liên tiếp.\n"
            f"Nếu đó là bạn, hãy đặt mật khẩu mới tại liên kết dưới đây (dùng được một lần, trong "
            f"{UNLOCK_LINK_HOURS} giờ); nếu không, có người đang đoán mật khẩu của bạn: hãy báo quản trị.\n\n"
            f"The account {user.username} was locked after {throttle.lock_after()} failed sign-ins in a row.\n"
            f"If that was you, set a new password at this link (single use, valid {UNLOCK_LINK_HOURS} hours); if "
            f"not, someone is guessing your password: tell your administrator.\n\n{link}\n"
        ),
    )
    session.add(message)
    session.flush()
    return message


def user_for_unlock_token(session: Session, token: str) -> User:
    """Return the locked account an unlock link names, refusing a link that expired, was used or was forged."""
    try:
        claims = _unlock_serializer().loads(token, max_age=UNLOCK_LINK_HOURS * 3600)
    except BadSignature:
        raise NotFound(_("Liên kết mở khóa không hợp lệ hoặc đã hết hạn")) from None
    user = session.get(User, claims.get("user")) if isinstance(claims, dict) else None
    if user is None or user.locked_at is None or user.locked_at.isoformat() != claims.get("locked_at"):
        raise NotFound(_("Liên kết mở khóa không hợp lệ hoặc đã hết hạn"))
    return user


def unlock_with_new_password(session: Session, user: User, new_password: str) -> None:
    """Let the owner of a locked account, back through the e-mailed link, unlock it by choosing a new password."""
    _check_new_password(new_password, username=user.username, full_name=user.full_name, current_hash=user.password_hash)
    user.password_hash = hash_password(new_password)
    _unlock(session, user)


def unlock_account(session: Session, actor: User, user: User) -> None:
    """Let an admin unlock an account locked by failed sign-ins."""
    require(actor, Capability.MANAGE_USERS)
    _unlock(session, user)


def _unlock(session: Session, user: User) -> None:
    user.locked_at = None
    user.end_sessions()
    throttle.clear(session, user.username)
    session.flush()
    log.info("account %s unlocked", user.username)


def _check_new_password(password: str, **context) -> None:
    problem = password_problem(password, **context)
    if problem:
        raise RuleViolation(problem, field="password")


def _validate_roles(roles) -> set[str]:
    roles = set(roles)
    unknown = roles - set(ROLES)
    if unknown:
        raise RuleViolation(_("Vai trò không tồn tại: %(items)s", items=", ".join(sorted(unknown))), field="roles")
    if not roles:
        raise RuleViolation(_("Cần ít nhất một vai trò"), field="roles")
    if "enterprise" in roles and roles - {"enterprise"}:
        raise RuleViolation(_("Tài khoản doanh nghiệp không kiêm vai trò khác"), field="roles")
    if "inspector" in roles and roles - {"inspector"}:
        raise RuleViolation(
            _("Tài khoản thanh tra chỉ đọc, không kiêm vai trò khác"),
            field="roles",
        )
    return roles


def _check_organisation(session: Session, roles: set[str], organisation_id: int | None) -> Organisation | None:
    if "enterprise" in roles and not organisation_id:
        raise RuleViolation(
            _("Tài khoản doanh nghiệp phải thuộc một doanh nghiệp"),
            field="organisation_id",
        )
    if roles & LAB_ROLES and not organisation_id:
        return lab_organisation(session)
    if not organisation_id:
        return None
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise RuleViolation(_("Tổ chức không tồn tại"), field="organisation_id")
    if roles & LAB_ROLES and organisation.kind != "lab":
        raise RuleViolation(
            _("Tài khoản nhân viên phòng thí nghiệm thuộc phòng thí nghiệm"),
            field="organisation_id",
        )
    return organisation


def lab_organisation(session: Session) -> Organisation:
    """Return the lab's own organisation, recording it from the lab's settings the first time it is needed."""
    lab = session.scalar(select(Organisation).where(Organisation.kind == "lab").order_by(Organisation.id).limit(1))
    if lab is None:
        config = current_app.config
        lab = Organisation(kind="lab", name=config["LAB_NAME"], address=config["LAB_ADDRESS"])
        session.add(lab)
        session.flush()
    return lab


def create_user(
    session: Session,
    actor,
    *,
    username: str,
    full_name: str,
    password: str,
    roles,
    email: str | None = None,
    organisation_id: int | None = None,
    inspector_scope_ids=(),
    policy: bool = True,
) -> User:
    """Create an account with its roles.

    :param policy: whether the password is held to the password policy; only the demo loader, whose accounts
        carry the password printed in the README, passes False (and it refuses to run in production).
    """
    require(actor, Capability.MANAGE_USERS)
    roles = _validate_roles(roles)
    username = nfc(username.strip())
    if session.scalar(select(User.id).where(User.username_key == username_key(username))):
        raise RuleViolation(_("Tên đăng nhập đã có: %(username)s", username=username), field="username")
    if policy:
        _check_new_password(password, username=username, full_name=full_name)
    organisation = _check_organisation(session, roles, organisation_id)
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email or None,
        password_hash=hash_password(password),
        organisation=organisation,
        role_grants=[UserRole(role=role) for role in sorted(roles)],
    )
    if "inspector" in roles:
        user.inspector_scopes = [InspectorScope(organisation_id=oid) for oid in sorted(set(inspector_scope_ids))]
    session.add(user)
    session.flush()
    log.info("account %s created with roles %s", username, sorted(roles))
    return user


def update_user(
    session: Session,
    actor,
    user: User,
    *,
    full_name: str,
    email: str | None,
    roles,
    active: bool,
    organisation_id: int | None,
    inspector_scope_ids=(),
    new_password: str | None = None,
) -> User:
    """Change an account's details, roles, scope or password."""
    require(actor, Capability.MANAGE_USERS)
    roles = _validate_roles(roles)
    if user.id == actor.id and ("admin" not in roles or not active):
        raise PermissionDenied(_("Không thể tự bỏ quyền quản trị hay tự khóa mình"))
    organisation = _check_organisation(session, roles, organisation_id)
    user.full_name = full_name.strip()
    user.email = email or None
    if user.active and not active:
        user.end_sessions()
    user.active = active
    user.organisation = organisation
    current = {grant.role: grant for grant in user.role_grants}
    for role in set(current) - roles:
        user.role_grants.remove(current[role])
    for role in sorted(roles - set(current)):
        user.role_grants.append(UserRole(role=role))
    wanted_scopes = set(inspector_scope_ids) if "inspector" in roles else set()
    existing_scopes = {scope.organisation_id: scope for scope in user.inspector_scopes}
    for oid in set(existing_scopes) - wanted_scopes:
        user.inspector_scopes.remove(existing_scopes[oid])
    for oid in sorted(wanted_scopes - set(existing_scopes)):
        user.inspector_scopes.append(InspectorScope(organisation_id=oid))
    if new_password:
        _check_new_password(new_password, username=user.username, full_name=user.full_name)
        user.password_hash = hash_password(new_password)
        user.end_sessions()
    session.flush()
    return user


def change_own_password(session: Session, actor, current_password: str, new_password: str) -> None:
    """Let a person change their own password after proving the current one."""
    require(actor, Capability.CHANGE_PASSWORD)
    if not check_password(actor.password_hash, current_password):
        raise RuleViolation(_("Mật khẩu hiện tại không đúng"), field="current_password")
    _check_new_password(
        new_password, username=actor.username, full_name=actor.full_name, current_hash=actor.password_hash
    )
    actor.password_hash = hash_password(new_password)
    actor.end_sessions()
    session.flush()


def end_sessions(session: Session, actor: User, user: User) -> None:
    """End every session and remember-me cookie of ``user`` (their own sign-out, or an admin's decision)."""
    require(actor, Capability.OWN_ACCOUNT)
    if actor.id != user.id and not may(actor, Capability.MANAGE_USERS):
        raise PermissionDenied(_("Chỉ quản trị viên kết thúc phiên của người khác"))
    user.end_sessions()
    session.flush()
    log.info("%s ended every session of %s", actor.username, user.username)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không có tài khoản này"))
    return user
