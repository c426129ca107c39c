"""Messages an organizer sends to everyone on an occurrence's roster.

The message row carries the form's idempotency key (unique), so a replayed or
double-clicked "Send" never creates a second message; each recipient row is
unique per (message, person) and carries its own ``sent_at``, so a job that runs
twice, or is retried half-way, never emails anyone twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchmaker.db import Base, UTCDateTime, utcnow


class RosterMessage(Base):
    __tablename__ = "roster_messages"
    __table_args__ = (Index("ix_roster_messages_occurrence_id", "occurrence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Random value put in the form when it was shown; one message per form.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(120))
    #: Plain text exactly as the organizer typed it (escaped in the HTML part).
    body: Mapped[str] = mapped_column(Text)
    #: confirmed | waitlist | both
    audience: Mapped[str] = mapped_column(String(16))
    #: The organizer's address for Reply-To, only if they ticked "let people reply".
    reply_to: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set when every recipient has been sent their copy.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipients: Mapped[list[RosterMessageRecipient]] = relationship(
        back_populates="message", cascade="all, delete-orphan",
        order_by="RosterMessageRecipient.id",
    )


class RosterMessageRecipient(Base):
    """One person a roster message goes to; the list is fixed when it is sent."""

    __tablename__ = "roster_message_recipients"
    __table_args__ = (UniqueConstraint("message_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("roster_messages.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    message: Mapped[RosterMessage] = relationship(back_populates="recipients")
