"""What the matcher suggested to each resident, and which match alerts went out.

Recommendations are a cache of the matcher's output: a job replaces a
resident's rows wholesale (never edits one), so the table only ever holds the
latest ranking. ``rank`` is 1 for the best; ``reasons`` are the short plain
words shown next to each suggestion.

Match alerts ("a new opportunity suits you very well") get one row per
(resident, occurrence): the unique key means a job run twice never emails twice,
and counting a resident's rows in the last seven days caps them per week.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.db import Base, UTCDateTime, utcnow


class Recommendation(Base):
    __tablename__ = "recommendations"
    __table_args__ = (
        #: The "For you" page and the API read a resident's rows in rank order.
        Index("ix_recommendations_user_id_rank", "user_id", "rank"),
    )

    #: (user_id, occurrence_id) is the key: one row per suggestion, and no
    #: surrogate id to generate for the million rows a nightly rematch writes.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: No foreign key on purpose: checking one per row (each occurrence is in
    #: thousands of lists) doubled the time to write a nightly rematch. Readers
    #: join ``occurrences``, so a row whose occurrence was deleted is never
    #: shown, and the resident's next rematch removes it.
    occurrence_id: Mapped[int] = mapped_column(primary_key=True)
    #: 0..1 from matchmaker.matching.scoring (waitlist matches already scaled down).
    score: Mapped[float]
    rank: Mapped[int]
    #: ["Gardening", "about 1 km", ...]
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    #: Full when computed: offered as "join the waitlist".
    waitlist: Mapped[bool] = mapped_column(default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchAlert(Base):
    """One "this suits you" email to one resident about one occurrence."""

    __tablename__ = "match_alerts"
    __table_args__ = (
        UniqueConstraint("user_id", "occurrence_id"),
        Index("ix_match_alerts_user_id_sent_at", "user_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id", ondelete="CASCADE"))
    #: Set when the email went out; a row without it was claimed but not sent
    #: (the send failed) and is retried by the next run.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
