"""The emails that keep an account safe: confirm address, reset, password changed."""

from __future__ import annotations

from matchmaker.auth import services
from matchmaker.mail import send_email
from matchmaker.models import User
from matchmaker.urls import external_url


def send_account_email(kind: str, user: User) -> None:
    """Send one account email. ``kind`` is verify | reset | password-changed."""
    if kind == "verify":
        if user.is_verified:
            return  # a second run of the job, or they confirmed meanwhile
        link = external_url("auth.verify_email", token=services.verification_token(user))
        send_email("verify_email", user.email, user=user, link=link)
    elif kind == "reset":
        link = external_url("auth.reset_password", token=services.reset_token(user))
        send_email("reset_password", user.email, user=user, link=link)
    elif kind == "password-changed":
        link = external_url("auth.forgot_password")
        send_email("password_changed", user.email, user=user, link=link)
    else:
        raise ValueError(f"unknown account email {kind!r}")
