"""A worker killed with SIGKILL mid-job: the job is retried and its email sent once.

A real worker process (``python -m workers.worker``) takes a sign-up
confirmation job and connects to an SMTP server that holds the conversation
(it does not answer RCPT TO). While the worker is stuck there, the test sends
SIGKILL to it and to every process it forked (the work horse, the scheduler), as
when a machine or container dies: nothing gets to clean up.

RQ then has an *abandoned* job: still in the queue's StartedJobRegistry, with no
worker heart-beating for it. When that entry's time runs out, the next worker's
maintenance (StartedJobRegistry.cleanup) re-queues it because it has retries left
(every job gets ``Retry`` in matchmaker.tasks), a second worker sends the email,
and the ``confirmation_sent_at`` guard keeps it to one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from matchmaker.config import PROJECT_ROOT
from matchmaker.db import db
from matchmaker.models import Signup
from tests.faults.conftest import seed, sign_up_over_http, wait_until

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first found by their parent id in /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it exited meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        frontier += children
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in {"Z", "X"}  # a zombie has finished dying


def _horse(worker_pid: int) -> int:
    """The work horse: the child RQ forks per job, which puts itself in its own group."""
    for pid in _descendants(worker_pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid:  # process group id == own id: os.setpgrp() was called
            return pid
    raise AssertionError("no work horse found under the worker")


@dataclass
class Scene:
    """A confirmation email queued, and worker 1 stuck inside it at the SMTP server."""

    app: object
    conn: object
    sink: object
    data: object
    signup_id: int
    job_id: str
    env: dict
    worker: subprocess.Popen


@pytest.fixture
def stuck_worker(private_redis, fault_db_url, make_fault_app, scripted_smtp, tmp_path):
    from redis import Redis
    from rq.job import Job

    sink = scripted_smtp(hold_rcpt=True)
    app = make_fault_app(fault_db_url, REDIS_URL=private_redis.url, SMTP_URL=sink.url)
    data = seed(app)
    signup_id, job_id = sign_up_over_http(app, data)
    conn = Redis.from_url(private_redis.url)
    assert Job.fetch(job_id, connection=conn).retries_left == 3

    keys = ("DATABASE_URL", "REDIS_URL", "RQ_QUEUE", "SMTP_URL", "SECRET_KEY", "BASE_URL")
    env = {**os.environ, **{k: app.settings[k] for k in keys},
           "INSTANCE_PATH": str(tmp_path / "instance")}
    with (tmp_path / "worker1.log").open("w") as log:
        worker = subprocess.Popen([sys.executable, "-m", "workers.worker",
                                   app.settings["RQ_QUEUE"]],
                                  cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
    everyone = [worker.pid]
    try:
        assert sink.holding.wait(60), "worker 1 never reached the SMTP server"
        everyone += _descendants(worker.pid)
        yield Scene(app, conn, sink, data, signup_id, job_id, env, worker)
    finally:
        sink.release.set()
        for pid in everyone:
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
        worker.wait(10)
        conn.close()


def _sent_once(scene: Scene) -> None:
    from rq.job import Job, JobStatus

    job = Job.fetch(scene.job_id, connection=scene.conn)
    assert job.get_status() == JobStatus.FINISHED
    assert job.retries_left == 2  # it was a retry, not a fresh run
    assert [m["To"] for m in scene.sink.messages] == [scene.data.email]
    assert scene.sink.messages[0]["Subject"].startswith("You're in:")
    with scene.app.app_context():
        assert db.session.get(Signup, scene.signup_id).confirmation_sent_at is not None


def test_worker_killed_mid_job_is_retried_and_sends_once(stuck_worker):
    """The whole worker dies (machine or container lost): RQ's abandoned-job handling."""
    from rq.job import Job, JobStatus
    from rq.registry import StartedJobRegistry

    scene, conn = stuck_worker, stuck_worker.conn
    doomed = [scene.worker.pid, *_descendants(scene.worker.pid)]
    for pid in doomed:
        os.kill(pid, signal.SIGKILL)
    scene.worker.wait(10)
    wait_until(lambda: all(_gone(pid) for pid in doomed), what="the killed processes")
    scene.sink.release.set()  # the server answers now, to nobody: the message was never sent
    time.sleep(0.2)
    assert scene.sink.messages == []

    # Abandoned: still "started", and its registry entry lives on for the heartbeat
    # time RQ grants (job_monitoring_interval or timeout, plus 60 s) though nobody beats.
    queue = scene.app.settings["RQ_QUEUE"]
    registry = StartedJobRegistry(queue, connection=conn)
    [(member, expires)] = conn.zrange(registry.key, 0, -1, withscores=True)
    assert member.decode().startswith(f"{scene.job_id}:")
    assert expires > time.time() + 30
    assert Job.fetch(scene.job_id, connection=conn).get_status() == JobStatus.STARTED
    with scene.app.app_context():
        assert db.session.get(Signup, scene.signup_id).confirmation_sent_at is None

    # Let that time run out. Waiting ~90 s would be dead time, and with no worker
    # alive the deadline is the only thing time changes, so it is moved to now.
    conn.zadd(registry.key, {member: time.time() - 1})

    # A second worker's maintenance (it runs at start) re-queues the abandoned job
    # as a retry, and the worker runs it.
    worker2 = subprocess.run([sys.executable, "-m", "workers.worker", "--burst", queue],
                             cwd=PROJECT_ROOT, env=scene.env, capture_output=True, text=True,
                             timeout=120, check=False)
    assert worker2.returncode == 0, worker2.stderr[-3000:]
    _sent_once(scene)


def test_work_horse_killed_mid_job_is_retried_by_its_worker(stuck_worker):
    """Only the forked work horse dies (the OOM killer's usual pick): RQ's failure path."""
    scene = stuck_worker
    os.kill(_horse(scene.worker.pid), signal.SIGKILL)
    # The surviving worker sees its horse die, fails the job, re-queues it (retries
    # left) and runs it again; the SMTP server holds only the first conversation.
    wait_until(lambda: scene.sink.messages, timeout=30, what="the retried email")
    scene.worker.terminate()  # a warm shutdown: it is idle again
    scene.worker.wait(30)
    _sent_once(scene)
