"""Fixtures for the security suite: a small two-organization world, one signed-in
client per actor, API tokens, and a database snapshot to prove a denial wrote nothing.

``world`` is built once per test module (an app, a connection and an outer
transaction of its own, rolled back at the end) because the sweeps make a thousand
requests against it. Every test using it runs inside a SAVEPOINT that is rolled
back afterwards, and gets fresh clients carrying the actors' original cookies, so
a request one test lets through (a logout, a cancelled opportunity) can never
change what the next test sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from matchmaker.db import Base, db, utcnow
from matchmaker.models import Membership, Role

ANON, RESIDENT, ORG_A, ORG_B, ADMIN = (
    "anonymous", "resident", "organizer of A", "organizer of B", "admin")
ACTORS = (ANON, RESIDENT, ORG_A, ORG_B, ADMIN)
SIGNED_IN = ACTORS[1:]

#: A token in the right shape (payload.timestamp.signature) that we never signed.
FORGED = "eyJzIjoxLCJ1IjoxfQ.ZzZzZw.forged-signature-x"
#: Strings that only organizers of A (and admins) may ever see in a response.
DRAFT_MARKER = "Draft-marker-q7x"
OTHER_EMAIL = "other-marker-q7x@example.org"
OTHER_NAME = "Otto-marker-q7x"
#: What outsiders (anonymous, the resident, B's organizers) must never see anywhere.
PRIVATE_MARKERS = (DRAFT_MARKER, OTHER_EMAIL, OTHER_NAME, "555 0100")

#: Columns any request may touch without it being a write by the person asking:
#: "last seen" stamps of the session or token that authenticated the request.
VOLATILE = {("login_sessions", "last_seen_at"), ("api_tokens", "last_used_at")}


def fast_hasher() -> PasswordHasher:
    """Cheap argon2 parameters: the worlds here create several accounts."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):
    from matchmaker.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", fast_hasher())


def _forget_csrf_token_between_requests(app) -> None:
    """Give each request its own CSRF token cache, as production's fresh ``g`` does.

    flask-wtf caches the token on ``g``; the test app context (so ``g``) is shared
    by every client of a test, so without this a second client would be handed the
    first client's token, which its own session cannot validate.
    """
    from flask import g

    def forget() -> None:  # (a before_request hook that returns a value ends the request)
        g.pop("csrf_token", None)

    app.before_request(forget)


@pytest.fixture(autouse=True)
def _one_csrf_token_per_client(request):
    if "app" in request.fixturenames:
        _forget_csrf_token_between_requests(request.getfixturevalue("app"))


def db_state(session) -> dict[str, list[str]]:
    """Every row of every table (volatile stamps left out), read fresh from the database."""
    state = {}
    for table in Base.metadata.sorted_tables:
        cols = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
        state[table.name] = sorted(repr(tuple(row)) for row in session.execute(select(*cols)))
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_of(client) -> str:
    """A valid CSRF token for this client's session (from a form every actor can open)."""
    html = client.get("/forgot-password").get_data(as_text=True)
    return _CSRF_RE.search(html).group(1)


@dataclass
class World:
    """Two organizations, their people and things, and one client per actor."""

    app: object = None
    users: dict = field(default_factory=dict)        # actor (or "other", "co") -> User
    cookies: dict = field(default_factory=dict)      # actor -> session cookie value
    clients: dict = field(default_factory=dict)      # actor -> test client (fresh per test)
    csrf: dict = field(default_factory=dict)         # actor -> CSRF token of its session
    bearer: dict = field(default_factory=dict)       # actor -> Authorization headers
    objects: dict = field(default_factory=dict)      # object kind -> URL argument values
    tokens: dict = field(default_factory=dict)       # link kind -> a valid token
    ids: dict = field(default_factory=dict)          # name -> row id

    def client(self, actor: str):
        """A new client with ``actor``'s original cookie (signed in, CSRF token valid)."""
        client = self.app.test_client()
        if self.cookies.get(actor):
            client.set_cookie("session", self.cookies[actor])
        return client


