"""One-click unsubscribe (RFC 8058): a signed link, no session, no CSRF token, idempotent."""

from __future__ import annotations

import re

from matchmaker.digests.compose import unsubscribe_token
from matchmaker.models import Profile


def _resident(session, make_user, frequency="weekly"):
    user = make_user(email="uma@example.org")
    session.add(Profile(user_id=user.id, timezone="America/New_York",
                        digest_frequency=frequency))
    session.commit()
    return user


def test_one_click_post_needs_no_session_or_csrf_and_is_idempotent(app, client, session,
                                                                   make_user):
    user = _resident(session, make_user)
    url = f"/unsubscribe/{unsubscribe_token(user.id)}"
    # What a mail client sends (RFC 8058 §3.1): a bare POST with this body, no cookies.
    resp = client.post(url, data="List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200
    assert "will not get the weekly email" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Profile, user.id).digest_frequency == "off"
    again = client.post(url, data="List-Unsubscribe=One-Click",
                        content_type="application/x-www-form-urlencoded")
    assert again.status_code == 200
    assert session.get(Profile, user.id).digest_frequency == "off"


def test_csrf_is_still_enforced_elsewhere(app, client, session, make_user):
    """The exemption is for this one view only."""
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/me/emails/bouncing").status_code in (400, 302, 401)
    assert client.post("/login", data={"email": "x@example.org", "password": "x"}
                       ).status_code == 400


def test_get_only_asks_and_changes_nothing(client, session, make_user):
    user = _resident(session, make_user)
    page = client.get(f"/unsubscribe/{unsubscribe_token(user.id)}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Stop the weekly email?" in html and 'method="post"' in html
    session.expire_all()
    assert session.get(Profile, user.id).digest_frequency == "weekly"


def test_forged_or_foreign_tokens_are_refused(client, session, make_user):
    from matchmaker.tokens import make_token

    user = _resident(session, make_user)
    token = unsubscribe_token(user.id)
    for bad in (token[:-3] + "abc", make_token("verify-email", {"u": user.id}),
                make_token("digest-unsubscribe", {"u": "1"}), "nonsense"):
        assert client.post(f"/unsubscribe/{bad}").status_code == 404
    session.expire_all()
    assert session.get(Profile, user.id).digest_frequency == "weekly"


def test_organizer_without_a_profile_can_unsubscribe(client, session, make_user):
    user = make_user(email="org@example.org", role="organizer")
    assert client.post(f"/unsubscribe/{unsubscribe_token(user.id)}").status_code == 200
    session.expire_all()
    assert session.get(Profile, user.id).digest_frequency == "off"


def test_the_link_in_a_real_digest_works(client, session, make_user, make_opportunity, outbox):
    from datetime import UTC, datetime, timedelta

    import time_machine

    from matchmaker.digests import sending
    from matchmaker.models import Recommendation
    from workers.digest_jobs import send_digest_batch

    now = datetime(2026, 11, 22, 22, 5, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        user = _resident(session, make_user)
        opp = make_opportunity(starts=now + timedelta(days=2), timezone="America/New_York")
        session.add(Recommendation(user_id=user.id, occurrence_id=opp.occurrences[0].id,
                                   score=0.9, rank=1, reasons=["Food"]))
        session.commit()
        batches = []
        sending.plan(session, now, enqueue=lambda _j, ids: batches.append(ids),
                     kinds=["resident"])
        send_digest_batch(batches[0])
        [msg] = outbox.messages
        https_link = re.match(r"<([^>]+)>", msg["List-Unsubscribe"]).group(1)
        assert client.post(https_link.replace("http://localhost", "")).status_code == 200
    session.expire_all()
    assert session.get(Profile, user.id).digest_frequency == "off"
