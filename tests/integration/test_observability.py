"""Structured logs, the request id that follows a request into its jobs, /healthz and /readyz.

Log lines are read the way a log collector reads them: a handler with the app's
own formatter writes to a buffer, and each line must parse as one JSON object.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from matchmaker import create_app, logs
from matchmaker.config import PROJECT_ROOT
from matchmaker.db import db, utcnow
from matchmaker.models import QueuedJob
from matchmaker.tasks import dispatch_pending, enqueue_after_commit
from tests.integration.test_jobs import _cleanup_queue, _closed_port

JOB_LOGGER = "matchmaker.test_observability"
LOGGING_JOB = f"{__name__}.logging_job"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


def logging_job(marker: str) -> None:
    """A job that only logs: what matters is which request id its line carries."""
    from workers.jobs import job_context

    with job_context():
        logging.getLogger(JOB_LOGGER).info("job ran with %s", marker)



class JsonLines:
    """The lines a JSON handler on the root logger wrote, parsed."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    @property
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.buffer.getvalue().splitlines() if line]

    def by(self, logger: str) -> list[dict]:
        return [r for r in self.records if r["logger"] == logger]


@pytest.fixture
def json_log():
    lines = JsonLines()
    handler = logs.make_handler("json", lines.buffer)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture
def enqueue_route(app):
    """A route that records a job after its commit, as every real feature does."""

    def view():
        enqueue_after_commit(LOGGING_JOB, "from-the-request")
        db.session.commit()
        return "queued"

    app.add_url_rule("/_test/enqueue", "test_enqueue", view, methods=["POST"])
    return "/_test/enqueue"


@pytest.fixture
def rq_app(app, redis_url):
    """The test app in RQ mode on a queue of its own in this test's Redis DB."""
    from redis import Redis

    name = f"mm-obs-{uuid.uuid4().hex[:8]}"
    app.config.update(REDIS_URL=redis_url, RQ_QUEUE=name, WTF_CSRF_ENABLED=False)
    app.extensions.pop("matchmaker.redis", None)
    conn = Redis.from_url(redis_url)
    yield app, conn, name
    app.extensions.pop("matchmaker.redis", None)
    _cleanup_queue(conn, name)
    conn.close()


# --- request lines ---------------------------------------------------------------------

def test_a_request_logs_one_json_line_with_its_request_id(client, json_log):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-42.a_b"})
    assert response.headers["X-Request-ID"] == "edge-42.a_b"
    [line] = json_log.by("matchmaker.request")
    assert line["request_id"] == "edge-42.a_b"
    assert line["level"] == "INFO" and line["message"].startswith("GET /healthz 200")
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])
    assert list(line)[:5] == ["time", "level", "logger", "message", "request_id"]
    assert "user_id" not in line