def _user(session, email: str, role: str = Role.RESIDENT, name: str = "Person"):
    from matchmaker.auth.services import create_user

    return create_user(session, email, name, "correct horse battery staple", role=role,
                       verified=True)


def add_opportunity(session, org, title: str, status: str = "published"):
    from zoneinfo import ZoneInfo

    from matchmaker.models import Occurrence, Opportunity, OpportunityTag

    start = utcnow().replace(microsecond=0) + timedelta(days=3)
    opp = Opportunity(
        organization=org, title=title, kind="one_off", status=status, capacity=10,
        duration_minutes=120, lat=40.672, lon=-73.9778, place_label="Park Slope, Brooklyn",
        published_at=utcnow() if status == "published" else None,
        start_local=start.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None))
    opp.tags = [OpportunityTag(kind="cause", value="food-security")]
    opp.occurrences = [Occurrence(starts_at=start, ends_at=start + timedelta(hours=2),
                                  capacity=10)]
    session.add(opp)
    session.flush()
    return opp


def build_world(app, session) -> World:
    import secrets

    from matchmaker.api.auth import create_token
    from matchmaker.auth.login import token_hash
    from matchmaker.digests.compose import UNSUBSCRIBE_PURPOSE
    from matchmaker.followthrough.asks import answer_token
    from matchmaker.followthrough.passing import pass_token
    from matchmaker.groups.services import archive_group, create_group, join
    from matchmaker.models import ImportRun, LoginSession, Organization
    from matchmaker.orgs.services import invitation_token, invite, slugify
    from matchmaker.signups.services import sign_up
    from matchmaker.signups.views import feed_token
    from matchmaker.tokens import make_token

    w = World(app=app)
    u = w.users
    u[RESIDENT] = _user(session, "resident@example.org", name="Rita")
    u[ORG_A] = _user(session, "owner-a@example.org", Role.ORGANIZER)
    u[ORG_B] = _user(session, "owner-b@example.org", Role.ORGANIZER)
    u[ADMIN] = _user(session, "admin@example.org", Role.ADMIN)
    u["other"] = _user(session, OTHER_EMAIL, name=OTHER_NAME)
    u["co"] = _user(session, "co-a@example.org", Role.ORGANIZER)
    orgs = {}
    for key, name, owner in (("a", "Org A Pantry", u[ORG_A]), ("b", "Org B Garden", u[ORG_B])):
        orgs[key] = Organization(name=name, slug=slugify(name), summary="", area="Brooklyn")
        session.add(orgs[key])
        session.add(Membership(organization=orgs[key], user=owner, role="owner"))
    org_a, org_b = orgs["a"], orgs["b"]
    co = Membership(organization=org_a, user=u["co"], role="organizer")
    session.add(co)
    session.flush()
    published = add_opportunity(session, org_a, "Sort tins at A")
    draft = add_opportunity(session, org_a, f"{DRAFT_MARKER} plans", status="draft")
    group = create_group(session, org_a, name="Tuesday crew")
    archived = create_group(session, org_a, name="Old crew")
    archive_group(session, archived)
    join(session, group, u["other"])  # member names are for members and organizers only
    inv = invite(session, org_a, u[ORG_A], "invitee@example.org")
    run = ImportRun(organization_id=org_a.id, created_by_id=u[ORG_A].id, filename="a.csv",
                    status="done", total_rows=0, payload="", problems=[])
    session.add(run)
    occ = published.occurrences[0]
    mine = sign_up(session, occ.id, u[RESIDENT], share_email=True).signup
    other = sign_up(session, occ.id, u["other"], share_email=True,
                    share_phone="+1 555 0100").signup
    session.commit()

    w.ids = {"org_a": org_a.id, "org_b": org_b.id, "published": published.id,
             "draft": draft.id, "occurrence": occ.id, "group": group.id,
             "signup_mine": mine.id, "signup_other": other.id, "invitation": inv.id}
    base = {"slug": org_a.slug, "opportunity_id": published.id, "occurrence_id": occ.id,
            "group_slug": group.slug, "run_id": run.id, "invitation_id": inv.id,
            "membership_id": co.id, "org_id": org_a.id, "user_id": u["other"].id,
            "code": "K7MX3Q", "filename": "css/app.css", "token": FORGED,
            "queue_name": "default", "job_id": "no-such-job"}
    w.objects = {
        "of A": base,
        # A's things through B's address: B's organizers must not reach them either.
        "of A via B": {**base, "slug": org_b.slug},
        # Things of A that only A's organizers may see (a draft, an archived group).
        "hidden of A": {**base, "opportunity_id": draft.id,
                        "occurrence_id": draft.occurrences[0].id,
                        "group_slug": archived.slug},
        "own": {**base, "signup_id": mine.id},
        "another resident's": {**base, "signup_id": other.id},
        "nonexistent": {**base, "signup_id": other.id + 10_000},
        "forged": base,  # "token": FORGED
    }
    w.tokens = {
        "pass": pass_token(mine), "attendance": answer_token(mine, "yes"),
        "unsubscribe": make_token(UNSUBSCRIBE_PURPOSE, {"u": u[RESIDENT].id}),
        "calendar": feed_token(u[RESIDENT]), "invitation": invitation_token(inv),
    }
    for actor in ACTORS:
        client = app.test_client()
        if actor != ANON:
            token = secrets.token_urlsafe(32)
            session.add(LoginSession(user_id=u[actor].id, token_hash=token_hash(token)))
            with client.session_transaction() as s:
                s["_user_id"] = token
                s["_fresh"] = True
            _row, api_token = create_token(session, u[actor])
            w.bearer[actor] = {"Authorization": f"Bearer {api_token}"}
        session.commit()
        w.csrf[actor] = csrf_of(client)
        w.cookies[actor] = client.get_cookie("session").value
    w.bearer[ANON] = {}
    session.commit()
    return w


