"""The digest outbox: one row per (person, kind, period), the guard of "exactly once".

A row is committed *before* its email is sent; ``sent_at`` is set only after the
mail server accepted the message. So re-triggering a period finds the row and
sends nothing, and a crash leaves an unsent row that the next sweep resumes.
A row may also end without an email: nothing to say that week, the address is
bouncing, or the person switched digests off in the meantime.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.db import Base, UTCDateTime, utcnow


class DigestKind(enum.StrEnum):
    RESIDENT = "resident"
    ORGANIZER = "organizer"


class DigestStatus(enum.StrEnum):
    #: Committed, not sent yet (or a send failed and will be retried).
    PENDING = "pending"
    SENT = "sent"
    #: Nothing to show and no commitments: no email this period (on purpose).
    EMPTY = "empty"
    #: Not sent: the address bounced, or digests were switched off meanwhile.
    SKIPPED = "skipped"


class DigestOutbox(Base):
    __tablename__ = "digest_outbox"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "period"),
        CheckConstraint("kind IN ('resident', 'organizer')", name="kind_values"),
        CheckConstraint("status IN ('pending', 'sent', 'empty', 'skipped')",
                        name="status_values"),
        #: The sweep looks for rows left pending by a crash or a temporary failure.
        Index("ix_digest_outbox_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    #: The person's local ISO week of the send time, e.g. "2026-W47".
    period: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=DigestStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set once the mail server accepted the message; never cleared.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    #: The latest failure, for whoever looks at a stuck row.
    last_error: Mapped[str] = mapped_column(String(500), default="")
    message_id: Mapped[str] = mapped_column(String(200), default="")
