"""Sessions: what tests/integration/test_auth.py does not already prove.

Covered there: a cookie replayed after logout on a page, password change ending
another browser's session, the idle timeout, a different cookie at each login.
Added here: a replayed cookie cannot write either; a password *reset* ends every
session; the absolute timeout ends a session that is still in use; the pre-login
cookie is worthless after login (and a planted one cannot be promoted, i.e. no
session fixation); changing the password also kills this browser's old cookie.
"""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from matchmaker.db import utcnow
from matchmaker.models import LoginSession, User
from tests.conftest import PASSWORD

PRIVATE = "/me/commitments"
NEW_PASSWORD = "a completely new password"


def _signed_in(client) -> bool:
    resp = client.get(PRIVATE)
    return resp.status_code == 200


def _live_sessions(session, user) -> int:
    return session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)))


def _sign_in(post_form, email: str, password: str = PASSWORD):
    resp = post_form("/login", {"email": email, "password": password})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def test_cookie_replayed_after_logout_cannot_write_either(app, client, post_form, make_user,
                                                          session, csrf):
    user = make_user(email="sam@example.org")
    _sign_in(post_form, "sam@example.org")
    token = csrf(PRIVATE)  # the stolen cookie carries this session's CSRF secret too
    stolen = client.get_cookie("session").value
    version = user.calendar_feed_version
    post_form("/logout", {}, page=PRIVATE)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    resp = thief.post("/me/calendar/new-link", data={"csrf_token": token})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    session.expire_all()
    assert session.get(User, user.id).calendar_feed_version == version
    assert _live_sessions(session, user) == 0


def test_password_reset_ends_every_session(app, client, post_form, make_user, login_as,
                                           session):
    from matchmaker.auth.services import reset_token

    user = make_user(email="sam@example.org")
    laptop, phone = login_as(user, app.test_client()), login_as(user, app.test_client())
    assert _signed_in(laptop) and _signed_in(phone)
    path = f"/reset-password/{reset_token(user)}"
    resp = post_form(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 302
    assert not _signed_in(laptop) and not _signed_in(phone)
    assert _live_sessions(session, user) == 0


def test_absolute_timeout_ends_a_session_in_constant_use(app, client, make_user, login_as,
                                                         session):
    app.config.update(SESSION_IDLE_MINUTES=60, SESSION_ABSOLUTE_HOURS=3)
    user = make_user()
    login_as(user)
    start = utcnow()
    # Used every 50 minutes: never idle for an hour, so only the absolute limit applies.
    for minutes in (50, 100, 150):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert _signed_in(client), f"signed out after {minutes} minutes"
    with time_machine.travel(start + timedelta(minutes=200), tick=False):
        assert not _signed_in(client)
    row = session.scalar(select(LoginSession).where(LoginSession.user_id == user.id))
    session.refresh(row)
    assert row.revoked_at is not None  # ended for good, not just refused this once
    assert not _signed_in(client)


def test_idle_timeout_revokes_the_session_for_good(app, client, make_user, login_as, session):
    user = make_user()
    login_as(user)
    idle = app.config["SESSION_IDLE_MINUTES"]
    with time_machine.travel(utcnow() + timedelta(minutes=idle + 1)):
        assert not _signed_in(client)
    assert _live_sessions(session, user) == 0
    assert not _signed_in(client)  # back "in time": the row stays revoked


def test_pre_login_cookie_grants_nothing_after_login(app, client, post_form, make_user,
                                                     session):
    user = make_user(email="sam@example.org")
    client.get("/login")
    before = client.get_cookie("session").value
    _sign_in(post_form, "sam@example.org")
    after = client.get_cookie("session").value
    assert after != before
    assert _signed_in(client)
    old = app.test_client()
    old.set_cookie("session", before)
    assert not _signed_in(old)
    assert _live_sessions(session, user) == 1


def test_planted_session_cookie_is_not_promoted_at_login(app, client, post_form, make_user,
                                                         session):
    """Session fixation: an attacker plants their own (signed-out) cookie in the victim's
    browser; after the victim signs in, the attacker's copy is still signed out."""
    make_user(email="mallory@example.org")
    victim = make_user(email="victim@example.org")
    attacker = app.test_client()
    attacker.get("/login")
    planted = attacker.get_cookie("session").value
    client.set_cookie("session", planted)
    _sign_in(post_form, "victim@example.org")
    assert _signed_in(client)
    attacker.set_cookie("session", planted)
    assert not _signed_in(attacker)
    assert _live_sessions(session, victim) == 1


def test_password_change_kills_this_browsers_old_cookie(app, client, post_form, make_user,
                                                         login_as):
    user = make_user(email="sam@example.org")
    login_as(user)
    old_cookie = client.get_cookie("session").value
    resp = post_form("/account/password", {"current_password": PASSWORD,
                                           "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 302
    assert _signed_in(client)  # this browser carries on, under a new session id
    assert client.get_cookie("session").value != old_cookie
    thief = app.test_client()
    thief.set_cookie("session", old_cookie)
    assert not _signed_in(thief)
