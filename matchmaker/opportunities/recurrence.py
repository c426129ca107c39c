"""Recurring shifts: RRULE text to and from form parts, and expansion to UTC times.

Pure functions (no database). Rules expand in *local* wall-clock time from the
opportunity's ``start_local`` and only then become UTC through zoneinfo, so a
09:00 weekly shift stays 09:00 for the people who come, across daylight-saving
changes, while its UTC time moves by an hour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FREQ_CODES = {"weekly": "WEEKLY", "monthly": "MONTHLY"}

#: How far ahead occurrences are materialised; a nightly job tops them up.
HORIZON = timedelta(weeks=13)
#: And never more than this many at once (a daily-ish rule stays bounded).
MAX_OCCURRENCES = 60


@dataclass
class RuleParts:
    """The parts of a rule the form edits (see OpportunityInput for their meaning)."""

    frequency: str = "weekly"
    interval: int = 1
    weekdays: list[int] = field(default_factory=list)
    month_week: int | None = None
    until: date | None = None
    count: int | None = None


def build_rrule(parts: RuleParts) -> str:
    """RuleParts -> "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20250630T235959".

    UNTIL is local wall-clock time (the rule is floating, expanded in the
    opportunity's zone), at the end of the day so the last day's shift counts.
    """
    bits = [f"FREQ={_FREQ_CODES[parts.frequency]}"]
    if parts.interval != 1:
        bits.append(f"INTERVAL={parts.interval}")
    days = sorted(set(parts.weekdays))
    if parts.frequency == "monthly" and parts.month_week is not None and days:
        bits.append(f"BYDAY={parts.month_week}{_DAY_CODES[days[0]]}")
    elif parts.frequency == "weekly" and days:
        bits.append("BYDAY=" + ",".join(_DAY_CODES[d] for d in days))
    if parts.until is not None:
        bits.append(f"UNTIL={parts.until:%Y%m%d}T235959")
    elif parts.count is not None:
        bits.append(f"COUNT={parts.count}")
    return ";".join(bits)


def parse_rrule(text: str) -> RuleParts:
    """The inverse of :func:`build_rrule`, for filling the edit form. Unknown bits are ignored."""
    parts = RuleParts()
    for bit in text.split(";"):
        key, _, value = bit.partition("=")
        if key == "FREQ":
            parts.frequency = "monthly" if value == "MONTHLY" else "weekly"
        elif key == "INTERVAL" and value.isdigit():
            parts.interval = int(value)
        elif key == "COUNT" and value.isdigit():
            parts.count = int(value)
        elif key == "UNTIL":
            try:
                parts.until = datetime.strptime(value[:8], "%Y%m%d").date()
            except ValueError:
                pass
        elif key == "BYDAY":
            for code in value.split(","):
                prefix, day = code[:-2], code[-2:]
                if day in _DAY_CODES:
                    parts.weekdays.append(_DAY_CODES.index(day))
                if prefix.lstrip("+-").isdigit():
                    parts.month_week = int(prefix)
    return parts


def to_utc(local: datetime, tz: str) -> datetime:
    """A naive wall-clock time in ``tz`` as an aware UTC datetime.

    A time that does not exist (02:30 on the spring-forward night) is read with
    the offset before the change, as zoneinfo does with ``fold=0``.
    """
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC)


def end_of_local_day(day: date, tz: str) -> datetime:
    """The first instant after ``day`` ends in ``tz``, in UTC (midnight of the next day)."""
    return to_utc(datetime.combine(day + timedelta(days=1), time()), tz)


def expand(rule: str, start_local: datetime, tz: str, *, after: datetime,
           horizon_end: datetime, limit: int = MAX_OCCURRENCES) -> list[datetime]:
    """UTC start times of ``rule`` from ``start_local``, within [after, horizon_end).

    ``after`` and ``horizon_end`` are aware datetimes. At most ``limit`` times.
    An empty or unreadable rule yields the single start (if inside the window).
    """
    zone = ZoneInfo(tz)
    local_after = after.astimezone(zone).replace(tzinfo=None)
    local_end = horizon_end.astimezone(zone).replace(tzinfo=None)
    try:
        recurrence = rrulestr(rule, dtstart=start_local) if rule else None
    except (ValueError, TypeError):
        recurrence = None
    if recurrence is None:
        local_times = [start_local]
    else:
        local_times = recurrence.between(local_after - timedelta(days=1), local_end, inc=True)
    found: list[datetime] = []
    for local in local_times:
        utc = to_utc(local, tz)
        if after <= utc < horizon_end:
            found.append(utc)
            if len(found) >= limit:
                break
    return found

