"""The browse query: which upcoming opportunities match a set of filters, in what order.

``search()`` returns a ``Select`` of ``(Occurrence, Opportunity, distance_km)`` rows
— one row per published opportunity, carrying its *next matching* occurrence —
so the caller paginates (``paginate``) and the API and the HTML page share one
query. Everything is parametrised; no SQL is ever built from strings.

Two things are computed in SQL on purpose, so counts and pages stay right:

* local weekday / minute of day of an occurrence, in the opportunity's own
  timezone (PostgreSQL: ``AT TIME ZONE``; SQLite: a small Python function
  registered on the session's connection, see ``_prepare``);
* the great-circle distance to the "near" point (PostgreSQL: trigonometry in
  SQL; SQLite: a registered function), after a bounding-box prefilter on
  ``opportunities (lat, lon)`` that an index answers.

Distances leave this module as numbers only for sorting and for
``matchmaker.geo.distance_band``; pages and the API show the band, never km.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    Integer,
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
from sqlalchemy.orm import Session, contains_eager
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

class local_weekday(GenericFunction):  # noqa: N801 (a SQL function, named like one)
    """Weekday (0 = Monday) of a UTC timestamp in an IANA zone."""

    type = Integer()
    inherit_cache = True


class local_minute(GenericFunction):  # noqa: N801
    """Minutes after local midnight of a UTC timestamp in an IANA zone."""

    type = Integer()
    inherit_cache = True


class great_circle_km(GenericFunction):  # noqa: N801
    """Haversine distance in km between (lat1, lon1) and (lat2, lon2)."""

    type = Float()
    inherit_cache = True


@compiles(local_weekday, "postgresql")
def _pg_weekday(element, compiler, **kw):
    ts, zone = list(element.clauses)
    return (f"(CAST(EXTRACT(ISODOW FROM timezone({compiler.process(zone, **kw)}, "
            f"{compiler.process(ts, **kw)})) AS INTEGER) - 1)")


@compiles(local_minute, "postgresql")
def _pg_minute(element, compiler, **kw):
    ts, zone = list(element.clauses)
    local = f"timezone({compiler.process(zone, **kw)}, {compiler.process(ts, **kw)})"
    return (f"(CAST(EXTRACT(HOUR FROM {local}) AS INTEGER) * 60 "
            f"+ CAST(EXTRACT(MINUTE FROM {local}) AS INTEGER))")


@compiles(great_circle_km, "postgresql")
def _pg_great_circle(element, compiler, **kw):
    lat1, lon1, lat2, lon2 = (compiler.process(c, **kw) for c in element.clauses)
    return (f"(2 * {EARTH_RADIUS_KM} * asin(least(1.0, sqrt("
            f"power(sin(radians({lat2} - {lat1}) / 2), 2) + cos(radians({lat1})) "
            f"* cos(radians({lat2})) * power(sin(radians({lon2} - {lon1}) / 2), 2)))))")


@compiles(local_weekday, "sqlite")
@compiles(local_minute, "sqlite")
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


def _sqlite_local(stamp: str | None, zone: str | None) -> datetime | None:
    if stamp is None:
        return None
    value = datetime.fromisoformat(stamp).replace(tzinfo=UTC)
    return value.astimezone(zone_or_utc(zone or "UTC"))


def _sqlite_weekday(stamp, zone):
    local = _sqlite_local(stamp, zone)
    return None if local is None else local.weekday()


def _sqlite_minute(stamp, zone):
    local = _sqlite_local(stamp, zone)
    return None if local is None else local.hour * 60 + local.minute


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
    raw.create_function("mm_local_weekday", 2, _sqlite_weekday, deterministic=True)
    raw.create_function("mm_local_minute", 2, _sqlite_minute, deterministic=True)
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


def _filters(f: BrowseFilters, now: datetime, distance: ColumnElement | None) -> list:
    is_small_act = Opportunity.kind == OpportunityKind.SMALL_ACT
    where: list = [
        Opportunity.status == OpportunityStatus.PUBLISHED,
        Occurrence.cancelled_at.is_(None),
        # Upcoming: not started yet, or a small act whose "do it by" window is still open.
        or_(Occurrence.starts_at >= now, and_(is_small_act, Occurrence.ends_at > now)),
    ]
    if f.q:
        pattern = _like_pattern(f.q)
        org_matches = exists().where(Organization.id == Opportunity.organization_id,
                                     Organization.name.ilike(pattern, escape="\\"))
        where.append(or_(Opportunity.title.ilike(pattern, escape="\\"),
                         Opportunity.description.ilike(pattern, escape="\\"), org_matches))
    if f.causes:
        where.append(_has_tag("cause", f.causes))
    for need in f.access:  # every chosen need must be met
        where.append(_has_tag("access", (need,)))
    if f.date_from:
        where.append(Occurrence.ends_at > _day_start(f.date_from, f.zone))
    if f.date_to:
        where.append(Occurrence.starts_at < _day_start(f.date_to + timedelta(days=1), f.zone))
    if f.weekdays:
        # A small act can be done any day, at any time.
        where.append(or_(is_small_act, local_weekday(Occurrence.starts_at, Opportunity.timezone)
                         .in_(f.weekdays)))
    if f.times_of_day:
        minute = local_minute(Occurrence.starts_at, Opportunity.timezone)
        slots = [minute.between(TIMES_OF_DAY[t][0], TIMES_OF_DAY[t][1] - 1)
                 for t in f.times_of_day]
        where.append(or_(is_small_act, *slots))
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


def search(session: Session, filters: BrowseFilters, now: datetime) -> Select:
    """Upcoming published opportunities matching ``filters``, one row each, ordered.

    Rows are keys, ``(opportunity_id, next_start, distance_km, total[, fit])``:
    ``next_start`` is the start of the opportunity's next occurrence that matches
    the date/weekday/time filters, ``total`` the number of matching opportunities
    (a window count, so a page costs one scan). ``paginate`` applies LIMIT/OFFSET
    to this narrow statement and only then loads the page's occurrences,
    opportunities and organizations — sorting 20,000 small rows is cheap, joining
    20,000 wide ones first is not. Sorting by "nearest" without a point falls
    back to "soonest".
    """
    _prepare(session)
    f = filters
    distance = None
    if f.near is not None:
        distance = great_circle_km(literal(f.near[0]), literal(f.near[1]),
                                   Opportunity.lat, Opportunity.lon)
    next_start = func.min(Occurrence.starts_at)
    columns = [Opportunity.id.label("opportunity_id"), next_start.label("next_start"),
               (distance if distance is not None else cast(null(), Float)).label("distance_km"),
               func.count().over().label("total")]
    stmt = (
        select(*columns)
        .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
        .where(*_filters(f, now, distance))
        .group_by(Opportunity.id)
    )
    if f.sort == "nearest" and distance is not None:
        # Remote ones have no distance; they come after every place.
        return stmt.order_by(distance.is_(None), distance, next_start, Opportunity.id)
    if f.sort == "best":
        return stmt.order_by(_fit_score(f, distance).desc(), next_start, Opportunity.id)
    return stmt.order_by(next_start, Opportunity.id)


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


def paginate(session: Session, stmt: Select, page: int, per_page: int = PER_PAGE) -> Page:
    """Page ``page`` (from 1) of a ``search()`` statement; a page past the end is empty.

    Items are ``(Occurrence, Opportunity, distance_km)``. The total comes with the
    keys; only a page past the end needs a separate count.
    """
    _prepare(session)
    page = max(1, page)
    keys = session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    if keys:
        total = keys[0].total
    else:
        total = session.scalar(select(func.count()).select_from(
            stmt.order_by(None).subquery())) or 0
    return Page(items=_load(session, keys), page=page, per_page=per_page, total=total)
