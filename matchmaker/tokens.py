"""Signed, expiring, single-purpose tokens for links in emails.

Each purpose has its own salt, so a token minted for one thing (verify an
email) can never be replayed as another (reset a password). Tokens carry a
fingerprint of the state they act on; once that state changes (the password
was reset, the email was verified) the token no longer matches and dies:
single use without storing secrets.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"matchmaker.{purpose}")


def fingerprint(*parts: Any) -> str:
    """A short digest of state; a token is valid only while the state is unchanged."""
    raw = "|".join(str(p) for p in parts).encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def make_token(purpose: str, data: dict) -> str:
    return _serializer(purpose).dumps(data)


def read_token(purpose: str, token: str, max_age_seconds: int) -> dict | None:
    """The token's data, or None when it is forged, for another purpose, or expired."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age_seconds)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None
