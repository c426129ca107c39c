"""Lifecycle with time travel: sign-up → day-before reminder → 2-hour reminder →
check-in or not → organizer ask → "did you go?". Every email goes through a
real SMTP server (aiosmtpd) and lands exactly once, however often the cron
sweeps run; the one-click "pass my spot on" link needs no sign-in, only its POST
changes anything, and it moves the next person up.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import g

from matchmaker.models import Signup, SignupStatus
from workers import reminder_jobs

START = datetime(2027, 3, 6, 15, 0, tzinfo=UTC)  # a Saturday, 10:00 in New York


@pytest.fixture
def app_config(app_config, smtp_sink):
    return {**app_config, "SMTP_URL": smtp_sink.url}


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def link_in(msg, path: str) -> str:
    match = re.search(rf"http://localhost({re.escape(path)}[^\s]+)", text_of(msg))
    assert match, f"no {path} link in:\n{text_of(msg)}"
    return match.group(1)


def anonymous_client(app):
    """A browser that never signed in. The test's app context outlives requests, so
    Flask-WTF's per-context CSRF token cache (g.csrf_token) must be dropped first."""
    g.pop("csrf_token", None)
    return app.test_client()


def sweep(times: int = 2) -> None:
    """The cron sweeps, run twice on purpose: the second must send nothing."""
    for _ in range(times):
        reminder_jobs.send_due_reminders()
        reminder_jobs.send_attendance_asks()


@pytest.fixture
def shift(make_opportunity, make_org, make_user):
    organizer = make_user(email="organizer@example.org", display_name="Olga")
    org = make_org(name="Pantry", owner=organizer)
    opp = make_opportunity(org=org, title="Sort food", starts=START, capacity=1,
                           what_to_bring="Comfortable shoes", timezone="America/New_York")
    return opp.occurrences[0]


def sign_up(client, login_as, post_form, user, occ):
    login_as(user)
    resp = post_form(f"/occurrences/{occ.id}/signup", {}, page=f"/occurrences/{occ.id}")
    assert resp.status_code == 302
    client.post("/logout")


def test_whole_lifecycle_each_email_once(app, client, login_as, post_form, make_user, session,
                                         shift, smtp_sink):
    resident = make_user(email="rita@example.org", display_name="Rita")
    with time_machine.travel(START - timedelta(days=5), tick=False):
        sign_up(client, login_as, post_form, resident, shift)
        sweep()
    assert len(smtp_sink.messages) == 1  # the confirmation, with its calendar file

    with time_machine.travel(START - timedelta(hours=23), tick=False):
        sweep()
    early = smtp_sink.messages[-1]
    assert len(smtp_sink.messages) == 2
    assert str(early["Subject"]) == "See you soon: Sort food"
    body = text_of(early)
    assert "Comfortable shoes" in body and "Park Slope, Brooklyn" in body
    assert "Saturday 6 March 2027, 10:00 am to 12:00 pm" in body
    assert "/pass/" in body

    with time_machine.travel(START - timedelta(hours=1, minutes=55), tick=False):
        sweep()
        sweep()
    assert len(smtp_sink.messages) == 3
    assert str(smtp_sink.messages[-1]["Subject"]) == "Starting soon: Sort food"

    # Nobody checks in or marks anything. Two days after the end: the organizer.
    with time_machine.travel(START + timedelta(days=2, hours=3), tick=False):
        sweep()
    assert len(smtp_sink.messages) == 4
    ask = smtp_sink.messages[-1]
    assert str(ask["To"]) == "organizer@example.org"
    assert "Who came to Sort food?" == str(ask["Subject"])
    assert "1 person is" in text_of(ask)

    # A day later, still unmarked: the resident is asked once.
    with time_machine.travel(START + timedelta(days=3, hours=4), tick=False):
        sweep()
        sweep()
    assert len(smtp_sink.messages) == 5
    question = smtp_sink.messages[-1]
    assert str(question["To"]) == "rita@example.org"
    no_link = link_in(question, "/attendance/")
    links = re.findall(r"http://localhost(/attendance/\S+)", text_of(question))
    assert len(links) == 2

    # The link works without signing in; the GET changes nothing.
    answering = time_machine.travel(START + timedelta(days=3, hours=5), tick=False)
    answering.start()
    assert client.get(no_link).status_code == 200
    signup = session.get(Signup, _signup_id(session, resident))
    assert signup.attendance is None
    page = client.get(links[0]).get_data(as_text=True)
    assert "Yes, I went" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(links[0], data={"csrf_token": token}).status_code == 200
    session.expire_all()
    row = session.get(Signup, signup.id)
    assert (row.attendance, row.attendance_source) == ("attended", "resident")
    # Used: both links are dead now, with a clear page.
    assert client.get(links[1]).status_code == 410
    answering.stop()
    with time_machine.travel(START + timedelta(days=5), tick=False):
        sweep()
    assert len(smtp_sink.messages) == 5


