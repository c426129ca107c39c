"""Every flask command through Flask's CliRunner, including every kind of bad input.

A bad input must end with a non-zero exit status and a one-line reason, show no
traceback, and write nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from matchmaker.db import utcnow
from matchmaker.demo.opportunities import OPPORTUNITIES
from matchmaker.demo.seed import DEMO_ADMIN_EMAIL, DEMO_PASSWORD, demo_logins
from matchmaker.followthrough import after, asks, reminders
from matchmaker.followthrough.impact import impact_for
from matchmaker.geo import coarsen
from matchmaker.models import (
    ApiToken,
    AvailabilityWindow,
    Membership,
    Occurrence,
    Opportunity,
    Organization,
    Profile,
    ProfileTag,
    QueuedJob,
    Recommendation,
    Role,
    Signup,
    User,
)
from matchmaker.tasks import enqueue_after_commit

TABLES = (User, Organization, Membership, Profile, ProfileTag, AvailabilityWindow, ApiToken,
          QueuedJob, Opportunity)


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def invoke(*args, **kwargs):
        return runner.invoke(args=list(args), **kwargs)

    return invoke


@pytest.fixture
def counts(session):
    def count() -> dict[str, int]:
        session.expire_all()
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t))
                for t in TABLES}

    return count


def assert_refused(result, *words: str) -> None:
    """Non-zero exit, one line saying why, no traceback."""
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, result.output
    for word in words:
        assert word.lower() in error_lines[0].lower(), result.output


def _user(session, email) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


# --- seed-demo and demo-logins ----------------------------------------------------------------

def test_seed_demo_creates_a_neighbourhood_once(cli, session, counts):
    result = cli("seed-demo")
    assert result.exit_code == 0, result.output
    assert "seeded 8 organizations" in result.output
    assert "published opportunities" in result.output
    first = counts()
    published = session.scalars(select(Opportunity).where(
        Opportunity.status == "published")).all()
    assert len(published) == len(OPPORTUNITIES)
    kinds = {o.kind for o in published}
    assert kinds == {"one_off", "shifts", "small_act"}
    assert all(o.occurrences for o in published)
    residents = session.scalar(select(func.count()).select_from(User)
                               .where(User.role == Role.RESIDENT))
    assert residents == 200
    assert first["profiles"] == 200
    assert first["organizations"] == 8
    assert session.scalar(select(func.count()).select_from(User)
                          .where(User.role == Role.ADMIN)) == 1
    organizers = session.scalar(select(func.count()).select_from(User)
                                .where(User.role == Role.ORGANIZER))
    assert organizers == first["memberships"] == 11
    owners = session.scalars(select(Membership.organization_id)
                             .where(Membership.role == "owner")).all()
    assert sorted(owners) == sorted(session.scalars(select(Organization.id)).all())
    verified = session.scalar(select(func.count()).select_from(Organization)
                              .where(Organization.verified_at.is_not(None)))
    assert 0 < verified < 8

    again = cli("seed-demo")
    assert again.exit_code == 0
    assert "demo data already present" in again.output
    assert counts() == first


def test_seed_demo_brings_history_and_suggestions_and_sends_nothing(cli, session, outbox):
    assert cli("seed-demo").exit_code == 0
    now = utcnow()
    # Seeding queues no job and writes no email: no per-opportunity matching, no
    # confirmations for the made-up sign-ups.
    assert session.scalar(select(func.count()).select_from(QueuedJob)) == 0
    assert outbox.messages == []

    past = session.scalars(select(Signup).join(Occurrence)
                           .where(Occurrence.starts_at < now)).all()
    assert len({s.occurrence.opportunity_id for s in past}) >= 8
    assert len({s.occurrence_id for s in past}) >= 60
    marks = Counter(s.attendance for s in past)
    assert 0.7 < marks["attended"] / len(past) < 0.9
    assert marks["no_show"] > 0 and marks[None] > 0
    # Every email guard is set: the cron sweeps never write about these old dates.
    for s in past:
        assert s.status == "confirmed" and s.confirmation_sent_at is not None
        assert s.reminder_early_sent_at and s.reminder_late_sent_at
        assert s.occurrence.attendance_ask_sent_at is not None
        if s.attendance is None:
            assert s.attendance_ask_sent_at is not None
        else:
            assert s.followup_sent_at is not None and s.attendance_marked_at is not None
        assert s.occurrence.confirmed_count <= s.occurrence.capacity
    assert after.due_signup_ids(session, now) == []
    assert asks.occurrences_to_ask_organizers(session, now) == []
    assert asks.signups_to_ask_residents(session, now) == []
    past_ids = {s.id for s in past}
    assert not [d for d in reminders.due_reminders(session, now) if d[0] in past_ids]

    # Everyone's suggestions were computed once, at the end.
    with_suggestions = session.scalar(select(func.count(Recommendation.user_id.distinct())))
    assert with_suggestions >= 150
    assert session.scalar(select(func.count()).select_from(Profile)
                          .where(Profile.buddy_opt_in.is_(True))) > 10
    assert session.scalar(select(func.count()).select_from(Profile)
                          .where(Profile.notify_strong_matches.is_(True))) > 10

    # The demo resident has a streak, a place booked, and suggestions.
    email = next(login.email for login in demo_logins(session) if login.role == "resident")
    resident = _user(session, email)
    impact = impact_for(session, resident, now, "America/New_York")
    assert impact.acts >= 5 and impact.current_streak >= 3 and impact.minutes > 0
    assert impact.show_up_rate is not None and impact.show_up_rate < 1
    booked = session.scalars(select(Signup).join(Occurrence).where(
        Signup.user_id == resident.id, Signup.status == "confirmed",
        Occurrence.starts_at > now)).all()
    assert booked and all(s.attendance is None for s in booked)
    assert resident.profile.buddy_opt_in
    assert session.scalar(select(func.count()).select_from(Recommendation)
                          .where(Recommendation.user_id == resident.id)) > 0


def test_seeded_profiles_are_complete_and_coarse(cli, session):
    assert cli("seed-demo").exit_code == 0
    profiles = session.scalars(select(Profile)).all()
    assert {p.timezone for p in profiles} == {"America/New_York"}
    for p in profiles[:40]:
        assert p.home_label.endswith(p.home_label[-5:]) and p.home_label[-5:].isdigit()
        assert (p.home_lat, p.home_lon) == pytest.approx(coarsen(p.home_lat, p.home_lon))
        assert p.causes and p.availability
        assert 1 <= p.travel_radius_km <= 15 and 30 <= p.weekly_minutes <= 300
    # One argon2 hash, computed once, shared by every demo account.
    hashes = session.scalars(select(User.password_hash).distinct()).all()
    assert len(hashes) == 1 and hashes[0].startswith("$argon2id$")
    assert all(u.is_verified for u in session.scalars(select(User)))


def test_demo_logins_print_accounts_that_really_sign_in(cli, client, post_form):
    missing = cli("demo-logins")
    assert_refused(missing, "seed-demo")

    assert cli("seed-demo").exit_code == 0
    result = cli("demo-logins")
    assert result.exit_code == 0
    assert DEMO_PASSWORD in result.output and DEMO_ADMIN_EMAIL in result.output
    logins = {}
    for line in result.output.splitlines():
        parts = line.split()
        if parts and parts[0] in {"admin", "organizer", "resident"}:
            logins[parts[0]] = parts[1]
    assert set(logins) == {"admin", "organizer", "resident"}
    for role, email in logins.items():
        resp = post_form("/login", {"email": email, "password": DEMO_PASSWORD})
        assert resp.status_code == 302, (role, email)
        post_form("/logout", {}, page="/account/password")


def test_seed_demo_refuses_what_looks_like_production(app, cli, counts):
    before = counts()
    app.config["BASE_URL"] = "https://matchmaker.example.com"
    assert_refused(cli("seed-demo"), "production")
    assert counts() == before
    assert cli("seed-demo", "--force").exit_code == 0


def test_seed_demo_conflict_writes_nothing(cli, make_user, counts):
    make_user(email="denise.okafor@example.org")  # a real person got there first
    before = counts()
    assert_refused(cli("seed-demo"), "already")
    assert counts() == before


# --- users create ----------------------------------------------------------------------------

def test_create_resident_with_generated_password(cli, session, post_form):
    result = cli("users", "create", "--email", " New.Person@Example.org ")
    assert result.exit_code == 0, result.output
    user = _user(session, "new.person@example.org")
    assert user.role == Role.RESIDENT and user.is_verified
    assert user.display_name == "New Person"
    password = next(line.split()[1] for line in result.output.splitlines()
                    if line.startswith("password:"))
    assert post_form("/login", {"email": user.email, "password": password}).status_code == 302


def test_create_organizer_joins_existing_org(cli, session, make_org):
    org = make_org(name="Park Slope Food Pantry")
    result = cli("users", "create", "--email", "org@example.org", "--role", "organizer",
                 "--org", "park slope food pantry", "--name", "Olu", "--password",
                 "a good long password")
    assert result.exit_code == 0, result.output
    assert "password:" not in result.output  # it was given, so it is not printed
    user = _user(session, "org@example.org")
    assert user.display_name == "Olu" and user.role == Role.ORGANIZER
    membership = session.scalar(select(Membership).where(Membership.user_id == user.id))
    assert membership.organization_id == org.id and membership.role == "organizer"


def test_create_org_makes_the_new_user_its_owner(cli, session):
    result = cli("users", "create", "--email", "owner@example.org", "--role", "organizer",
                 "--org", "Greenpoint Tool Library", "--create-org")
    assert result.exit_code == 0, result.output
    org = session.scalar(select(Organization).where(Organization.name == "Greenpoint Tool Library"))
    assert org.slug == "greenpoint-tool-library" and not org.is_verified
    [membership] = org.memberships
    assert membership.role == "owner" and membership.user.email == "owner@example.org"


def test_create_admin_with_prompted_password(cli, session):
    result = cli("users", "create", "--email", "root@example.org", "--role", "ADMIN",
                 "--prompt", input="typed secret password\ntyped secret password\n")
    assert result.exit_code == 0, result.output
    from matchmaker.auth.passwords import verify_password

    user = _user(session, "root@example.org")
    assert user.role == Role.ADMIN
    assert verify_password(user.password_hash, "typed secret password")


BAD_USER_INPUT = [
    (["--email", "not-an-email"], "valid email"),
    (["--email", ""], "valid email"),
    (["--email", "x" * 250 + "@example.org"], "too long"),
    (["--email", "taken@example.org"], "already exists"),
    (["--email", "TAKEN@Example.org"], "already exists"),
    (["--email", "a@example.org", "--role", "boss"], "unknown role"),
    (["--email", "a@example.org", "--role", "organizer", "--org", "No Such Org"],
     "no organization"),
    (["--email", "a@example.org", "--role", "organizer", "--org", "Existing Org",
      "--create-org"], "already exists"),
    (["--email", "a@example.org", "--role", "organizer", "--create-org"], "--org"),
    (["--email", "a@example.org", "--org", "Existing Org"], "organizer"),
    (["--email", "a@example.org", "--password", "short"], "10 to 200"),
    (["--email", "a@example.org", "--password", "a@example.org"], "email"),
    (["--email", "a@example.org", "--password", "long enough pw", "--prompt"], "not both"),
    (["--email", "a@example.org", "--name", "n" * 81], "name"),
    (["--email", "a@example.org", "--role", "organizer", "--org", "Brand New",
      "--create-org", "--password", "short"], "10 to 200"),
]


@pytest.mark.parametrize(("args", "reason"), BAD_USER_INPUT,
                         ids=[f"{i}-{r}" for i, (_, r) in enumerate(BAD_USER_INPUT)])
def test_users_create_bad_input(cli, make_user, make_org, counts, args, reason):
    make_user(email="taken@example.org")
    make_org(name="Existing Org")
    before = counts()
    assert_refused(cli("users", "create", *args), reason)
    assert counts() == before


def test_users_create_missing_email_is_a_usage_error(cli, counts):
    before = counts()
    result = cli("users", "create")
    assert result.exit_code == 2 and "--email" in result.output
    assert counts() == before


def test_users_create_prompt_mismatch_writes_nothing(cli, counts):
    before = counts()
    result = cli("users", "create", "--email", "a@example.org", "--prompt",
                 input="one long password\nanother long password\n")
    assert result.exit_code != 0
    assert counts() == before


# --- tokens --------------------------------------------------------------------------------------

def test_tokens_create_prints_the_token_once_and_stores_its_hash(cli, session, make_user):
    user = make_user(email="api@example.org")
    result = cli("tokens", "create", "--email", "API@example.org", "--name", "spreadsheet")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    assert token.startswith("mm_") and len(token) > 40
    row = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:11] and row.name == "spreadsheet"
    assert token not in {row.token_hash, row.prefix, row.name}

    listing = cli("tokens", "list", "--email", "api@example.org")
    assert row.prefix in listing.output and token not in listing.output


def test_tokens_bad_input(cli, make_user, session, counts):
    user = make_user(email="api@example.org")
    before = counts()
    assert_refused(cli("tokens", "create", "--email", "nobody@example.org"), "no account")
    assert_refused(cli("tokens", "create", "--email", "api@example.org", "--name", "n" * 81),
                   "80")
    user.is_active = False
    session.commit()
    assert_refused(cli("tokens", "create", "--email", "api@example.org"), "deactivated")
    assert counts() == before
    assert_refused(cli("tokens", "list", "--email", "nobody@example.org"), "no account")


def test_tokens_revoke(cli, client, make_user, session):
    make_user(email="api@example.org")
    token = cli("tokens", "create", "--email", "api@example.org").stdout.split()[0]
    other = cli("tokens", "create", "--email", "api@example.org").stdout.split()[0]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200

    assert_refused(cli("tokens", "revoke", "--email", "api@example.org", "--prefix", "mm_"),
                   "at least")
    assert_refused(cli("tokens", "revoke", "--email", "api@example.org", "--prefix",
                       "mm_zzzzzzzz"), "no live token")
    assert_refused(cli("tokens", "revoke", "--email", "nobody@example.org", "--prefix",
                       token[:11]), "no account")
    result = cli("tokens", "revoke", "--email", "api@example.org", "--prefix", token[:11])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/me", headers=auth).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"}).status_code \
        == 200
    assert_refused(cli("tokens", "revoke", "--email", "api@example.org", "--prefix",
                       token[:11]), "no live token")
    assert "revoked" in cli("tokens", "list", "--email", "api@example.org").output


# --- jobs -------------------------------------------------------------------------------------

def test_jobs_run_due_runs_a_scheduled_job_once_it_is_due(cli, session, make_user, outbox):
    user = make_user(email="later@example.org")
    enqueue_after_commit("workers.jobs.send_account_email", "password-changed", user.id,
                         run_at=utcnow() + timedelta(hours=2))
    session.commit()
    result = cli("jobs", "run-due")
    assert result.exit_code == 0
    assert "ran 0 due job(s)" in result.output and "1 scheduled for later" in result.output
    assert outbox.messages == []
    with time_machine.travel(utcnow() + timedelta(hours=3)):
        result = cli("jobs", "run-due")
    assert "ran 1 due job(s)" in result.output, result.output
    assert [m["To"] for m in outbox.messages] == ["later@example.org"]
    assert "ran 0 due job(s)" in cli("jobs", "run-due").output


def test_jobs_sweep_hands_over_a_stuck_job(cli, session, make_user, outbox):
    user = make_user(email="stuck@example.org")
    # A row whose after-commit hand-over never happened (the process died, say).
    session.add(QueuedJob(func="workers.jobs.send_account_email",
                          args=["password-changed", user.id], kwargs={}))
    session.commit()
    assert "handed over 0 job(s)" in cli("jobs", "sweep").output  # too fresh: left alone
    with time_machine.travel(utcnow() + timedelta(minutes=1)):
        result = cli("jobs", "sweep")
    assert result.exit_code == 0
    assert "handed over 1 job(s) inline" in result.output
    assert len(outbox.messages) == 1
    assert session.scalar(select(QueuedJob.dispatched_at)) is not None


@pytest.mark.parametrize("days_ahead", [0, 3, 9, 16, 24, 31])
def test_seed_demo_works_on_any_day(session, days_ahead):
    """The history is written relative to "now": a monthly date more than a week
    away once put "past" weekly dates in the future, where the next date's
    bookings met their rosters (a unique-key failure on 2026-11-22)."""
    from matchmaker.demo.seed import seed_demo

    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC) + timedelta(days=days_ahead)
    report = seed_demo(session, residents=60, now=now)
    assert report.created
    past_rosters = session.scalars(
        select(Occurrence.starts_at).join(Signup, Signup.occurrence_id == Occurrence.id)
        .where(Signup.attendance.is_not(None))).all()
    assert past_rosters and max(past_rosters) < now
