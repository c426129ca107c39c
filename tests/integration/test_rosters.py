"""Rosters over HTTP: who sees them, what contact details show, the CSV, and
"email everyone signed up" sending one email per person, once."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.db import utcnow
from matchmaker.models import (
    Membership,
    Role,
    RosterMessage,
    RosterMessageRecipient,
    Signup,
    SignupStatus,
)
from tests.conftest import csrf_from


def _organizer(session, org):
    return session.scalar(select(Membership).where(Membership.organization_id == org.id)).user


@pytest.fixture
def org(make_org):
    return make_org("Park Slope Food Pantry")


@pytest.fixture
def occ(org, make_opportunity):
    return make_opportunity(org=org, title="Sort food", capacity=2).occurrences[0]


@pytest.fixture
def people(session, occ, make_user):
    """Two confirmed (one sharing email, one sharing phone) and two waiting, in order."""
    now = utcnow()
    spec = [
        ("Ann Sharer", "ann@example.org", SignupStatus.CONFIRMED, True, ""),
        ("Ben Private", "ben.private@example.org", SignupStatus.CONFIRMED, False, ""),
        ("=cmd|' /C calc'!A0", "evil@example.org", SignupStatus.WAITLISTED, False,
         "+1 555 0100"),
        ("Dora Later", "dora.secret@example.org", SignupStatus.WAITLISTED, False, ""),
    ]
    out = []
    for n, (name, email, status, share_email, phone) in enumerate(spec):
        user = make_user(email=email, display_name=name)
        session.add(Signup(occurrence_id=occ.id, user_id=user.id, status=status,
                           share_email=share_email, share_phone=phone,
                           queued_at=now + timedelta(seconds=n),
                           note="@SUM(A1)" if n == 3 else ""))
        out.append(user)
    released = make_user(email="gone@example.org", display_name="Gone Person")
    session.add(Signup(occurrence_id=occ.id, user_id=released.id, status=SignupStatus.RELEASED))
    session.commit()
    return out


def _roster_url(org, occ, suffix=""):
    return f"/organizations/{org.slug}/occurrences/{occ.id}/roster{suffix}"


# --- the roster page and CSV ---------------------------------------------------------------

def test_roster_shows_confirmed_and_waitlist_in_order_with_shared_details_only(
        client, session, org, occ, people, login_as):
    login_as(_organizer(session, org))
    resp = client.get(_roster_url(org, occ))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Ann Sharer" in html and "Ben Private" in html and "Dora Later" in html
    assert "ann@example.org" in html  # shared
    assert "+1 555 0100" in html  # shared phone
    for secret in ("ben.private@example.org", "dora.secret@example.org", "evil@example.org",
                   "Gone Person"):
        assert secret not in html
    assert "2 of 2 taken, 0 left" in html
    waitlist = html[html.index('id="waitlist-title"'):]
    assert re.search(r"1\.</span> =cmd", waitlist)
    assert re.search(r"2\.</span> Dora Later", waitlist)


def test_csv_parses_keeps_privacy_and_neutralises_formulas(
        client, session, org, occ, people, login_as):
    login_as(_organizer(session, org))
    resp = client.get(_roster_url(org, occ, ".csv"))
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:5] == ["Status", "Waiting list position", "Name", "Email", "Phone"]
    body = rows[1:]
    assert [r[2] for r in body] == ["Ann Sharer", "Ben Private", "'=cmd|' /C calc'!A0",
                                    "Dora Later"]
    assert [r[1] for r in body] == ["", "", "1", "2"]
    assert body[0][3] == "ann@example.org" and body[1][3] == ""
    assert body[2][4] == "'+1 555 0100"
    assert body[3][5] == "'@SUM(A1)"
    text = raw.decode("utf-8-sig")
    for secret in ("ben.private@example.org", "dora.secret@example.org", "evil@example.org"):
        assert secret not in text
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize("suffix", ["", ".csv", "/message"])
def test_roster_is_for_this_orgs_organizers_only(client, session, org, occ, people, make_org,
                                                make_user, login_as, suffix):
    url = _roster_url(org, occ, suffix)
    resp = client.get(url)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]

    login_as(make_user(role=Role.RESIDENT))
    assert client.get(url).status_code == 403

    other = make_org("Another Pantry")
    login_as(_organizer(session, other))
    resp = client.get(url)
    assert resp.status_code == 403
    assert b"Ann Sharer" not in resp.get_data()
    # …and not through their own organization's address either.
    resp = client.get(f"/organizations/{other.slug}/occurrences/{occ.id}/roster{suffix}")
    assert resp.status_code == 404
    assert b"Ann Sharer" not in resp.get_data()


def test_unknown_occurrence_is_404(client, session, org, login_as):
    login_as(_organizer(session, org))
    assert client.get(f"/organizations/{org.slug}/occurrences/999999/roster").status_code == 404


# --- email everyone signed up -------------------------------------------------------------------

MESSAGE = {"subject": "Bring gloves\r\nBcc: victim@example.org",
           "body": "Hello all,\n\nPlease bring <b>gloves</b> & water.",
           "audience": "both"}


def _compose(client, org, occ):
    html = client.get(_roster_url(org, occ, "/message")).get_data(as_text=True)
    key = re.search(r'name="key"[^>]*value="([^"]+)"', html).group(1)
    return csrf_from(html), key


def test_preview_says_how_many_and_sends_nothing(client, session, org, occ, people, login_as,
                                                outbox):
    login_as(_organizer(session, org))
    token, key = _compose(client, org, occ)
    resp = client.post(_roster_url(org, occ, "/message"),
                       data={**MESSAGE, "audience": "waitlist", "key": key, "csrf_token": token,
                             "preview": "1"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "2 people" in html and "Send it to 2 people" in html
    assert "&lt;b&gt;gloves&lt;/b&gt;" in html
    assert outbox.messages == []
    assert session.scalar(select(func.count()).select_from(RosterMessage)) == 0


def test_send_emails_each_person_once_and_a_replay_sends_nothing_more(
        client, session, org, occ, people, login_as, outbox):
    organizer = _organizer(session, org)
    login_as(organizer)
    token, key = _compose(client, org, occ)
    data = {**MESSAGE, "key": key, "csrf_token": token, "send": "1", "allow_replies": "y"}
    first = client.post(_roster_url(org, occ, "/message"), data=data)
    assert first.status_code == 302
    replay = client.post(_roster_url(org, occ, "/message"), data=data)
    assert replay.status_code == 302
    follow = client.get(replay.headers["Location"]).get_data(as_text=True)
    assert "already sent" in follow

    messages = outbox.messages
    recipients = sorted(m["To"] for m in messages)
    assert recipients == sorted(p.email for p in people)  # 2 confirmed + 2 waiting, once each
    assert session.scalar(select(func.count()).select_from(RosterMessage)) == 1
    assert session.scalar(select(func.count()).select_from(RosterMessageRecipient).where(
        RosterMessageRecipient.sent_at.is_(None))) == 0

    msg = messages[0]
    assert msg["Subject"] == "Bring gloves Bcc: victim@example.org"
    assert msg["Bcc"] is None and "\n" not in msg["Subject"]
    assert msg["Reply-To"] == organizer.email
    html = msg.get_body(("html",)).get_content()
    assert "<b>gloves</b>" not in html and "&lt;b&gt;gloves&lt;/b&gt;" in html
    assert "Please bring <b>gloves</b> &amp; water." not in html
    assert "Please bring <b>gloves</b> & water." in outbox.text_of(msg)


def test_the_send_job_run_again_sends_nothing_more(client, session, org, occ, people, login_as,
                                                   outbox):
    from workers.jobs import send_roster_message

    login_as(_organizer(session, org))
    token, key = _compose(client, org, occ)
    client.post(_roster_url(org, occ, "/message"),
                data={**MESSAGE, "audience": "confirmed", "key": key, "csrf_token": token,
                      "send": "1"})
    assert len(outbox.messages) == 2
    message_id = session.scalar(select(RosterMessage.id))
    assert send_roster_message(message_id) == 0
    assert len(outbox.messages) == 2
    assert all(m["Reply-To"] is None for m in outbox.messages)


@pytest.mark.parametrize("changes, field_message", [
    ({"subject": ""}, "Please write a subject."),
    ({"subject": "x" * 121}, "120 characters or fewer"),
    ({"body": "x" * 5001}, "5000 characters or fewer"),
    ({"body": "   "}, "Please write your message."),
    ({"audience": "everybody"}, "Not a valid choice"),
    ({"key": "short"}, "Please open it again from the roster"),
])
def test_bad_message_input_is_400_and_sends_nothing(client, session, org, occ, people, login_as,
                                                    outbox, changes, field_message):
    login_as(_organizer(session, org))
    token, key = _compose(client, org, occ)
    data = {**MESSAGE, "key": key, "csrf_token": token, "send": "1", **changes}
    resp = client.post(_roster_url(org, occ, "/message"), data=data)
    assert resp.status_code == 400
    assert field_message in resp.get_data(as_text=True)
    assert outbox.messages == []
    assert session.scalar(select(func.count()).select_from(RosterMessage)) == 0


def test_nobody_to_send_to_is_a_clear_400(client, session, org, make_opportunity, login_as,
                                          outbox):
    empty = make_opportunity(org=org, title="Empty shift").occurrences[0]
    login_as(_organizer(session, org))
    token, key = _compose(client, org, empty)
    resp = client.post(_roster_url(org, empty, "/message"),
                       data={**MESSAGE, "key": key, "csrf_token": token, "send": "1"})
    assert resp.status_code == 400
    assert "no one to send this to" in resp.get_data(as_text=True)
    assert outbox.messages == []


def _hidden_fields(html: str) -> dict:
    """What the browser sends back from the preview page's form."""
    from html.parser import HTMLParser

    fields: dict = {}

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "input" and attrs.get("type") == "hidden":
                fields[attrs["name"]] = attrs.get("value", "")

    Parser().feed(html)
    return fields


