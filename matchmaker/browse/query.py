"""The browse query: which upcoming opportunities match a set of filters, in what order.

``search()`` describes the rows — one per published opportunity, carrying its
*next matching* occurrence — and ``paginate()`` turns them into a page of
``(Occurrence, Opportunity, distance_km)``, so the API and the HTML page share one
query. Everything is parametrised; no SQL is ever built from strings.

Weekday and time-of-day filters read each occurrence's start in the
opportunity's own timezone, stored with the occurrence (``local_weekday``,
``local_minute``). The great-circle distance to the "near" point is computed in
SQL on purpose, so counts and pages stay right (PostgreSQL: trigonometry in SQL;
SQLite: a Python function registered on the session's connection, see
``_prepare``), after a bounding-box prefilter on ``opportunities (lat, lon)``
that an index answers.

Distances leave this module as numbers only for sorting and for
``matchmaker.geo.distance_band``; pages and the API show the band, never km.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased, contains_eager
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.functions import GenericFunction

from matchmaker import vocab
from matchmaker.geo.distance import EARTH_RADIUS_KM
from matchmaker.models import (
    Occurrence,
    Opportunity,
    OpportunityKind,
    OpportunityStatus,
    OpportunityTag,
    Organization,
)
from matchmaker.orgs.services import Page

PER_PAGE = 20
MAX_RADIUS_KM = 200.0
DEFAULT_RADIUS_KM = 10.0

#: Local start times, as [from, to) minutes after midnight.
TIMES_OF_DAY: dict[str, tuple[int, int, str]] = {
    "morning": (0, 12 * 60, "Morning (before noon)"),
    "afternoon": (12 * 60, 17 * 60, "Afternoon (noon to 5 pm)"),
    "evening": (17 * 60, 24 * 60, "Evening (after 5 pm)"),
}
#: Upper bounds in minutes (None: no upper bound) and what people read.
DURATIONS: dict[str, tuple[int, int | None, str]] = {
    "short": (0, 30, "30 minutes or less"),
    "medium": (0, 120, "2 hours or less"),
    "long": (121, None, "Longer than 2 hours"),
}
#: The organizer's own vocabularies, so a filter offers exactly what can be tagged.
SOCIAL_FORMATS: dict[str, str] = vocab.OPPORTUNITY_FORMATS
ACCESS: dict[str, str] = vocab.ACCESS_TAGS
SORTS: dict[str, str] = {
    "soonest": "Soonest first",
    "nearest": "Nearest first",
    "best": "Best fit for me",
}


@dataclass(frozen=True)
class BrowseFilters:
    """What a person asked for; every field already validated (see ``browse.params``)."""

    q: str = ""
    causes: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    #: 0 = Monday … 6 = Sunday, in the opportunity's timezone.
    weekdays: tuple[int, ...] = ()
    times_of_day: tuple[str, ...] = ()
    #: (lat, lon) to measure from; None for "anywhere".
    near: tuple[float, float] | None = None
    radius_km: float = DEFAULT_RADIUS_KM
    duration: str = ""
    formats: tuple[str, ...] = ()
    access: tuple[str, ...] = ()
    first_timer: bool = False
    remote: bool = False
    small_acts: bool = False
    sort: str = "soonest"
    #: The zone date_from/date_to are read in (the browsing person's).
    zone: str = "America/New_York"
    #: For sort="best": the signed-in resident's causes (near is their home).
    fit_causes: tuple[str, ...] = field(default=())


# --- SQL helpers that differ per backend -------------------------------------------------

class great_circle_km(GenericFunction):
    """Haversine distance in km between (lat1, lon1) and (lat2, lon2)."""

    type = Float()
    inherit_cache = True


@compiles(great_circle_km, "postgresql")
def _pg_great_circle(element, compiler, **kw):
    lat1, lon1, lat2, lon2 = (compiler.process(c, **kw) for c in element.clauses)
    return (f"(2 * {EARTH_RADIUS_KM} * asin(least(1.0, sqrt("
            f"power(sin(radians({lat2} - {lat1}) / 2), 2) + cos(radians({lat1})) "
            f"* cos(radians({lat2})) * power(sin(radians({lon2} - {lon1}) / 2), 2)))))")


@compiles(great_circle_km, "sqlite")
def _sqlite_function(element, compiler, **kw):
    return f"mm_{element.name}({compiler.process(element.clauses, **kw)})"


@lru_cache(maxsize=64)
def zone_or_utc(name: str) -> ZoneInfo:
    """The IANA zone ``name``; UTC for a name this machine does not know."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _sqlite_great_circle(lat1, lon1, lat2, lon2):
    if None in (lat1, lon1, lat2, lon2):
        return None
    from matchmaker.geo import haversine_km

    return haversine_km((lat1, lon1), (lat2, lon2))


