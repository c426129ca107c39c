"""iCalendar files for sign-ups: one event per sign-up, with VTIMEZONE blocks.

Pure: plain :class:`CalendarEvent` values in, bytes out (no Flask, no database),
so it is unit-tested on its own. Times are written in the opportunity's own
zone (``DTSTART;TZID=America/New_York:...``) and icalendar adds the matching
VTIMEZONE, so calendars show the right wall-clock time across daylight saving.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//matchmaker//sign-ups//EN"


@dataclass(frozen=True)
class CalendarEvent:
    #: Stable per sign-up, so re-importing updates the event instead of adding one.
    uid: str
    title: str
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    timezone: str  # IANA name of the opportunity
    location: str = ""
    description: str = ""
    url: str = ""
    #: A small act: shown as an all-day reminder on its "do it by" day.
    all_day: bool = False
    stamp: datetime | None = None


def _event(item: CalendarEvent, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", item.stamp or stamp)
    event.add("summary", item.title)
    zone = ZoneInfo(item.timezone)
    if item.all_day:
        day: date = (item.ends_at.astimezone(zone) - timedelta(seconds=1)).date()
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    else:
        event.add("dtstart", item.starts_at.astimezone(zone))
        event.add("dtend", item.ends_at.astimezone(zone))
    if item.location:
        event.add("location", item.location)
    if item.description:
        event.add("description", item.description)
    if item.url:
        event.add("url", item.url)
    return event


def build_calendar(items: list[CalendarEvent], *, name: str = "", stamp: datetime) -> bytes:
    """A VCALENDAR with one VEVENT per item and a VTIMEZONE for every zone used."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if name:
        cal.add("x-wr-calname", name)
    for item in items:
        cal.add_component(_event(item, stamp))
    if items:
        first = min(i.starts_at for i in items).date() - timedelta(days=366)
        last = max(i.ends_at for i in items).date() + timedelta(days=366)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical()
