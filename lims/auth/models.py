"""People who use the system and the roles they hold."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from lims.auth.permissions import LAB_ROLES, ROLES, may_see_organisation
from lims.core.model import nfc, utcnow
from lims.customers.models import Organisation
from lims.extensions import db

__all__ = ["LAB_ROLES", "ROLES", "ApiToken", "ApiTokenUse", "InspectorScope", "LoginAttempt", "User", "UserRole"]


def username_key(username: str) -> str:
    """Return a username as accounts are told apart: composed, without surrounding spaces, case-folded."""
    return nfc(username.strip()).casefold()


class User(UserMixin, db.Model):
    """A person with an account: lab staff, an enterprise's user or a state inspector."""

    __tablename__ = "user_account"
    __audit_redact__ = frozenset({"password_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    # The name as signing in compares it: "An" and "an" are one person, so they cannot be two accounts.
    username_key: Mapped[str] = mapped_column(String(160), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Every session and remember-me cookie carries the generation it was opened in; raising it ends them all.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set after LOGIN_LOCK_AFTER consecutive failed sign-ins; cleared by the owner's e-mailed link or by an admin.
    locked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    role_grants: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    inspector_scopes: Mapped[list["InspectorScope"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @validates("username")
    def _keep_username_key(self, _key: str, username: str) -> str:
        self.username_key = username_key(username)
        return username

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(grant.role for grant in self.role_grants)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """Return the identity Flask-Login keeps in the session and the remember-me cookie: id and generation."""
        return f"{self.id}.{self.session_generation}"

    def end_sessions(self) -> None:
        """End every session and remember-me cookie of this person, on every device, at their next request."""
        self.session_generation = (self.session_generation or 0) + 1

    @property
    def is_lab_staff(self) -> bool:
        return bool(self.roles & LAB_ROLES)

    def can_read_organisation(self, organisation_id: int | None) -> bool:
        """Whether this person may read records belonging to an organisation (lims.auth.permissions decides)."""
        return may_see_organisation(self, organisation_id)


class UserRole(db.Model):
    """One role held by one person (a small lab's technician also signs)."""

    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="role_grants")


class InspectorScope(db.Model):
    """An organisation an inspector may read; an inspector with none may read all."""

    __tablename__ = "inspector_scope"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))

    user: Mapped[User] = relationship(back_populates="inspector_scopes")


class LoginAttempt(db.Model):
    """A sign-in attempt, kept to throttle password guessing; written even when the request is refused."""

    __tablename__ = "login_attempt"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    remote_addr: Mapped[str | None] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(default=False)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LoginThrottle(db.Model):
    """Consecutive failed sign-ins for an account (address "") or for one address guessing it, and when to listen again.

    Keyed by the typed username, whether or not such an account exists, so that throttling tells nobody which
    accounts exist.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("username", "remote_addr"),)
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    failures: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime | None]


class ApiToken(db.Model):
    """A personal access token for the API: shown once when created, kept only as its SHA-256, revocable."""

    __tablename__ = "api_token"
    __audit_redact__ = frozenset({"token_hash"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise a token in a list
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(10))  # read | write
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class ApiTokenUse(db.Model):
    """One request made with a token: when, what, from where and how it was answered."""

    __tablename__ = "api_token_use"
    __audited__ = False

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_token.id", ondelete="CASCADE"), index=True)
    used_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    status: Mapped[int]
    remote_addr: Mapped[str | None] = mapped_column(String(64))