def test_preview_then_send_through_the_real_forms(client, session, org, occ, people, login_as,
                                                  outbox):
    login_as(_organizer(session, org))
    token, key = _compose(client, org, occ)
    preview = client.post(_roster_url(org, occ, "/message"),
                          data={**MESSAGE, "audience": "confirmed", "key": key,
                                "csrf_token": token, "preview": "1"})
    fields = _hidden_fields(preview.get_data(as_text=True))
    assert fields["body"] == MESSAGE["body"]
    assert "allow_replies" not in fields
    resp = client.post(_roster_url(org, occ, "/message"), data={**fields, "send": "1"})
    assert resp.status_code == 302
    assert sorted(m["To"] for m in outbox.messages) == ["ann@example.org",
                                                        "ben.private@example.org"]
    assert "Please bring <b>gloves</b> & water." in outbox.text_of(outbox.messages[0])


def test_message_posts_are_rate_limited_per_organizer(client, session, org, occ, people,
                                                      login_as, outbox):
    login_as(_organizer(session, org))
    token, key = _compose(client, org, occ)
    data = {"subject": "", "body": "", "audience": "both", "key": key, "csrf_token": token}
    statuses = [client.post(_roster_url(org, occ, "/message"), data=data).status_code
                for _ in range(31)]
    assert statuses[:30] == [400] * 30 and statuses[30] == 429
