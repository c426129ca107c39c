"""The plain values that go in and come out of matching.

Why plain frozen dataclasses: the worker builds them from database rows (a thin
adapter, one function per type), tests build them by hand, and nothing in here
knows about Flask or SQLAlchemy. Every field has a harmless default so a test or
an adapter only says what matters to it.

Times are timezone-aware UTC ``datetime`` values (a naive one is read as UTC).
Availability windows are wall-clock times in the resident's own IANA timezone.
Ids are any hashable values of one kind (all ints, or all strings); ties are
broken by sorting them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

#: Social formats a resident can prefer; an occurrence uses the same words except "any".
SOCIAL_FORMATS = ("any", "one_on_one", "small_group", "big_group", "solo_remote")
#: Access needs a resident can state.
ACCESS_NEEDS = ("step-free", "seated", "no-heavy-lifting")
#: Access an occurrence can provide (its tags) ...
ACCESS_TAGS = ("step-free", "seated")
#: ... and the physical demands it can state.
PHYSICAL_DEMANDS = ("heavy-lifting", "outdoors")


@dataclass(frozen=True, slots=True)
class Window:
    """A weekly stretch of free time, in the resident's local wall-clock time.

    ``weekday`` 0 = Monday .. 6 = Sunday; minutes since local midnight, with
    ``end_minute`` up to 1440 (midnight at the end of the day). A window with
    ``start_minute >= end_minute`` is contradictory and ignored (and counted).
    Plain ``(weekday, start_minute, end_minute)`` tuples are accepted too.
    """

    weekday: int
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class Resident:
    """One person who wants to help, as matching needs to see them.

    ``committed`` maps the Monday (local date) of an ISO week to the
    ``(minutes, commitments)`` they have already signed up for in that week; a
    date that is not a Monday counts for the week it falls in. ``busy`` holds
    their own commitments as UTC ``(start, end)`` pairs, so nothing suggested
    clashes with them. ``age`` is optional: without it an adult counts as 18
    and a non-adult fails any minimum age above 0 (the safe reading).
    """

    id: Hashable
    timezone: str = "UTC"
    causes: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()
    windows: tuple = ()
    home: tuple[float, float] | None = None
    travel_radius_km: float = 5.0
    remote_ok: bool = True
    weekly_budget_minutes: float = 180.0
    weekly_commitment_cap: int = 3
    committed: dict[date, tuple[float, int]] = field(default_factory=dict, hash=False)
    busy: tuple[tuple[datetime, datetime], ...] = ()
    social_format: str = "any"
    access_needs: frozenset[str] = frozenset()
    is_adult: bool = True
    age: int | None = None
    returned_organization_ids: frozenset = frozenset()
    returned_group_ids: frozenset = frozenset()
    served_with_ids: frozenset = frozenset()
    first_timer: bool = False
    signed_up_occurrence_ids: frozenset = frozenset()


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One concrete time of an opportunity (a shift, a session) or one small act.

    A timed occurrence has ``start`` and ``end`` (UTC). A small act has no set
    time: ``do_by`` (UTC) and ``effort_minutes`` instead — the resident does it
    whenever suits them before then. ``duration_minutes`` is what it costs
    against the weekly budget; it defaults to ``end - start`` (or the effort).
    ``seats_left <= 0`` means full: it can only be offered as "join the
    waitlist", ranked lower. ``access`` lists what the place provides
    ("step-free", "seated"); ``demands`` what the task asks ("heavy-lifting",
    "outdoors"). ``going_ids`` are the people already signed up.
    """

    id: Hashable
    opportunity_id: Hashable = None
    organization_id: Hashable = None
    group_id: Hashable | None = None
    causes: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()
    start: datetime | None = None
    end: datetime | None = None
    do_by: datetime | None = None
    effort_minutes: float | None = None
    place: tuple[float, float] | None = None
    remote: bool = False
    duration_minutes: float | None = None
    seats_left: int = 5
    capacity: int = 10
    social_format: str = "small_group"
    access: frozenset[str] = frozenset()
    demands: frozenset[str] = frozenset()
    min_age: int = 0
    first_timer_friendly: bool = False
    going_ids: frozenset = frozenset()
    title: str = ""
    organization_name: str = ""
    group_name: str = ""


class Match(NamedTuple):
    """One suggestion for a resident: what, how good (0..1), and why, in plain words.

    A NamedTuple rather than a dataclass because a full rematch makes a million
    of them and they only need to be read (and stored).
    """

    occurrence_id: Hashable
    opportunity_id: Hashable
    score: float
    waitlist: bool
    reasons: tuple[str, ...]


class ResidentMatch(NamedTuple):
    """One resident a new occurrence suits (the reverse question)."""

    resident_id: Hashable
    score: float
    waitlist: bool
    reasons: tuple[str, ...]


class RankResult(NamedTuple):
    """Ranked matches per resident id, and what was skipped and why (counted).

    Every usable resident has an entry, possibly an empty list. ``skipped``
    counts bad input by reason (e.g. ``"occurrence_bad_coordinates"``) so a job
    can log it and report it; bad input never raises.
    """

    matches: dict[Hashable, list[Match]]
    skipped: Counter


class SuitedResidents(NamedTuple):
    """The residents one occurrence suits, best first, plus what was skipped."""

    residents: list[ResidentMatch]
    skipped: Counter
