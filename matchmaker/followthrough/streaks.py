"""Streaks: ISO weeks in a row with at least one completed act.

PURE: no Flask, no SQLAlchemy. Callers pass the moments of a resident's
completed acts (aware datetimes: an attended sign-up's start, or when a small
act was done) and the resident's time zone; weeks are the resident's own
Monday-to-Sunday, so an act at 23:30 on a Sunday evening counts for that week
even when it is already Monday in UTC.

Weeks are compared by the date of their Monday, never by (year, week number):
that way week 52 or 53 of one year is simply followed by week 1 of the next.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEK = timedelta(days=7)


def week_start(moment: datetime, zone: ZoneInfo) -> date:
    """The Monday of the resident-local ISO week containing ``moment``."""
    if moment.tzinfo is None:
        raise ValueError("week_start needs an aware datetime")
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def active_weeks(moments: Iterable[datetime], zone: ZoneInfo) -> set[date]:
    """The Mondays of every week with at least one act."""
    return {week_start(m, zone) for m in moments}


def current_streak(moments: Iterable[datetime], now: datetime, zone: ZoneInfo) -> int:
    """Weeks in a row, up to now, with at least one act.

    The current week counts once it has an act; until then it is still open and
    does not break the streak: the run is counted back from last week instead.
    Acts in the future (a clock skew, a small act marked early) are ignored.
    """
    this_week = week_start(now, zone)
    weeks = {w for w in active_weeks(moments, zone) if w <= this_week}
    cursor = this_week if this_week in weeks else this_week - WEEK
    streak = 0
    while cursor in weeks:
        streak += 1
        cursor -= WEEK
    return streak


def longest_streak(moments: Iterable[datetime], zone: ZoneInfo) -> int:
    """The longest run of consecutive active weeks ever."""
    weeks = sorted(active_weeks(moments, zone))
    best = run = 0
    previous: date | None = None
    for week in weeks:
        run = run + 1 if previous is not None and week - previous == WEEK else 1
        best = max(best, run)
        previous = week
    return best
