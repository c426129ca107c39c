"""Server-side sign-in sessions on top of flask-login.

The cookie holds a random token that names one :class:`LoginSession` row (we
store only its hash). Logging out revokes that row; changing or resetting a
password revokes all of a person's rows. A replayed cookie therefore finds a
revoked row and is treated as signed out, which a signed client-side cookie
alone could never do. Idle and absolute timeouts are checked on every load.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Flask, current_app, flash, g, redirect, request, url_for
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import select, update

from matchmaker.db import db, utcnow
from matchmaker.models import LoginSession, User

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"
# "strong" would drop the session on any IP change, which phones do all day; the
# server-side session row already gives revocation.
login_manager.session_protection = "basic"

#: How often last_seen_at is written; every request would mean a write per page view.
_TOUCH_EVERY = timedelta(minutes=5)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    session = db.session
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    cfg = current_app.config
    if now - row.created_at > timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"]) or (
        now - row.last_seen_at > timedelta(minutes=cfg["SESSION_IDLE_MINUTES"])
    ):
        row.revoked_at = now
        session.commit()
        return None
    user = row.user
    if not user.is_active:
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    user.login_session_token = token
    return user


@login_manager.unauthorized_handler
def _unauthorized():
    if request.blueprint == "api" or request.accept_mimetypes.best == "application/json":
        return {"error": "authentication required"}, 401
    flash(login_manager.login_message, "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def start_session(user: User) -> None:
    """Sign ``user`` in with a fresh server-side session (a new id at every login)."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(
        user=user, token_hash=token_hash(token),
        user_agent=(request.user_agent.string or "")[:200],
    ))
    user.login_session_token = token
    login_user(user, remember=False, fresh=True)


def end_session(user: User) -> None:
    """Revoke the current session row and clear the cookie."""
    if user.login_session_token:
        db.session.execute(
            update(LoginSession)
            .where(LoginSession.token_hash == token_hash(user.login_session_token))
            .values(revoked_at=utcnow())
        )
    logout_user()


def revoke_all_sessions(user: User, keep_current: bool = False) -> None:
    """End every session of ``user`` (after a password change or reset)."""
    stmt = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None)
    )
    if keep_current and user.login_session_token:
        stmt = stmt.where(LoginSession.token_hash != token_hash(user.login_session_token))
    db.session.execute(stmt.values(revoked_at=utcnow()))


def _forget_cached_user() -> None:
    # flask-login caches the user on ``g``. Each request normally gets a fresh
    # ``g``, but tests (and CLI code) may run several requests inside one app
    # context; reloading per request keeps revocation immediate there too.
    g.pop("_login_user", None)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_forget_cached_user)
    # Sessions end when the browser closes unless the absolute timeout hits first.
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"]))
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE", False))
