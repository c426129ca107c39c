"""After the event: milestone celebrations, reflections, first-timer buddy introductions.

Each table doubles as a guard: a unique key means an email about it can be
claimed by one job only, however many sweeps run at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.db import Base, UTCDateTime, utcnow

#: The completed-act counts that earn a short celebration.
MILESTONES = (1, 3, 5, 10)


class MilestoneAward(Base):
    """A resident reached their 1st/3rd/5th/10th completed act; celebrated once."""

    __tablename__ = "milestone_awards"
    __table_args__ = (
        UniqueConstraint("user_id", "milestone"),
        CheckConstraint("milestone IN (1, 3, 5, 10)", name="milestone_values"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    milestone: Mapped[int]
    #: The attended sign-up whose thank-you carried the celebration.
    signup_id: Mapped[int | None] = mapped_column(ForeignKey("signups.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reflection(Base):
    """The optional "how did it feel?" answer (1-5). Private to the resident."""

    __tablename__ = "reflections"
    __table_args__ = (
        CheckConstraint("feeling >= 1 AND feeling <= 5", name="feeling_range"),
        Index("ix_reflections_user_id", "user_id"),
    )

    signup_id: Mapped[int] = mapped_column(
        ForeignKey("signups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    feeling: Mapped[int]
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BuddyIntro(Base):
    """A first-timer and a regular going to the same occurrence, introduced once.

    Each side's email has its own ``*_sent_at``, claimed with a conditional
    UPDATE before sending (and cleared again if the mail server refuses).
    """

    __tablename__ = "buddy_intros"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "newcomer_id", "regular_id"),
        Index("ix_buddy_intros_newcomer_id", "newcomer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id", ondelete="CASCADE"))
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    regular_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The regular's attended count with the organization (or group) when introduced.
    regular_times: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    newcomer_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    regular_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