def _prepare(session: Session) -> None:
    """Give SQLite the functions PostgreSQL has built in, on this session's connection.

    Registering per connection (not per engine) works whichever pool the engine
    uses and costs microseconds; the session keeps one connection per transaction.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.driver_connection
    raw.create_function("mm_great_circle_km", 4, _sqlite_great_circle, deterministic=True)


# --- the query ------------------------------------------------------------------------------

def _has_tag(kind: str, values: tuple[str, ...]) -> ColumnElement[bool]:
    return exists().where(OpportunityTag.opportunity_id == Opportunity.id,
                          OpportunityTag.kind == kind, OpportunityTag.value.in_(values))


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _bounding_box(lat: float, lon: float, radius_km: float) -> ColumnElement[bool]:
    """A lat/lon box around the circle: cheap, indexable, and never too small."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    cos_lat = math.cos(math.radians(min(abs(lat) + dlat, 89.9)))
    dlon = min(180.0, dlat / max(cos_lat, 1e-6))
    conditions = [Opportunity.lat.between(lat - dlat, lat + dlat)]
    if dlon < 180.0:
        west, east = lon - dlon, lon + dlon
        if west < -180:
            conditions.append(or_(Opportunity.lon >= west + 360, Opportunity.lon <= east))
        elif east > 180:
            conditions.append(or_(Opportunity.lon >= west, Opportunity.lon <= east - 360))
        else:
            conditions.append(Opportunity.lon.between(west, east))
    return and_(*conditions)


def _day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone_or_utc(zone)).astimezone(UTC)


def _occurrence_filters(f: BrowseFilters, now: datetime, occ) -> list:
    """Conditions on one occurrence (``occ``: ``Occurrence`` or an alias of it).

    Kept apart from the opportunity's own conditions because the "soonest" query
    repeats them on a second alias to ask "is there an earlier matching one?".
    """
    is_small_act = Opportunity.kind == OpportunityKind.SMALL_ACT
    where: list = [
        occ.cancelled_at.is_(None),
        # Upcoming: not started yet, or a small act whose "do it by" window is still open.
        or_(occ.starts_at >= now, and_(is_small_act, occ.ends_at > now)),
    ]
    if f.date_from:
        where.append(occ.ends_at > _day_start(f.date_from, f.zone))
    if f.date_to:
        where.append(occ.starts_at < _day_start(f.date_to + timedelta(days=1), f.zone))
    if f.weekdays:
        # A small act can be done any day, at any time.
        where.append(or_(is_small_act, occ.local_weekday.in_(f.weekdays)))
    if f.times_of_day:
        minute = occ.local_minute
        slots = [minute.between(TIMES_OF_DAY[t][0], TIMES_OF_DAY[t][1] - 1)
                 for t in f.times_of_day]
        where.append(or_(is_small_act, *slots))
    return where