@pytest.mark.parametrize("incoming", [
    "has space", "tab\there", "semi;colon", "<script>", "x" * 65, "ünïcode", "",
])
def test_an_insane_incoming_request_id_is_replaced(client, json_log, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    echoed = response.headers["X-Request-ID"]
    assert echoed != incoming and GENERATED_ID.fullmatch(echoed)
    [line] = json_log.by("matchmaker.request")
    assert line["request_id"] == echoed


def test_each_request_gets_its_own_id(client, json_log):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert first != second
    assert [r["request_id"] for r in json_log.by("matchmaker.request")] == [first, second]
    assert logs.current_request_id() is None  # nothing leaks past the request


def test_lines_logged_inside_a_request_carry_its_id(app, client, json_log):
    def view():
        logging.getLogger("matchmaker.deep.service").warning("deep inside")
        return "ok"

    app.add_url_rule("/_test/deep", "test_deep", view)
    client.get("/_test/deep", headers={"X-Request-ID": "deep-1"})
    [line] = json_log.by("matchmaker.deep.service")
    assert line["request_id"] == "deep-1" and line["message"] == "deep inside"


def test_signed_in_requests_log_the_user_id_and_no_personal_data(
    client, json_log, make_user, login_as,
):
    user = make_user(email="private.person@example.org", display_name="Prudence Private")
    login_as(user)
    assert client.get("/profile/").status_code == 200
    [line] = json_log.by("matchmaker.request")
    assert line["user_id"] == user.id and line["status"] == 200
    text = json_log.buffer.getvalue()
    assert "private.person" not in text and "Prudence" not in text


def test_secret_tokens_and_query_strings_stay_out_of_the_log(client, json_log):
    secret = "s3cr3t-reset-token-value"
    client.get(f"/reset-password/{secret}?email=someone@example.org")
    [line] = json_log.by("matchmaker.request")
    assert line["path"] == "/reset-password/<token>"
    text = json_log.buffer.getvalue()
    assert secret not in text and "someone@example.org" not in text


def test_server_errors_are_logged_as_warnings_with_the_request_id(app, client, json_log):
    def broken():
        raise RuntimeError("kaput")

    app.add_url_rule("/_test/broken", "test_broken", broken)
    response = client.get("/_test/broken", headers={"X-Request-ID": "err-1"})
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "err-1"
    [line] = json_log.by("matchmaker.request")
    assert (line["level"], line["status"], line["request_id"]) == ("WARNING", 500, "err-1")
    [error] = [r for r in json_log.records if r["level"] == "ERROR"]
    assert error["request_id"] == "err-1" and "kaput" in error["exc_info"]


# --- formats -------------------------------------------------------------------------------

def test_text_format_for_people_and_json_by_default():
    assert logs.format_for(debug=True) == "text"
    assert logs.format_for(debug=False) == "json"
    assert logs.format_for(debug=False, configured="TEXT") == "text"
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of json, text"):
        logs.format_for(debug=False, configured="xml")

    buffer = io.StringIO()
    logger = logging.getLogger("matchmaker.test_text")
    handler = logs.make_handler("text", buffer)
    logger.addHandler(handler)
    try:
        with logs.bound(request_id="abc"):
            logger.warning("hello %s", "there")
        logger.warning("outside")
    finally:
        logger.removeHandler(handler)
    first, second = buffer.getvalue().splitlines()
    assert first.endswith("WARNING matchmaker.test_text [abc] hello there")
    assert second.endswith("WARNING matchmaker.test_text [-] outside")


def test_create_app_refuses_an_unknown_log_format(app_config):
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        create_app(**{**app_config, "LOG_FORMAT": "yaml"})


def test_configure_replaces_its_own_handler_rather_than_stacking():
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        logs.configure("json", "INFO", io.StringIO())
        second = logs.configure("json", "INFO", io.StringIO())
        ours = [h for h in root.handlers if getattr(h, "_matchmaker", False)]
        assert ours == [second]
    finally:
        for handler in list(root.handlers):
            if handler not in before:
                root.removeHandler(handler)
        root.setLevel(level)


# --- the request id follows the request into its jobs -----------------------------------------

@pytest.mark.redis
def test_a_job_enqueued_by_a_request_logs_with_the_same_request_id(
    rq_app, client, session, json_log, enqueue_route,
):
    from rq import Queue, SimpleWorker
    from rq.job import Job

    _app, conn, name = rq_app
    response = client.post(enqueue_route, headers={"X-Request-ID": "req-follow-1"})
    assert response.status_code == 200
    session.expire_all()
    stored = session.scalars(select(QueuedJob).order_by(QueuedJob.id.desc())).first()
    assert stored.request_id == "req-follow-1" and stored.dispatched_at is not None
    job = Job.fetch(f"queued-{stored.id}", connection=conn)
    assert job.meta["request_id"] == "req-follow-1"

    assert logs.current_request_id() is None  # the worker must get it from the job
    SimpleWorker([Queue(name, connection=conn)], connection=conn).work(burst=True)
    [line] = json_log.by(JOB_LOGGER)
    assert line["message"] == "job ran with from-the-request"
    assert line["request_id"] == "req-follow-1"
    assert line["job_id"] == job.id and line["job"] == LOGGING_JOB


@pytest.mark.redis
def test_the_sweeper_hands_a_job_over_under_its_original_request_id(rq_app, session):
    from rq.job import Job

    _app, conn, _name = rq_app
    row = QueuedJob(func=LOGGING_JOB, args=["swept"], kwargs={}, request_id="req-swept-7",
                    created_at=utcnow() - timedelta(minutes=5))
    session.add(row)
    session.commit()
    with logs.bound(request_id="job-the-sweeper"):
        assert dispatch_pending() == 1
    assert Job.fetch(f"queued-{row.id}", connection=conn).meta["request_id"] == "req-swept-7"


@pytest.mark.redis
@pytest.mark.slow
def test_a_worker_process_writes_json_lines_with_the_request_id(rq_app, tmp_path):
    """The real thing: `python -m workers.worker --burst` in its own process."""
    from rq import Queue

    _app, conn, name = rq_app
    Queue(name, connection=conn).enqueue(LOGGING_JOB, args=("in-a-worker",),
                                         meta={"request_id": "req-worker-9"})
    env = {**os.environ, "REDIS_URL": rq_app[0].config["REDIS_URL"], "RQ_QUEUE": name,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}", "LOG_FORMAT": "json",
           "SECRET_KEY": "worker-test", "FLASK_DEBUG": "", "SMTP_URL": "",
           "OUTBOX_DIR": str(tmp_path / "outbox"),
           # This job geocodes nothing: skip the offline index's warm-up (seconds of CPU).
           "GEOCODER": "nominatim"}
    proc = subprocess.run([sys.executable, "-m", "workers.worker", "--burst", name],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert lines, f"no JSON lines in the worker's output:\n{proc.stderr}"
    [job_line] = [r for r in lines if r["logger"] == JOB_LOGGER]
    assert job_line["request_id"] == "req-worker-9"
    assert job_line["message"] == "job ran with in-a-worker"
    # Every line is JSON, RQ's own included: nothing a log collector would trip over.
    assert all(not line.strip() or line.startswith("{") for line in proc.stderr.splitlines())
    assert any(r["logger"].startswith("rq.") for r in lines)


CRON_PROCESS = """
import logging
from rq.logutils import setup_loghandlers
setup_loghandlers("INFO", name="rq.cron")  # what `rq cron` does before it reads its config
import workers.cron_config
logging.getLogger("rq.cron").info("cron says hi")
"""


def test_the_cron_process_logs_json_lines_once(tmp_path):
    env = {**os.environ, "LOG_FORMAT": "json", "FLASK_DEBUG": ""}
    proc = subprocess.run([sys.executable, "-c", CRON_PROCESS], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    output = (proc.stdout + proc.stderr).splitlines()
    hi = [line for line in output if "cron says hi" in line]
    assert len(hi) == 1, output  # not also printed by rq's own text handler
    line = json.loads(hi[0])
    assert (line["logger"], line["level"], line["request_id"]) == ("rq.cron", "INFO", None)


# --- /healthz and /readyz ------------------------------------------------------------------------

def test_healthz_answers_without_touching_the_database(client, app, monkeypatch):
    def no_database(*_args, **_kwargs):
        raise AssertionError("/healthz must not use the database")

    monkeypatch.setattr(db.session, "execute", no_database)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_is_ready_in_inline_mode(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "not configured"}


@pytest.mark.redis
def test_readyz_checks_a_real_redis(rq_app, client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "ok"}


def test_readyz_503_when_redis_is_down(app, client, caplog):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{_closed_port()}/0"
    app.extensions.pop("matchmaker.redis", None)
    with caplog.at_level(logging.WARNING, logger="matchmaker.main.readiness"):
        response = client.get("/readyz")
    assert response.status_code == 503 and response.is_json
    assert response.get_json() == {"database": "ok", "redis": "unreachable"}
    assert "redis unreachable" in caplog.text


def test_readyz_503_when_the_database_is_nowhere(app_config, caplog):
    nowhere = create_app(**{**app_config,
                            "DATABASE_URL": f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/none"})
    client = nowhere.test_client()
    with caplog.at_level(logging.WARNING, logger="matchmaker.main.readiness"):
        response = client.get("/readyz")
    assert response.status_code == 503 and response.is_json
    assert response.get_json() == {"database": "unreachable", "redis": "not configured"}
    assert "database unreachable" in caplog.text
    # Liveness is about the process, which is fine.
    assert client.get("/healthz").status_code == 200
    nowhere.extensions["matchmaker.db"].engine.dispose()
