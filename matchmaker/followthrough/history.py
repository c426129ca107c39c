"""Loading show-up histories from the database for :mod:`.reliability`.

Only *marked, confirmed* sign-ups count: a released spot (status ``released``)
or a cancelled date never appears, so passing a spot on never counts against
anyone, and an unmarked sign-up is simply not evidence either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.models import Occurrence, Opportunity, Signup, SignupStatus

ATTENDED = "attended"
NO_SHOW = "no_show"


def _local_date(starts_at, zone_name: str) -> date:
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return starts_at.astimezone(zone).date()


def attendance_history(session: Session, user_ids: Iterable[int]) -> dict[int, list[tuple[date, bool]]]:
    """``{user_id: [(occurrence date, attended?), ...]}`` oldest first, in one query.

    Every requested id is a key (an empty list for someone with no marked
    sign-ups), so callers can look people up without ``.get``.
    """
    ids = sorted(set(user_ids))
    history: dict[int, list[tuple[date, bool]]] = {uid: [] for uid in ids}
    if not ids:
        return history
    rows = session.execute(
        select(Signup.user_id, Signup.attendance, Occurrence.starts_at, Opportunity.timezone)
        .join(Occurrence, Signup.occurrence_id == Occurrence.id)
        .join(Opportunity, Occurrence.opportunity_id == Opportunity.id)
        .where(Signup.user_id.in_(ids),
               Signup.status == SignupStatus.CONFIRMED,
               Signup.attendance.in_((ATTENDED, NO_SHOW)))
        .order_by(Occurrence.starts_at, Signup.id)
    ).all()
    for user_id, attendance, starts_at, zone in rows:
        history[user_id].append((_local_date(starts_at, zone), attendance == ATTENDED))
    return history
