"""Organizations, who runs them, and invitations to co-organize."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from matchmaker.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from matchmaker.models.user import User


def name_key(name: str) -> str:
    """The form of a name that must be unique: 'Food  PANTRY ' and 'food pantry' clash.

    Python's casefold, not SQL's lower(): SQLite lowers ASCII only, so comparing in
    the database would let 'CAFÉ' and 'café' both in on one backend and not the other.
    """
    return " ".join(name.split()).casefold()


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("reminder_early_hours >= 0 AND reminder_early_hours <= 168",
                        name="reminder_early_range"),
        CheckConstraint("reminder_late_minutes >= 0 AND reminder_late_minutes <= 720",
                        name="reminder_late_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: ``name_key(name)``, kept in step by a validator; unique, so names clash
    #: regardless of case and spacing on every backend.
    name_key: Mapped[str] = mapped_column(String(120), unique=True)
    #: URL name, derived from the name once and kept stable when the name changes.
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    summary: Mapped[str] = mapped_column(String(280), default="")
    #: Plain text; paragraphs separated by a blank line. Escaped when shown.
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    #: How the platform reaches the organizers (verification, problems). Not public.
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    #: Town or neighbourhood shown on the public page (never a street address).
    area: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Set by a platform admin after checking the organization is real.
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Reminders before each date: hours before for the first ("tomorrow"),
    #: minutes before for the second ("in two hours"); 0 switches one off.
    reminder_early_hours: Mapped[int] = mapped_column(default=24)
    reminder_late_minutes: Mapped[int] = mapped_column(default=120)
    #: Introduce first-timers to a regular going to the same date (both must opt in).
    buddy_enabled: Mapped[bool] = mapped_column(default=True)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    @validates("name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        self.name_key = name_key(value)
        return value

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.slug}>"


class Membership(Base):
    """A person who runs an organization.

    Every member (``owner`` or ``organizer``) may edit the public page and invite
    or un-invite co-organizers; only an ``owner`` may remove another member.
    Anyone may leave, except the last owner.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("organization_id", "user_id"),
        Index("ix_memberships_user_id", "user_id"),
        CheckConstraint("role IN ('owner', 'organizer')", name="role_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default="organizer")  # owner | organizer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"


class Invitation(Base):
    """An emailed link that makes its holder a co-organizer. Single use, expires.

    The link carries a signed token naming this row (matchmaker.tokens); the row
    holds the state (accepted, revoked, expiry), so no secret is stored.
    """

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_organization_id", "organization_id"),
        Index("ix_invitations_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    #: Lower-cased; the accepting account's email must be this one.
    email: Mapped[str] = mapped_column(String(254))
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: When the email went out. The send job skips a row that has it (a job run
    #: twice sends once); "send again" clears it.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization: Mapped[Organization] = relationship(back_populates="invitations")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])

    def is_pending(self, now: datetime | None = None) -> bool:
        """Not accepted, not revoked, not expired: the link still works."""
        now = now or utcnow()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now
