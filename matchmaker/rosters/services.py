"""Rosters: who is coming to one occurrence, what they chose to share, and messages to them.

Privacy rule, kept in one place (:func:`roster_entry`): an organizer sees a
person's display name, and their email or phone only when that person ticked
"share" for this very sign-up. Everything the page, the CSV and any later
export show is built from :class:`RosterEntry`, never from the User row.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.models import (
    Occurrence,
    Opportunity,
    RosterMessage,
    RosterMessageRecipient,
    Signup,
    SignupStatus,
    User,
)

AUDIENCES = {
    "confirmed": "People with a place",
    "waitlist": "People on the waiting list",
    "both": "Everyone: people with a place and people on the waiting list",
}
_AUDIENCE_STATUSES = {
    "confirmed": (SignupStatus.CONFIRMED,),
    "waitlist": (SignupStatus.WAITLISTED,),
    "both": (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED),
}
#: A spreadsheet treats a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class RosterError(Exception):
    """A problem the organizer can fix; ``str(exc)`` is shown next to ``field``."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def when_label(occ: Occurrence) -> str:
    """'Saturday 14 March 2026, 10:00' in the opportunity's own time zone."""
    try:
        zone = ZoneInfo(occ.opportunity.timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    local = occ.starts_at.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"


# --- the roster -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RosterEntry:
    """One person on a roster, with only what they agreed to share."""

    name: str
    status: str
    #: 1, 2, 3 … on the waiting list; None for confirmed people.
    position: int | None
    email: str
    phone: str
    note: str
    signed_up_at: datetime
    #: For marking who came: the sign-up's id and its attendance (None = unmarked).
    signup_id: int = 0
    attendance: str | None = None


def roster_entry(signup: Signup, user: User, position: int | None) -> RosterEntry:
    return RosterEntry(
        name=user.display_name, status=signup.status, position=position,
        email=user.email if signup.share_email else "",
        phone=signup.share_phone.strip(),
        note=signup.note, signed_up_at=signup.created_at,
        signup_id=signup.id, attendance=signup.attendance,
    )


@dataclass(frozen=True)
class Roster:
    occurrence: Occurrence
    confirmed: list[RosterEntry]
    waitlist: list[RosterEntry]

    @property
    def seats_left(self) -> int:
        return max(self.occurrence.capacity - len(self.confirmed), 0)


def occurrence_of_org(session: Session, org_id: int, occurrence_id: int) -> Occurrence | None:
    """The occurrence, only if it belongs to one of ``org_id``'s opportunities."""
    return session.scalar(
        select(Occurrence).join(Occurrence.opportunity)
        .where(Occurrence.id == occurrence_id, Opportunity.organization_id == org_id))


def load_roster(session: Session, occ: Occurrence) -> Roster:
    """Confirmed people in the order they got their place; the waiting list first-in-first-out."""
    rows = session.execute(
        select(Signup, User).join(User, Signup.user_id == User.id)
        .where(Signup.occurrence_id == occ.id,
               Signup.status.in_((SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)))
        .order_by(Signup.queued_at, Signup.id)).all()
    confirmed = sorted(
        (row for row in rows if row[0].status == SignupStatus.CONFIRMED),
        key=lambda row: (row[0].confirmed_at or row[0].created_at, row[0].id))
    waiting = [row for row in rows if row[0].status == SignupStatus.WAITLISTED]
    return Roster(
        occurrence=occ,
        confirmed=[roster_entry(s, u, None) for s, u in confirmed],
        waitlist=[roster_entry(s, u, n) for n, (s, u) in enumerate(waiting, start=1)],
    )


# --- CSV ------------------------------------------------------------------------------------------

def spreadsheet_safe(value: str) -> str:
    """Stop a spreadsheet from running a cell as a formula ('=HYPERLINK(…)' -> "'=HYPERLINK(…)")."""
    return "'" + value if value.startswith(_FORMULA_START) else value


CSV_HEADER = ("Status", "Waiting list position", "Name", "Email", "Phone", "Note",
              "Signed up (UTC)")


def roster_csv(roster: Roster) -> bytes:
    """The roster as CSV: UTF-8 with a byte-order mark so Excel reads accents right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for entry in roster.confirmed + roster.waitlist:
        status = "Has a place" if entry.status == SignupStatus.CONFIRMED else "Waiting list"
        writer.writerow([spreadsheet_safe(str(cell)) for cell in (
            status, entry.position or "", entry.name, entry.email, entry.phone, entry.note,
            entry.signed_up_at.strftime("%Y-%m-%d %H:%M"),
        )])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- messages to everyone signed up ------------------------------------------------------

def recipient_ids(session: Session, occ: Occurrence, audience: str) -> list[int]:
    """Each person once: the user ids signed up with a status the audience covers."""
    statuses = _AUDIENCE_STATUSES[audience]
    return list(session.scalars(
        select(Signup.user_id).join(User, Signup.user_id == User.id)
        .where(Signup.occurrence_id == occ.id, Signup.status.in_(statuses),
               User.is_active.is_(True))
        .distinct().order_by(Signup.user_id)))


def find_message(session: Session, key: str) -> RosterMessage | None:
    return session.scalar(select(RosterMessage).where(RosterMessage.idempotency_key == key))


def create_message(session: Session, occ: Occurrence, sender: User, *, key: str, subject: str,
                   body: str, audience: str, allow_replies: bool) -> tuple[RosterMessage, bool]:
    """Record a message and its recipients; the caller enqueues the sending after commit.

    Returns ``(message, created)``. A form sent twice (same ``key``) returns the
    first message with ``created=False`` and records nothing. Raises RosterError
    when nobody would receive it, or the key belongs to another occurrence.
    """
    if not KEY_RE.match(key or ""):
        raise RosterError("This form is incomplete. Please open it again from the roster.")
    existing = find_message(session, key)
    if existing is not None:
        if existing.occurrence_id != occ.id or existing.sender_id != sender.id:
            raise RosterError("This form is out of date. Please open it again from the roster.")
        return existing, False
    user_ids = recipient_ids(session, occ, audience)
    if not user_ids:
        raise RosterError("Nobody is in the group you chose, so there is no one to send "
                          "this to.", field="audience")
    message = RosterMessage(
        occurrence_id=occ.id, sender_id=sender.id, idempotency_key=key,
        subject=" ".join(subject.split()), body=body, audience=audience,
        reply_to=sender.email if allow_replies else "",
        recipients=[RosterMessageRecipient(user_id=uid) for uid in user_ids],
    )
    session.add(message)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same form, a moment ago, in a racing request
        existing = find_message(session, key)
        if existing is None:
            raise
        return existing, False
    return message, True
