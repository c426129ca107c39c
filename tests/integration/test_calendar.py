"""Calendar downloads: one sign-up's .ics, and the private, revocable feed."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from icalendar import Calendar

from matchmaker.signups import services


def _feed_path(client) -> str:
    html = unescape(client.get("/me/commitments").get_data(as_text=True))
    url = re.search(r'id="feed-url" readonly value="([^"]+)"', html).group(1)
    return url.replace("http://localhost", "")


def test_signup_ics_is_in_the_opportunity_timezone(
        client, session, make_user, make_opportunity, login_as):
    # 15:00Z on a July day is 11:00 in New York (EDT).
    start = datetime(2031, 7, 12, 15, 0, tzinfo=UTC)
    opp = make_opportunity(title="Beach clean", starts=start, what_to_bring="Gloves")
    me = make_user()
    signup = services.sign_up(session, opp.occurrences[0].id, me).signup
    session.commit()
    login_as(me)
    resp = client.get(f"/signups/{signup.id}.ics")
    assert resp.status_code == 200 and resp.mimetype == "text/calendar"
    assert "attachment" in resp.headers["Content-Disposition"]
    cal = Calendar.from_ical(resp.data)
    assert [str(t["TZID"]) for t in cal.walk("VTIMEZONE")] == ["America/New_York"]
    [event] = cal.walk("VEVENT")
    assert event.decoded("DTSTART").hour == 11 and event.decoded("DTEND").hour == 13
    assert str(event["UID"]) == f"signup-{signup.id}@localhost"
    assert str(event["LOCATION"]) == "Park Slope, Brooklyn"
    assert "Gloves" in str(event["DESCRIPTION"])
    assert f"/{opp.id}" in str(event["URL"]) or f"/{opp.occurrences[0].id}" in str(event["URL"])
    # Same UID on every download.
    again = Calendar.from_ical(client.get(f"/signups/{signup.id}.ics").data).walk("VEVENT")[0]
    assert str(again["UID"]) == str(event["UID"])


def test_feed_lists_upcoming_and_is_revoked_by_a_new_link(
        app, client, session, make_user, make_opportunity, login_as, post_form):
    me = make_user()
    a = make_opportunity(title="Pantry").occurrences[0]
    b = make_opportunity(title="Garden").occurrences[0]
    services.sign_up(session, a.id, me)
    released = services.sign_up(session, b.id, me).signup
    services.release(session, released)
    session.commit()
    login_as(me)
    old = _feed_path(client)
    anon = app.test_client()  # a calendar app has no cookies
    resp = anon.get(old)
    assert resp.status_code == 200
    titles = [str(e["SUMMARY"]) for e in Calendar.from_ical(resp.data).walk("VEVENT")]
    assert titles == ["Pantry"]

    resp = post_form("/me/calendar/new-link", {}, page="/me/commitments")
    assert resp.status_code == 302
    new = _feed_path(client)
    assert new != old
    assert anon.get(old).status_code == 404
    assert anon.get(new).status_code == 200


def test_forged_or_foreign_feed_tokens_are_404(client):
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    from matchmaker.tokens import make_token

    assert client.get(f"/calendar/{make_token('verify-email', {'uid': 1, 'v': 0})}.ics"
                      ).status_code == 404
