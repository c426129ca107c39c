"""Marking who came: by the organizer's roster, by self check-in, or by the resident.

Only a confirmed sign-up is ever marked. A spot passed on early is ``released``
and can never become a no-show.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.db import utcnow
from matchmaker.models import Occurrence, Signup, SignupStatus

VALUES = ("attended", "no_show")
SOURCES = ("organizer", "checkin", "resident")


def mark(signup: Signup, value: str, source: str, now: datetime | None = None) -> None:
    if value not in VALUES or source not in SOURCES:
        raise ValueError(f"unknown attendance {value!r} from {source!r}")
    if signup.status != SignupStatus.CONFIRMED:
        raise ValueError("only a confirmed sign-up can be marked")
    signup.attendance = value
    signup.attendance_source = source
    signup.attendance_marked_at = now or utcnow()


def mark_many(session: Session, occ: Occurrence, signup_ids: Iterable[int], value: str,
              now: datetime | None = None) -> int:
    """The organizer's bulk "came / didn't come". Ids not confirmed on ``occ`` are ignored.

    Returns how many sign-ups were marked. Flushes; the caller commits.
    """
    ids = {int(i) for i in signup_ids}
    if not ids:
        return 0
    rows = session.scalars(select(Signup).where(
        Signup.occurrence_id == occ.id, Signup.id.in_(ids),
        Signup.status == SignupStatus.CONFIRMED)).all()
    now = now or utcnow()
    for signup in rows:
        mark(signup, value, "organizer", now)
    session.flush()
    return len(rows)


def unmarked_confirmed(session: Session, occurrence_id: int) -> list[Signup]:
    return list(session.scalars(select(Signup).where(
        Signup.occurrence_id == occurrence_id, Signup.status == SignupStatus.CONFIRMED,
        Signup.attendance.is_(None)).order_by(Signup.id)))
