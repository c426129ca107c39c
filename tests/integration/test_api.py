"""The JSON API's token authentication (matchmaker.api.auth) and GET /api/v1/me."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from matchmaker.api.auth import create_token
from matchmaker.db import utcnow
from matchmaker.models import Role


@pytest.fixture
def token_for(session):
    def make(user, name: str = "") -> str:
        _row, token = create_token(session, user, name)
        session.commit()
        return token

    return make


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_me_with_a_valid_token(client, make_user, token_for):
    user = make_user(email="ada@example.org", role=Role.ORGANIZER, display_name="Ada")
    resp = client.get("/api/v1/me", headers=bearer(token_for(user)))
    assert resp.status_code == 200
    assert resp.json == {"id": user.id, "email": "ada@example.org", "display_name": "Ada",
                         "role": "organizer"}
    assert "session" not in {c.key for c in client._cookies.values()}  # no cookie is set


@pytest.mark.parametrize("header", [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic YWRhOnNlY3JldA==",
    "Bearer mm_not-a-real-token",
    "Bearer not-even-our-format",
    "Bearer " + "mm_" + "x" * 500,
])
def test_me_without_a_good_token_is_json_401(client, make_user, header):
    make_user()
    headers = {} if header is None else {"Authorization": header}
    resp = client.get("/api/v1/me", headers=headers)
    assert resp.status_code == 401
    assert resp.is_json and resp.json["error"]
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_browser_session_is_not_enough(client, make_user, login_as):
    login_as(make_user())
    assert client.get("/account/password").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_revoked_token_and_deactivated_account_are_refused(client, session, make_user,
                                                          token_for):
    user = make_user()
    token = token_for(user)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    user.is_active = False
    session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    user.is_active = True
    user.api_tokens[0].revoked_at = utcnow()
    session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_last_used_is_written_at_most_every_few_minutes(client, session, make_user, token_for):
    user = make_user()
    token = token_for(user)
    row = user.api_tokens[0]
    assert row.last_used_at is None
    start = utcnow()
    with time_machine.travel(start, tick=False):
        client.get("/api/v1/me", headers=bearer(token))
    session.refresh(row)
    first = row.last_used_at
    assert first is not None
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        client.get("/api/v1/me", headers=bearer(token))
    session.refresh(row)
    assert row.last_used_at == first
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        client.get("/api/v1/me", headers=bearer(token))
    session.refresh(row)
    assert row.last_used_at > first


def test_api_is_csrf_exempt_but_html_forms_are_not(app, client, make_user, token_for):
    from matchmaker.api.auth import token_required

    # A POST route in the api blueprint's namespace, added before the first request.
    app.add_url_rule("/api/v1/_echo", endpoint="api.echo", methods=["POST"],
                     view_func=token_required(lambda: {"ok": True}))
    token = token_for(make_user())
    assert app.config.get("WTF_CSRF_ENABLED", True)
    resp = client.post("/api/v1/_echo", headers=bearer(token))
    assert resp.status_code == 200 and resp.json == {"ok": True}
    assert client.post("/api/v1/_echo").status_code == 401
    resp = client.post("/login", data={"email": "a@example.org", "password": "x" * 12})
    assert resp.status_code == 400 and "expired" in resp.get_data(as_text=True)


def test_unknown_api_path_answers_json(client):
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404 and resp.is_json
