"""The admin operations page: queue depths, failed jobs (retry, delete), outboxes, cron runs.

RQ tests use a real Redis (TEST_REDIS_URL) and a real worker (in-process, so the
job sees this test's transaction); a failed job there really failed.
"""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

import pytest

from matchmaker.db import utcnow
from matchmaker.models import CronRun, DigestOutbox, QueuedJob, Role
from tests.integration.test_jobs import _cleanup_queue, _closed_port

PAGE = "/admin/operations"
FAILING_JOB = f"{__name__}.failing_job"
FINE_JOB = f"{__name__}.fine_job"


def failing_job(number: int) -> None:
    from workers.jobs import job_context

    with job_context():
        raise ValueError(f"boom {number}")


def fine_job() -> str:
    from workers.jobs import job_context

    with job_context():
        return "fine"



def _csrf(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


@pytest.fixture
def admin(client, make_user, login_as):
    user = make_user(email="ops-admin@example.org", role=Role.ADMIN)
    login_as(user)
    return user


@pytest.fixture
def rq_app(app, redis_url):
    from redis import Redis

    name = f"mm-ops-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=redis_url, RQ_QUEUE=name)
    app.extensions.pop("matchmaker.redis", None)
    conn = Redis.from_url(redis_url)
    yield conn, name
    app.extensions.pop("matchmaker.redis", None)
    _cleanup_queue(conn, name)
    conn.close()


def _run_worker(conn, name: str) -> None:
    from rq import Queue, SimpleWorker

    SimpleWorker([Queue(name, connection=conn)], connection=conn).work(burst=True)


@pytest.fixture
def failed_job(rq_app):
    """A job that really ran in a worker and really failed; its request id kept in meta."""
    from rq import Queue
    from rq.job import Job, JobStatus

    conn, name = rq_app
    job = Queue(name, connection=conn).enqueue(FAILING_JOB, args=(42,),
                                               meta={"request_id": "req-failed-1"})
    _run_worker(conn, name)
    job = Job.fetch(job.id, connection=conn)
    assert job.get_status() == JobStatus.FAILED
    return job


# --- who may see it -----------------------------------------------------------------------------

def test_only_admins_see_the_operations_page(client, make_user, login_as):
    assert client.get(PAGE).status_code == 302  # to sign in
    login_as(make_user(role=Role.RESIDENT))
    assert client.get(PAGE).status_code == 403


def test_the_admin_area_links_to_it(client, admin):
    page = client.get("/admin/organizations").get_data(as_text=True)
    assert 'href="/admin/operations"' in page


# --- inline mode ----------------------------------------------------------------------------------

def test_inline_mode_says_jobs_run_inline(client, admin, session, make_user):
    now = utcnow()
    session.add(QueuedJob(func="workers.jobs.send_account_email", args=["welcome", 1], kwargs={},
                          created_at=now - timedelta(minutes=7), last_error="ConnectionError: x"))
    session.add(QueuedJob(func="workers.jobs.send_account_email", args=["welcome", 2], kwargs={},
                          run_at=now + timedelta(days=1)))
    session.add(QueuedJob(func="workers.jobs.send_account_email", args=["welcome", 3], kwargs={},
                          dispatched_at=now))
    person = make_user()
    session.add(DigestOutbox(user_id=person.id, kind="resident", period="2026-W47",
                             created_at=now - timedelta(hours=3)))
    session.add(CronRun(name="plan-digests", last_started_at=now - timedelta(minutes=15),
                        last_finished_at=now - timedelta(minutes=14), last_status="ok"))
    session.add(CronRun(name="send-followups", last_started_at=now - timedelta(minutes=2),
                        last_finished_at=now - timedelta(minutes=2), last_status="failed",
                        last_error="SMTPServerDisconnected: gone"))
    session.commit()

    response = client.get(PAGE)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "No Redis configured: jobs run inline" in page
    assert "Failed jobs" not in page
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    # The outbox: one due row (7 minutes old, with an error), one scheduled, one done.
    assert "Jobs not yet handed to the queue 1, the oldest 7 min old; 1 with an error" in text
    assert "1 more are scheduled for later" in text
    assert "Weekly digests not sent yet 1, the oldest 3 h old" in text
    assert re.search(r"plan-digests 15 min ago 14 min ago ok", text)
    assert re.search(r"send-followups 2 min ago 2 min ago failed SMTPServerDisconnected: gone",
                     text)
    assert ' style="' not in page and "<script" not in page


def test_an_empty_page_says_so(client, admin):
    page = client.get(PAGE).get_data(as_text=True)
    assert "No periodic job has run yet." in page
    assert "Jobs not yet handed to the queue</dt>\n    <dd>0" in page


# --- with Redis ---------------------------------------------------------------------------------

@pytest.mark.redis
def test_queue_depths_and_a_really_failed_job(client, admin, rq_app, failed_job):
    from rq import Queue

    conn, name = rq_app
    queue = Queue(name, connection=conn)
    queue.enqueue(FINE_JOB)
    queue.enqueue(FINE_JOB)
    queue.enqueue_in(timedelta(hours=1), FINE_JOB)

    response = client.get(PAGE)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    # Waiting 2, running 0, scheduled 1, deferred 0, failed 1.
    assert re.search(rf'<th scope="row">{name}</th><td>2</td><td>0</td><td>1</td>'
                     r"<td>0</td><td>1</td>", page)
    assert FAILING_JOB in page
    assert "ValueError: boom 42" in page
    assert "req-failed-1" in page
    assert f"/admin/operations/failed/{name}/{failed_job.id}/retry" in page
    assert "No Redis configured" not in page

    from rq import Worker

    before = Worker.count(connection=conn)  # the in-process one has finished
    if before == 0:
        assert "No worker is running" in page
    live = Worker([queue], connection=conn, name=f"ops-test-{uuid.uuid4().hex[:6]}")
    live.register_birth()
    try:
        running = "1 worker is" if before == 0 else f"{before + 1} workers are"
        assert f"{running} running." in client.get(PAGE).get_data(as_text=True)
    finally:
        live.register_death()


@pytest.mark.redis
def test_retry_puts_the_failed_job_back_in_its_queue(client, admin, rq_app, failed_job):
    from rq import Queue

    conn, name = rq_app
    queue = Queue(name, connection=conn)
    token = _csrf(client.get(PAGE).get_data(as_text=True))
    url = f"/admin/operations/failed/{name}/{failed_job.id}/retry"

    assert client.post(url).status_code == 400  # no CSRF token
    assert failed_job.id in queue.failed_job_registry

    response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    assert failed_job.id not in queue.failed_job_registry
    assert queue.job_ids == [failed_job.id]
    assert "is queued again" in client.get(PAGE).get_data(as_text=True)
    # Retrying it again: it is no longer a failed job.
    assert client.post(url, data={"csrf_token": token}).status_code == 404


@pytest.mark.redis
def test_delete_removes_the_failed_job(client, admin, rq_app, failed_job):
    from rq import Queue
    from rq.job import Job

    conn, name = rq_app
    token = _csrf(client.get(PAGE).get_data(as_text=True))
    response = client.post(f"/admin/operations/failed/{name}/{failed_job.id}/delete",
                           data={"csrf_token": token})
    assert response.status_code == 302
    assert Queue(name, connection=conn).failed_job_registry.count == 0
    assert not Job.exists(failed_job.id, connection=conn)
    assert "No failed jobs." in client.get(PAGE).get_data(as_text=True)


@pytest.mark.redis
def test_failed_job_actions_are_for_admins_only(client, rq_app, failed_job, make_user, login_as):
    _conn, name = rq_app
    url = f"/admin/operations/failed/{name}/{failed_job.id}/retry"
    assert client.post(url).status_code in {302, 400}  # anonymous: sign in (or no token)
    login_as(make_user(role=Role.RESIDENT))
    token = _csrf(client.get("/profile/").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token}).status_code == 403


