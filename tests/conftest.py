"""Shared fixtures: app -> client -> login_as, factories, mail sinks, real services.

Database: SQLite by default; ``TEST_DATABASE_URL`` (set by .ci/run) runs the very
same suite on PostgreSQL. Each test runs inside an outer transaction that is
rolled back afterwards; the app's own commits become SAVEPOINT releases.

Services (PostgreSQL, Redis, Chromium) are looked for, and a test that needs a
missing one is skipped with a loud reason, except under ``CI=true`` where it fails.
"""

from __future__ import annotations

import os
import re
import smtplib
import socket
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from matchmaker import create_app
from matchmaker.db import Base, db, make_engine
from matchmaker.models import LoginSession, Membership, Organization, Role, User

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


def require_service(name: str, available: bool, how: str) -> None:
    """Skip loudly on a laptop; fail under CI, where every service must be there."""
    if available:
        return
    message = f"{name} is not available: {how}"
    if IN_CI:
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(f"SKIPPED (no {name}): {message}")


# --- database -----------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def engine(database_url):
    import matchmaker.models  # noqa: F401  (registers every table)

    eng = make_engine(database_url)
    Base.metadata.drop_all(eng)
    Base.metadata.create_all(eng)
    yield eng
    Base.metadata.drop_all(eng)
    eng.dispose()


@pytest.fixture
def app_config(tmp_path, database_url) -> dict:
    """Settings for the test app; tests may change them before ``app`` is built."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "SMTP_URL": "",
        "SECRET_KEY": "test-secret-key",
        "BASE_URL": "http://localhost",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture
def app(engine, app_config):
    app = create_app(**app_config)
    state = app.extensions["matchmaker.db"]
    state.engine.dispose()
    connection = engine.connect()
    outer = connection.begin()
    state.Session.configure(bind=connection, join_transaction_mode="create_savepoint")
    with app.app_context():
        yield app
    outer.rollback()
    connection.close()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


# --- forms and sign-in ----------------------------------------------------------------

_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def csrf(client):
    """A valid CSRF token for this client's session (read from a real form)."""

    def get(path: str = "/login") -> str:
        return csrf_from(client.get(path).get_data(as_text=True))

    return get


@pytest.fixture
def post_form(client):
    """POST a form the way a browser does: fetch the page, send its CSRF token back."""

    def post(path: str, data: dict, page: str | None = None, **kwargs):
        html = client.get(page or path).get_data(as_text=True)
        payload = {"csrf_token": csrf_from(html), **data}
        return client.post(path, data=payload, **kwargs)

    return post


@pytest.fixture
def make_user(session):
    """Factory: make_user(email=..., role=..., verified=...) -> User (committed)."""
    from matchmaker.auth.services import create_user

    counter = {"n": 0}

    def make(email: str | None = None, role: str = Role.RESIDENT, verified: bool = True,
             password: str = PASSWORD, display_name: str | None = None) -> User:
        counter["n"] += 1
        email = email or f"person{counter['n']}@example.org"
        user = create_user(session, email, display_name or f"Person {counter['n']}", password,
                           role=role, verified=verified)
        session.commit()
        return user

    return make


@pytest.fixture
def make_org(session, make_user):
    """Factory: make_org(name=..., owner=User) -> Organization with the owner as member."""
    from matchmaker.orgs.services import slugify

    def make(name: str = "Park Slope Food Pantry", owner: User | None = None,
             verified: bool = False) -> Organization:
        owner = owner or make_user(role=Role.ORGANIZER)
        org = Organization(name=name, slug=slugify(name), summary="", area="Brooklyn")
        if verified:
            from matchmaker.db import utcnow

            org.verified_at = utcnow()
        session.add(org)
        session.flush()
        session.add(Membership(organization=org, user=owner, role="owner"))
        if owner.role == Role.RESIDENT:
            owner.role = Role.ORGANIZER
        session.commit()
        return org

    return make


@pytest.fixture
def make_opportunity(session, make_org):
    """Factory: a published opportunity with one occurrence (or ``starts`` list of them).

    make_opportunity(org=..., title=..., starts=datetime | [datetimes], capacity=..,
    kind=..., lat=.., lon=.., is_remote=.., causes=[..], status=..) -> Opportunity
    """
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from matchmaker.db import utcnow
    from matchmaker.models import Occurrence, Opportunity, OpportunityTag

    def make(org: Organization | None = None, title: str = "Sort food at the pantry",
             starts=None, capacity: int = 10, duration_minutes: int = 120,
             kind: str = "one_off", status: str = "published", lat: float | None = 40.6720,
             lon: float | None = -73.9778, is_remote: bool = False, causes=("food-security",),
             **fields) -> Opportunity:
        org = org or make_org(name=f"Org for {title}"[:100])
        if starts is None:
            starts = [utcnow().replace(microsecond=0) + timedelta(days=3)]
        elif not isinstance(starts, (list, tuple)):
            starts = [starts]
        opp = Opportunity(
            organization=org, title=title, kind=kind, status=status, capacity=capacity,
            duration_minutes=duration_minutes, lat=None if is_remote else lat,
            lon=None if is_remote else lon, is_remote=is_remote,
            place_label="" if is_remote else "Park Slope, Brooklyn",
            published_at=utcnow() if status == "published" else None,
            **{"start_local": starts[0].astimezone(ZoneInfo(fields.get(
                "timezone", "America/New_York"))).replace(tzinfo=None), **fields},
        )
        opp.tags = [OpportunityTag(kind="cause", value=c) for c in causes]
        opp.occurrences = [
            Occurrence(starts_at=s, ends_at=s + timedelta(minutes=duration_minutes),
                       capacity=capacity) for s in starts
        ]
        session.add(opp)
        session.commit()
        return opp

    return make


