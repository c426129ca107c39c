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
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import event, inspect, or_, select
from sqlalchemy.orm import Session, SessionTransaction

from matchmaker import logs
from matchmaker.db import db, utcnow
from matchmaker.models import QueuedJob

log = logging.getLogger(__name__)

#: Rows younger than this are left to the after-commit dispatcher, not the sweeper.
SWEEP_GRACE = timedelta(seconds=30)
#: Inline mode under the development server: how often a request may run due jobs.
DEV_TICK_SECONDS = 60
#: session.info key of the jobs recorded in the session's current transaction.
_PENDING = "queued_jobs"
#: Every job handed to RQ is retried this often, after these waits (seconds), when it
#: raises *or* its worker dies mid-job: RQ's maintenance re-queues an abandoned job
#: that has retries left (StartedJobRegistry.cleanup). ``RQ_RETRY_INTERVALS`` in the
#: app config overrides the waits (tests use 0). Jobs guard their side effects, so a
#: retry never repeats one that happened.
RETRY_MAX = 3
RETRY_INTERVALS = (30, 120, 600)


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


def _rq_enqueue(queue, path: str, args, kwargs: dict, job_id: str | None,
                run_at: datetime | None = None):
    """Enqueue with explicit ``args=``/``kwargs=``.

    RQ refuses positional job arguments together with ``kwargs=`` (an assertion
    in ``Queue.parse_args``), so the two are always passed explicitly.
    """
    options = {"args": tuple(args), "kwargs": dict(kwargs or {}), "job_id": job_id,
               # The worker logs the job under the request id that asked for it.
               "meta": {"request_id": logs.current_request_id()},
               "retry": _retry()}
    if run_at is not None and run_at > utcnow():
        return queue.enqueue_at(run_at, path, **options)
    return queue.enqueue(path, **options)


def _retry():
    from rq import Retry

    intervals = current_app.config.get("RQ_RETRY_INTERVALS", RETRY_INTERVALS)
    return Retry(max=RETRY_MAX, interval=list(intervals))


def enqueue(func: Callable | str, *args, job_id: str | None = None, **kwargs) -> str | None:
    """Hand a job to RQ now (or run it inline). Returns the RQ job id, if any.

    If Redis is unreachable the job is kept in queued_jobs for the sweeper instead
    (and None returned): a caller never fails, and no work is lost, because Redis
    is down. The sweeper enqueues it under its row id, not ``job_id``; every job is
    safe to run twice, so losing that de-duplication key costs nothing.
    """
    from redis.exceptions import RedisError

    path = func_path(func)
    if redis_connection() is None:
        run_inline(path, args, kwargs)
        return None
    try:
        return _rq_enqueue(get_queue(), path, args, kwargs, job_id).id
    except RedisError as exc:
        _keep_for_sweeper(path, args, kwargs, exc)
        return None


def _keep_for_sweeper(path: str, args, kwargs: dict, exc: BaseException) -> None:
    """Record a job Redis refused in its own short transaction (not the caller's)."""
    state = current_app.extensions["matchmaker.db"]
    with state.Session() as session, session.begin():
        row = QueuedJob(func=path, args=list(args), kwargs=dict(kwargs or {}),
                        request_id=logs.current_request_id(),
                        last_error=f"{type(exc).__name__}: {exc}"[:500])
        session.add(row)
        session.flush()
        row_id = row.id
    log.error("Redis unreachable (%s): job %s kept as queued job %s for the sweeper",
              exc, path, row_id)


def enqueue_after_commit(
    func: Callable | str, *args, run_at: datetime | None = None, session: Session | None = None,
    **kwargs,
) -> QueuedJob:
    """Record a job in the current transaction; it is dispatched once that commits.

    Pass ids and plain values only: the job reloads what it needs. ``run_at`` (an
    aware datetime) delays the job; in inline mode it waits in the table until due.
    """
    session = session or db.session
    path = func_path(func)
    args, kwargs = list(args), dict(kwargs)
    row = QueuedJob(func=path, args=args, kwargs=kwargs, run_at=run_at,
                    request_id=logs.current_request_id())
    session.add(row)
    # The plain values are kept beside the row: the after-commit hook must not
    # touch the database (an expired attribute would mean a query).
    session.info.setdefault(_PENDING, []).append((row, path, args, kwargs, run_at))
    return row


def _dispatch_row(row_id: int, path: str, args: list, kwargs: dict, run_at: datetime | None,
                  inline: bool = False) -> bool:
    """Hand one recorded job over, then mark it dispatched in a short transaction.

    Returns False when the job is not due yet and stays in the table (inline mode).
    RQ job ids are derived from the row id, so a row dispatched twice (the
    sweeper racing a slow after-commit hook) overwrites one RQ job, not two.
    """
    app = current_app._get_current_object()
    conn = None if inline else redis_connection(app)
    if conn is None:
        if run_at is not None and run_at > utcnow():
            log.warning(
                "INLINE MODE: job %s is scheduled for %s and is kept in queued_jobs "
                "until then (run `flask jobs run-due`).", path, run_at.isoformat()
            )
            return False
        _mark_dispatched(app, row_id)
        run_inline(path, args, kwargs)
        return True
    _rq_enqueue(get_queue(app), path, args, kwargs, f"queued-{row_id}", run_at)
    _mark_dispatched(app, row_id)
    return True


