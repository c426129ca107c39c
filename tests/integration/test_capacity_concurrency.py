"""Seats hold under load: real concurrent HTTP requests against a live server on PostgreSQL.

Each test module run creates its own PostgreSQL database (and drops it after),
builds the schema with ``Base.metadata.create_all``, and serves a real app with
werkzeug's threaded server. Every resident has their own signed-in client (a
real server-side LoginSession row; the cookie is signed with the app's own
session serializer), fetches a page for its CSRF token like a browser, then all
of them fire at once from a thread pool. CSRF stays ON.

The control test switches the seat lock off (``SIGNUP_LOCKING=False``) and, to
make the race reliable on a 2-core machine, sets the test-only
``SIGNUP_RACE_SLEEP`` so the unlocked read-then-write window is 50 ms wide.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from matchmaker import create_app
from matchmaker.auth.login import token_hash
from matchmaker.db import db, make_engine, utcnow
from matchmaker.models import (
    LoginSession,
    Membership,
    Occurrence,
    Opportunity,
    Organization,
    Signup,
    User,
)
from matchmaker.signups import services
from tests.integration.databases import fresh_postgres_database

pytestmark = pytest.mark.postgres

WORKERS = 50
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- a fresh database and live servers ---------------------------------------------------------

@pytest.fixture(scope="module")
def race_db_url(postgres_url):
    with fresh_postgres_database(postgres_url, f"test_signups_race_{secrets.token_hex(4)}") as url:
        yield url


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.thread.join(5)
        self.app.extensions["matchmaker.db"].engine.dispose()


@pytest.fixture(scope="module")
def make_server_for(race_db_url, tmp_path_factory):
    servers = []

    def start(**config) -> LiveServer:
        app = create_app(
            TESTING=True, DATABASE_URL=race_db_url, REDIS_URL="", SMTP_URL="",
            SECRET_KEY="race-secret", BASE_URL="http://127.0.0.1",
            OUTBOX_DIR=str(tmp_path_factory.mktemp("outbox")),
            RATELIMIT_STORAGE_URI="memory://", **config,
        )
        # Inline mode runs each email job in the request thread on a second
        # connection; the default pool (5 + 10) would starve 50 threads that each
        # hold one. 30 + 30 leaves room for both and stays well under PostgreSQL's
        # default max_connections of 100.
        state = app.extensions["matchmaker.db"]
        state.engine.dispose()
        state.engine = make_engine(race_db_url, pool_size=30, max_overflow=30)
        state.Session.configure(bind=state.engine)
        server = LiveServer(app)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def live(make_server_for) -> LiveServer:
    return make_server_for()


# --- seeding and clients ----------------------------------------------------------------------

def seed_occurrence(app, capacity: int, residents: int) -> tuple[int, list[tuple[int, str]]]:
    """An occurrence and ``residents`` verified residents with live login tokens."""
    tag = secrets.token_hex(3)
    now = utcnow()
    with app.app_context():
        s = db.session
        owner = User(email=f"owner-{tag}@example.org", display_name="Owner", password_hash="!",
                     role="organizer", email_verified_at=now)
        org = Organization(name=f"Race org {tag}", slug=f"race-org-{tag}", summary="",
                           area="Brooklyn")
        s.add_all([owner, org])
        s.flush()
        s.add(Membership(organization=org, user=owner, role="owner"))
        start = now.replace(microsecond=0) + timedelta(days=2)
        opp = Opportunity(organization=org, title=f"Race {tag}", status="published",
                          capacity=capacity, duration_minutes=60, published_at=now,
                          place_label="Park Slope")
        opp.occurrences = [Occurrence(starts_at=start, ends_at=start + timedelta(hours=1),
                                      capacity=capacity)]
        s.add(opp)
        users = [User(email=f"r{i}-{tag}@example.org", display_name=f"Resident {i}",
                      password_hash="!", email_verified_at=now) for i in range(residents)]
        s.add_all(users)
        s.flush()
        tokens = []
        for u in users:
            tok = secrets.token_urlsafe(24)
            s.add(LoginSession(user_id=u.id, token_hash=token_hash(tok)))
            tokens.append((u.id, tok))
        s.commit()
        return opp.occurrences[0].id, tokens


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class Client:
    """One browser: a session cookie, kept up to date from Set-Cookie."""

    def __init__(self, live: LiveServer, login_token: str):
        self.live = live
        serializer = live.app.session_interface.get_signing_serializer(live.app)
        self.cookie = serializer.dumps({"_user_id": login_token, "_fresh": True})
        self.csrf = ""

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.live.url + path, data=body, method=method,
                                     headers={"Cookie": f"session={self.cookie}"})
        try:
            resp = _opener.open(req, timeout=60)
            status, headers, payload = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as exc:
            status, headers, payload = exc.code, exc.headers, exc.read()
        for cookie in headers.get_all("Set-Cookie") or []:
            if cookie.startswith("session="):
                self.cookie = cookie.split(";", 1)[0].split("=", 1)[1]
        return status, payload.decode("utf-8", "replace")

    def prepare(self, page: str) -> None:
        status, html = self.request("GET", page)
        assert status == 200, status
        self.csrf = _CSRF.search(html).group(1)

    def post(self, path: str, data: dict | None = None) -> int:
        return self.request("POST", path, {"csrf_token": self.csrf, **(data or {})})[0]

    def flashes(self) -> list[str]:
        serializer = self.live.app.session_interface.get_signing_serializer(self.live.app)
        return [m for _, m in serializer.loads(self.cookie).get("_flashes", [])]


def clients_for(live: LiveServer, tokens, page: str) -> list[Client]:
    clients = [Client(live, tok) for _, tok in tokens]
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lambda c: c.prepare(page), clients))
    return clients


def fire(jobs) -> list:
    """Run the callables all at once (a barrier lines them up) on WORKERS threads."""
    barrier = threading.Barrier(min(WORKERS, len(jobs)))

    def run(job):
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        return job()

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(run, jobs))


def roster(app, occurrence_id: int) -> tuple[Occurrence, list[Signup]]:
    with app.app_context():
        s = db.session
        occ = s.get(Occurrence, occurrence_id)
        rows = list(s.scalars(select(Signup).where(Signup.occurrence_id == occurrence_id)
                              .order_by(Signup.queued_at, Signup.id)))
        s.expunge_all()
        return occ, rows


def services_waitlist(app, signups: list[Signup]) -> list[int | None]:
    with app.app_context():
        return [services.waitlist_position(db.session, s) for s in signups]


# --- the tests ------------------------------------------------------------------------------

def test_200_residents_20_seats_exactly_20_confirmed(live):
    started = time.monotonic()
    occ_id, tokens = seed_occurrence(live.app, capacity=20, residents=200)
    page = f"/occurrences/{occ_id}"
    clients = clients_for(live, tokens, page)
    statuses = fire([lambda c=c: c.post(f"{page}/signup") for c in clients])

    assert Counter(statuses) == {302: 200}, Counter(statuses)
    occ, rows = roster(live.app, occ_id)
    by_status = Counter(r.status for r in rows)
    assert len(rows) == 200
    assert by_status == {"confirmed": 20, "waitlisted": 180}
    assert occ.confirmed_count == 20
    # The positions people were told, read back from their own flash messages.
    told = []
    for c in clients:
        [message] = c.flashes()
        match = re.search(r"number (\d+) on the waiting list", message)
        if match:
            told.append(int(match.group(1)))
        else:
            assert message.startswith("You're in"), message
    assert sorted(told) == list(range(1, 181))
    assert time.monotonic() - started < 45


def test_control_without_the_lock_overbooks(make_server_for):
    """Proves the test above can fail: the same race with the lock switched off."""
    unlocked = make_server_for(SIGNUP_LOCKING=False, SIGNUP_RACE_SLEEP=0.05)
    occ_id, tokens = seed_occurrence(unlocked.app, capacity=20, residents=100)
    page = f"/occurrences/{occ_id}"
    clients = clients_for(unlocked, tokens, page)
    fire([lambda c=c: c.post(f"{page}/signup") for c in clients])
    occ, rows = roster(unlocked.app, occ_id)
    confirmed = sum(r.status == "confirmed" for r in rows)
    assert confirmed > 20 or confirmed != occ.confirmed_count, (confirmed, occ.confirmed_count)


def test_50_identical_submissions_make_one_row(live):
    occ_id, tokens = seed_occurrence(live.app, capacity=5, residents=1)
    page = f"/occurrences/{occ_id}"
    [client] = clients_for(live, tokens, page)
    statuses = fire([lambda: client.post(f"{page}/signup") for _ in range(50)])
    assert Counter(statuses) == {302: 50}
    occ, rows = roster(live.app, occ_id)
    assert len(rows) == 1 and rows[0].status == "confirmed"
    assert occ.confirmed_count == 1


def test_releases_racing_signups_promote_in_order(live, race_db_url):
    occ_id, tokens = seed_occurrence(live.app, capacity=10, residents=30)
    holders, waiting, newcomers = tokens[:10], tokens[10:20], tokens[20:]
    with live.app.app_context():
        s = db.session
        for uid, _ in holders + waiting:  # one at a time: a known queue order
            services.sign_up(s, occ_id, s.get(User, uid))
            s.commit()
    _, rows = roster(live.app, occ_id)
    signup_of = {r.user_id: r.id for r in rows}
    queue = [signup_of[uid] for uid, _ in waiting]

    page = f"/occurrences/{occ_id}"
    holder_clients = clients_for(live, holders, page)
    new_clients = clients_for(live, newcomers, page)

    # A watcher samples the committed state all through the race.
    stop, seen = threading.Event(), []
    watch_engine = make_engine(race_db_url)

    def watch():
        with watch_engine.connect() as conn:
            while not stop.is_set():
                n = conn.execute(select(func.count()).select_from(Signup).where(
                    Signup.occurrence_id == occ_id, Signup.status == "confirmed")).scalar()
                seen.append(n)
                conn.rollback()

    watcher = threading.Thread(target=watch)
    watcher.start()
    jobs = [lambda c=c, uid=uid: c.post(f"/signups/{signup_of[uid]}/release")
            for c, (uid, _) in zip(holder_clients, holders, strict=True)]
    jobs += [lambda c=c: c.post(f"{page}/signup") for c in new_clients]
    statuses = fire(jobs)
    stop.set()
    watcher.join()
    watch_engine.dispose()

    assert Counter(statuses) == {302: 20}
    assert seen and max(seen) <= 10
    occ, rows = roster(live.app, occ_id)
    status = {r.id: r for r in rows}
    assert occ.confirmed_count == 10 == sum(r.status == "confirmed" for r in rows)
    # Every waiting person moved up, strictly in the order they queued.
    assert all(status[i].status == "confirmed" for i in queue)
    times = [status[i].confirmed_at for i in queue]
    assert times == sorted(times)
    assert all(status[signup_of[uid]].status == "released" for uid, _ in holders)
    by_user = {r.user_id: r for r in rows}
    assert sorted(services_waitlist(live.app, [by_user[uid] for uid, _ in newcomers])) == \
        list(range(1, 11))
