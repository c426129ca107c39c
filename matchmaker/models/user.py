"""People and their ways in: accounts, signed-in sessions, API tokens."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from matchmaker.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from matchmaker.models.organization import Membership
    from matchmaker.models.profile import Profile


class Role(enum.StrEnum):
    RESIDENT = "resident"
    ORGANIZER = "organizer"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased; uniqueness is case-insensitive by construction.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.RESIDENT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Bumped on every password change; email tokens and sessions from before it die.
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Failed passwords in a row; reset by a successful login.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Part of the signed private calendar-feed token; bumping it revokes old feed URLs.
    calendar_feed_version: Mapped[int] = mapped_column(default=0)
    #: Set when the mail server refused this address for good (a 5xx): no more mail
    #: to it until the person changes the address or clears it on the Emails page.
    email_bouncing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What the server said, shown to the person so they can fix it.
    email_bounce_reason: Mapped[str] = mapped_column(String(300), default="")

    profile: Mapped[Profile | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan",
        foreign_keys="Membership.user_id",
    )
    login_sessions: Mapped[list[LoginSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    api_tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    # flask-login protocol. ``login_session_token`` is set by the auth service for
    # the current request; flask-login stores it in the cookie instead of the user
    # id, so a cookie names one revocable server-side session.
    login_session_token = None  # not a column: set per request

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.login_session_token

    @validates("email")
    def _new_address_is_not_bouncing(self, _key: str, value: str) -> str:
        # A changed address deserves a fresh try; the bounce was about the old one.
        if self.email is not None and value != self.email:
            self.email_bouncing_at = None
            self.email_bounce_reason = ""
        return value

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class LoginSession(Base):
    """One signed-in browser. The cookie carries a random token; we keep its hash."""

    __tablename__ = "login_sessions"
    __table_args__ = (Index("ix_login_sessions_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: sha256 of the cookie token: a stolen database does not yield live cookies.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship(back_populates="login_sessions")


class ApiToken(Base):
    """A personal API token, shown once at creation and stored only as a hash."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: First characters of the token, so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="api_tokens")
