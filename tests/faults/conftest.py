"""Fault tests: real servers that the tests stop, start, fill up or make refuse.

The shared PostgreSQL (5432) and Redis (6379) are never stopped. A test that
stops a server stops a private one it started itself:

* ``private_redis``: a ``redis-server`` on a free loopback port (no persistence),
  for the whole session; a test may stop and start it, and it is running again
  before the next test.
* ``private_postgres``: a throw-away cluster (``initdb`` + ``pg_ctl``) on a free port.
* ``fault_db_url``: a fresh database on the shared server (TEST_DATABASE_URL),
  because worker processes and server threads must see real commits.

Every app here is built by ``make_fault_app`` on these; the RQ queue is private
too, so nothing here touches another test's keys.
"""

from __future__ import annotations

import asyncio
import glob
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from matchmaker.db import db, utcnow
from tests.conftest import _ALLOWED_SMTP, _free_port, require_service
from tests.integration.databases import fresh_postgres_database

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
#: The password of every person ``seed`` makes.
SEED_PASSWORD = "a long enough password"


def wait_until(predicate, timeout: float = 15.0, interval: float = 0.05, what: str = ""):
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")


# --- a private Redis ------------------------------------------------------------------------

class PrivateRedis:
    """One ``redis-server`` process on a fixed port, stopped and started at will."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        from redis import Redis

        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        client = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)

        def up() -> bool:
            try:
                return bool(client.ping())
            except Exception:  # noqa: BLE001 - not listening yet
                return False

        wait_until(up, 10, what="the private redis-server to answer")
        client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture(scope="session")
def _private_redis_server():
    binary = shutil.which("redis-server")
    require_service("redis-server", bool(binary), "apt-get install redis-server")
    server = PrivateRedis(binary)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_redis(_private_redis_server):
    """The private Redis, running and empty; started again after a test that stopped it."""
    from redis import Redis

    server = _private_redis_server
    if not server.running:
        server.start()
    Redis.from_url(server.url).flushall()  # private to these tests: nobody else's keys
    yield server
    if not server.running:
        server.start()


# --- a private PostgreSQL cluster -------------------------------------------------------------

class PrivateCluster:
    """A throw-away PostgreSQL cluster (trust auth, loopback only, no fsync)."""

    def __init__(self, bindir: str, root: Path) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        # initdb refuses to run as root: run the cluster as the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(prefix + list(args), check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(f"{self.bindir}/initdb", "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "--no-sync", "--no-instructions")

    def start(self) -> None:
        self._run(f"{self.bindir}/pg_ctl", "-D", str(self.data), "-l",
                  str(self.root / "server.log"), "-w", "-t", "30", "start", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off")

    def ensure_started(self) -> None:
        """Start the cluster unless ``pg_ctl status`` says it is running."""
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        status = subprocess.run(prefix + [f"{self.bindir}/pg_ctl", "-D", str(self.data),
                                          "status"],
                                capture_output=True, timeout=30, check=False)
        if status.returncode != 0:
            self.start()

    def stop(self) -> None:
        # "immediate" is what a crash looks like to clients: no goodbye, sockets just close.
        self._run(f"{self.bindir}/pg_ctl", "-D", str(self.data), "-m", "immediate", "-w",
                  "stop")


@pytest.fixture(scope="session")
def private_postgres():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    require_service("PostgreSQL server binaries", bool(found),
                    "apt-get install postgresql (initdb and pg_ctl are needed)")
    root = Path(tempfile.mkdtemp(prefix="mm-faults-pg-"))
    cluster = PrivateCluster(os.path.dirname(found[-1]), root)
    cluster.init()
    cluster.start()
    yield cluster
    cluster.ensure_started()
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


# --- a fresh database on the shared server ---------------------------------------------------

@pytest.fixture(scope="session")
def fault_db_url(postgres_url):
    with fresh_postgres_database(postgres_url, f"faults_{secrets.token_hex(4)}") as url:
        yield url


# --- apps ------------------------------------------------------------------------------------

@pytest.fixture
def make_fault_app(tmp_path):
    """Factory: an app on real servers (committing for real); engines disposed afterwards."""
    from matchmaker import create_app

    apps = []

    def make(database_url: str, **config):
        settings = {
            "TESTING": True, "DATABASE_URL": database_url, "REDIS_URL": "", "SMTP_URL": "",
            "SECRET_KEY": "faults-secret", "BASE_URL": "http://localhost",
            "OUTBOX_DIR": str(tmp_path / "outbox"), "RATELIMIT_STORAGE_URI": "memory://",
            "RQ_QUEUE": f"faults-{secrets.token_hex(4)}", "RQ_RETRY_INTERVALS": [0],
            **config,
        }
        app = create_app(**settings)
        app.settings = settings
        apps.append(app)
        return app

    yield make
    from matchmaker.security import limiter
    from workers import jobs

    jobs.set_app(None)
    # The limiter is one module-level object shared by every app in the session: a
    # Redis that was down must not leave later tests on the in-memory fallback.
    limiter._storage_dead = False
    for app in apps:
        app.extensions["matchmaker.db"].engine.dispose()
        conn = app.extensions.get("matchmaker.redis")
        if conn is not None:
            conn.close()


def run_worker_burst(app) -> None:
    """Run what is queued in this process (RQ's SimpleWorker), as the worker would."""
    from rq import SimpleWorker

    from matchmaker.tasks import get_queue, redis_connection
    from workers import jobs

    jobs.set_app(app)  # jobs open their own app context, as in workers.worker
    with app.app_context():
        queue = get_queue(app)
        conn = redis_connection(app)
    SimpleWorker([queue], connection=conn).work(burst=True, with_scheduler=True)


# --- data ------------------------------------------------------------------------------------

@dataclass
class Seeded:
    user_id: int
    email: str
    occurrence_id: int
    opportunity_id: int


def seed(app, starts_in: timedelta = timedelta(days=3), capacity: int = 10) -> Seeded:
    """A verified resident and a published one-off with one occurrence, committed."""
    from matchmaker.auth.services import create_user
    from matchmaker.models import Membership, Occurrence, Opportunity, Organization, Role

    tag = secrets.token_hex(3)
    with app.app_context():
        s = db.session
        owner = create_user(s, f"owner-{tag}@example.org", "Owner", SEED_PASSWORD,
                            role=Role.ORGANIZER, verified=True)
        resident = create_user(s, f"res-{tag}@example.org", "Res", SEED_PASSWORD,
                               verified=True)
        org = Organization(name=f"Fault org {tag}", slug=f"fault-org-{tag}", summary="",
                           area="Brooklyn")
        s.add(org)
        s.flush()
        s.add(Membership(organization=org, user=owner, role="owner"))
        starts = utcnow().replace(microsecond=0) + starts_in
        opp = Opportunity(
            organization=org, title=f"Pantry shift {tag}", kind="one_off", status="published",
            capacity=capacity, duration_minutes=60, lat=40.672, lon=-73.977, is_remote=False,
            place_label="Park Slope, Brooklyn", published_at=utcnow(),
            start_local=starts.replace(tzinfo=None), timezone="America/New_York",
        )
        opp.occurrences = [Occurrence(starts_at=starts, ends_at=starts + timedelta(hours=1),
                                      capacity=capacity)]
        s.add(opp)
        s.commit()
        return Seeded(resident.id, resident.email, opp.occurrences[0].id, opp.id)


def signed_in_client(app, user_id: int):
    """A test client signed in through a real server-side LoginSession row."""
    from matchmaker.auth.login import token_hash
    from matchmaker.models import LoginSession

    token = secrets.token_urlsafe(32)
    with app.app_context():
        db.session.add(LoginSession(user_id=user_id, token_hash=token_hash(token)))
        db.session.commit()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = token
        sess["_fresh"] = True
    return client


def sign_up_over_http(app, data: Seeded) -> tuple[int, str]:
    """Sign the seeded resident up through the real form.

    Returns the sign-up id and the RQ job id its confirmation email was queued under.
    """
    from sqlalchemy import select

    from matchmaker.models import QueuedJob, Signup

    client = signed_in_client(app, data.user_id)
    path = f"/occurrences/{data.occurrence_id}"
    response = client.post(f"{path}/signup", data={"csrf_token": csrf_of(client, path)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    with app.app_context():
        signup_id = db.session.scalar(select(Signup.id).where(Signup.user_id == data.user_id))
        [row_id] = [row.id for row in db.session.scalars(
            select(QueuedJob).where(QueuedJob.func == "workers.jobs.send_signup_email"))
            if row.args == [signup_id, "confirmed"]]
    return signup_id, f"queued-{row_id}"


def csrf_of(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"{path} has no CSRF token"
    return match.group(1)


def assert_friendly_page(response, status: int) -> None:
    """A plain-words error page: no traceback, no exception names, no SQL."""
    body = response.get_data(as_text=True)
    assert response.status_code == status, body[:500]
    for leak in ("Traceback", "OperationalError", "psycopg", "SELECT", "sqlalchemy"):
        assert leak not in body, f"{leak!r} leaked into the {status} page"


# --- SMTP servers that misbehave --------------------------------------------------------------

class ScriptedSink:
    """An aiosmtpd handler answering DATA from a script (e.g. 451, then 250).

    Only a message answered 250 counts as received. When the script runs out,
    every message is accepted.
    """

    def __init__(self, replies: list[str] | None = None, hold_rcpt: bool = False) -> None:
        self.replies = list(replies or [])
        self.messages: list = []
        self.refused: list[str] = []
        #: hold_rcpt: the first RCPT TO is not answered until ``release`` is set, so
        #: the client is stuck mid-conversation, before it has sent the message.
        self.hold_rcpt = hold_rcpt
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.hold_rcpt and not self.holding.is_set():
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        reply = self.replies.pop(0) if self.replies else "250 OK"
        if reply.startswith("250"):
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        else:
            self.refused.append(reply)
        return reply


@pytest.fixture
def scripted_smtp():
    """Factory: scripted_smtp(replies=[...], hold_rcpt=False) -> sink with ``.url``."""
    from aiosmtpd.controller import Controller

    started = []

    def make(replies: list[str] | None = None, hold_rcpt: bool = False) -> ScriptedSink:
        sink = ScriptedSink(replies, hold_rcpt)
        port = _free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        _ALLOWED_SMTP.add(("127.0.0.1", port))
        sink.url = f"smtp://127.0.0.1:{port}"
        started.append((controller, sink, port))
        return sink

    yield make
    for controller, sink, port in started:
        sink.release.set()
        _ALLOWED_SMTP.discard(("127.0.0.1", port))
        controller.stop()
