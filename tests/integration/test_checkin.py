"""Self check-in by code: the organizer's sign (code + server-drawn QR SVG), and the
resident's form — right code in the window marks them attended, anything else is
a clear 4xx, and the form is rate-limited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from matchmaker.followthrough import checkin
from matchmaker.models import Signup
from matchmaker.signups import services as signup_services

START = datetime(2027, 4, 10, 14, 0, tzinfo=UTC)


@pytest.fixture
def event(make_opportunity, make_org, make_user, session):
    organizer = make_user(email="org@example.org")
    org = make_org(name="Park crew", owner=organizer)
    opp = make_opportunity(org=org, title="Clean the park", starts=START,
                           timezone="America/New_York")
    occ = opp.occurrences[0]
    resident = make_user(email="res@example.org")
    with time_machine.travel(START - timedelta(days=2), tick=False):
        signup_services.sign_up(session, occ.id, resident)
        session.commit()
    return {"org": org, "occ": occ, "organizer": organizer, "resident": resident}


def test_codes_avoid_look_alike_characters():
    for _ in range(200):
        code = checkin.new_code()
        assert len(code) == 6 and not set(code) & set("0O1IL25SZ8B")
    assert checkin.normalise(" k7m-x3q ") == "K7MX3Q"


def test_organizer_sign_shows_code_and_qr_svg(client, login_as, event):
    login_as(event["organizer"])
    url = f"/organizations/{event['org'].slug}/occurrences/{event['occ'].id}/checkin"
    page = client.get(url).get_data(as_text=True)
    code = event["occ"].checkin_code
    assert code and re.fullmatch(f"[{checkin.ALPHABET}]{{6}}", code)
    assert f">{code}<" in page
    assert '<svg role="img" aria-label="QR code for checking in"' in page
    assert f"http://localhost/checkin/{code}" in page
    # The code stays the same on the next visit.
    client.get(url)
    assert event["occ"].checkin_code == code


def test_sign_is_for_organizers_only(client, login_as, event):
    login_as(event["resident"])
    url = f"/organizations/{event['org'].slug}/occurrences/{event['occ'].id}/checkin"
    assert client.get(url).status_code == 403


def test_qr_code_link_prefills_the_form(client, login_as, event, session):
    code = checkin.ensure_code(session, event["occ"])
    session.commit()
    login_as(event["resident"])
    page = client.get(f"/checkin/{code.lower()}").get_data(as_text=True)
    assert f'value="{code}"' in page
    assert session.get(Signup, _signup_id(session, event)).attendance is None  # GET only shows


def _signup_id(session, event) -> int:
    return signup_services.find_signup(session, event["occ"].id, event["resident"].id).id


def test_right_code_in_the_window_marks_attended(client, login_as, post_form, event, session):
    code = checkin.ensure_code(session, event["occ"])
    session.commit()
    with time_machine.travel(START - timedelta(minutes=20), tick=False):
        login_as(event["resident"])  # sign-ins expire: sign in at the travelled-to time
        resp = post_form("/checkin", {"code": code}, page="/checkin")
        assert resp.status_code == 200
        assert "Thank you for coming" in resp.get_data(as_text=True)
        again = post_form("/checkin", {"code": code}, page="/checkin")
        assert "already checked in" in again.get_data(as_text=True)
    session.expire_all()
    row = session.get(Signup, _signup_id(session, event))
    assert (row.attendance, row.attendance_source) == ("attended", "checkin")


@pytest.mark.parametrize("moment, status", [
    (START - timedelta(minutes=31), 409),
    (START + timedelta(hours=2, minutes=1) + timedelta(hours=2), 409),
])
def test_outside_the_window_is_refused(client, login_as, post_form, event, session, moment,
                                       status):
    code = checkin.ensure_code(session, event["occ"])
    session.commit()
    with time_machine.travel(moment, tick=False):
        login_as(event["resident"])
        resp = post_form("/checkin", {"code": code}, page="/checkin")
    assert resp.status_code == status
    assert "Check-in for this event is open from 30 minutes before" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Signup, _signup_id(session, event)).attendance is None


def test_wrong_code_and_strangers_get_clear_errors(client, login_as, post_form, event, session,
                                                   make_user):
    code = checkin.ensure_code(session, event["occ"])
    session.commit()
    with time_machine.travel(START, tick=False):
        login_as(event["resident"])
        wrong = post_form("/checkin", {"code": "AAAAAA"}, page="/checkin")
        assert wrong.status_code == 404
        assert "does not match any event" in wrong.get_data(as_text=True)
        assert 'aria-invalid="true"' in wrong.get_data(as_text=True)
        assert post_form("/checkin", {"code": ""}, page="/checkin").status_code == 404
        login_as(make_user())
        stranger = post_form("/checkin", {"code": code}, page="/checkin")
        assert stranger.status_code == 403
        assert "do not have a place" in stranger.get_data(as_text=True)


def test_checkin_needs_sign_in(client):
    resp = client.get("/checkin")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_checkin_is_rate_limited(client, login_as, post_form, event):
    login_as(event["resident"])
    statuses = [post_form("/checkin", {"code": "WRONG1"}, page="/checkin").status_code
                for _ in range(11)]
    assert statuses[:10] == [404] * 10
    assert statuses[10] == 429
