"""Mail that cannot go out: a full disk under the file outbox, an SMTP server that refuses.

Each failure is logged with its context (which RQ job, its ids, which error),
loses nothing (the guard column that says "sent" stays empty, or is released,
and the job stays with RQ to retry), and a later retry sends the email once.
Jobs run in this process (RQ's SimpleWorker) so the log can be read with caplog;
every job gets a retry one second later (``RQ_RETRY_INTERVALS``).
"""

from __future__ import annotations

import errno
import logging
import subprocess
import time
from datetime import timedelta

import pytest

from matchmaker.db import db, utcnow
from matchmaker.models import Signup
from matchmaker.tasks import enqueue
from tests.conftest import require_service
from tests.faults.conftest import run_worker_burst, seed, sign_up_over_http

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

REMINDER = "workers.reminder_jobs.send_reminder"


def _job_log(caplog) -> str:
    return "\n".join(r.getMessage() for r in caplog.records
                     if r.name == "workers.jobs" and r.levelno >= logging.ERROR)


# --- a full disk -------------------------------------------------------------------------------

@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KiB filesystem (tmpfs), so writes fail with a genuine ENOSPC.

    Mounting needs root (CAP_SYS_ADMIN), as in CI's container. Faking the error
    (a mock raising OSError) would not show what a half-written file leaves behind.
    """
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    require_service("a tmpfs mount", done.returncode == 0,
                    f"mounting a 64 KiB tmpfs failed (needs root): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def _fill(directory) -> None:
    """Write until the filesystem is full: the next write fails with ENOSPC."""
    with (directory / "filler").open("wb", buffering=0) as f:
        try:
            while True:
                f.write(b"x" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def test_reminder_on_a_full_disk_is_kept_and_sent_once_there_is_room(
        private_redis, fault_db_url, make_fault_app, tiny_disk, caplog):
    from rq.job import Job, JobStatus

    outbox = tiny_disk / "outbox"
    app = make_fault_app(fault_db_url, REDIS_URL=private_redis.url, OUTBOX_DIR=str(outbox),
                         RQ_RETRY_INTERVALS=[1])
    data = seed(app, starts_in=timedelta(hours=20))  # the day-before reminder is due
    with app.app_context():
        from matchmaker.models import User
        from matchmaker.signups.services import sign_up

        result = sign_up(db.session, data.occurrence_id, db.session.get(User, data.user_id))
        # Signed up well before the reminder's moment, so the reminder is due.
        result.signup.confirmed_at = result.signup.created_at = utcnow() - timedelta(days=2)
        db.session.commit()
        signup_id = result.signup.id
        outbox.mkdir()
        job_id = enqueue(REMINDER, signup_id, "early", job_id=f"reminder-{signup_id}-early")
    _fill(tiny_disk)

    with caplog.at_level(logging.ERROR):
        run_worker_burst(app)
    logged = _job_log(caplog)
    assert f"job {job_id} {REMINDER}({signup_id}, 'early') failed (3 retries left)" in logged
    assert "No space left on device" in logged
    with app.app_context():  # the claim was released: the reminder is not marked sent
        assert db.session.get(Signup, signup_id).reminder_early_sent_at is None
    assert list(outbox.iterdir()) == []  # no half-written message, no temporary file
    assert Job.fetch(job_id, connection=_redis(app)).get_status() == JobStatus.SCHEDULED

    (tiny_disk / "filler").unlink()  # room again
    time.sleep(1.1)  # the retry falls due
    run_worker_burst(app)
    run_worker_burst(app)
    messages = sorted(p.name for p in outbox.glob("*.eml"))
    assert messages == ["000001.eml"]
    assert data.email in (outbox / "000001.eml").read_text()
    with app.app_context():
        assert db.session.get(Signup, signup_id).reminder_early_sent_at is not None


def _redis(app):
    from matchmaker.tasks import redis_connection

    return redis_connection(app)


# --- an SMTP server that refuses -----------------------------------------------------------------

def test_smtp_temporary_refusal_is_retried_and_sent_once(
        private_redis, fault_db_url, make_fault_app, scripted_smtp, caplog):
    sink = scripted_smtp(["451 4.7.1 Greylisted, please try again later"])
    app = make_fault_app(fault_db_url, REDIS_URL=private_redis.url, SMTP_URL=sink.url,
                         RQ_RETRY_INTERVALS=[1])
    data = seed(app)
    signup_id, job_id = sign_up_over_http(app, data)

    with caplog.at_level(logging.ERROR):
        run_worker_burst(app)
    logged = _job_log(caplog)
    assert (f"job {job_id} workers.jobs.send_signup_email({signup_id}, 'confirmed') failed "
            "(3 retries left)") in logged
    assert "451" in logged and "Greylisted" in logged
    assert sink.messages == [] and len(sink.refused) == 1
    with app.app_context():
        assert db.session.get(Signup, signup_id).confirmation_sent_at is None

    time.sleep(1.1)
    run_worker_burst(app)
    run_worker_burst(app)
    assert [m["To"] for m in sink.messages] == [data.email]
    with app.app_context():
        assert db.session.get(Signup, signup_id).confirmation_sent_at is not None


def test_smtp_permanent_refusal_is_logged_and_kept_as_a_failed_job(
        private_redis, fault_db_url, make_fault_app, scripted_smtp, caplog):
    from rq.job import Job, JobStatus
    from rq.registry import FailedJobRegistry

    sink = scripted_smtp(["554 5.7.1 Message rejected"] * 10)
    app = make_fault_app(fault_db_url, REDIS_URL=private_redis.url, SMTP_URL=sink.url)
    data = seed(app)
    signup_id, job_id = sign_up_over_http(app, data)

    with caplog.at_level(logging.ERROR):
        run_worker_burst(app)  # retries at once (interval 0): every attempt is refused
    logged = _job_log(caplog)
    assert (f"job {job_id} workers.jobs.send_signup_email({signup_id}, 'confirmed') failed "
            "(no retries left)") in logged
    assert "554" in logged and "Message rejected" in logged
    assert len(sink.refused) == 4 and sink.messages == []  # first try plus three retries
    with app.app_context():
        assert db.session.get(Signup, signup_id).confirmation_sent_at is None
    conn = _redis(app)
    # Not lost: the failed job stays where the admin page lists failed jobs.
    assert Job.fetch(job_id, connection=conn).get_status() == JobStatus.FAILED
    assert job_id in FailedJobRegistry(app.settings["RQ_QUEUE"], connection=conn).get_job_ids()