def _opportunity_filters(f: BrowseFilters, distance: ColumnElement | None) -> list:
    """Conditions on the opportunity itself, whichever of its occurrences is shown."""
    is_small_act = Opportunity.kind == OpportunityKind.SMALL_ACT
    where: list = [Opportunity.status == OpportunityStatus.PUBLISHED]
    if f.q:
        pattern = _like_pattern(f.q)
        # An IN over the few matching organizations is evaluated once; a correlated
        # EXISTS would probe organizations once per opportunity (~20 ms per 20,000).
        org_matches = Opportunity.organization_id.in_(
            select(Organization.id).where(Organization.name.ilike(pattern, escape="\\")))
        where.append(or_(Opportunity.title.ilike(pattern, escape="\\"),
                         Opportunity.description.ilike(pattern, escape="\\"), org_matches))
    if f.causes:
        where.append(_has_tag("cause", f.causes))
    for need in f.access:  # every chosen need must be met
        where.append(_has_tag("access", (need,)))
    if f.duration:
        low, high, _label = DURATIONS[f.duration]
        where.append(Opportunity.duration_minutes >= low)
        if high is not None:
            where.append(Opportunity.duration_minutes <= high)
    if f.formats:
        where.append(Opportunity.social_format.in_(f.formats))
    if f.first_timer:
        where.append(Opportunity.first_timer_friendly.is_(True))
    if f.remote:
        where.append(Opportunity.is_remote.is_(True))
    if f.small_acts:
        where.append(is_small_act)
    if f.near is not None and distance is not None and not f.remote:
        # Remote opportunities are "near" everyone; places must be inside the circle.
        lat, lon = f.near
        where.append(or_(Opportunity.is_remote.is_(True),
                         and_(_bounding_box(lat, lon, f.radius_km), distance <= f.radius_km)))
    return where


def _fit_score(f: BrowseFilters, distance: ColumnElement | None) -> ColumnElement:
    """Best fit, for now: shared causes (2 each), first-timer friendly (1), closeness (0-2).

    A stand-in until the real matcher (``matchmaker.matching``) ranks browse
    results; it only needs to put obviously better fits first.
    """
    score: ColumnElement = literal(0)
    if f.fit_causes:
        shared = (select(func.count()).select_from(OpportunityTag)
                  .where(OpportunityTag.opportunity_id == Opportunity.id,
                         OpportunityTag.kind == "cause",
                         OpportunityTag.value.in_(f.fit_causes))
                  .correlate(Opportunity).scalar_subquery())
        score = score + 2 * shared
    score = score + case((Opportunity.first_timer_friendly.is_(True), 1), else_=0)
    if distance is not None:
        score = score + case((Opportunity.is_remote.is_(True), 1),
                             (distance < 3, 2), (distance < 10, 1), else_=0)
    return score


class Search(NamedTuple):
    """A browse query, ready for ``paginate``.

    ``keys`` selects ``(opportunity_id, next_start, distance_km[, total])`` rows in
    page order; ``count`` counts the matching opportunities when ``keys`` does not
    carry a ``total`` column.
    """

    keys: Select
    count: Select | None = None


