"""Reading browse filters from a query string, for the page and the API alike.

Every parameter is checked here, once: a bad one gives a plain message keyed
by the parameter's name (shown next to its field, or in the API's ``fields``),
and the rest of the filters still apply. Nothing here raises on bad input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date

from werkzeug.datastructures import MultiDict

from matchmaker import vocab
from matchmaker.browse.query import (
    ACCESS,
    DEFAULT_RADIUS_KM,
    DURATIONS,
    MAX_RADIUS_KM,
    SOCIAL_FORMATS,
    SORTS,
    TIMES_OF_DAY,
    BrowseFilters,
)

DAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
MAX_TEXT = 200
MAX_PAGE = 10_000
TRUE_WORDS = {"1", "true", "on", "yes"}
FALSE_WORDS = {"", "0", "false", "off", "no"}


@dataclass
class Parsed:
    """The filters that could be read, the problems with the rest, and where "near" came from."""

    filters: BrowseFilters
    errors: dict[str, str] = field(default_factory=dict)
    page: int = 1
    #: "home" | "place" | "point" | "" — what the distance is measured from.
    near_source: str = ""
    place_label: str = ""


def printable(raw: str | None) -> str:
    """Text with control characters (NUL breaks PostgreSQL) dropped and spaces tidied."""
    return " ".join("".join(ch for ch in (raw or "") if ch.isprintable() or ch == " ").split())


def _choices(args: MultiDict, name: str, allowed, errors: dict, message: str) -> tuple:
    values = [v.strip() for v in args.getlist(name) if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        errors[name] = message.format(value=unknown[0][:40])
    return tuple(dict.fromkeys(v for v in values if v in allowed))


def _flag(args: MultiDict, name: str, errors: dict) -> bool:
    raw = (args.get(name) or "").strip().lower()
    if raw in TRUE_WORDS:
        return True
    if raw not in FALSE_WORDS:
        errors[name] = "Please answer yes or no (true or false)."
    return False


def _date(args: MultiDict, name: str, errors: dict) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Please give a date as year-month-day, for example 2025-06-14."
        return None
    if not 2000 <= value.year <= 2100:
        errors[name] = "Please give a date between the years 2000 and 2100."
        return None
    return value


def _number(raw: str, low: float, high: float) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    return value


def parse_point(raw: str) -> tuple[float, float] | None:
    """``"40.67,-73.97"`` -> (40.67, -73.97); None unless both are real coordinates."""
    parts = raw.split(",")
    if len(parts) != 2:
        return None
    lat = _number(parts[0].strip(), -90, 90)
    lon = _number(parts[1].strip(), -180, 180)
    return None if lat is None or lon is None else (lat, lon)


def parse_int(raw: str | None, default: int, low: int, high: int) -> int | None:
    """A whole number within [low, high]; the default when absent; None when bad."""
    raw = (raw or "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 7:  # "²".isdigit() is true too
        return None
    value = int(raw)
    return value if low <= value <= high else None


def parse_filters(args: MultiDict, *, zone: str, home: tuple[float, float] | None = None,
                  fit_causes: tuple[str, ...] = ()) -> Parsed:
    """Filters from ``args``; ``home`` is the signed-in resident's coarse point, if any.

    A typed ``place`` is not geocoded here (that needs the database): the view
    calls ``with_place`` with the point it resolves to.
    """
    errors: dict[str, str] = {}
    q = printable(args.get("q"))
    if len(q) > MAX_TEXT:
        errors["q"] = f"Please use {MAX_TEXT} characters or fewer."
        q = q[:MAX_TEXT]
    causes = _choices(args, "cause", vocab.CAUSES, errors,
                      "We do not know the cause “{value}”. Please pick one from the list.")
    date_from = _date(args, "from", errors)
    date_to = _date(args, "to", errors)
    if date_from and date_to and date_to < date_from:
        errors["to"] = "The last day must be on or after the first day."
        date_to = None
    days = _choices(args, "day", DAY_KEYS, errors, "Please pick days from the list.")
    times = _choices(args, "time", TIMES_OF_DAY, errors, "Please pick a time of day from the list.")
    duration = (args.get("duration") or "").strip()
    if duration and duration not in DURATIONS:
        errors["duration"] = "Please pick how long from the list."
        duration = ""
    formats = _choices(args, "format", SOCIAL_FORMATS, errors, "Please pick from the list.")
    access = _choices(args, "access", ACCESS, errors, "Please pick from the list.")
    sort = (args.get("sort") or "soonest").strip()
    if sort not in SORTS:
        errors["sort"] = "Please pick an order from the list."
        sort = "soonest"

    radius = DEFAULT_RADIUS_KM
    raw_radius = (args.get("radius_km") or "").strip()
    if raw_radius:
        value = _number(raw_radius, 0.5, MAX_RADIUS_KM)
        if value is None:
            errors["radius_km"] = (f"Please give a distance between 0.5 and {MAX_RADIUS_KM:g} km.")
        else:
            radius = value

    near, source = None, ""
    raw_near = (args.get("near") or "").strip()
    if raw_near == "home":
        if home is None:
            errors["near"] = ("We do not know your area yet. Add it on your profile, or type "
                              "a place instead.")
        else:
            near, source = home, "home"
    elif raw_near:
        near = parse_point(raw_near)
        if near is None:
            errors["near"] = ("Please give a point as latitude,longitude, for example "
                              "40.67,-73.97.")
        else:
            source = "point"

    page = parse_int(args.get("page"), 1, 1, MAX_PAGE)
    if page is None:
        errors["page"] = f"Please give a page number from 1 to {MAX_PAGE}."
        page = 1

    filters = BrowseFilters(
        q=q, causes=causes, date_from=date_from, date_to=date_to,
        weekdays=tuple(DAY_KEYS.index(d) for d in days), times_of_day=times,
        near=near, radius_km=radius, duration=duration, formats=formats, access=access,
        first_timer=_flag(args, "first_timers", errors), remote=_flag(args, "remote", errors),
        small_acts=_flag(args, "small_acts", errors), sort=sort, zone=zone,
        fit_causes=fit_causes,
    )
    return Parsed(filters=filters, errors=errors, page=page, near_source=source)


def with_place(parsed: Parsed, lat: float, lon: float, label: str) -> Parsed:
    """The same filters, measured from a geocoded place (it wins over ``near``)."""
    parsed.errors.pop("near", None)
    return replace(parsed, filters=replace(parsed.filters, near=(lat, lon)),
                   near_source="place", place_label=label)
