"""The transactional job outbox (see matchmaker.tasks)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.db import Base, UTCDateTime, utcnow


class QueuedJob(Base):
    """A job recorded in the same transaction as the change that asked for it.

    After commit it is handed to RQ (or run inline) and ``dispatched_at`` is set.
    If Redis was unreachable the row stays undispatched and the sweeper retries,
    so no follow-up work is lost and none runs before its data is committed.
    """

    __tablename__ = "queued_jobs"
    __table_args__ = (Index("ix_queued_jobs_pending", "dispatched_at", "run_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Dotted path of the job function, e.g. "workers.jobs.send_email".
    func: Mapped[str] = mapped_column(String(200))
    args: Mapped[list] = mapped_column(JSON, default=list)
    kwargs: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: NULL: as soon as possible.
    run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    #: The request (or job) that asked for this job; the worker logs under it too.
    request_id: Mapped[str | None] = mapped_column(String(64))


class SendHold(Base):
    """A one-off email claimed and not yet sent: how to undo the claim if its sender dies.

    See matchmaker.holds. Rows live for the length of one send.
    """

    __tablename__ = "send_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Dotted path of the function that undoes the claim: f(session, *args).
    release: Mapped[str] = mapped_column(String(200))
    args: Mapped[list] = mapped_column(JSON, default=list)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
