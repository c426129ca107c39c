"""Times, lengths and seats in plain words, the same on pages and in emails.

Times are shown in the opportunity's own zone (where it happens), with the
zone's abbreviation, so "9:00 AM EDT" means the same to everyone reading.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from matchmaker.models import Occurrence, Opportunity


def local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def _clock(moment: datetime) -> str:
    return moment.strftime("%I:%M %p").lstrip("0")


def day_words(day: date) -> str:
    """'Saturday, June 14, 2025'."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def when_words(occurrence: Occurrence, opp: Opportunity | None = None) -> str:
    """'Saturday, June 14, 2025, 9:00 AM to 11:00 AM EDT', or for a small act
    'Any time until Friday, June 20, 2025'."""
    opp = opp or occurrence.opportunity
    if opp.kind == "small_act" and opp.do_by:
        return f"Any time until {day_words(opp.do_by)}"
    start = local(occurrence.starts_at, opp.timezone)
    end = local(occurrence.ends_at, opp.timezone)
    if start.date() == end.date():
        return f"{day_words(start.date())}, {_clock(start)} to {_clock(end)} {end:%Z}"
    return f"{day_words(start.date())}, {_clock(start)} {start:%Z} to " \
           f"{day_words(end.date())}, {_clock(end)} {end:%Z}"


def duration_words(minutes: int) -> str:
    """90 -> 'about 1 hour 30 minutes'; 10 -> 'about 10 minutes'."""
    hours, rest = divmod(minutes, 60)
    bits = []
    if hours:
        bits.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if rest:
        bits.append(f"{rest} minute" + ("s" if rest != 1 else ""))
    return "about " + " ".join(bits)


def seats_words(occurrence: Occurrence) -> str:
    """'3 places left', '1 place left', or 'Full — join the waiting list'."""
    left = occurrence.seats_left
    if left <= 0:
        return "Full — join the waiting list"
    return f"{left} place left" if left == 1 else f"{left} places left"
