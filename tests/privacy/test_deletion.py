"""'Delete my account': a planted marker is in zero rows afterwards, organizations' figures
do not move, places are passed on, and nothing is ever sent to the person again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

import matchmaker.models  # noqa: F401
from matchmaker.account.deletion import DELETED_DOMAIN, delete_account
from matchmaker.db import Base, utcnow
from matchmaker.metrics import definitions as d
from matchmaker.metrics.queries import Scope, load_dashboard
from matchmaker.models import Membership, QueuedJob, Signup, SignupStatus, User
from tests.conftest import PASSWORD


def rows_with(session, marker: str) -> dict[str, int]:
    """{table: rows in which any column, read back as text, contains ``marker``}."""
    needle = marker.casefold()
    found = {}
    for table in Base.metadata.sorted_tables:
        hits = sum(1 for row in session.execute(select(table))
                   if any(needle in str(value).casefold() for value in row if value is not None))
        if hits:
            found[table.name] = hits
    return found


def delete_through_the_page(client, post_form, password=PASSWORD):
    return post_form("/me/delete", {"password": password})


def figures(session, world, period):
    scopes = [Scope("pantry", organization_id=world.pantry.id), Scope("platform")]
    return [load_dashboard(session, s, period) for s in scopes]


def test_the_marker_is_in_zero_rows_after_deletion(rich_person, session, client, login_as,
                                                   post_form):
    world = rich_person()
    before = rows_with(session, world.marker)
    # Planted in every kind of place a person's words end up (so the scan can fail).
    assert set(before) >= {"users", "profiles", "signups", "login_sessions", "api_tokens",
                           "recommendations", "digest_outbox", "roster_messages",
                           "queued_jobs", "geocode_cache"}, before
    login_as(world.ann)
    response = delete_through_the_page(client, post_form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account-deleted")
    assert rows_with(session, world.marker) == {}
    assert rows_with(session, world.email) == {}


def test_what_stays_is_an_anonymous_tombstone(rich_person, session, client, login_as, post_form):
    world = rich_person()
    ann_id = world.ann.id
    login_as(world.ann)
    delete_through_the_page(client, post_form)
    session.expire_all()
    tomb = session.get(User, ann_id)
    assert tomb.email.endswith("@" + DELETED_DOMAIN) and "ann" not in tomb.email
    assert not tomb.is_active and tomb.email_verified_at is None
    assert tomb.profile is None and tomb.memberships == [] and tomb.api_tokens == []
    kept = session.scalars(select(Signup).where(Signup.user_id == ann_id)).all()
    assert kept and all(s.note == "" and s.share_phone == "" and not s.share_email for s in kept)
    # Two deletions make two tombstones whose addresses share nothing with the old ones.
    other = session.get(User, world.bea.id)
    delete_account(session, other)
    session.commit()
    assert other.email != tomb.email and "bea" not in other.email


def test_organizations_figures_are_the_same_after_deletion(rich_person, session, client,
                                                           login_as, post_form, app):
    world = rich_person()
    period = d.Period.ending(utcnow(), 90)
    before = figures(session, world, period)
    assert before[0].signups.attended == 3 and before[0].signups.no_show == 1
    assert before[0].first_timers.total == 2  # Ann and Bea, both first came 40 days ago
    olga = app.test_client()
    login_as(world.olga, olga)
    csv_before = olga.get(f"/organizations/{world.pantry.slug}/dashboard.csv").data
    login_as(world.ann)
    delete_through_the_page(client, post_form)
    session.expire_all()
    assert figures(session, world, period) == before
    assert olga.get(f"/organizations/{world.pantry.slug}/dashboard.csv").data == csv_before


def test_places_are_passed_on_and_the_next_person_is_told(rich_person, session, client,
                                                          login_as, post_form, outbox):
    world = rich_person()
    login_as(world.ann)
    delete_through_the_page(client, post_form)
    session.expire_all()
    assert session.get(Signup, world.ann_soon.id).status == SignupStatus.RELEASED
    assert session.get(Signup, world.ann_later.id).status == SignupStatus.RELEASED
    assert session.get(Signup, world.bea_soon.id).status == SignupStatus.CONFIRMED
    assert [m["To"] for m in outbox.messages] == ["bea@example.org"]
    # Past dates keep their attendance: that is what the counts are made of.
    past = session.scalars(select(Signup).where(Signup.user_id == world.ann.id,
                                                Signup.attendance.is_not(None))).all()
    assert sorted(s.attendance for s in past) == ["attended", "no_show"]


def unmark_one_past_date(session, world) -> int:
    """Make one of Ann's past dates unmarked, so "did you go?" is due for it."""
    signup = session.scalars(select(Signup).where(Signup.user_id == world.ann.id,
                                                  Signup.attendance == "no_show")).one()
    signup.attendance = None
    signup.occurrence.ends_at = utcnow() - timedelta(days=5)
    session.commit()
    return signup.id


