"""Sign-in (with throttling) and account management: the rules, the changes, the audit trail; never a commit."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lims.auth.models import LAB_ROLES, ROLES, InspectorScope, LoginAttempt, User, UserRole, username_key
from lims.auth.passwords import check_password, hash_password, needs_rehash
from lims.core.errors import NotFound, PermissionDenied, RuleViolation
from lims.core.model import nfc, utcnow
from lims.customers.models import Organisation
from lims.extensions import db

log = logging.getLogger(__name__)

# A per-address limit catches one machine guessing many usernames; it is wider because a lab shares one address.
ADDRESS_FAILURE_FACTOR = 4


@dataclass(frozen=True)
class SignInResult:
    user: User | None
    locked: bool = False


def _recent_failures(session: Session, since, **match) -> int:
    query = select(func.count(LoginAttempt.id)).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since
    )
    for column, value in match.items():
        query = query.where(getattr(LoginAttempt, column) == value)
    return session.scalar(query) or 0


def _record_attempt(username: str, remote_addr: str | None, user_agent: str | None, succeeded: bool) -> None:
    # Its own short transaction: a refused sign-in must still be counted, whatever happens to the request.
    with Session(db.engine) as own:
        own.add(
            LoginAttempt(
                username=username[:80],
                remote_addr=remote_addr,
                user_agent=(user_agent or "")[:300],
                succeeded=succeeded,
            )
        )
        own.commit()


def sign_in(
    session: Session, username: str, password: str, remote_addr: str | None, user_agent: str | None = None
) -> SignInResult:
    """Check a username and password, refusing after repeated failures for that name or address."""
    username = username_key(username)  # "An" and "an" are one account, counted together
    window = timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    since = utcnow() - window
    last_success = session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    if last_success and last_success > since:
        since = last_success
    if (
        _recent_failures(session, since, username=username) >= limit
        or _recent_failures(session, utcnow() - window, remote_addr=remote_addr) >= limit * ADDRESS_FAILURE_FACTOR
    ):
        _record_attempt(username, remote_addr, user_agent, succeeded=False)
        log.warning("sign-in throttled for %r from %s", username, remote_addr)
        return SignInResult(None, locked=True)
    user = session.scalar(select(User).where(User.username_key == username_key(username)))
    if not check_password(user.password_hash if user else None, password) or not user.active:
        _record_attempt(username, remote_addr, user_agent, succeeded=False)
        return SignInResult(None)
    _record_attempt(username, remote_addr, user_agent, succeeded=True)
    user.last_login_at = utcnow()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return SignInResult(user)


def _validate_roles(roles) -> set[str]:
    roles = set(roles)
    unknown = roles - set(ROLES)
    if unknown:
        raise RuleViolation(f"Vai trò không tồn tại / unknown role: {', '.join(sorted(unknown))}", field="roles")
    if not roles:
        raise RuleViolation("Cần ít nhất một vai trò / at least one role is required", field="roles")
    if "enterprise" in roles and roles - {"enterprise"}:
        raise RuleViolation(
            "Tài khoản doanh nghiệp không kiêm vai trò khác / an enterprise account holds no other role", field="roles"
        )
    if "inspector" in roles and roles - {"inspector"}:
        raise RuleViolation(
            "Tài khoản thanh tra chỉ đọc, không kiêm vai trò khác / an inspector account holds no other role",
            field="roles",
        )
    return roles


def _check_organisation(session: Session, roles: set[str], organisation_id: int | None) -> Organisation | None:
    if "enterprise" in roles and not organisation_id:
        raise RuleViolation(
            "Tài khoản doanh nghiệp phải thuộc một doanh nghiệp / an enterprise account belongs to an enterprise",
            field="organisation_id",
        )
    if roles & LAB_ROLES and not organisation_id:
        return lab_organisation(session)
    if not organisation_id:
        return None
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise RuleViolation("Tổ chức không tồn tại / no such organisation", field="organisation_id")
    if roles & LAB_ROLES and organisation.kind != "lab":
        raise RuleViolation(
            "Tài khoản nhân viên phòng thí nghiệm thuộc phòng thí nghiệm / a lab staff account belongs to the lab",
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
    *,
    username: str,
    full_name: str,
    password: str,
    roles,
    email: str | None = None,
    organisation_id: int | None = None,
    inspector_scope_ids=(),
) -> User:
    """Create an account with its roles."""
    roles = _validate_roles(roles)
    username = nfc(username.strip())
    if session.scalar(select(User.id).where(User.username_key == username_key(username))):
        raise RuleViolation(f"Tên đăng nhập đã có / username taken: {username}", field="username")
    if len(password) < 10:
        raise RuleViolation(
            "Mật khẩu cần ít nhất 10 ký tự / the password needs at least 10 characters", field="password"
        )
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
    actor: User,
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
    roles = _validate_roles(roles)
    if user.id == actor.id and ("admin" not in roles or not active):
        raise PermissionDenied(
            "Không thể tự bỏ quyền quản trị hay tự khóa mình / you cannot remove your own admin role"
        )
    organisation = _check_organisation(session, roles, organisation_id)
    user.full_name = full_name.strip()
    user.email = email or None
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
        user.password_hash = hash_password(new_password)
    session.flush()
    return user


def change_own_password(session: Session, user: User, current_password: str, new_password: str) -> None:
    """Let a person change their own password after proving the current one."""
    if not check_password(user.password_hash, current_password):
        raise RuleViolation("Mật khẩu hiện tại không đúng / the current password is wrong", field="current_password")
    user.password_hash = hash_password(new_password)
    session.flush()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Không có tài khoản này / no such account")
    return user
