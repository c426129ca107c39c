"""Cross-cutting protections: cookie flags, rate-limit storage, safe redirects."""

from __future__ import annotations

import uuid

import pytest

from matchmaker import create_app
from tests.conftest import PASSWORD


@pytest.fixture
def https_app(app_config, engine):
    return create_app(**{**app_config, "BASE_URL": "https://matchmaker.example"})


def test_session_cookie_is_secure_behind_https(https_app):
    with https_app.test_request_context():
        assert https_app.config["SESSION_COOKIE_SECURE"] is True
    client = https_app.test_client()
    resp = client.get("/login", base_url="https://matchmaker.example")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "max-age=31536000" in resp.headers["Strict-Transport-Security"]


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/forgot-password", "/no-such"])
def test_security_headers_on_every_page_type(client, path):
    resp = client.get(path)
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"


@pytest.mark.redis
def test_login_rate_limit_is_shared_through_redis(app_config, engine, redis_url):
    """Two web processes (two app instances) share one Redis-backed counter."""
    prefix = f"test-{uuid.uuid4().hex}"
    cfg = {**app_config, "REDIS_URL": redis_url, "LOGIN_RATE_LIMIT": "3 per minute",
           "RATELIMIT_STORAGE_URI": redis_url, "RATELIMIT_KEY_PREFIX": prefix}
    first, second = create_app(**cfg), create_app(**cfg)
    codes = []
    for app in (first, second, first, second):
        client = app.test_client()
        html = client.get("/login").get_data(as_text=True)
        token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        codes.append(client.post("/login", data={"csrf_token": token, "email": "a@example.org",
                                                 "password": PASSWORD}).status_code)
    assert codes == [400, 400, 400, 429]
    from redis import Redis

    r = Redis.from_url(redis_url)
    keys = list(r.scan_iter(f"*{prefix}*"))
    assert keys, "the limiter wrote no keys to Redis"
    r.delete(*keys)
