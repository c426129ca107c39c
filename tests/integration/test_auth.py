"""Accounts end to end over HTTP: register, verify, sign in/out, reset, change password."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from matchmaker.db import utcnow
from matchmaker.models import LoginSession, User
from tests.conftest import PASSWORD


def _register(post_form, email="ada@example.org", password="a long enough password", **extra):
    data = {"display_name": "Ada", "email": email, "password": password, "confirm": password}
    data.update(extra)
    return post_form("/register", data)


def test_register_creates_unverified_account_and_sends_link(client, post_form, session, outbox):
    resp = _register(post_form, email="  Ada@Example.org ")
    assert resp.status_code == 302
    user = session.scalar(select(User).where(User.email == "ada@example.org"))
    assert user is not None and not user.is_verified
    assert user.password_hash.startswith("$argon2id$")
    [msg] = outbox.messages
    assert msg["To"] == "ada@example.org"
    assert msg.get_body(("html",)) is not None
    link = next(u for u in outbox.links(msg) if "/verify/" in u)
    resp = client.get(link.replace("http://localhost", ""))
    assert resp.status_code == 302
    session.refresh(user)
    assert user.is_verified


def test_register_bad_input_is_400_and_writes_nothing(client, post_form, session, make_user):
    make_user(email="taken@example.org")
    before = session.scalar(select(func.count()).select_from(User))
    cases = [
        {"email": ""},
        {"email": "not-an-email"},
        {"email": "x" * 250 + "@example.org"},
        {"email": "taken@example.org"},
        {"email": "TAKEN@example.org"},
        {"display_name": ""},
        {"display_name": "n" * 81},
        {"password": "short", "confirm": "short"},
        {"password": "p" * 201, "confirm": "p" * 201},
        {"confirm": "something else entirely"},
    ]
    for case in cases:
        resp = _register(post_form, **case)
        assert resp.status_code == 400, case
        assert 'class="error"' in resp.get_data(as_text=True), case
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_login_logout_and_replayed_cookie_is_rejected(app, client, post_form, make_user):
    make_user(email="sam@example.org")
    resp = post_form("/login", {"email": "sam@example.org", "password": PASSWORD})
    assert resp.status_code == 302
    assert client.get("/account/password").status_code == 200
    cookie = client.get_cookie("session").value
    post_form("/logout", {}, page="/account/password")
    assert client.get("/account/password").status_code == 302
    # An attacker who copied the cookie before logout cannot use it.
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/account/password").status_code == 302


def test_login_wrong_password_is_400_with_generic_message(post_form, make_user):
    make_user(email="sam@example.org")
    for email in ("sam@example.org", "nobody@example.org"):
        resp = post_form("/login", {"email": email, "password": "wrong password!!"})
        assert resp.status_code == 400
        assert "do not match" in resp.get_data(as_text=True)


def test_lockout_after_repeated_failures(app, post_form, make_user, session):
    app.config["LOCKOUT_THRESHOLD"] = 3
    user = make_user(email="sam@example.org")
    for _ in range(3):
        post_form("/login", {"email": "sam@example.org", "password": "wrong password!!"})
    resp = post_form("/login", {"email": "sam@example.org", "password": PASSWORD})
    assert resp.status_code == 400
    assert "locked" in resp.get_data(as_text=True)
    session.refresh(user)
    with time_machine.travel(utcnow() + timedelta(minutes=16)):
        resp = post_form("/login", {"email": "sam@example.org", "password": PASSWORD})
    assert resp.status_code == 302


def test_login_rate_limit_returns_429(app, client, csrf):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    token = csrf()
    codes = [client.post("/login", data={"csrf_token": token, "email": "a@example.org",
                                          "password": "x"}).status_code for _ in range(5)]
    assert codes[:3] == [400, 400, 400]
    assert codes[3:] == [429, 429]


def test_next_redirect_is_validated(post_form, make_user):
    make_user(email="sam@example.org")
    for target, expected in [("/account/password", "/account/password"),
                             ("https://evil.example/", "/"), ("//evil.example/", "/"),
                             ("/\\evil.example", "/"), ("javascript:alert(1)", "/")]:
        resp = post_form("/login", {"email": "sam@example.org", "password": PASSWORD,
                                    "next": target})
        assert resp.status_code == 302
        assert resp.headers["Location"] == expected, target
        post_form("/logout", {}, page="/account/password")


def test_password_reset_link_is_single_use_and_expires(client, post_form, make_user, outbox,
                                                       session):
    make_user(email="sam@example.org")
    resp = post_form("/forgot-password", {"email": "sam@example.org"})
    assert resp.status_code == 200
    [msg] = outbox.messages
    path = next(u for u in outbox.links(msg) if "/reset-password/" in u).replace(
        "http://localhost", "")
    assert client.get(path).status_code == 200
    resp = post_form(path, {"password": "a brand new password", "confirm": "a brand new password"})
    assert resp.status_code == 302
    # Used once: the same link is dead now.
    assert client.get(path).status_code == 400
    # The notification went out.
    assert "changed" in outbox.messages[-1]["Subject"]
    # An expired link is refused too.
    post_form("/forgot-password", {"email": "sam@example.org"})
    path2 = next(u for u in outbox.links(outbox.messages[-1]) if "/reset-password/" in u)
    with time_machine.travel(utcnow() + timedelta(minutes=61)):
        assert client.get(path2.replace("http://localhost", "")).status_code == 400


def test_forgot_password_does_not_reveal_accounts(post_form, outbox):
    resp = post_form("/forgot-password", {"email": "nobody@example.org"})
    assert resp.status_code == 200
    assert "If nobody@example.org has an account" in resp.get_data(as_text=True)
    assert outbox.messages == []


def test_reset_link_dies_when_password_changes(client, post_form, make_user, outbox, login_as):
    user = make_user(email="sam@example.org")
    post_form("/forgot-password", {"email": "sam@example.org"})
    path = next(u for u in outbox.links(outbox.messages[-1]) if "/reset-password/" in u)
    login_as(user)
    resp = post_form("/account/password", {"current_password": PASSWORD,
                                           "password": "another good password",
                                           "confirm": "another good password"})
    assert resp.status_code == 302
    assert client.get(path.replace("http://localhost", "")).status_code == 400


def test_change_password_needs_current_and_ends_other_sessions(app, client, post_form, make_user,
                                                              login_as, session, outbox):
    user = make_user(email="sam@example.org")
    other = login_as(user, app.test_client())
    login_as(user)
    resp = post_form("/account/password", {"current_password": "not my password",
                                           "password": "another good password",
                                           "confirm": "another good password"})
    assert resp.status_code == 400
    assert "current password is not right" in resp.get_data(as_text=True)
    resp = post_form("/account/password", {"current_password": PASSWORD,
                                           "password": "another good password",
                                           "confirm": "another good password"})
    assert resp.status_code == 302
    assert client.get("/account/password").status_code == 200  # this browser stays in
    assert other.get("/account/password").status_code == 302  # the other one is out
    assert outbox.messages[-1]["Subject"] == "Your password was changed"
    live = session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)))
    assert live == 1


def test_session_idle_and_absolute_timeouts(app, client, make_user, login_as):
    user = make_user()
    login_as(user)
    assert client.get("/account/password").status_code == 200
    idle = app.config["SESSION_IDLE_MINUTES"]
    with time_machine.travel(utcnow() + timedelta(minutes=idle + 1)):
        assert client.get("/account/password").status_code == 302


def test_new_session_id_at_login(client, post_form, make_user):
    make_user(email="sam@example.org")
    post_form("/login", {"email": "sam@example.org", "password": PASSWORD})
    first = client.get_cookie("session").value
    post_form("/logout", {}, page="/account/password")
    post_form("/login", {"email": "sam@example.org", "password": PASSWORD})
    assert client.get_cookie("session").value != first


def test_csrf_required_on_state_changing_forms(client, make_user):
    make_user(email="sam@example.org")
    resp = client.post("/login", data={"email": "sam@example.org", "password": PASSWORD})
    assert resp.status_code == 400
    assert "expired" in resp.get_data(as_text=True)


def test_security_headers_and_cookie_flags(client, post_form, make_user):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    make_user(email="sam@example.org")
    resp = post_form("/login", {"email": "sam@example.org", "password": PASSWORD})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_verification_link_forged_or_expired(client, make_user, session):
    from matchmaker.auth.services import verification_token

    user = make_user(verified=False)
    assert client.get("/verify/not-a-token").status_code == 400
    token = verification_token(user)
    with time_machine.travel(utcnow() + timedelta(hours=49)):
        assert client.get(f"/verify/{token}").status_code == 400
    assert client.get(f"/verify/{token}").status_code == 302


def test_error_pages_never_show_tracebacks(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret internals")

    resp = client.get("/boom-for-test")
    assert resp.status_code == 500
    body = resp.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body
    assert re.search(r"Something went wrong", body)
    assert client.get("/no-such-page").status_code == 404
