"""Personal API tokens: minting, revoking, and the ``token_required`` decorator.

A token looks like ``mm_<43 url-safe characters>``. It is shown once, when it is
created; the database keeps only its sha256 (a copied database yields no live
tokens) and its first characters, so a person can tell their tokens apart and
revoke one by prefix.

API views authenticate with ``Authorization: Bearer <token>`` only. Session
cookies are deliberately *not* accepted here: the API blueprint is exempt from
CSRF, which is only safe because a browser never attaches a bearer token on
its own.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from flask import g
from flask import request as flask_request
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.api.errors import ApiError, error_response
from matchmaker.db import db, utcnow
from matchmaker.models import ApiToken, User

TOKEN_PREFIX = "mm_"  # nosec B105 - the public prefix every token starts with, not a secret
#: Characters kept in clear (``mm_`` plus eight): enough to tell tokens apart, useless to guess.
PREFIX_LENGTH = 11
#: last_used_at is written at most this often; every request would mean a write per call.
TOUCH_EVERY = timedelta(minutes=5)


class TokenError(ValueError):
    """A token could not be created or revoked; the message is meant for the operator."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Mint a token for ``user``. Returns the row and the token, which is never stored.

    Flushes; the caller commits.
    """
    name = name.strip()
    if len(name) > 80:
        raise TokenError("the token name must be 80 characters or fewer")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=hash_token(token),
                   prefix=token[:PREFIX_LENGTH])
    session.add(row)
    session.flush()
    return row, token


def revoke_token(session: Session, user: User, prefix: str) -> ApiToken:
    """Revoke the one live token of ``user`` whose prefix starts with ``prefix``.

    ``prefix`` is what ``tokens list`` shows (a longer string, such as the whole
    token, works too). Raises TokenError when it matches no live token or more
    than one. Flushes; the caller commits.
    """
    prefix = prefix.strip()[:PREFIX_LENGTH]
    if len(prefix) < len(TOKEN_PREFIX) + 4:
        raise TokenError(f"give at least {len(TOKEN_PREFIX) + 4} characters of the token prefix")
    rows = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    matched = [r for r in rows if r.prefix.startswith(prefix)]
    if not matched:
        raise TokenError(f"{user.email} has no live token starting with {prefix!r}")
    if len(matched) > 1:
        raise TokenError(f"{prefix!r} matches {len(matched)} tokens; give more characters")
    matched[0].revoked_at = utcnow()
    session.flush()
    return matched[0]


def user_for_token(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The active user and live token row for ``token``, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = row.user
    if user is None or not user.is_active:
        return None
    return user, row


def _bearer_token() -> str | None:
    header = flask_request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _unauthorized(message: str):
    return error_response(ApiError(401, message))


def token_required(view: Callable) -> Callable:
    """Let the view run only for a valid ``Authorization: Bearer`` token; JSON 401 otherwise.

    The user is in ``g.api_user`` (and flask-login's ``current_user``), the token
    row in ``g.api_token``.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        token = _bearer_token()
        if token is None:
            return _unauthorized("send a personal API token as 'Authorization: Bearer <token>'")
        found = user_for_token(db.session, token)
        if found is None:
            return _unauthorized("this API token is not valid (unknown, revoked, or its "
                                 "account is disabled)")
        user, row = found
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
            row.last_used_at = now
            db.session.commit()
        g.api_user = user
        g.api_token = row
        # flask-login reads its cached user from g: views and templates that use
        # current_user see the token's owner, and no session cookie is set.
        g._login_user = user
        return view(*args, **kwargs)

    return wrapped
