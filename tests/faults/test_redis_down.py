"""Redis stopped: the site keeps working, and the work it would have queued is kept.

A private redis-server holds both the RQ queue and the rate limiter's counters.
While it is stopped, pages, signing in, registering and signing up answer as
usual; each follow-up job stays a pending row in queued_jobs. When Redis is back,
the sweeper cron runs (``dispatch_pending``) hands every row to RQ, a worker runs
them, and each email arrives exactly once.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matchmaker.db import db, utcnow
from matchmaker.models import QueuedJob, Signup, User
from matchmaker.tasks import dispatch_pending, enqueue
from tests.faults.conftest import (
    SEED_PASSWORD,
    csrf_of,
    run_worker_burst,
    seed,
    signed_in_client,
)

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

#: What cron sees a minute later (the sweeper leaves rows younger than 30 s alone).
LATER = timedelta(minutes=1)


def _pending(app) -> list[QueuedJob]:
    with app.app_context():
        return list(db.session.scalars(
            select(QueuedJob).where(QueuedJob.dispatched_at.is_(None)).order_by(QueuedJob.id)))


@pytest.fixture
def redis_app(private_redis, fault_db_url, make_fault_app, smtp_sink):
    app = make_fault_app(fault_db_url, REDIS_URL=private_redis.url,
                         RATELIMIT_STORAGE_URI=private_redis.url, SMTP_URL=smtp_sink.url)
    with app.app_context():  # rows other tests left in this shared database are not ours
        db.session.execute(QueuedJob.__table__.delete())
        db.session.commit()
    return app


def test_site_works_while_redis_is_down_and_no_job_is_lost(redis_app, private_redis, smtp_sink):
    from redis import Redis

    app = redis_app
    data = seed(app)

    # Redis up: the login limiter really keeps its counters there.
    probe = app.test_client()
    probe.post("/login", data={"csrf_token": csrf_of(probe, "/login"),
                               "email": data.email, "password": "wrong password"})
    assert any(b"LIMIT" in key for key in Redis.from_url(private_redis.url).keys("*"))

    private_redis.stop()

    anon = app.test_client()
    for path in ("/", "/opportunities", f"/occurrences/{data.occurrence_id}", "/login"):
        assert anon.get(path).status_code == 200, path

    login = anon.post("/login", data={"csrf_token": csrf_of(anon, "/login"),
                                      "email": data.email, "password": SEED_PASSWORD})
    assert login.status_code == 302, login.get_data(as_text=True)[:800]

    newcomer = app.test_client()
    register = newcomer.post("/register", data={
        "csrf_token": csrf_of(newcomer, "/register"), "email": "newcomer@example.org",
        "display_name": "Newcomer", "password": SEED_PASSWORD, "confirm": SEED_PASSWORD})
    assert register.status_code == 302, register.get_data(as_text=True)[:800]

    resident = signed_in_client(app, data.user_id)
    path = f"/occurrences/{data.occurrence_id}"
    signup = resident.post(f"{path}/signup", data={"csrf_token": csrf_of(resident, path)})
    assert signup.status_code == 302, signup.get_data(as_text=True)[:800]

    # The work is kept, not lost: one pending row per email, each saying why.
    pending = _pending(app)
    with app.app_context():
        newcomer_id = db.session.scalar(select(User.id).where(User.email == "newcomer@example.org"))
        signup_id = db.session.scalar(select(Signup.id).where(Signup.user_id == data.user_id))
    assert sorted((row.func, row.args) for row in pending) == [
        ("workers.jobs.send_account_email", ["verify", newcomer_id]),
        ("workers.jobs.send_signup_email", [signup_id, "confirmed"]),
    ]
    assert all("ConnectionError" in row.last_error for row in pending)
    with app.app_context():  # the sweeper while Redis is still down: still kept
        assert dispatch_pending(now=utcnow() + LATER) == 0
    assert len(_pending(app)) == 2

    private_redis.start()
    with app.app_context():
        assert dispatch_pending(now=utcnow() + LATER) == 2
        assert dispatch_pending(now=utcnow() + LATER) == 0  # handed over once
    assert _pending(app) == []

    run_worker_burst(app)
    run_worker_burst(app)  # a second pass finds nothing more to send
    received = sorted((m["To"], m["Subject"]) for m in smtp_sink.messages)
    assert [to for to, _ in received] == sorted(["newcomer@example.org", data.email]), received
    with app.app_context():
        row = db.session.scalar(select(Signup).where(Signup.user_id == data.user_id))
        assert row.status == "confirmed" and row.confirmation_sent_at is not None


def test_enqueue_now_while_redis_is_down_keeps_the_job(redis_app, private_redis, smtp_sink):
    """Code that hands a job straight to RQ (cron sweeps) does not fail when Redis is down."""
    app = redis_app
    data = seed(app)
    private_redis.stop()
    with app.test_request_context("/"):
        assert enqueue("workers.jobs.send_account_email", "password-changed", data.user_id,
                       job_id=f"password-changed-{data.user_id}") is None
    [row] = _pending(app)
    assert row.func == "workers.jobs.send_account_email"
    assert row.args == ["password-changed", data.user_id]
    assert "ConnectionError" in row.last_error

    private_redis.start()
    with app.app_context():
        assert dispatch_pending(now=utcnow() + LATER) == 1
    run_worker_burst(app)
    assert [m["To"] for m in smtp_sink.messages] == [data.email]
