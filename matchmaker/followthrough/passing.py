"""One-click "I can't make it — pass my spot on" from a reminder email.

The link carries a signed, single-purpose token bound to one sign-up and to the
moment it was confirmed; once the spot is passed on (or the person signs up
again later) the fingerprint no longer matches and the link is dead. The GET
only shows a confirm page, so mail scanners that prefetch links never release a
seat; the POST releases through :func:`matchmaker.signups.services.release`,
which moves the next person up from the waiting list.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from matchmaker.db import utcnow
from matchmaker.models import Signup, SignupStatus
from matchmaker.signups import services as signup_services
from matchmaker.tokens import fingerprint, make_token, read_token

PURPOSE = "pass-spot"
#: Long enough for a reminder sent a week ahead; the start time ends it anyway.
MAX_AGE_SECONDS = 60 * 60 * 24 * 60


class LinkError(Exception):
    """Why a link does not work. ``status`` is the HTTP status the page uses."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


FORGED = LinkError(404, "This link does not work",
                   "We could not read this link. Please copy the whole link from the email, "
                   "or sign in and use “My commitments”.")


def _state(signup: Signup) -> str:
    return fingerprint(signup.id, signup.status, signup.confirmed_at)


def pass_token(signup: Signup) -> str:
    return make_token(PURPOSE, {"s": signup.id, "f": _state(signup)})


@dataclass
class PassCheck:
    signup: Signup


def check(session: Session, token: str) -> Signup:
    """The sign-up the token may release, or :class:`LinkError`."""
    data = read_token(PURPOSE, token, MAX_AGE_SECONDS)
    if data is None or not isinstance(data.get("s"), int):
        raise FORGED
    signup = session.get(Signup, data["s"])
    if signup is None:
        raise FORGED
    if signup.status != SignupStatus.CONFIRMED or data.get("f") != _state(signup):
        raise LinkError(410, "Your place was already passed on",
                        "This link has been used already, or your sign-up changed since the "
                        "email was sent. Nothing more to do.")
    if utcnow() >= signup.occurrence.starts_at:
        raise LinkError(410, "This has already started",
                        "It is too late to pass the spot on through this link. If you could "
                        "not go, that is all right.")
    return signup


def pass_on(session: Session, token: str) -> tuple[Signup, Signup | None]:
    """Release the sign-up behind ``token``. Returns (released, promoted or None)."""
    signup = check(session, token)
    promoted = signup_services.release(session, signup)
    return signup, promoted
