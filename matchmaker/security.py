"""Cross-cutting protections: CSRF, rate limiting, security headers, safe redirects."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

# No inline scripts or styles anywhere: the pages work without JavaScript, and
# what JavaScript there is lives in static/. frame-ancestors stops clickjacking.
CONTENT_SECURITY_POLICY = "; ".join([  # noqa: FLY002 - one directive a line
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def tile_origin(url: str) -> str:
    """The CSP source for a map tile URL template: its scheme and host, nothing else.

    ``https://{s}.tile.example.org/{z}/{x}/{y}.png`` -> ``https://*.tile.example.org``.
    Empty for a relative or unreadable URL (tiles served by this site need no entry).
    """
    parts = urlsplit(url.replace("{s}", "x-sub"))
    if parts.scheme not in {"http", "https"} or not parts.netloc or any(
            ch in parts.netloc for ch in " ;'\"{}"):
        return ""
    host = parts.netloc.replace("x-sub.", "*.", 1)
    return f"{parts.scheme}://{host}"


def content_security_policy(tile_url: str = "") -> str:
    """The policy above, with the map tile host allowed as an image source."""
    origin = tile_origin(tile_url) if tile_url else ""
    if not origin:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


def is_safe_next(target: str | None) -> bool:
    """True for a relative path on this site; rejects other hosts and scheme tricks."""
    if not target:
        return False
    target = target.strip()
    if target.startswith(("//", "\\", "/\\")) or "\\" in target:
        return False
    if any(ch in target for ch in "\r\n\t"):
        return False
    base = urlsplit(request.host_url)
    joined = urlsplit(urljoin(request.host_url, target))
    return (joined.scheme, joined.netloc) == (base.scheme, base.netloc) and target.startswith("/")


def safe_next(target: str | None, fallback: str) -> str:
    return target if is_safe_next(target) else fallback


def _set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy",
                       current_app.config.get("CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    # Pages (and API answers) that depend on who is signed in must not be cached
    # by shared caches: JSON carries a person's sign-ups, profile or data export.
    if "Cache-Control" not in headers and response.mimetype in ("text/html",
                                                                "application/json"):
        headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    # Lax keeps the cookie on top-level links from emails but off cross-site POSTs.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # tied to the session instead
    # The limiter is one module-level object and init_app falls back to its current
    # ``enabled`` when the config is silent: one app built with limits off would
    # switch them off for every later app in the process. Each app says its own.
    app.config.setdefault("RATELIMIT_ENABLED", True)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://"
    )
    # Redis down must not lock everyone out: limits move to this process's memory
    # until Redis answers again (still limited, per process), and any other storage
    # error is logged and the request let through rather than answered with a 500.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config["CONTENT_SECURITY_POLICY"] = content_security_policy(
        app.config.get("MAP_TILE_URL", ""))
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(_set_headers)