@pytest.fixture
def login_as(client, session):
    """Sign a client in as ``user`` through a real server-side session row."""
    import secrets

    from matchmaker.auth.login import token_hash

    def login(user: User, c=None):
        c = c or client
        token = secrets.token_urlsafe(32)
        session.add(LoginSession(user_id=user.id, token_hash=token_hash(token)))
        session.commit()
        with c.session_transaction() as s:
            s["_user_id"] = token
            s["_fresh"] = True
        return c

    return login


# --- mail -----------------------------------------------------------------------------

_ALLOWED_SMTP: set[tuple[str, int]] = set()


@pytest.fixture(autouse=True)
def _no_unexpected_smtp(monkeypatch):
    """Any SMTP connection other than to a test's own aiosmtpd server fails the test."""
    real_connect = smtplib.SMTP.connect

    def guarded(self, host="localhost", port=0, source_address=None):
        if (host, int(port)) not in _ALLOWED_SMTP:
            raise AssertionError(f"unexpected SMTP connection to {host}:{port} in a test")
        return real_connect(self, host, port, source_address)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)


class Sink:
    """Messages received by a real aiosmtpd server on loopback."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_sink():
    """A real SMTP server on 127.0.0.1; ``sink.url`` goes into SMTP_URL."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    _ALLOWED_SMTP.add(("127.0.0.1", port))
    sink.url = f"smtp://127.0.0.1:{port}"
    sink.port = port
    yield sink
    _ALLOWED_SMTP.discard(("127.0.0.1", port))
    controller.stop()


@pytest.fixture
def outbox(app):
    """The file outbox the test app writes to, read back as parsed messages."""
    from email import message_from_bytes, policy

    class Outbox:
        def __init__(self, directory: Path) -> None:
            self.directory = directory

        @property
        def messages(self):
            return [message_from_bytes(p.read_bytes(), policy=policy.default)
                    for p in sorted(self.directory.glob("*.eml"))]

        def text_of(self, msg) -> str:
            return msg.get_body(("plain",)).get_content()

        def links(self, msg) -> list[str]:
            return re.findall(r"https?://\S+", self.text_of(msg))

    return Outbox(Path(app.config["OUTBOX_DIR"]))


# --- real services ----------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = TEST_DATABASE_URL if TEST_DATABASE_URL.startswith("postgresql") else ""
    if url:
        try:
            eng = make_engine(url)
            with eng.connect() as conn:
                conn.execute(text("select 1"))
            eng.dispose()
        except Exception as exc:  # noqa: BLE001 - report any failure to connect
            require_service("PostgreSQL", False, f"cannot connect to TEST_DATABASE_URL: {exc}")
    require_service("PostgreSQL", bool(url), "set TEST_DATABASE_URL=postgresql+psycopg://...")
    return url


@pytest.fixture(scope="session")
def redis_url() -> str:
    if TEST_REDIS_URL:
        from redis import Redis

        try:
            Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
        except Exception as exc:  # noqa: BLE001
            require_service("Redis", False, f"cannot reach TEST_REDIS_URL: {exc}")
    require_service("Redis", bool(TEST_REDIS_URL), "set TEST_REDIS_URL=redis://127.0.0.1:6379/0")
    return TEST_REDIS_URL


@pytest.fixture(scope="session")
def chromium_path() -> str:
    require_service("Chromium", os.path.exists(CHROMIUM),
                    f"{CHROMIUM} is missing (apt-get install chromium)")
    return CHROMIUM


# --- the summary CI reads ------------------------------------------------------------------

_ran: Counter = Counter()


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        for mark in ("postgres", "redis", "browser"):
            if mark in report.keywords:
                _ran[mark] += 1
        _ran["all"] += 1


def pytest_terminal_summary(terminalreporter):
    backend = "PostgreSQL" if TEST_DATABASE_URL.startswith("postgresql") else "SQLite"
    terminalreporter.write_sep("-", "matchmaker service summary")
    terminalreporter.write_line(f"database for the main suite: {backend}")
    terminalreporter.write_line(
        f"passed: {_ran['all']} in all; {_ran['postgres']} needing PostgreSQL, "
        f"{_ran['redis']} needing Redis, {_ran['browser']} in Chromium"
    )
