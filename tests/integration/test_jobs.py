"""The job outbox (matchmaker.tasks) with real Redis, a real RQ worker and real SMTP.

Redis hygiene: each test uses a queue of its own and deletes only the keys it
made (its queue, its registries, jobs whose origin is its queue); never FLUSHALL.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from matchmaker.config import PROJECT_ROOT
from matchmaker.db import db, utcnow
from matchmaker.models import QueuedJob
from matchmaker.tasks import dispatch_pending, enqueue, enqueue_after_commit

JOB = "workers.jobs.send_account_email"

#: Calls of :func:`record_call`, a job for tests that only need to see it ran.
CALLS: list[tuple] = []


def record_call(*args, **kwargs) -> None:
    CALLS.append((args, kwargs))


RECORD = f"{__name__}.record_call"


@pytest.fixture(autouse=True)
def _clear_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends


def _cleanup_queue(conn, name: str) -> None:
    """Delete the queue, its registries and its jobs (with their results): nothing else."""
    job_ids = []
    for key in conn.scan_iter(match="rq:job:*", count=1000):
        if conn.type(key) == b"hash" and conn.hget(key, "origin") == name.encode():
            job_ids.append(key.decode().removeprefix("rq:job:"))
    for job_id in job_ids:
        for pattern in (f"rq:*:{job_id}", f"rq:*:{job_id}:*"):
            for key in conn.scan_iter(match=pattern, count=1000):
                conn.delete(key)
    for key in conn.scan_iter(match=f"*{name}*", count=1000):
        conn.delete(key)
    conn.srem("rq:queues", f"rq:queue:{name}")


@pytest.fixture
def rq_queue(redis_url):
    """(redis connection, a fresh queue name); cleaned up afterwards."""
    from redis import Redis

    conn = Redis.from_url(redis_url)
    name = f"mm-test-{uuid.uuid4().hex[:10]}"
    yield conn, name
    _cleanup_queue(conn, name)
    conn.close()


@pytest.fixture
def redis_app(app, redis_url, rq_queue):
    """The test app switched to RQ mode on a queue of its own."""
    _conn, name = rq_queue
    app.config["REDIS_URL"] = redis_url
    app.config["RQ_QUEUE"] = name
    app.extensions.pop("matchmaker.redis", None)
    yield app
    app.extensions.pop("matchmaker.redis", None)


def _queue(conn, name):
    from rq import Queue

    return Queue(name, connection=conn)


# --- (a) enqueue after commit, with Redis ------------------------------------------------------

@pytest.mark.redis
def test_job_is_handed_to_rq_only_after_commit(redis_app, rq_queue, session, make_user):
    from rq.job import Job

    conn, name = rq_queue
    user = make_user()
    row = enqueue_after_commit(JOB, "verify", user.id)
    session.flush()
    assert session.get(QueuedJob, row.id).dispatched_at is None
    assert _queue(conn, name).job_ids == []  # nothing visible before the commit

    session.commit()
    job_id = f"queued-{row.id}"
    assert _queue(conn, name).job_ids == [job_id]
    job = Job.fetch(job_id, connection=conn)
    assert job.func_name == JOB and job.args == ("verify", user.id) and job.kwargs == {}
    session.expire_all()
    stored = session.get(QueuedJob, row.id)
    assert stored.dispatched_at is not None and stored.attempts == 1


@pytest.mark.redis
def test_rollback_dispatches_nothing(redis_app, rq_queue, session, make_user):
    conn, name = rq_queue
    user = make_user()
    row = enqueue_after_commit(JOB, "verify", user.id)
    session.flush()
    row_id = row.id
    session.rollback()
    session.commit()  # a later, unrelated commit must not resurrect it
    assert _queue(conn, name).job_ids == []
    assert conn.exists(f"rq:job:queued-{row_id}") == 0
    assert session.get(QueuedJob, row_id) is None


@pytest.mark.redis
def test_scheduled_job_goes_to_rqs_scheduled_registry(redis_app, rq_queue, session, make_user):
    from rq.registry import ScheduledJobRegistry

    conn, name = rq_queue
    when = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    row = enqueue_after_commit(RECORD, 1, run_at=when)
    session.commit()
    registry = ScheduledJobRegistry(name, connection=conn)
    assert registry.get_job_ids() == [f"queued-{row.id}"]
    assert registry.get_scheduled_time(f"queued-{row.id}") == when
    assert _queue(conn, name).job_ids == []


@pytest.mark.redis
def test_enqueue_now_passes_args_and_kwargs(redis_app, rq_queue):
    from rq.job import Job

    conn, _name = rq_queue
    job_id = enqueue(RECORD, 1, "two", three=3)
    job = Job.fetch(job_id, connection=conn)
    assert job.args == (1, "two") and job.kwargs == {"three": 3}


# --- (b) a real worker process sends a real email -------------------------------------------------

@pytest.fixture
def committed_app(tmp_path, redis_url, rq_queue, smtp_sink):
    """An app on a database of its own whose commits are real (other processes see them)."""
    import matchmaker.models  # noqa: F401
    from matchmaker import create_app
    from matchmaker.db import Base, make_engine

    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    _conn, name = rq_queue
    settings = {
        "DATABASE_URL": url, "REDIS_URL": redis_url, "RQ_QUEUE": name,
        "SMTP_URL": smtp_sink.url, "SECRET_KEY": "shared-test-secret",
        "BASE_URL": "http://localhost",
    }
    app = create_app(TESTING=True, OUTBOX_DIR=str(tmp_path / "outbox"),
                     RATELIMIT_STORAGE_URI="memory://", **settings)
    env = {**os.environ, **settings, "INSTANCE_PATH": str(tmp_path / "instance")}
    with app.app_context():
        yield app, env
        db.engine.dispose()


@pytest.mark.redis
def test_worker_process_sends_the_email_through_smtp(committed_app, rq_queue, smtp_sink):
    from matchmaker.auth.services import create_user
    from matchmaker.models import User

    app, env = committed_app
    conn, name = rq_queue
    user = create_user(db.session, "wren@example.org", "Wren", "a long enough password")
    enqueue_after_commit(JOB, "verify", user.id)
    db.session.commit()
    assert _queue(conn, name).count == 1

    proc = subprocess.run(
        [sys.executable, "-m", "workers.worker", "--burst", name],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Job OK" in proc.stderr or "Successfully completed" in proc.stderr, proc.stderr[-3000:]
    [msg] = smtp_sink.messages
    assert msg["To"] == "wren@example.org"
    assert "confirm" in msg["Subject"].lower()
    text = msg.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/verify/" in word)

    # The link the worker minted works in the web app: the processes agree on everything.
    client = app.test_client()
    assert client.get(link.replace("http://localhost", "")).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "wren@example.org")).is_verified


def test_worker_without_redis_url_refuses_to_start(tmp_path):
    env = {**os.environ, "REDIS_URL": "", "INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "SECRET_KEY": "x"}
    proc = subprocess.run([sys.executable, "-m", "workers.worker", "--burst"], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "REDIS_URL is not set" in proc.stderr


# --- (c) Redis down: nothing lost -----------------------------------------------------------------

@pytest.mark.redis
def test_redis_down_keeps_the_job_and_the_sweeper_hands_it_over(
    app, redis_url, rq_queue, session, make_user, outbox, caplog,
):
    from rq import SimpleWorker
    from rq.job import Job, JobStatus

    conn, name = rq_queue
    user = make_user(email="patient@example.org")
    app.config["RQ_QUEUE"] = name
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
    app.extensions.pop("matchmaker.redis", None)

    row = enqueue_after_commit(JOB, "password-changed", user.id)
    with caplog.at_level(logging.ERROR, logger="matchmaker.tasks"):
        session.commit()  # the commit itself succeeds: the job is safe in the table
    assert "stays pending" in caplog.text
    session.expire_all()
    stored = session.get(QueuedJob, row.id)
    assert stored.dispatched_at is None and "ConnectionError" in stored.last_error

    # The sweeper while Redis is still down: still pending, still not lost.
    assert dispatch_pending(now=utcnow() + timedelta(minutes=1)) == 0
    session.expire_all()
    assert session.get(QueuedJob, row.id).dispatched_at is None

    # Redis is back.
    app.config["REDIS_URL"] = redis_url
    app.extensions.pop("matchmaker.redis", None)
    assert dispatch_pending(now=utcnow() + timedelta(minutes=1)) == 1
    session.expire_all()
    assert session.get(QueuedJob, row.id).dispatched_at is not None
    assert _queue(conn, name).job_ids == [f"queued-{row.id}"]
    assert dispatch_pending(now=utcnow() + timedelta(minutes=1)) == 0  # once only

    # And a worker runs it (in-process, so it sees this test's transaction).
    SimpleWorker([_queue(conn, name)], connection=conn).work(burst=True)
    job = Job.fetch(f"queued-{row.id}", connection=conn)
    assert job.get_status() == JobStatus.FINISHED, job.exc_info
    assert [m["To"] for m in outbox.messages] == ["patient@example.org"]


# --- (d) inline mode ---------------------------------------------------------------------------

def test_inline_mode_runs_the_job_after_commit_and_says_so(app, session, caplog):
    assert not app.config["REDIS_URL"]
    enqueue_after_commit(RECORD, 7, colour="green")
    assert CALLS == []
    with caplog.at_level(logging.WARNING, logger="matchmaker.tasks"):
        session.commit()
    assert CALLS == [((7,), {"colour": "green"})]
    assert "INLINE" in caplog.text
    assert session.scalar(select(QueuedJob.dispatched_at)) is not None


def test_inline_mode_keeps_a_future_job_until_it_is_due(app, session, caplog):
    runner = app.test_cli_runner()
    when = utcnow() + timedelta(days=2)
    row = enqueue_after_commit(RECORD, "reminder", run_at=when)
    with caplog.at_level(logging.WARNING, logger="matchmaker.tasks"):
        session.commit()
    assert CALLS == []
    assert "kept in queued_jobs" in caplog.text
    assert session.get(QueuedJob, row.id).dispatched_at is None

    assert "ran 0 due job(s)" in runner.invoke(args=["jobs", "run-due"]).output
    with time_machine.travel(when - timedelta(minutes=1)):
        assert dispatch_pending() == 0
    assert CALLS == []
    with time_machine.travel(when + timedelta(minutes=1)):
        result = runner.invoke(args=["jobs", "run-due"])
    assert "ran 1 due job(s)" in result.output, result.output
    assert CALLS == [(("reminder",), {})]
    session.expire_all()
    assert session.get(QueuedJob, row.id).dispatched_at is not None


def test_a_failing_inline_job_is_logged_and_recorded(app, session, caplog):
    row = enqueue_after_commit(f"{__name__}.no_such_job")
    with caplog.at_level(logging.ERROR, logger="matchmaker.tasks"):
        session.commit()  # the request that enqueued it is not broken by it
    assert "could not dispatch" in caplog.text
    session.expire_all()
    assert "AttributeError" in session.get(QueuedJob, row.id).last_error


def test_savepoint_rollback_keeps_jobs_recorded_outside_it(app, session):
    enqueue_after_commit(RECORD, "outer")
    try:
        with session.begin_nested():
            enqueue_after_commit(RECORD, "inner")
            session.flush()
            raise RuntimeError("undo the inner part")
    except RuntimeError:
        pass
    session.commit()
    assert CALLS == [(("outer",), {})]
    assert session.scalars(select(QueuedJob.args)).all() == [["outer"]]


def test_development_server_tick_runs_due_jobs_at_most_once_a_minute(app, session):
    from matchmaker.tasks import DEV_TICK_SECONDS, _dev_tick_hook

    now = {"t": 1000.0}
    tick = _dev_tick_hook(app, clock=lambda: now["t"])
    session.add(QueuedJob(func=RECORD, args=["due"], kwargs={},
                          created_at=utcnow() - timedelta(minutes=5)))
    session.commit()
    tick()  # not in debug mode: does nothing
    assert CALLS == []
    app.debug = True
    try:
        tick()
        assert CALLS == [(("due",), {})]
        session.add(QueuedJob(func=RECORD, args=["next"], kwargs={},
                              created_at=utcnow() - timedelta(minutes=5)))
        session.commit()
        tick()  # throttled
        assert len(CALLS) == 1
        now["t"] += DEV_TICK_SECONDS + 1
        with time_machine.travel(utcnow() + timedelta(minutes=1)):
            tick()
        assert CALLS[-1] == (("next",), {})
    finally:
        app.debug = False


# --- cron ------------------------------------------------------------------------------------

def test_cron_config_registers_the_periodic_jobs(monkeypatch):
    from redis import Redis
    from rq.cron import CronScheduler

    monkeypatch.chdir(PROJECT_ROOT)
    scheduler = CronScheduler(connection=Redis(host="127.0.0.1", port=_closed_port()))
    scheduler.load_config_from_file("workers/cron_config.py")
    jobs = {job.func_name: job for job in scheduler._cron_jobs}
    # Every periodic job, with its schedule: one that disappears or changes is a failure.
    schedules = {name: job.cron or job.interval for name, job in jobs.items()}
    assert schedules == {
        "workers.jobs.dispatch_pending_jobs": 60,
        "workers.jobs.extend_recurring_shifts": "0 3 * * *",
        "workers.matching_jobs.nightly_rematch": "30 2 * * *",
        "workers.reminder_jobs.send_due_reminders": 300,
        "workers.reminder_jobs.send_attendance_asks": "17 * * * *",
        "workers.followup_jobs.send_followups": 900,
        "workers.followup_jobs.introduce_buddies": 900,
        "workers.digest_jobs.plan_digests": "*/15 * * * *",
    }
    sweeper = jobs["workers.jobs.dispatch_pending_jobs"]
    assert sweeper.interval == 60 and sweeper.queue_name == "default"
    assert jobs["workers.jobs.extend_recurring_shifts"].cron == "0 3 * * *"


def test_sweeper_job_runs_in_its_own_app_context(app, session, make_user, outbox):
    from workers.jobs import dispatch_pending_jobs

    user = make_user(email="swept@example.org")
    session.add(QueuedJob(func=JOB, args=["password-changed", user.id], kwargs={},
                          created_at=datetime.now(UTC) - timedelta(minutes=5)))
    session.commit()
    assert dispatch_pending_jobs() == 1
    assert [m["To"] for m in outbox.messages] == ["swept@example.org"]
