"""Short, kind reasons in plain words for every match.

Why a separate module: the words are product copy. They are built from a few
plain facts about the match (``Facts``), one small helper per kind of reason,
always in the same order: cause, skills, distance, time, familiar faces,
first-timers, format, places. Distances are given in bands ("under 1 km",
"about 2 km", "about 15 km") — never an exact figure, because homes are
private and coarse.

``reasons(facts)`` explains one match; the engine explains a million at once
with the very same helpers, wording each distinct value once
(``engine.explain``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from matchmaker.vocab import CAUSES, SKILLS, WEEKDAYS

_MONTHS = ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December")
_FORMAT_WORDS = {
    "one_on_one": "One-on-one, as you like",
    "small_group": "A small group, as you like",
    "big_group": "A big group, as you like",
    "solo_remote": "On your own, as you like",
}
#: "They need more people" when at least this share of places is free ...
UNDERFILLED_SHARE = 0.5
#: ... and it starts within this many seconds.
UNDERFILLED_SOON = 3 * 86_400


class Facts(NamedTuple):
    """What the words are made from (all plain values)."""

    cause_keys: tuple[str, ...]          # causes in common, sorted
    skill_keys: tuple[str, ...]          # skills in common, sorted
    distance_m: int | None               # None: from home (remote)
    small_act: bool
    weekday: int                         # timed: local start weekday (0 = Monday)
    minute: int                          # timed: local start minute of the day
    days_left: int                       # small act: local days from today to the last day
    last_day: int                        # small act: local day number of the last day
    effort_minutes: int                  # small act: effort
    group_returned: bool
    group_name: str
    org_returned: bool
    org_name: str
    people: int                          # people served with before who are going
    first_timer_welcome: bool            # a first-timer, and the occurrence welcomes them
    format_match: str | None             # the preferred format, when it is exactly this
    seats_left: int
    capacity: int
    seconds_until: int


def label(vocabulary: dict[str, str], key: str) -> str:
    return vocabulary.get(key) or key.replace("-", " ").replace("_", " ").capitalize()


@lru_cache(maxsize=4096)
def cause_reason(keys: tuple[str, ...]) -> str:
    return " and ".join(label(CAUSES, k) for k in keys[:2])


@lru_cache(maxsize=4096)
def skill_reason(keys: tuple[str, ...]) -> str:
    if not keys:
        return ""
    return "Uses your skills: " + " and ".join(label(SKILLS, k).lower() for k in keys[:2])


@lru_cache(maxsize=4096)
def distance_reason(metres: int | None) -> str:
    if metres is None:
        return "From home"
    if metres < 1000:
        return "under 1 km"
    km = metres / 1000.0
    if km < 9.5:
        return f"about {int(km + 0.5)} km"
    return f"about {5 * int(km / 5.0 + 0.5)} km"


def part_of_day(minute: int) -> str:
    hour = minute // 60
    if 5 <= hour < 12:
        return "morning"
    if 12 <= hour < 17:
        return "afternoon"
    if 17 <= hour < 22:
        return "evening"
    return "night"


@lru_cache(maxsize=256)
def time_reason(weekday: int, minute: int) -> str:
    return f"{WEEKDAYS[weekday]} {part_of_day(minute)} is in your free time"


@lru_cache(maxsize=4096)
def small_act_reason(days_left: int, last_day: int, effort_minutes: int) -> str:
    from datetime import date, timedelta

    if days_left <= 0:
        when = "Any time today"
    elif days_left < 7:
        d = date(1970, 1, 1) + timedelta(days=last_day)
        when = f"Any time until {WEEKDAYS[d.weekday()]}"
    else:
        d = date(1970, 1, 1) + timedelta(days=last_day)
        when = f"Any time until {d.day} {_MONTHS[d.month - 1]}"
    minutes = "1 minute" if effort_minutes == 1 else f"{effort_minutes} minutes"
    return f"{when}, about {minutes}"


@lru_cache(maxsize=4096)
def group_reason(group_returned: bool, group_name: str, org_returned: bool, org_name: str) -> str:
    if group_returned:
        return f"You've been back to {group_name}" if group_name else "A group you've been back to"
    if org_returned:
        return f"You've helped {org_name} before" if org_name else "People you've helped before"
    return ""


def people_reason(people: int) -> str:
    if people <= 0:
        return ""
    if people == 1:
        return "1 person you've helped with before is going"
    return f"{people} people you've helped with before are going"


def first_timer_reason(welcome: bool) -> str:
    return "First-timers welcome" if welcome else ""


def format_reason(fmt: str | None) -> str:
    return _FORMAT_WORDS.get(fmt, "") if fmt else ""


@lru_cache(maxsize=4096)
def places_reason(seats_left: int, capacity: int, soon: bool) -> str:
    if seats_left <= 0:
        return "Full for now: join the waitlist"
    if seats_left == 1:
        return "Only 1 place left"
    if seats_left <= 3:
        return f"Only {seats_left} places left"
    if soon and capacity > 0 and seats_left / capacity >= UNDERFILLED_SHARE:
        return "They need more people"
    return ""


def _when(f: Facts) -> str:
    if f.small_act:
        return small_act_reason(f.days_left, f.last_day, f.effort_minutes)
    return time_reason(f.weekday, f.minute)


def reasons(f: Facts) -> tuple[str, ...]:
    """The reasons for one match, most telling first."""
    parts = (
        cause_reason(f.cause_keys),
        skill_reason(f.skill_keys),
        distance_reason(f.distance_m),
        _when(f),
        group_reason(f.group_returned, f.group_name, f.org_returned, f.org_name),
        people_reason(f.people),
        first_timer_reason(f.first_timer_welcome),
        format_reason(f.format_match),
        places_reason(f.seats_left, f.capacity, f.seconds_until <= UNDERFILLED_SOON),
    )
    return tuple(p for p in parts if p)