@pytest.mark.redis
def test_failed_job_actions_refuse_unknown_jobs(client, admin, rq_app, failed_job):
    _conn, name = rq_app
    token = _csrf(client.get(PAGE).get_data(as_text=True))
    for bad in (f"/admin/operations/failed/{name}/no-such-job/retry",
                f"/admin/operations/failed/other-queue/{failed_job.id}/delete"):
        assert client.post(bad, data={"csrf_token": token}).status_code == 404


def test_redis_down_still_shows_the_page(client, admin, app):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
    app.extensions.pop("matchmaker.redis", None)
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Redis cannot be reached" in page and "Jobs wait in the database" in page


# --- cron runs are recorded by the worker ---------------------------------------------------------

@pytest.mark.redis
def test_the_worker_records_each_run_of_a_periodic_job(rq_app, session):
    from rq import Queue

    conn, name = rq_app
    queue = Queue(name, connection=conn)
    queue.enqueue(FINE_JOB, meta={"cron": "fine-every-minute"})
    queue.enqueue(FAILING_JOB, args=(7,), meta={"cron": "failing-nightly"})
    queue.enqueue(FINE_JOB)  # not periodic: no row
    before = utcnow()
    _run_worker(conn, name)

    session.expire_all()
    runs = {run.name: run for run in session.query(CronRun)}
    assert set(runs) == {"fine-every-minute", "failing-nightly"}
    fine, failing = runs["fine-every-minute"], runs["failing-nightly"]
    assert fine.last_status == "ok" and fine.last_error == ""
    assert before <= fine.last_started_at <= fine.last_finished_at
    assert failing.last_status == "failed" and failing.last_error == "ValueError: boom 7"

    # The next run overwrites the row (one row per periodic job).
    queue.enqueue(FINE_JOB, meta={"cron": "failing-nightly"})
    _run_worker(conn, name)
    session.expire_all()
    again = session.get(CronRun, "failing-nightly")
    assert again.last_status == "ok" and again.last_error == ""
    assert session.query(CronRun).count() == 2


def test_cron_config_names_each_job_in_its_meta(monkeypatch):
    from redis import Redis
    from rq.cron import CronScheduler

    from matchmaker.config import PROJECT_ROOT

    monkeypatch.chdir(PROJECT_ROOT)
    scheduler = CronScheduler(connection=Redis(host="127.0.0.1", port=_closed_port()))
    scheduler.load_config_from_file("workers/cron_config.py")
    assert scheduler._cron_jobs
    for job in scheduler._cron_jobs:
        assert job.job_options["meta"] == {"cron": job.name}, job.func_name
    assert len({job.name for job in scheduler._cron_jobs}) == len(scheduler._cron_jobs)