def _mark_dispatched(app: Flask, row_id: int) -> None:
    with app.app_context(), db.transaction() as session:
        row = session.get(QueuedJob, row_id)
        if row is not None:
            row.dispatched_at = utcnow()
            row.attempts += 1
            row.last_error = ""


def _record_error(app: Flask, row_id: int, exc: BaseException) -> None:
    """Keep the latest failure on the row, for whoever looks at a stuck job."""
    try:
        with app.app_context(), db.transaction() as session:
            row = session.get(QueuedJob, row_id)
            if row is not None:
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
    except Exception:  # the database may be what failed; the log has the story
        log.exception("could not record the error of queued job %s", row_id)


def _after_commit(session: Session) -> None:
    entries = session.info.pop(_PENDING, [])
    if not entries:
        return
    app = current_app._get_current_object()
    for row, path, args, kwargs, run_at in entries:
        state = inspect(row)
        if not state.persistent:
            continue  # its INSERT was undone by a rolled-back SAVEPOINT
        row_id = state.identity[0]
        try:
            _dispatch_row(row_id, path, args, kwargs, run_at)
        except Exception as exc:  # Redis down, or an inline job failed: the sweeper retries.
            log.exception("could not dispatch queued job %s (%s); it stays pending", row_id, path)
            _record_error(app, row_id, exc)


def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    # Only the outermost rollback forgets the jobs. A rolled-back SAVEPOINT (or a
    # failed flush) leaves the others to commit; rows whose INSERT it undid are
    # skipped after commit because they are no longer persistent.
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def dispatch_pending(now: datetime | None = None, limit: int = 500, *,
                     grace: timedelta = SWEEP_GRACE, inline: bool = False) -> int:
    """Hand over every recorded job that is due and was not dispatched. Returns the count.

    ``inline=True`` runs the due jobs in this process even when REDIS_URL is set
    (``flask jobs run-due``). Rows younger than ``grace`` are left to the
    after-commit hook that is probably dispatching them right now.

    Safe to run concurrently with itself and with the after-commit hook: at worst
    a job is enqueued twice under the same RQ id, and jobs are idempotent anyway.
    """
    now = now or utcnow()
    app = current_app._get_current_object()
    to_rq = not inline and redis_connection(app) is not None
    horizon = now + timedelta(days=365) if to_rq else now
    with app.app_context():
        rows = db.session.execute(
            select(QueuedJob.id, QueuedJob.func, QueuedJob.args, QueuedJob.kwargs, QueuedJob.run_at,
                   QueuedJob.request_id)
            .where(
                QueuedJob.dispatched_at.is_(None),
                QueuedJob.created_at <= now - grace,
                or_(QueuedJob.run_at.is_(None), QueuedJob.run_at <= horizon),
            )
            .order_by(QueuedJob.id)
            .limit(limit)
        ).all()
        db.session.rollback()
    done = 0
    for row in rows:
        try:
            # Handed over under the id of the request that recorded it, not the sweeper's.
            with logs.bound(request_id=row.request_id):
                dispatched = _dispatch_row(row.id, row.func, row.args, row.kwargs, row.run_at,
                                           inline=inline)
            if dispatched:
                done += 1
        except Exception as exc:
            log.exception("job %s (%s) still cannot be dispatched", row.id, row.func)
            _record_error(app, row.id, exc)
    return done


def pending_counts(now: datetime | None = None) -> tuple[int, int]:
    """(due, scheduled for later) among the rows not dispatched yet."""
    from sqlalchemy import func

    now = now or utcnow()
    due = db.session.scalar(
        select(func.count()).select_from(QueuedJob).where(
            QueuedJob.dispatched_at.is_(None),
            or_(QueuedJob.run_at.is_(None), QueuedJob.run_at <= now),
        )
    )
    later = db.session.scalar(
        select(func.count()).select_from(QueuedJob).where(
            QueuedJob.dispatched_at.is_(None), QueuedJob.run_at > now,
        )
    )
    return int(due or 0), int(later or 0)


def _dev_tick_hook(app: Flask, clock: Callable[[], float] = time.monotonic) -> Callable[[], None]:
    """Inline mode under the development server: run due scheduled jobs, at most once a minute."""
    lock = threading.Lock()
    last = {"at": 0.0}

    def tick() -> None:
        # app.debug is read per request: `flask run --debug` sets it after create_app().
        if not app.debug or clock() - last["at"] < DEV_TICK_SECONDS:
            return
        if not lock.acquire(blocking=False):
            return
        try:
            last["at"] = clock()
            dispatch_pending()
        except Exception:  # never break a page because a background job failed
            log.exception("inline tick: running due jobs failed")
        finally:
            lock.release()

    return tick


def init_app(app: Flask) -> None:
    Session_ = app.extensions["matchmaker.db"].Session
    event.listen(Session_, "after_commit", _after_commit)
    event.listen(Session_, "after_soft_rollback", _after_soft_rollback)
    if not app.config.get("REDIS_URL"):
        app.logger.warning("No REDIS_URL: background jobs run INLINE in the web process.")
        if not app.testing:
            app.before_request(_dev_tick_hook(app))
