"""What the operations page needs to remember beyond Redis: the last run of each cron job.

Kept in the database, not in Redis, so the record survives a Redis restart (the
moment someone most wants to know whether the periodic work still runs).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from matchmaker.db import Base, UTCDateTime


class CronRun(Base):
    """One row per periodic job (its ``rq cron`` name), overwritten by each run."""

    __tablename__ = "cron_runs"

    #: The name given in workers/cron_config.py, e.g. "plan-digests".
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "running", "ok" or "failed".
    last_status: Mapped[str] = mapped_column(String(16), default="running")
    #: The failure of the last run, short; empty when it succeeded.
    last_error: Mapped[str] = mapped_column(String(500), default="")