def search(session: Session, filters: BrowseFilters, now: datetime) -> Search:
    """Upcoming published opportunities matching ``filters``, one row each, ordered.

    Each row names an opportunity and the start of its next occurrence that
    matches the date/weekday/time filters. ``paginate`` applies LIMIT/OFFSET to
    this narrow statement and only then loads the page's occurrences,
    opportunities and organizations — sorting 20,000 small rows is cheap, joining
    20,000 wide ones first is not. Sorting by "nearest" without a point falls
    back to "soonest".

    Two shapes, because they are fast in opposite cases:

    * "soonest" walks occurrences in start order (an index) and keeps those with
      no earlier matching occurrence of the same opportunity, so page 1 reads
      a few hundred index entries instead of grouping every occurrence; the
      total is a separate count. (Measured on 20,000 opportunities: the page
      went from ~40 ms to ~6 ms; see tests/perf/bench_browse.py.)
    * "nearest", "best" and anything within a radius group occurrences per
      opportunity and carry the total as a window count (one scan for both):
      the first two must see every match before ordering, and a radius is
      selective enough that walking all starts to find 20 nearby ones would
      read most of the index.
    """
    _prepare(session)
    f = filters
    distance = None
    if f.near is not None:
        distance = great_circle_km(literal(f.near[0]), literal(f.near[1]),
                                   Opportunity.lat, Opportunity.lon)
    distance_column = (distance if distance is not None else cast(null(), Float)).label("distance_km")
    opportunity_where = _opportunity_filters(f, distance)
    sort = f.sort if (f.sort != "nearest" or distance is not None) else "soonest"
    if sort == "soonest" and distance is None:
        earlier = aliased(Occurrence)
        is_first = ~exists().where(
            earlier.opportunity_id == Occurrence.opportunity_id,
            earlier.starts_at < Occurrence.starts_at,
            *_occurrence_filters(f, now, earlier),
        )
        keys = (
            select(Occurrence.opportunity_id.label("opportunity_id"),
                   Occurrence.starts_at.label("next_start"), distance_column)
            .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
            .where(*opportunity_where, *_occurrence_filters(f, now, Occurrence), is_first)
            .order_by(Occurrence.starts_at, Occurrence.opportunity_id)
        )
        count = (
            select(func.count()).select_from(Opportunity)
            .where(*opportunity_where, exists().where(
                Occurrence.opportunity_id == Opportunity.id,
                *_occurrence_filters(f, now, Occurrence)))
        )
        return Search(keys, count)
    next_start = func.min(Occurrence.starts_at)
    stmt = (
        select(Opportunity.id.label("opportunity_id"), next_start.label("next_start"),
               distance_column, func.count().over().label("total"))
        .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
        .where(*opportunity_where, *_occurrence_filters(f, now, Occurrence))
        .group_by(Opportunity.id)
    )
    if sort == "nearest":
        # Remote ones have no distance; they come after every place.
        return Search(stmt.order_by(distance.is_(None), distance, next_start, Opportunity.id))
    if sort == "best":
        return Search(stmt.order_by(_fit_score(f, distance).desc(), next_start, Opportunity.id))
    return Search(stmt.order_by(next_start, Opportunity.id))


def _load(session: Session, keys: list) -> list[tuple]:
    """The page's ``(Occurrence, Opportunity, distance_km)`` rows, in the keys' order."""
    if not keys:
        return []
    wanted = {(k.opportunity_id, k.next_start): k.distance_km for k in keys}
    rows = session.execute(
        select(Occurrence, Opportunity)
        .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
        .join(Organization, Organization.id == Opportunity.organization_id)
        .options(contains_eager(Opportunity.organization))
        .where(Occurrence.opportunity_id.in_([k.opportunity_id for k in keys]),
               Occurrence.starts_at.in_({k.next_start for k in keys}))
    ).all()
    found = {(occ.opportunity_id, occ.starts_at): (occ, opp) for occ, opp in rows}
    return [(*found[key], distance) for key, distance in wanted.items() if key in found]


def paginate(session: Session, search: Search, page: int, per_page: int = PER_PAGE) -> Page:
    """Page ``page`` (from 1) of a ``search()``; a page past the end is empty.

    Items are ``(Occurrence, Opportunity, distance_km)``.
    """
    _prepare(session)
    page = max(1, page)
    keys = session.execute(search.keys.limit(per_page).offset((page - 1) * per_page)).all()
    if search.count is not None:
        total = session.scalar(search.count) or 0
    elif keys:
        total = keys[0].total
    else:  # a page past the end carries no window total
        total = session.scalar(select(func.count()).select_from(
            search.keys.order_by(None).subquery())) or 0
    return Page(items=_load(session, keys), page=page, per_page=per_page, total=total)
