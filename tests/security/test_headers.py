"""Security headers and cookie flags on every kind of response the app gives.

tests/integration/test_security.py checks the headers on a few HTML pages and the
cookie on /login over HTTPS. Here every *type* of response is covered: an HTML
page, each error page, a redirect, JSON from the API, CSV and .ics downloads, a
static file and the page with the inline SVG QR code; plus HSTS and the cookie's
Secure flag behind a TLS-terminating proxy (PROXY_COUNT), and never on plain HTTP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from matchmaker import create_app
from matchmaker.models import Role
from tests.conftest import PASSWORD

CSP_MUST = ("default-src 'self'", "script-src 'self'", "style-src 'self'",
            "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'")


@dataclass(frozen=True)
class PageType:
    who: str            # "anonymous", "resident", "organizer"
    method: str
    path: str           # may name {slug}, {occ}, {signup}, {feed}
    status: int
    mimetype: str
    personal: bool      # must not be stored by any cache


PAGE_TYPES = {
    "html page": PageType("anonymous", "GET", "/", 200, "text/html", True),
    "personal html page": PageType("resident", "GET", "/me/commitments", 200, "text/html", True),
    "error 404": PageType("resident", "GET", "/no-such-page", 404, "text/html", True),
    "error 403": PageType("resident", "GET", "/admin/organizations", 403, "text/html", True),
    "error 400 (no CSRF token)": PageType("anonymous", "POST", "/login", 400, "text/html", True),
    "redirect to sign in": PageType("anonymous", "GET", "/me/commitments", 302, "text/html",
                                    True),
    "JSON from the API": PageType("resident", "GET", "/api/v1/me", 200, "application/json",
                                  True),
    "JSON API error": PageType("anonymous", "GET", "/api/v1/me", 401, "application/json", True),
    "CSV roster": PageType("organizer", "GET", "/organizations/{slug}/occurrences/{occ}/roster.csv",
                           200, "text/csv", True),
    "CSV figures": PageType("organizer", "GET", "/organizations/{slug}/dashboard.csv", 200,
                            "text/csv", True),
    ".ics of one sign-up": PageType("resident", "GET", "/signups/{signup}.ics", 200,
                                    "text/calendar", True),
    ".ics feed": PageType("anonymous", "GET", "/calendar/{feed}.ics", 200, "text/calendar", True),
    "static file": PageType("anonymous", "GET", "/static/css/app.css", 200, "text/css", False),
    "page with an inline SVG QR code": PageType(
        "organizer", "GET", "/organizations/{slug}/occurrences/{occ}/checkin", 200, "text/html",
        True),
}


@pytest.fixture
def site(app, session, make_user, make_org, make_opportunity, login_as):
    """A resident signed up to an organizer's date; a client and API token for each."""
    from matchmaker.api.auth import create_token
    from matchmaker.signups.services import sign_up
    from matchmaker.signups.views import feed_token

    resident = make_user(email="rita@example.org")
    organizer = make_user(email="olga@example.org", role=Role.ORGANIZER)
    org = make_org(name="Pantry", owner=organizer)
    occ = make_opportunity(org=org).occurrences[0]
    signup = sign_up(session, occ.id, resident).signup
    _row, token = create_token(session, resident)
    session.commit()
    clients = {"anonymous": app.test_client(),
               "resident": login_as(resident, app.test_client()),
               "organizer": login_as(organizer, app.test_client())}
    values = {"slug": org.slug, "occ": occ.id, "signup": signup.id,
              "feed": feed_token(resident)}
    return clients, values, {"Authorization": f"Bearer {token}"}


def header_problems(resp, page: PageType, https: bool = False) -> list[str]:
    h = resp.headers
    problems = []
    csp = h.get("Content-Security-Policy", "")
    problems += [f"CSP lacks {d}" for d in CSP_MUST if d not in csp]
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"CSP allows inline code: {csp}")
    expected = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                "Referrer-Policy": "strict-origin-when-cross-origin"}
    problems += [f"{k}: {h.get(k)!r}, want {v!r}" for k, v in expected.items() if h.get(k) != v]
    cache = h.get("Cache-Control", "")
    if page.personal and "no-store" not in cache:
        problems.append(f"personal response without Cache-Control: no-store ({cache!r})")
    if not page.personal and "no-store" in cache:
        problems.append("a public static file is marked no-store (it should be cacheable)")
    hsts = h.get("Strict-Transport-Security", "")
    if https and "max-age=31536000" not in hsts:
        problems.append(f"HTTPS response without HSTS ({hsts!r})")
    if not https and hsts:
        problems.append("HSTS sent over plain HTTP")
    return problems


