"""Browse glue shared by the page and the API: who is asking, and what each result says.

``read_request`` turns a query string plus the signed-in person into filters
(their home area, causes and timezone; a typed place geocoded). ``card`` turns a
result row into the plain facts a card or a JSON item shows — with the
distance as a band ("about 2 km"), never as a number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from matchmaker.browse.params import Parsed, parse_filters, printable, with_place
from matchmaker.browse.query import zone_or_utc
from matchmaker.geo import UnknownPlace, distance_band, geocode_place
from matchmaker.models import Occurrence, Opportunity, OpportunityKind
from matchmaker.signups.services import format_span


def read_request(session: Session, args: MultiDict, user, default_zone: str) -> Parsed:
    """Filters for this request; problems are in ``.errors`` keyed by parameter name."""
    profile = getattr(user, "profile", None) if getattr(user, "is_authenticated", False) else None
    home = None
    zone, fit_causes = default_zone, ()
    if profile is not None:
        zone = profile.timezone or default_zone
        fit_causes = tuple(profile.causes)
        if profile.home_lat is not None and profile.home_lon is not None:
            home = (profile.home_lat, profile.home_lon)
    parsed = parse_filters(args, zone=zone, home=home, fit_causes=fit_causes)
    place = printable(args.get("place"))
    if place:
        try:
            found = geocode_place(session, place)
        except UnknownPlace as exc:
            parsed.errors["place"] = str(exc)
        else:
            parsed = with_place(parsed, found.latitude, found.longitude, found.label)
    return parsed


@dataclass(frozen=True)
class Card:
    """What one result says, in words. Shared by the HTML card and the JSON item."""

    opportunity: Opportunity
    occurrence: Occurrence
    when: str
    #: "From home", "about 2 km", or the place label when no point to measure from.
    where: str
    distance_band: str | None
    seats_left: int
    waitlist: bool
    small_act_badge: str | None
    first_timers: bool


def _small_act_badge(opp: Opportunity, occ: Occurrence) -> str:
    """ "10 minutes, any time before Friday" (the weekday of the do-by day)."""
    zone = zone_or_utc(opp.timezone or "UTC")
    last = (occ.ends_at - timedelta(seconds=1)).astimezone(zone)
    minutes = opp.duration_minutes
    effort = f"{minutes} minutes" if minutes != 1 else "1 minute"
    return f"{effort}, any time before {last:%A} {last.day} {last:%B}"


def card(row: tuple, now: datetime) -> Card:
    occ, opp, distance_km = row
    band = None
    if opp.is_remote:
        where = "From home"
    elif distance_km is not None:
        band = distance_band(distance_km)
        where = f"{opp.place_label} ({band})" if opp.place_label else band
    else:
        where = opp.place_label or "Place to be confirmed"
    small = opp.kind == OpportunityKind.SMALL_ACT
    return Card(
        opportunity=opp, occurrence=occ, when=format_span(occ), where=where,
        distance_band=band, seats_left=occ.seats_left, waitlist=occ.seats_left == 0,
        small_act_badge=_small_act_badge(opp, occ) if small else None,
        first_timers=opp.first_timer_friendly,
    )