def test_checked_in_people_are_not_asked(app, client, login_as, post_form, make_user, session,
                                         shift, smtp_sink):
    from matchmaker.followthrough import checkin

    resident = make_user(email="cal@example.org")
    with time_machine.travel(START - timedelta(days=3), tick=False):
        sign_up(client, login_as, post_form, resident, shift)
        code = checkin.ensure_code(session, shift)
        session.commit()
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        login_as(resident)
        resp = post_form("/checkin", {"code": code.lower()}, page="/checkin")
        assert resp.status_code == 200 and "checked in" in resp.get_data(as_text=True)
    sent = len(smtp_sink.messages)
    with time_machine.travel(START + timedelta(days=4), tick=False):
        sweep()
    assert len(smtp_sink.messages) == sent  # nothing left unmarked: nobody is asked


def test_late_sign_up_gets_no_day_before_reminder(client, login_as, post_form, make_user,
                                                  shift, smtp_sink):
    resident = make_user()
    with time_machine.travel(START - timedelta(hours=10), tick=False):
        sign_up(client, login_as, post_form, resident, shift)
        sweep()
    assert len(smtp_sink.messages) == 1  # the confirmation says it all
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        sweep()
    assert [str(m["Subject"]) for m in smtp_sink.messages][1:] == ["Starting soon: Sort food"]


def test_organization_sets_the_reminder_times(client, login_as, post_form, make_user, session,
                                              shift, smtp_sink):
    org = shift.opportunity.organization
    org.reminder_early_hours = 48
    org.reminder_late_minutes = 0  # off
    session.commit()
    resident = make_user()
    with time_machine.travel(START - timedelta(days=5), tick=False):
        sign_up(client, login_as, post_form, resident, shift)
    with time_machine.travel(START - timedelta(hours=47), tick=False):
        sweep()
    assert len(smtp_sink.messages) == 2
    with time_machine.travel(START - timedelta(minutes=30), tick=False):
        sweep()
    assert len(smtp_sink.messages) == 2


def test_pass_my_spot_on_link_releases_and_promotes(app, client, login_as, post_form,
                                                    make_user, session, shift, smtp_sink):
    first, second = make_user(email="first@example.org"), make_user(email="second@example.org")
    with time_machine.travel(START - timedelta(days=5), tick=False):
        sign_up(client, login_as, post_form, first, shift)
        sign_up(client, login_as, post_form, second, shift)  # capacity 1: waiting list
    with time_machine.travel(START - timedelta(hours=20), tick=False):
        sweep()
        reminder = [m for m in smtp_sink.messages if str(m["To"]) == "first@example.org"][-1]
        link = link_in(reminder, "/pass/")
        fresh = anonymous_client(app)
        page = fresh.get(link)
        assert page.status_code == 200 and "pass my spot on" in page.get_data(as_text=True)
        session.expire_all()
        assert session.get(Signup, _signup_id(session, first)).status == SignupStatus.CONFIRMED
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          page.get_data(as_text=True)).group(1)
        done = fresh.post(link, data={"csrf_token": token})
        assert done.status_code == 200
        session.expire_all()
        assert session.get(Signup, _signup_id(session, first)).status == SignupStatus.RELEASED
        assert session.get(Signup, _signup_id(session, second)).status == SignupStatus.CONFIRMED
        promoted = [m for m in smtp_sink.messages if str(m["To"]) == "second@example.org"]
        assert any("A place opened up" in str(m["Subject"]) for m in promoted)
        # Used link: clear 410, nothing changes; forged: 404.
        assert fresh.get(link).status_code == 410
        assert fresh.get("/pass/not-a-token").status_code == 404
        assert fresh.post(link, data={"csrf_token": token}).status_code == 410
    # The released spot never counts against anyone: not in the history, never asked.
    from matchmaker.followthrough.history import attendance_history

    with time_machine.travel(START + timedelta(days=4), tick=False):
        sweep()
    assert attendance_history(session, [first.id]) == {first.id: []}
    assert not [m for m in smtp_sink.messages
                if str(m["To"]) == "first@example.org" and "Did you" in str(m["Subject"])]


def test_pass_link_without_csrf_token_is_refused(app, client, login_as, post_form, make_user,
                                                 session, shift):
    from matchmaker.followthrough.passing import pass_token

    resident = make_user()
    with time_machine.travel(START - timedelta(days=2), tick=False):
        sign_up(client, login_as, post_form, resident, shift)
        signup = session.get(Signup, _signup_id(session, resident))
        fresh = anonymous_client(app)
        assert fresh.post(f"/pass/{pass_token(signup)}").status_code == 400
        session.expire_all()
        assert session.get(Signup, signup.id).status == SignupStatus.CONFIRMED
    with time_machine.travel(START + timedelta(minutes=5), tick=False):
        assert fresh.get(f"/pass/{pass_token(signup)}").status_code == 410


def _signup_id(session, user) -> int:
    from sqlalchemy import select

    return session.scalar(select(Signup.id).where(Signup.user_id == user.id))
