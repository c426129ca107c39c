"""When is a person's digest due? Pure: plain values in, plain values out.

Each person picks a local weekday and hour (default Sunday 17:00) in their own
timezone. A *period* is the ISO week (Monday..Sunday) of that local send time,
e.g. ``"2026-W47"``; the outbox is unique on (person, kind, period), so a
period is what "exactly once" counts.

A digest is due from its local send moment until ``MAX_LATE`` after it: if cron
was down for a while the digest still goes out, but a "this week" email is
never sent days late (a person who moves their day from Sunday to Monday on a
Wednesday waits for next Monday rather than getting one at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: How long after the chosen local time a digest may still go out.
MAX_LATE = timedelta(hours=24)
FREQUENCIES = ("weekly", "fortnightly", "off")


@dataclass(frozen=True)
class Preference:
    """What the scheduler needs of one person (read from Profile)."""

    user_id: int
    timezone: str
    weekday: int = 6
    hour: int = 17
    frequency: str = "weekly"


@dataclass(frozen=True)
class Due:
    user_id: int
    period: str
    #: The aware UTC moment the digest became due.
    send_at: datetime


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The IANA zone, or UTC for an unknown name (a bad row must not stop everyone)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return ZoneInfo("UTC")


def period_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_index(day: date) -> int:
    """Weeks since a fixed Monday: the parity that decides fortnightly weeks."""
    return (day.toordinal() - date(2001, 1, 1).toordinal()) // 7


def is_on_week(frequency: str, user_id: int, day: date) -> bool:
    """Weekly: every week. Fortnightly: every other week, half the people on each
    (the user id decides which half, so the load is spread evenly). Off: never."""
    if frequency == "weekly":
        return True
    if frequency == "fortnightly":
        return (week_index(day) + user_id) % 2 == 0
    return False


@lru_cache(maxsize=65536)
def _send_moment(tz: str, weekday: int, hour: int, monday: date) -> datetime:
    local_day = monday + timedelta(days=weekday)
    # fold=0 on a repeated hour picks the first; a skipped hour (spring forward)
    # comes out an hour later once normalised through UTC, which is what a
    # person would expect ("as soon as 2 am exists").
    local = datetime.combine(local_day, time(hour), tzinfo=zone(tz))
    return local.astimezone(ZoneInfo("UTC"))


def send_moment(pref: Preference, now: datetime) -> tuple[str, datetime]:
    """(period, UTC send moment) of the person's current local week."""
    local_now = now.astimezone(zone(pref.timezone))
    monday = local_now.date() - timedelta(days=local_now.weekday())
    return period_of(monday), _send_moment(pref.timezone, pref.weekday, pref.hour, monday)


def due(pref: Preference, now: datetime, max_late: timedelta = MAX_LATE) -> Due | None:
    """The person's digest if it is due at ``now`` (aware), else None."""
    if pref.frequency not in ("weekly", "fortnightly"):
        return None
    # Last week's moment too: a Sunday-evening digest may still be due on Monday.
    for probe in (now, now - timedelta(weeks=1)):
        period, moment = send_moment(pref, probe)
        if moment <= now < moment + max_late:
            local_day = moment.astimezone(zone(pref.timezone)).date()
            if is_on_week(pref.frequency, pref.user_id, local_day):
                return Due(pref.user_id, period, moment)
            return None
    return None


def due_people(prefs: Iterable[Preference], now: datetime,
               max_late: timedelta = MAX_LATE) -> Iterator[Due]:
    for pref in prefs:
        item = due(pref, now, max_late)
        if item is not None:
            yield item


def batches(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), max(size, 1)):
        yield items[start:start + size]


def next_send_moment(pref: Preference, now: datetime) -> datetime | None:
    """The next local send time after ``now`` (for the settings page); None when off."""
    if pref.frequency not in ("weekly", "fortnightly"):
        return None
    for weeks in range(3):
        probe = now + timedelta(weeks=weeks)
        _period, moment = send_moment(pref, probe)
        local_day = moment.astimezone(zone(pref.timezone)).date()
        if moment > now and is_on_week(pref.frequency, pref.user_id, local_day):
            return moment
    return None
