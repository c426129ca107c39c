"""Digests with real Redis, real forking RQ workers, PostgreSQL and an aiosmtpd sink.

Run with TEST_DATABASE_URL (PostgreSQL; this test creates its own database
``mm_d_workers`` beside it) and TEST_REDIS_URL (DB 9 for these tests). Each test
uses a queue of its own and deletes only its own keys.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.config import PROJECT_ROOT
from matchmaker.db import db
from tests.integration.test_jobs import _cleanup_queue
from tests.perf.bench_digest import create_database, drop_database, populate

PEOPLE = 1000
DB_NAME = "mm_d_workers"


@pytest.fixture
def world(postgres_url, redis_url, smtp_sink):
    """(app, env for worker processes, queue name, redis) on a database of their own."""
    from redis import Redis

    from matchmaker import create_app

    admin = postgres_url.rsplit("/", 1)[0] + "/"
    url = create_database(DB_NAME, admin)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    populate(url, PEOPLE, now)
    queue = f"mm-d-test-{uuid.uuid4().hex[:10]}"
    settings = {"DATABASE_URL": url, "REDIS_URL": redis_url, "RQ_QUEUE": queue,
                "SMTP_URL": smtp_sink.url, "SECRET_KEY": "shared-test-secret",
                "BASE_URL": "https://matchmaker.example", "DIGEST_BATCH_SIZE": "50"}
    app = create_app(TESTING=True, RATELIMIT_STORAGE_URI="memory://",
                     **{**settings, "DIGEST_BATCH_SIZE": 50})
    env = {**os.environ, **settings, "INSTANCE_PATH": f"/tmp/{queue}"}
    conn = Redis.from_url(redis_url)
    with app.app_context():
        yield app, env, queue, conn, now
        db.session.close()
        db.engine.dispose()
    _cleanup_queue(conn, queue)
    conn.close()
    drop_database(DB_NAME, admin)
    shutil.rmtree(env["INSTANCE_PATH"], ignore_errors=True)


def _worker(env, queue, burst=True) -> subprocess.Popen:
    args = [sys.executable, "-m", "workers.worker"] + (["--burst"] if burst else []) + [queue]
    # A session of its own: SIGKILL to the group takes the work horse down too,
    # like a container being killed.
    return subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _plan(now):
    from matchmaker.digests import sending

    return sending.plan(db.session, now + timedelta(seconds=30), kinds=["resident"])


def _sent_rows() -> int:
    from matchmaker.models import DigestOutbox, DigestStatus

    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(DigestOutbox)
                             .where(DigestOutbox.status == DigestStatus.SENT)) or 0


@pytest.mark.redis
@pytest.mark.postgres
def test_same_week_triggered_twice_sends_exactly_one_each(world, smtp_sink):
    from matchmaker.digests import sending
    from matchmaker.tasks import enqueue

    _app, env, queue, _conn, now = world
    first = _plan(now)
    second = _plan(now + timedelta(minutes=15))
    assert first.planned == PEOPLE and second.planned == 0
    # Worse than a second cron tick: every batch handed to the workers twice.
    from matchmaker.models import DigestOutbox

    ids = list(db.session.scalars(select(DigestOutbox.id).order_by(DigestOutbox.id)))
    for start in range(0, len(ids), 50):
        enqueue(sending.JOB, ids[start:start + 50])
    workers = [_worker(env, queue) for _ in range(2)]
    for proc in workers:
        _out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    recipients = Counter(m["To"] for m in smtp_sink.messages)
    assert len(smtp_sink.messages) == PEOPLE
    assert len(recipients) == PEOPLE and set(recipients.values()) == {1}
    assert _sent_rows() == PEOPLE


@pytest.mark.redis
@pytest.mark.postgres
def test_sigkill_mid_batch_then_recovery_gives_everyone_one_digest(world, smtp_sink):
    from matchmaker.digests import sending

    _app, env, queue, _conn, now = world
    assert _plan(now).planned == PEOPLE
    kills = 0
    for _round in range(4):
        target = len(smtp_sink.messages) + 60
        proc = _worker(env, queue, burst=True)
        deadline = time.monotonic() + 300
        while len(smtp_sink.messages) < target and proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        if proc.poll() is not None:
            break  # the queue ran dry before this round could kill anything
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        kills += 1
    assert kills >= 3, "the workers finished before they could be killed several times"
    assert _sent_rows() < PEOPLE  # the kills left work undone

    # Recovery: the sweep re-enqueues every row still unsent (rows a dead worker
    # held are free again: its advisory locks ended with its connection), then
    # workers finish the queue, old batches included.
    swept = sending.sweep(db.session, retry_after=timedelta(0))
    assert swept.requeued > 0
    workers = [_worker(env, queue) for _ in range(2)]
    for proc in workers:
        _out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]

    assert _sent_rows() == PEOPLE
    recipients = Counter(m["To"] for m in smtp_sink.messages)
    assert len(recipients) == PEOPLE  # everyone got one
    duplicates = sum(n - 1 for n in recipients.values())
    print(f"\n{kills} SIGKILLs mid-batch -> {duplicates} duplicate digest(s) "
          f"from in-flight messages ({len(smtp_sink.messages)} emails for {PEOPLE} people)")
    assert duplicates <= kills
