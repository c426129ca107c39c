"""Background work: RQ when REDIS_URL is set, inline otherwise.

Two ways in:

* :func:`enqueue_after_commit` (the usual one) records a :class:`QueuedJob` row in
  the *current* transaction. Only when that transaction commits is the job handed
  to RQ, so a job never sees uncommitted rows, and a job whose transaction rolled
  back never runs. If Redis is unreachable at that moment the row stays pending
  and :func:`dispatch_pending` (run every minute by ``rq cron``) hands it over
  later: nothing is lost.
* :func:`enqueue` hands a job over now, for code that is not inside a
  transaction (cron entries, the sweeper itself).

Inline mode (no REDIS_URL, the ``make run`` default) runs jobs straight away in a
fresh application context and says so in the log. A job scheduled for later is
kept in the table and runs when it falls due (``flask jobs run-due``, or the
throttled tick in the development server): it is never silently dropped.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from matchmaker.db import db, utcnow
from matchmaker.models import QueuedJob

log = logging.getLogger(__name__)

#: Rows younger than this are left to the after-commit dispatcher, not the sweeper.
SWEEP_GRACE = timedelta(seconds=30)


def func_path(func: Callable | str) -> str:
    if isinstance(func, str):
        return func
    return f"{func.__module__}.{func.__qualname__}"


def resolve(path: str) -> Callable:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def redis_connection(app: Flask | None = None):
    """The app's Redis client, or None in inline mode. Created once per app."""
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    conn = app.extensions.get("matchmaker.redis")
    if conn is None:
        from redis import Redis

        conn = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        app.extensions["matchmaker.redis"] = conn
    return conn


def get_queue(app: Flask | None = None, name: str | None = None):
    from rq import Queue

    app = app or current_app
    return Queue(name or app.config["RQ_QUEUE"], connection=redis_connection(app))


def run_inline(path: str, args: list | tuple, kwargs: dict) -> None:
    """Run a job now, in its own app context so it gets its own database session."""
    app = current_app._get_current_object()
    log.warning("INLINE JOB (no REDIS_URL): running %s%r now in the web process", path, tuple(args))
    with app.app_context():
        resolve(path)(*args, **kwargs)


def enqueue(func: Callable | str, *args, job_id: str | None = None, **kwargs) -> str | None:
    """Hand a job to RQ now (or run it inline). Returns the RQ job id, if any."""
    path = func_path(func)
    if redis_connection() is None:
        run_inline(path, args, kwargs)
        return None
    job = get_queue().enqueue(path, *args, job_id=job_id, kwargs=kwargs or None)
    return job.id


def enqueue_after_commit(
    func: Callable | str, *args, run_at: datetime | None = None, session: Session | None = None,
    **kwargs,
) -> QueuedJob:
    """Record a job in the current transaction; it is dispatched once that commits.

    Pass ids and plain values only: the job reloads what it needs.
    """
    session = session or db.session
    row = QueuedJob(func=func_path(func), args=list(args), kwargs=kwargs, run_at=run_at)
    session.add(row)
    session.info.setdefault("queued_jobs", []).append(row)
    return row


def _dispatch_row(row_id: int, path: str, args: list, kwargs: dict, run_at: datetime | None) -> None:
    """Hand one recorded job over, then mark it dispatched in a short transaction.

    RQ job ids are derived from the row id, so a row dispatched twice (the
    sweeper racing a slow after-commit hook) overwrites one RQ job, not two.
    """
    app = current_app._get_current_object()
    conn = redis_connection(app)
    if conn is None:
        if run_at is not None and run_at > utcnow():
            log.warning(
                "INLINE MODE: job %s is scheduled for %s and is kept in queued_jobs "
                "until then (run `flask jobs run-due`).", path, run_at.isoformat()
            )
            return
        _mark_dispatched(app, row_id)
        run_inline(path, args, kwargs)
        return
    queue = get_queue(app)
    job_id = f"queued-{row_id}"
    if run_at is not None and run_at > utcnow():
        queue.enqueue_at(run_at, path, *args, job_id=job_id, kwargs=kwargs or None)
    else:
        queue.enqueue(path, *args, job_id=job_id, kwargs=kwargs or None)
    _mark_dispatched(app, row_id)


def _mark_dispatched(app: Flask, row_id: int) -> None:
    with app.app_context():
        with db.transaction() as session:
            row = session.get(QueuedJob, row_id)
            if row is not None:
                row.dispatched_at = utcnow()
                row.attempts += 1


def _after_commit(session: Session) -> None:
    rows = session.info.pop("queued_jobs", [])
    for row in rows:
        try:
            _dispatch_row(row.id, row.func, row.args, row.kwargs, row.run_at)
        except Exception:  # Redis down, or an inline job failed: the sweeper retries.
            log.exception("could not dispatch queued job %s (%s); it stays pending", row.id, row.func)


def _after_rollback(session: Session) -> None:
    session.info.pop("queued_jobs", None)


def dispatch_pending(now: datetime | None = None, limit: int = 500) -> int:
    """Hand over every recorded job that is due and was not dispatched. Returns the count.

    Safe to run concurrently with itself and with the after-commit hook: at worst
    a job is enqueued twice under the same RQ id, and jobs are idempotent anyway.
    """
    now = now or utcnow()
    app = current_app._get_current_object()
    horizon = now if redis_connection(app) is None else now + timedelta(days=365)
    with app.app_context():
        rows = db.session.execute(
            select(QueuedJob.id, QueuedJob.func, QueuedJob.args, QueuedJob.kwargs, QueuedJob.run_at)
            .where(
                QueuedJob.dispatched_at.is_(None),
                QueuedJob.created_at <= now - SWEEP_GRACE,
                or_(QueuedJob.run_at.is_(None), QueuedJob.run_at <= horizon),
            )
            .order_by(QueuedJob.id)
            .limit(limit)
        ).all()
        db.session.rollback()
    done = 0
    for row in rows:
        try:
            _dispatch_row(row.id, row.func, row.args, row.kwargs, row.run_at)
            done += 1
        except Exception:
            log.exception("job %s (%s) still cannot be dispatched", row.id, row.func)
    return done


def init_app(app: Flask) -> None:
    Session_ = app.extensions["matchmaker.db"].Session
    event.listen(Session_, "after_commit", _after_commit)
    event.listen(Session_, "after_soft_rollback", lambda s, _t: _after_rollback(s))
    if not app.config.get("REDIS_URL"):
        app.logger.warning("No REDIS_URL: background jobs run INLINE in the web process.")