@pytest.fixture(scope="module")
def shared_world(engine, database_url, tmp_path_factory, request):
    """The world, built once for the module on its own connection and outer transaction."""
    from matchmaker import create_app
    from matchmaker.auth import passwords
    from matchmaker.security import limiter

    config = {"TESTING": True, "DATABASE_URL": database_url, "REDIS_URL": "", "SMTP_URL": "",
              "SECRET_KEY": "test-secret-key", "BASE_URL": "http://localhost",
              "OUTBOX_DIR": str(tmp_path_factory.mktemp("outbox")),
              "RATELIMIT_STORAGE_URI": "memory://"}
    app = create_app(**config)
    _forget_csrf_token_between_requests(app)
    state = app.extensions["matchmaker.db"]
    state.engine.dispose()
    connection = engine.connect()
    outer = connection.begin()
    state.Session.configure(bind=connection, join_transaction_mode="create_savepoint")
    with pytest.MonkeyPatch.context() as mp, app.app_context():
        mp.setattr(passwords, "_hasher", fast_hasher())
        # Hundreds of requests from one address: rate limits are tested elsewhere. The
        # limiter is one global object whose ``enabled`` outlives this app (init_app keeps
        # it), so switch it off here and let the monkeypatch switch it back on.
        mp.setattr(limiter, "enabled", False)
        world = build_world(app, db.session)
        world.connection = connection
        yield world
        db.session.rollback()
    outer.rollback()
    connection.close()


@pytest.fixture
def world(shared_world):
    """The shared world for one test: a savepoint rolled back after it, fresh clients."""
    db.session.commit()
    savepoint = shared_world.connection.begin_nested()
    shared_world.clients = {actor: shared_world.client(actor) for actor in ACTORS}
    yield shared_world
    db.session.rollback()
    if savepoint.is_active:
        savepoint.rollback()
    db.session.expire_all()
