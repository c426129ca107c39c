"""Account rules: who may register, sign in, verify and change a password.

Functions take the session and plain values, change rows and flush; the
caller commits. Failures raise :class:`AuthError` with a message meant for the
person in front of the form.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.auth.passwords import hash_password, needs_rehash, verify_password
from matchmaker.db import utcnow
from matchmaker.models import Role, User
from matchmaker.tokens import fingerprint, make_token, read_token


class AuthError(Exception):
    """A problem the person can fix; ``str(exc)`` is shown to them."""


class AccountLocked(AuthError):
    pass


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    session: Session, email: str, display_name: str, password: str,
    role: str = Role.RESIDENT, verified: bool = False,
) -> User:
    """Create an account. Raises AuthError if the email is taken."""
    email = normalize_email(email)
    if session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise AuthError("An account with this email already exists. Try signing in, "
                        "or reset your password if you have forgotten it.")
    user = User(
        email=email, display_name=display_name.strip(), password_hash=hash_password(password),
        role=role, email_verified_at=utcnow() if verified else None,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The user with this email and password, or AuthError.

    Counts failures per account and locks it for a while after too many in a row:
    the IP rate limit alone does not stop a slow attack spread over many addresses.
    """
    cfg = current_app.config
    user = find_user_by_email(session, email)
    now = utcnow()
    if user is not None and user.locked_until and user.locked_until > now:
        raise AccountLocked(
            "This account is locked for a few minutes after too many wrong passwords. "
            "Try again later, or reset your password by email."
        )
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= cfg["LOCKOUT_THRESHOLD"]:
                user.locked_until = now + timedelta(minutes=cfg["LOCKOUT_MINUTES"])
                user.failed_logins = 0
            session.flush()
        raise AuthError("That email and password do not match. Please check them and try again.")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


# --- email verification ---------------------------------------------------------

def verification_token(user: User) -> str:
    return make_token("verify-email", {"uid": user.id, "fp": fingerprint(user.email)})


def confirm_email(session: Session, token: str) -> User:
    """Mark the email in the token verified. Idempotent for an already verified user."""
    max_age = current_app.config["EMAIL_TOKEN_HOURS"] * 3600
    data = read_token("verify-email", token, max_age)
    user = session.get(User, data["uid"]) if data else None
    if user is None or data["fp"] != fingerprint(user.email):
        raise AuthError("This confirmation link is not valid any more. "
                        "Sign in and ask for a new one.")
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        session.flush()
    return user


# --- password reset and change -------------------------------------------------

def _password_fingerprint(user: User) -> str:
    # The hash changes on every reset (new salt), so a used link stops matching.
    return fingerprint(user.password_hash, user.password_changed_at.isoformat())


def reset_token(user: User) -> str:
    return make_token("reset-password", {"uid": user.id, "fp": _password_fingerprint(user)})


def user_for_reset_token(session: Session, token: str) -> User:
    max_age = current_app.config["RESET_TOKEN_MINUTES"] * 60
    data = read_token("reset-password", token, max_age)
    user = session.get(User, data["uid"]) if data else None
    if user is None or data["fp"] != _password_fingerprint(user):
        raise AuthError("This reset link has expired or was already used. "
                        "Please ask for a new one.")
    return user


def set_password(session: Session, user: User, new_password: str) -> None:
    """Store a new password; old reset links and every session die with the old one.

    The caller starts a fresh session for the current browser if it should stay
    signed in (a new session id, so a copied cookie is useless).
    """
    from matchmaker.auth.login import revoke_all_sessions

    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    revoke_all_sessions(user)
    session.flush()


def reset_password(session: Session, token: str, new_password: str) -> User:
    user = user_for_reset_token(session, token)
    set_password(session, user, new_password)
    # Following the link proves the person reads this mailbox.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def change_password(session: Session, user: User, current: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AuthError("Your current password is not right.")
    set_password(session, user, new_password)
