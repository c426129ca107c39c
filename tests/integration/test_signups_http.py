"""Signing up over HTTP: the box, flashes, emails, passing a spot on, privacy."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import icalendar
from sqlalchemy import func, select

from matchmaker.db import utcnow
from matchmaker.models import Profile, Signup
from matchmaker.signups import services


def _signup(post_form, occ, data=None):
    return post_form(f"/occurrences/{occ.id}/signup", data or {}, page=f"/occurrences/{occ.id}")


def test_anonymous_sees_sign_in_and_cannot_post(client, make_opportunity):
    occ = make_opportunity(capacity=3).occurrences[0]
    html = unescape(client.get(f"/occurrences/{occ.id}").get_data(as_text=True))
    assert "Sign in to sign up" in html and "3 places left" in html
    resp = client.post(f"/occurrences/{occ.id}/signup")
    assert resp.status_code in (302, 400)
    if resp.status_code == 302:
        assert "/login" in resp.location


def test_sign_up_confirmed_then_waitlisted_with_emails(
        app, client, session, make_user, make_opportunity, login_as, post_form, outbox):
    occ = make_opportunity(capacity=1, title="Sort food").occurrences[0]
    first, second = make_user(), make_user()
    login_as(first)
    resp = _signup(post_form, occ, {"share_email": "y", "share_phone": "718 555 0123"})
    assert resp.status_code == 302
    assert resp.location.endswith(
        (f"/occurrences/{occ.id}", f"/opportunities/{occ.opportunity_id}"))
    page = unescape(client.get(f"/occurrences/{occ.id}").get_data(as_text=True))
    assert "You're in!" in page and "pass my spot on" in page.lower()
    row = session.scalar(select(Signup).where(Signup.user_id == first.id))
    assert row.status == "confirmed" and row.share_email and row.share_phone == "718 555 0123"
    [mail] = outbox.messages
    assert mail["To"] == first.email and "You're in" in mail["Subject"]
    assert mail.get_body(("html",)) is not None
    assert f"/signups/{row.id}.ics" in outbox.text_of(mail)
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == f"matchmaker-{row.id}.ics"
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == occ.starts_at
    assert calendar.walk("VTIMEZONE"), "the attached .ics has no VTIMEZONE"

    # The same browser, now signed in as someone else (the test app shares one
    # app context, so a second test client would not get its own CSRF token).
    login_as(second)
    html = unescape(client.get(f"/occurrences/{occ.id}").get_data(as_text=True))
    assert "Join the waiting list" in html and "The only place is taken" in html
    resp = _signup(post_form, occ)
    assert resp.status_code == 302
    page = unescape(client.get(f"/occurrences/{occ.id}").get_data(as_text=True))
    assert "number 1 on the waiting list" in page
    assert "waiting list (number 1)" in outbox.messages[-1]["Subject"]
    assert len(outbox.messages) == 2


def test_double_submit_is_one_row_and_one_email(
        client, session, make_user, make_opportunity, login_as, post_form, outbox):
    occ = make_opportunity().occurrences[0]
    login_as(make_user())
    _signup(post_form, occ)
    resp = _signup(post_form, occ)
    assert resp.status_code == 302
    page = unescape(client.get(f"/occurrences/{occ.id}").get_data(as_text=True))
    assert "already on the list" in page
    assert session.scalar(select(func.count()).select_from(Signup)) == 1
    assert len(outbox.messages) == 1


def test_bad_phone_is_a_400_with_message_and_nothing_written(
        session, make_user, make_opportunity, login_as, post_form):
    occ = make_opportunity().occurrences[0]
    login_as(make_user())
    resp = _signup(post_form, occ, {"share_phone": "call me <maybe>"})
    assert resp.status_code == 400
    assert "digits only" in unescape(resp.get_data(as_text=True))
    assert session.scalar(select(func.count()).select_from(Signup)) == 0


def test_missing_csrf_is_400(client, make_user, make_opportunity, login_as):
    occ = make_opportunity().occurrences[0]
    login_as(make_user())
    assert client.post(f"/occurrences/{occ.id}/signup").status_code == 400


def test_unverified_gets_resend_button_and_403(make_user, make_opportunity, login_as, post_form):
    occ = make_opportunity().occurrences[0]
    login_as(make_user(verified=False))
    resp = _signup(post_form, occ)
    assert resp.status_code == 403
    html = unescape(resp.get_data(as_text=True))
    assert "confirm your email" in html and "/verify/resend" in html


def test_rules_give_clear_4xx(session, make_user, make_opportunity, login_as, post_form):
    user = make_user()
    session.add(Profile(user_id=user.id, timezone="America/New_York", is_adult=False))
    session.commit()
    login_as(user)
    adults = make_opportunity(title="Night shelter", min_age=18).occurrences[0]
    resp = _signup(post_form, adults)
    assert resp.status_code == 403 and "18 or over" in unescape(resp.get_data(as_text=True))
    past = make_opportunity(title="Yesterday",
                            starts=utcnow() - timedelta(hours=1)).occurrences[0]
    resp = _signup(post_form, past)
    assert resp.status_code == 409 and "closed" in unescape(resp.get_data(as_text=True))
    gone = make_opportunity(title="Cancelled one").occurrences[0]
    gone.cancelled_at = utcnow()
    session.commit()
    assert _signup(post_form, gone).status_code == 409
    assert session.scalar(select(func.count()).select_from(Signup)) == 0


def test_draft_and_missing_occurrences_are_404(client, make_user, make_opportunity, login_as):
    draft = make_opportunity(status="draft").occurrences[0]
    login_as(make_user())
    assert client.get(f"/occurrences/{draft.id}").status_code == 404
    assert client.get("/occurrences/999999").status_code == 404


def test_overlap_warning_is_flashed_kindly(
        client, make_user, make_opportunity, login_as, post_form):
    start = utcnow().replace(microsecond=0) + timedelta(days=4)
    a = make_opportunity(title="Pantry", starts=start).occurrences[0]
    b = make_opportunity(title="Garden", starts=start + timedelta(minutes=30)).occurrences[0]
    login_as(make_user())
    _signup(post_form, a)
    assert _signup(post_form, b).status_code == 302
    page = unescape(client.get(f"/occurrences/{b.id}").get_data(as_text=True))
    assert "Just so you know" in page and "overlaps" in page and "Pantry" in page


def test_release_promotes_and_emails_once(
        app, client, session, make_user, make_opportunity, login_as, post_form, outbox):
    occ = make_opportunity(capacity=1).occurrences[0]
    holder, waiting = make_user(), make_user()
    held = services.sign_up(session, occ.id, holder).signup
    queued = services.sign_up(session, occ.id, waiting).signup
    session.commit()
    login_as(holder)
    resp = post_form(f"/signups/{held.id}/release", {}, page="/me/commitments")
    assert resp.status_code == 302
    assert "free for someone else" in unescape(client.get(resp.location).get_data(as_text=True))
    session.refresh(queued)
    assert queued.status == "confirmed" and queued.promotion_sent_at is not None
    promoted_mail = [m for m in outbox.messages if "place opened up" in m["Subject"]]
    assert [m["To"] for m in promoted_mail] == [waiting.email]
    # The job run again sends nothing.
    from workers.jobs import send_signup_email

    send_signup_email(queued.id, "promoted")
    assert len([m for m in outbox.messages if "place opened up" in m["Subject"]]) == 1


def test_others_cannot_release_or_download_your_signup(
        app, session, make_user, make_opportunity, login_as, post_form, client):
    occ = make_opportunity().occurrences[0]
    owner, stranger = make_user(), make_user()
    signup = services.sign_up(session, occ.id, owner).signup
    session.commit()
    login_as(stranger)
    assert post_form(f"/signups/{signup.id}/release", {},
                     page="/me/commitments").status_code == 404
    assert client.get(f"/signups/{signup.id}.ics").status_code == 404
    assert owner.email not in unescape(client.get("/me/commitments").get_data(as_text=True))
    session.refresh(signup)
    assert signup.status == "confirmed"
    anon = app.test_client()
    assert anon.get(f"/signups/{signup.id}.ics").status_code == 302
    assert anon.get("/me/commitments").status_code == 302


def test_commitments_page_lists_positions_and_links(
        client, session, make_user, make_opportunity, login_as):
    occ = make_opportunity(capacity=1, title="Read to kids").occurrences[0]
    services.sign_up(session, occ.id, make_user())
    me = make_user()
    mine = services.sign_up(session, occ.id, me).signup
    session.commit()
    login_as(me)
    html = unescape(client.get("/me/commitments").get_data(as_text=True))
    assert "<h1>My commitments</h1>" in html
    assert "Read to kids" in html and "number 1 on the waiting list" in html
    assert f"/signups/{mine.id}.ics" in html and "/calendar/" in html
    assert "Leave the waiting list" in html
