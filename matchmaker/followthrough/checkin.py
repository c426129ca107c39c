"""Self check-in at the event: a short code, and a QR code that carries it.

Each occurrence gets a 6-character code from an alphabet without look-alikes
(no 0/O, 1/I/L), made on first use and unique across occurrences, so the
resident only types the code. The QR code encodes the check-in URL with the
code in it and is drawn server-side as SVG (segno): nothing to load, works
on any phone camera.

A resident checks in only for their own confirmed sign-up, only inside the
window (``CHECKIN_OPENS_MINUTES`` before the start to ``CHECKIN_CLOSES_MINUTES``
after the end), and checking in twice is harmless.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.db import utcnow
from matchmaker.followthrough.attendance import mark
from matchmaker.models import Occurrence, Signup, SignupStatus

#: No 0/O, 1/I/L, 2/Z, 5/S, 8/B: easy to read off a wall and type on a phone.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6


class CheckinError(Exception):
    """Why a check-in did not happen; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def normalise(code: str) -> str:
    """What the person typed, made comparable: case, spaces and dashes do not matter."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:16]


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def ensure_code(session: Session, occ: Occurrence) -> str:
    """The occurrence's code, made (and flushed) on first use."""
    for _ in range(10):
        if occ.checkin_code:
            return occ.checkin_code
        candidate = new_code()
        try:
            with session.begin_nested():
                occ.checkin_code = candidate
                session.flush()
        except IntegrityError:  # taken by another occurrence: try another
            occ.checkin_code = None
    raise RuntimeError("could not find a free check-in code")


def qr_svg(url: str) -> str:
    """An inline SVG QR code for ``url`` (scales with CSS, no fixed size)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=1, border=2, xmldecl=False,
                                    svgns=True, omitsize=True, svgclass="qr-code",
                                    lineclass=None, title="QR code for checking in")
    # role=img + a label: screen readers announce one image, not a path soup.
    return out.getvalue().decode().replace(
        "<svg ", '<svg role="img" aria-label="QR code for checking in" ', 1)


def window(occ: Occurrence) -> tuple[datetime, datetime]:
    cfg = current_app.config
    return (occ.starts_at - timedelta(minutes=cfg.get("CHECKIN_OPENS_MINUTES", 30)),
            occ.ends_at + timedelta(minutes=cfg.get("CHECKIN_CLOSES_MINUTES", 120)))


@dataclass
class CheckinResult:
    signup: Signup
    already: bool


def check_in(session: Session, user_id: int, code: str,
             now: datetime | None = None) -> CheckinResult:
    """Mark ``user_id`` as attended at the occurrence with ``code``. Flushes.

    Raises :class:`CheckinError` (404 unknown code, 403 not on the list,
    409 outside the time window) with words for the person.
    """
    now = now or utcnow()
    wanted = normalise(code)
    occ = session.scalar(select(Occurrence).where(Occurrence.checkin_code == wanted)) \
        if len(wanted) == CODE_LENGTH else None
    if occ is None:
        raise CheckinError(404, "That code does not match any event. Please check the code "
                                "on the sign at the event and try again.")
    signup = session.scalar(select(Signup).where(Signup.occurrence_id == occ.id,
                                                 Signup.user_id == user_id))
    if signup is None or signup.status != SignupStatus.CONFIRMED:
        raise CheckinError(403, "You do not have a place on the list for this event, so we "
                                "cannot check you in. Please speak to the organizer.")
    opens, closes = window(occ)
    if occ.cancelled_at is not None or not opens <= now <= closes:
        cfg = current_app.config
        raise CheckinError(
            409, f"Check-in for this event is open from {cfg.get('CHECKIN_OPENS_MINUTES', 30)} "
                 f"minutes before it starts until {cfg.get('CHECKIN_CLOSES_MINUTES', 120)} "
                 "minutes after it ends. Please try again then, or tell the organizer you "
                 "are here.")
    if signup.attendance == "attended":
        return CheckinResult(signup, already=True)
    mark(signup, "attended", "checkin", now)
    session.flush()
    return CheckinResult(signup, already=False)
