"""What the background machinery is doing, for the admin operations page.

Reads (no Flask request in here, so the page's view stays HTTP only):

* RQ queue depths per queue: queued, started, scheduled, deferred, failed;
* the most recent failed jobs, with a retry and a delete;
* the database job outbox (``queued_jobs`` rows not handed to RQ yet) and the
  digest outbox backlog, each as a count and the age of the oldest;
* the last run of each periodic job, from ``cron_runs``.

Writes ``cron_runs``: :func:`cron_run` wraps each run of a periodic job in the
worker (workers.jobs.job_context), in short transactions of its own so that the
record survives the job's rollback, and a failure to record never fails the job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.db import utcnow
from matchmaker.models import CronRun, DigestOutbox, DigestStatus, QueuedJob

log = logging.getLogger(__name__)

#: Failed jobs listed on the page, newest first.
FAILED_SHOWN = 20
#: The error shown per failed job: its last line, cut to this length.
ERROR_CHARS = 200


# --- cron runs -------------------------------------------------------------------------------

def _record(name: str, **values) -> None:
    session_factory = current_app.extensions["matchmaker.db"].Session
    for _attempt in range(2):  # a first-ever run racing another inserts twice: update then
        with session_factory() as session:
            try:
                row = session.get(CronRun, name) or CronRun(name=name)
                for key, value in values.items():
                    setattr(row, key, value)
                session.add(row)
                session.commit()
                return
            except IntegrityError:
                session.rollback()


def _safely_record(name: str, **values) -> None:
    try:
        _record(name, **values)
    except Exception:  # the database may be what is failing; the job must go on
        log.exception("could not record the run of periodic job %s", name)


def short_error(exc_text: str | None) -> str:
    """The last non-empty line of a traceback (the exception itself), cut short."""
    lines = [line.strip() for line in (exc_text or "").splitlines() if line.strip()]
    return lines[-1][:ERROR_CHARS] if lines else ""


@contextmanager
def cron_run(name: str) -> Iterator[None]:
    """Record the start and the outcome of one run of the periodic job ``name``."""
    _safely_record(name, last_started_at=utcnow(), last_finished_at=None,
                   last_status="running", last_error="")
    try:
        yield
    except Exception as exc:
        _safely_record(name, last_finished_at=utcnow(), last_status="failed",
                       last_error=f"{type(exc).__name__}: {exc}"[:500])
        raise
    _safely_record(name, last_finished_at=utcnow(), last_status="ok", last_error="")


def cron_runs(session: Session) -> list[CronRun]:
    return list(session.scalars(select(CronRun).order_by(CronRun.name)))


def describe_age(delta: timedelta | None) -> str:
    """"3 min", "2 h 5 min", "4 days": how long ago, in plain words."""
    if delta is None:
        return "–"
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


# --- the database outboxes --------------------------------------------------------------------

@dataclass(frozen=True)
class Backlog:
    count: int
    oldest: datetime | None
    #: Rows whose latest attempt left an error (job outbox only).
    with_errors: int = 0
    #: Job outbox rows waiting for their run_at (not due: not a backlog).
    scheduled: int = 0

    def oldest_age(self, now: datetime | None = None) -> timedelta | None:
        return None if self.oldest is None else (now or utcnow()) - self.oldest


def job_outbox(session: Session, now: datetime | None = None) -> Backlog:
    """queued_jobs rows not handed over yet: the due ones (a backlog) and the scheduled ones."""
    now = now or utcnow()
    pending = QueuedJob.dispatched_at.is_(None)
    due = pending & (QueuedJob.run_at.is_(None) | (QueuedJob.run_at <= now))
    count, oldest, errors = session.execute(
        select(func.count(), func.min(QueuedJob.created_at),
               func.count().filter(QueuedJob.last_error != "")).where(due)
    ).one()
    scheduled = session.scalar(
        select(func.count()).select_from(QueuedJob).where(pending, QueuedJob.run_at > now))
    return Backlog(int(count or 0), oldest, int(errors or 0), int(scheduled or 0))


def digest_outbox(session: Session) -> Backlog:
    count, oldest = session.execute(
        select(func.count(), func.min(DigestOutbox.created_at))
        .where(DigestOutbox.status == DigestStatus.PENDING)
    ).one()
    return Backlog(int(count or 0), oldest)


# --- RQ ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueDepth:
    name: str
    queued: int
    started: int
    scheduled: int
    deferred: int
    failed: int


@dataclass(frozen=True)
class FailedJob:
    queue: str
    id: str
    func: str
    ended_at: datetime | None
    error: str
    request_id: str


def queues(conn, default_name: str) -> list:
    """Every queue RQ knows in this Redis, the app's own first even if still empty."""
    from rq import Queue

    known = {q.name: q for q in Queue.all(connection=conn)}
    known.setdefault(default_name, Queue(default_name, connection=conn))
    return [known[default_name]] + [known[n] for n in sorted(known) if n != default_name]


def queue_depths(rq_queues: list) -> list[QueueDepth]:
    return [QueueDepth(q.name, q.count, q.started_job_registry.count,
                       q.scheduled_job_registry.count, q.deferred_job_registry.count,
                       q.failed_job_registry.count) for q in rq_queues]


def worker_count(conn) -> int:
    """Workers registered in this Redis (each heartbeats; a dead one expires)."""
    from rq import Worker

    return Worker.count(connection=conn)


def failed_jobs(rq_queues: list, limit: int = FAILED_SHOWN) -> list[FailedJob]:
    """The most recently failed jobs of all queues, newest first."""
    from rq.job import Job

    found: list[FailedJob] = []
    for q in rq_queues:
        ids = q.failed_job_registry.get_job_ids(0, limit - 1, desc=True)
        for job in Job.fetch_many(ids, connection=q.connection):
            if job is None:  # expired between the two reads
                continue
            found.append(FailedJob(q.name, job.id, job.func_name or "?", job.ended_at,
                                   short_error(_exc_string(job)),
                                   str((job.meta or {}).get("request_id") or "")))
    found.sort(key=lambda j: j.ended_at or datetime.min.replace(tzinfo=utcnow().tzinfo),
               reverse=True)
    return found[:limit]


def _exc_string(job) -> str:
    result = job.latest_result()
    return (result.exc_string if result is not None else "") or ""


def find_failed(rq_queues: list, queue_name: str, job_id: str):
    """The queue holding ``job_id`` among its failed jobs, or None."""
    for q in rq_queues:
        if q.name == queue_name and job_id in q.failed_job_registry:
            return q
    return None


def retry_failed(queue, job_id: str) -> None:
    """Put a failed job back at the end of its queue (RQ keeps its id and meta)."""
    queue.failed_job_registry.requeue(job_id)


def delete_failed(queue, job_id: str) -> None:
    queue.failed_job_registry.remove(job_id, delete_job=True)
