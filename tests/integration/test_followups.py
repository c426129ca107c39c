"""After the event, walked through whole lifecycles with time travel.

Every email goes through a real SMTP server (aiosmtpd on loopback); sweeps run
twice (and through the RQ job function) must never send a second message.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from matchmaker.db import utcnow
from matchmaker.followthrough import after
from matchmaker.models import Group, MilestoneAward, Recommendation, Reflection, Signup
from matchmaker.signups import services as signup_services
from workers import followup_jobs

WEEK = timedelta(days=7)
NY = "America/New_York"


@pytest.fixture
def app_config(app_config, smtp_sink):
    return {**app_config, "SMTP_URL": smtp_sink.url}


@pytest.fixture
def t0():
    return utcnow().replace(microsecond=0)


def subjects(sink) -> list[str]:
    return [m["Subject"] for m in sink.messages]


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def mark(session, signup: Signup, attendance: str, at) -> None:
    """What the roster or the check-in does: mark a confirmed sign-up."""
    signup.attendance = attendance
    signup.attendance_marked_at = at
    signup.attendance_source = "organizer"
    session.commit()


def sign_up(session, occ, user) -> Signup:
    result = signup_services.sign_up(session, occ.id, user)
    session.commit()
    return result.signup


@pytest.fixture
def world(session, make_user, make_org, make_opportunity, t0):
    """A resident, a group with weekly meetups, and one recommended other opportunity."""
    org = make_org(name="Prospect Park Alliance")
    group = Group(organization=org, name="Saturday park crew", slug="saturday-park-crew")
    session.add(group)
    session.commit()
    starts = [t0 + timedelta(days=1) + i * WEEK for i in range(12)]
    meetup = make_opportunity(org=org, title="Park clean-up", starts=starts, group_id=group.id,
                              timezone=NY)
    other = make_opportunity(title="Read to children at the library",
                             starts=t0 + timedelta(days=20), timezone=NY)
    resident = make_user(email="maria@example.org", display_name="Maria Lopez")
    # The matcher's stored suggestions for Maria (what top_for_user reads).
    session.add(Recommendation(user_id=resident.id, occurrence_id=other.occurrences[0].id,
                               score=0.9, rank=1, reasons=["Close to home"]))
    session.commit()
    return {"org": org, "group": group, "meetup": meetup, "other": other, "resident": resident}


def test_attended_gets_one_thank_you_with_impact_reflection_and_group_first(
        app, session, smtp_sink, make_user, world):
    meetup, resident = world["meetup"], world["resident"]
    occ1 = meetup.occurrences[0]
    mine = sign_up(session, occ1, resident)
    neighbour = make_user(display_name="Sam Lee")
    theirs = sign_up(session, occ1, neighbour)

    with time_machine.travel(occ1.ends_at + timedelta(minutes=5), tick=False):
        mark(session, mine, "attended", utcnow())
        mark(session, theirs, "attended", utcnow())
        # Within the grace period an organizer may still correct the mark: nothing yet.
        assert after.sweep() == {"thank_you": 0, "missed_you": 0, "failed": 0}
    assert smtp_sink.messages == []

    with time_machine.travel(occ1.ends_at + timedelta(minutes=40), tick=False):
        counts = after.sweep()
        assert counts["thank_you"] == 2
        after.sweep()
        followup_jobs.send_followups()
        followup_jobs.send_followups()
        assert after.send_followup(mine.id) is None

    to_maria = [m for m in smtp_sink.messages if m["To"] == "maria@example.org"]
    assert len(to_maria) == 1 and len(smtp_sink.messages) == 2
    msg = to_maria[0]
    assert msg["Subject"] == "Your first time helping — thank you, Maria"
    body = text_of(msg)
    assert "Time: 2 hours" in body
    assert "Things you have done: 1" in body
    assert "Weeks in a row: 1" in body
    assert "People you have helped alongside: 1" in body
    # The reflection: five one-click links, clearly optional.
    assert "Only if you like" in body
    assert len(re.findall(r"/after/feel/\S+\?answer=[1-5]", body)) == 5
    # Suggestions: the same group's next meetup first, then the matcher's pick.
    group_pos = body.index("Your group, Saturday park crew, meets again")
    other_pos = body.index("Read to children at the library")
    assert group_pos < other_pos
    assert f"/occurrences/{meetup.occurrences[1].id}" in body or \
        f"/opportunities/{meetup.id}" in body
    assert msg.get_body(("html",)) is not None
    session.refresh(mine)
    assert mine.followup_kind == "thank_you" and mine.followup_sent_at is not None


def test_milestones_ride_along_at_1_3_5_and_10_and_never_twice(
        app, session, smtp_sink, world):
    meetup, resident = world["meetup"], world["resident"]
    signups = [sign_up(session, occ, resident) for occ in meetup.occurrences[:11]]
    for i, (occ, s) in enumerate(zip(meetup.occurrences[:11], signups, strict=True)):
        with time_machine.travel(occ.ends_at + timedelta(minutes=1), tick=False):
            mark(session, s, "attended", utcnow())
        with time_machine.travel(occ.ends_at + timedelta(hours=1), tick=False):
            assert after.sweep()["thank_you"] == 1, f"act {i + 1}"
            assert after.sweep()["thank_you"] == 0

    got = subjects(smtp_sink)
    assert len(got) == 11
    milestone_subjects = [s for s in got if "time helping" in s]
    assert milestone_subjects == [
        "Your first time helping — thank you, Maria",
        "Your 3rd time helping — thank you, Maria",
        "Your 5th time helping — thank you, Maria",
        "Your 10th time helping — thank you, Maria",
    ]
    assert [got.index(s) + 1 for s in milestone_subjects] == [1, 3, 5, 10]
    # A weekly habit: the 3rd thank-you counts three weeks in a row.
    assert "Weeks in a row: 3" in text_of(smtp_sink.messages[2])
    assert "Time: 20 hours" in text_of(smtp_sink.messages[9])
    awards = session.query(MilestoneAward).filter_by(user_id=resident.id).all()
    assert sorted(a.milestone for a in awards) == [1, 3, 5, 10]


def test_no_show_gets_a_kind_missed_you_with_the_next_date_once(
        app, session, smtp_sink, world):
    meetup, resident = world["meetup"], world["resident"]
    occ1 = meetup.occurrences[0]
    s = sign_up(session, occ1, resident)
    with time_machine.travel(occ1.ends_at + timedelta(minutes=10), tick=False):
        mark(session, s, "no_show", utcnow())
    with time_machine.travel(occ1.ends_at + timedelta(hours=2), tick=False):
        assert after.sweep()["missed_you"] == 1
        followup_jobs.send_followups()
        followup_jobs.send_followups()
    [msg] = smtp_sink.messages
    assert msg["Subject"] == "We missed you at “Park clean-up”"
    body = text_of(msg)
    assert "nothing you need to explain" in body
    assert "next" in body.lower()
    # The easy way back: the very next date of the same thing.
    assert after.format_span(meetup.occurrences[1]) in body
    for word in ("fail", "penalty", "record", "unreliable"):
        assert word not in body.lower()
    assert session.query(MilestoneAward).count() == 0


def test_nothing_is_sent_for_marks_older_than_two_weeks_or_unmarked(
        app, session, smtp_sink, world):
    meetup, resident = world["meetup"], world["resident"]
    occ1, occ2 = meetup.occurrences[:2]
    old = sign_up(session, occ1, resident)
    sign_up(session, occ2, resident)  # never marked
    with time_machine.travel(occ1.ends_at + timedelta(minutes=1), tick=False):
        mark(session, old, "attended", utcnow())
    with time_machine.travel(occ2.ends_at + timedelta(days=15), tick=False):
        assert after.sweep() == {"thank_you": 0, "missed_you": 0, "failed": 0}
    assert smtp_sink.messages == []


def test_a_refused_send_releases_the_claim_and_the_next_sweep_sends_once(
        app, session, smtp_sink, world, monkeypatch):
    meetup, resident = world["meetup"], world["resident"]
    occ1 = meetup.occurrences[0]
    s = sign_up(session, occ1, resident)
    with time_machine.travel(occ1.ends_at + timedelta(minutes=1), tick=False):
        mark(session, s, "attended", utcnow())

    async def refuse(server, smtp_session, envelope):
        return "554 not now"

    with time_machine.travel(occ1.ends_at + timedelta(hours=1), tick=False):
        monkeypatch.setattr(smtp_sink, "handle_DATA", refuse)
        assert after.sweep()["failed"] == 1
        session.refresh(s)
        assert s.followup_sent_at is None and s.followup_kind == ""
        assert session.query(MilestoneAward).count() == 0
        monkeypatch.undo()
        assert after.sweep()["thank_you"] == 1
        assert after.sweep()["thank_you"] == 0
    assert subjects(smtp_sink) == ["Your first time helping — thank you, Maria"]


def test_reflection_link_shows_a_form_and_only_the_button_saves(
        app, session, client, smtp_sink, world):
    meetup, resident = world["meetup"], world["resident"]
    occ1 = meetup.occurrences[0]
    s = sign_up(session, occ1, resident)
    with time_machine.travel(occ1.ends_at + timedelta(minutes=1), tick=False):
        mark(session, s, "attended", utcnow())
    with time_machine.travel(occ1.ends_at + timedelta(hours=1), tick=False):
        after.sweep()
    # Tokens carry their signing time: read them in the same (travelled) present.
    with time_machine.travel(occ1.ends_at + timedelta(hours=2), tick=False):
        _answer_reflection(client, session, smtp_sink, s)


def _answer_reflection(client, session, smtp_sink, s):
    [msg] = smtp_sink.messages
    link = re.search(r"http://localhost(/after/feel/\S+\?answer=4)", text_of(msg)).group(1)

    page = client.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="4" checked' in html and "optional" in html
    assert session.get(Reflection, s.id) is None  # opening the link saves nothing

    path = link.split("?")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    bad = client.post(path, data={"csrf_token": token, "feeling": "9"})
    assert bad.status_code == 400 and "choose one of the five" in bad.get_data(as_text=True)
    ok = client.post(path, data={"csrf_token": token, "feeling": "4"})
    assert ok.status_code == 200 and "your answer is saved" in ok.get_data(as_text=True)
    assert session.get(Reflection, s.id).feeling == 4
    client.post(path, data={"csrf_token": token, "feeling": "5"})
    assert session.get(Reflection, s.id).feeling == 5

    assert client.get(path[:-3] + "xyz").status_code == 404
    assert client.post(path, data={"feeling": "3"}).status_code == 400  # no CSRF token


def test_small_act_i_did_it_counts_and_is_thanked(
        app, session, client, smtp_sink, make_user, make_opportunity, login_as, post_form, t0):
    act = make_opportunity(title="Call a neighbour who lives alone", kind="small_act",
                           starts=t0 - timedelta(hours=1), duration_minutes=10, is_remote=True,
                           timezone=NY)
    occ = act.occurrences[0]
    occ.ends_at = t0 + timedelta(days=7)
    session.commit()
    resident = make_user(display_name="Ann Park")
    s = sign_up(session, occ, resident)
    login_as(resident)
    page = client.get("/me/commitments").get_data(as_text=True)
    assert "I did it" in page

    resp = post_form(f"/me/signups/{s.id}/done", {}, page="/me/commitments")
    assert resp.status_code == 303
    session.refresh(s)
    assert (s.attendance, s.attendance_source) == ("attended", "resident")
    assert "Done — thank you!" in client.get("/me/commitments").get_data(as_text=True)
    # Pressing it again changes nothing.
    assert post_form(f"/me/signups/{s.id}/done", {}, page="/me/commitments").status_code == 303

    # Someone else's sign-up: not found; a timed event: the organizer marks it.
    other = make_user()
    timed = make_opportunity(title="Pantry shift", timezone=NY)
    theirs = sign_up(session, timed.occurrences[0], other)
    assert post_form(f"/me/signups/{theirs.id}/done", {},
                     page="/me/commitments").status_code == 404
    own_timed = sign_up(session, timed.occurrences[0], resident)
    bad = post_form(f"/me/signups/{own_timed.id}/done", {}, page="/me/commitments")
    assert bad.status_code == 400 and "organizer marks" in bad.get_data(as_text=True)

    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        assert after.sweep()["thank_you"] == 1
        assert after.sweep()["thank_you"] == 0
    [msg] = smtp_sink.messages
    assert "doing “Call a neighbour who lives alone”" in text_of(msg)
    assert "Time: 10 minutes" in text_of(msg)