def run_every_job_that_could_email(world, ann_id: int, unmarked_id: int) -> None:
    """Every job that may hold Ann's id: run directly (as if RQ already had it), then
    every sweep the cron runs, then whatever waits in queued_jobs."""
    from workers import digest_jobs, followup_jobs, jobs, reminder_jobs

    jobs.send_account_email("verify", ann_id)
    jobs.send_signup_email(world.ann_soon.id, "confirmed")
    reminder_jobs.send_reminder(world.ann_soon.id, "early")
    reminder_jobs.ask_resident(unmarked_id)
    reminder_jobs.send_due_reminders()
    reminder_jobs.send_attendance_asks()
    followup_jobs.send_followups()
    followup_jobs.introduce_buddies()
    digest_jobs.plan_digests()
    jobs.dispatch_pending_jobs()


def test_without_deletion_those_jobs_do_email_the_person(rich_person, session, outbox):
    """The control for the next test: the same jobs reach Ann while she has an account."""
    world = rich_person()
    run_every_job_that_could_email(world, world.ann.id, unmark_one_past_date(session, world))
    to_ann = [m for m in outbox.messages if world.email in str(m["To"])]
    assert len(to_ann) >= 2, [m["Subject"] for m in to_ann]


def test_pending_emails_are_cancelled_and_later_jobs_send_nothing(
        rich_person, session, client, login_as, post_form, outbox):
    world = rich_person()
    old_address, ann_id = world.email, world.ann.id
    unmarked_id = unmark_one_past_date(session, world)
    login_as(world.ann)
    delete_through_the_page(client, post_form)
    session.expire_all()
    pending = session.scalars(select(QueuedJob).where(QueuedJob.dispatched_at.is_(None))).all()
    assert not [job for job in pending if ann_id in job.args]
    sent_before = len(outbox.messages)
    run_every_job_that_could_email(world, ann_id, unmarked_id)
    addresses = [str(m["To"]) for m in outbox.messages[sent_before:]]
    assert not any(old_address in a or DELETED_DOMAIN in a for a in addresses), addresses


def test_the_mailer_never_sends_to_a_deleted_accounts_address(app, outbox):
    from matchmaker.mail import Email, get_mailer

    mailer = get_mailer()
    mailer.send(Email(to=f"deleted-0a1b@{DELETED_DOMAIN}", subject="Hello", text="Hi"))
    with mailer.connection() as conn:
        conn.send(Email(to=f"Someone <deleted-2c3d@{DELETED_DOMAIN}>", subject="Hi", text="Hi"))
    assert outbox.messages == []
    mailer.send(Email(to="someone@example.org", subject="Hello", text="Hi"))
    assert len(outbox.messages) == 1


def test_the_session_ends_and_the_address_is_free_again(rich_person, client, login_as,
                                                        post_form, session):
    world = rich_person()
    login_as(world.ann)
    delete_through_the_page(client, post_form)
    assert client.get("/me/data.json").status_code in (302, 401)
    page = client.get("/account-deleted").get_data(as_text=True)
    assert "Your account is deleted" in page
    # Join again with the same address: a new, empty account.
    response = post_form("/register", {"email": world.email, "display_name": "Ann",
                                       "password": "a brand new password", "confirm":
                                       "a brand new password"})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    fresh = session.scalar(select(User).where(User.email == world.email))
    assert fresh is not None and fresh.id != world.ann.id
    assert session.scalar(select(Signup.id).where(Signup.user_id == fresh.id)) is None


def test_a_wrong_password_deletes_nothing(rich_person, client, login_as, post_form, session):
    world = rich_person()
    login_as(world.ann)
    response = delete_through_the_page(client, post_form, password="not my password at all")
    assert response.status_code == 400
    assert "That password is not right" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, world.ann.id).email == world.email


def test_the_confirm_page_says_what_goes_and_what_stays(rich_person, client, login_as):
    world = rich_person()
    login_as(world.ann)
    page = client.get("/me/delete").get_data(as_text=True)
    for words in ("What we delete", "What stays", "cannot be undone",
                  "Prospect Garden Club will be handed over to Cleo", 'name="password"',
                  'autocomplete="current-password"'):
        assert words in page


def test_an_organization_is_handed_to_its_co_organizer(rich_person, client, login_as,
                                                       post_form, session):
    world = rich_person()
    login_as(world.ann)
    delete_through_the_page(client, post_form)
    session.expire_all()
    roles = {m.user_id: m.role for m in session.scalars(
        select(Membership).where(Membership.organization_id == world.garden.id))}
    assert roles == {world.cleo.id: "owner"}


def test_the_only_person_running_an_organization_must_hand_it_over_first(
        make_user, make_org, client, login_as, csrf, session):
    alone = make_user(email="solo@example.org")
    make_org(name="Solo Soup Kitchen", owner=alone)
    login_as(alone)
    page = client.get("/me/delete").get_data(as_text=True)
    assert "You are the only person running Solo Soup Kitchen" in page
    assert 'name="password"' not in page
    response = client.post("/me/delete", data={"password": PASSWORD,
                                               "csrf_token": csrf("/profile/")})
    assert response.status_code == 409
    session.expire_all()
    assert session.get(User, alone.id).email == "solo@example.org"


@pytest.mark.parametrize("path", ["/me/delete", "/me/data"])
def test_the_pages_need_a_sign_in(client, path):
    assert client.get(path).status_code == 302