def fetch(site, page: PageType, **kwargs):
    clients, values, bearer = site
    headers = bearer if page.path.startswith("/api/") and page.who != "anonymous" else {}
    return clients[page.who].open(page.path.format(**values), method=page.method,
                                  headers=headers, **kwargs)


@pytest.mark.parametrize("name", PAGE_TYPES)
def test_headers_on_every_page_type(site, name):
    page = PAGE_TYPES[name]
    resp = fetch(site, page)
    assert (resp.status_code, resp.mimetype) == (page.status, page.mimetype), name
    problems = header_problems(resp, page)
    assert not problems, f"{name}: " + "; ".join(problems)


def test_inline_svg_needs_no_inline_style_or_script(site):
    """The CSP forbids inline styles and scripts: an SVG using them would break silently."""
    name = "page with an inline SVG QR code"
    html = fetch(site, PAGE_TYPES[name]).get_data(as_text=True)
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.DOTALL)
    assert svgs, f"{name}: no inline SVG found"
    for svg in svgs:
        assert not re.search(r"\sstyle=|<style|<script|\son[a-z]+=", svg), svg[:300]


def test_rate_limited_page_has_the_headers(app, client, csrf):
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    token = csrf()
    codes = [client.post("/login", data={"csrf_token": token, "email": "a@example.org",
                                         "password": "x"}) for _ in range(2)]
    resp = codes[-1]
    assert resp.status_code == 429
    page = PageType("anonymous", "POST", "/login", 429, "text/html", True)
    assert not header_problems(resp, page)


# --- behind HTTPS ----------------------------------------------------------------------------

@pytest.fixture
def proxied_app(app_config, session):
    """Production's shape: TLS ends at one reverse proxy that sets X-Forwarded-Proto.

    It shares the test's connection (and so its rolled-back transaction) with ``app``.
    """
    proxied = create_app(**{**app_config, "BASE_URL": "https://matchmaker.example",
                            "PROXY_COUNT": 1})
    state = proxied.extensions["matchmaker.db"]
    state.engine.dispose()
    state.Session.configure(bind=session.connection(), join_transaction_mode="create_savepoint")
    return proxied


HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "matchmaker.example"}


@pytest.mark.parametrize("name", ["html page", "error 404", "redirect to sign in",
                                  "JSON API error", "static file"])
def test_hsts_on_every_page_type_behind_the_proxy(proxied_app, name):
    page = PAGE_TYPES[name]
    resp = proxied_app.test_client().open(page.path, method=page.method, headers=HTTPS)
    assert resp.status_code == page.status
    problems = header_problems(resp, page, https=True)
    assert not problems, f"{name}: " + "; ".join(problems)


def test_forwarded_proto_is_not_trusted_without_a_proxy(app, client):
    """With PROXY_COUNT=0 anyone could send the header: it must not switch HTTPS on."""
    resp = client.get("/", headers=HTTPS)
    assert "Strict-Transport-Security" not in resp.headers


def test_session_cookie_flags_at_sign_in_behind_the_proxy(proxied_app, make_user):
    make_user(email="sam@example.org")
    client = proxied_app.test_client()
    html = client.get("/login", headers=HTTPS).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    # Over HTTPS flask-wtf also wants a same-site Referer, which browsers send.
    resp = client.post("/login", headers={**HTTPS, "Referer": "https://matchmaker.example/login"},
                       data={
                           "csrf_token": token, "email": "sam@example.org",
                           "password": PASSWORD})
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie, f"session cookie lacks {flag}: {cookie}"
    # A browser-session cookie: it ends when the browser closes (the server ends it sooner).
    assert "Expires=" not in cookie and "Max-Age=" not in cookie


def test_session_cookie_is_not_secure_on_plain_http_sites(client, post_form, make_user):
    """A local http:// run must still be able to sign in (a Secure cookie would be dropped)."""
    make_user(email="sam@example.org")
    resp = post_form("/login", {"email": "sam@example.org", "password": PASSWORD})
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
