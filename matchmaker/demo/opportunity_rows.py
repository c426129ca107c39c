"""Turn the demo opportunity definitions into real, published opportunities.

They go through the same service as an organizer's form
(``create_opportunity`` then ``publish``), so demo data obeys every rule real
data does. Places sit near the organization's ZIP centroid, nudged a little
per opportunity so map pins do not stack.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from matchmaker.demo.opportunities import OPPORTUNITIES, DemoOpportunity
from matchmaker.demo.organizations import ORGANIZATIONS
from matchmaker.demo.places import TIMEZONE, zip_centroid
from matchmaker.models import Opportunity, Organization
from matchmaker.opportunities.schema import OpportunityInput
from matchmaker.opportunities.services import create_opportunity, publish
from matchmaker.vocab import ACCESS_TAGS

#: Demo social formats use the resident vocabulary; opportunities say "solo".
_FORMATS = {"solo_remote": "solo"}
#: Seats for small acts, which have no natural limit.
_SMALL_ACT_SEATS = 100


def _start_time(spec: DemoOpportunity) -> time:
    hours, minutes = (spec.start or "10:00").split(":")
    return time(int(hours), int(minutes))


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def to_input(spec: DemoOpportunity, lat: float, lon: float, today: date) -> OpportunityInput:
    data = OpportunityInput(
        title=spec.title, description=spec.description, causes=[spec.cause],
        skills=list(spec.skills), access=[a for a in spec.access if a in ACCESS_TAGS],
        is_remote=spec.remote, lat=None if spec.remote else lat,
        lon=None if spec.remote else lon, duration_minutes=spec.duration_minutes,
        capacity=spec.capacity or _SMALL_ACT_SEATS,
        social_format=_FORMATS.get(spec.format, spec.format),
        first_timer_friendly=spec.first_timer_friendly, timezone=TIMEZONE,
    )
    if spec.kind == "small_act":
        data.kind, data.do_by = "small_act", today + timedelta(days=14)
    elif spec.kind in ("shift", "recurring_group"):
        day = _next_weekday(today, spec.weekday if spec.weekday is not None else 5)
        data.kind, data.frequency, data.weekdays = "shifts", "weekly", [day.weekday()]
        data.count = 26  # half a year of weekly dates
        data.start_local = datetime.combine(day, _start_time(spec))
    else:
        day = today + timedelta(days=spec.in_days or 7)
        data.kind, data.start_local = "one_off", datetime.combine(day, _start_time(spec))
    return data


def seed_opportunities(session: Session, orgs: list[Organization], author_ids: dict[str, int],
                       now: datetime, seed: int) -> dict[str, Opportunity]:
    """Create and publish every demo opportunity; returns them by demo key.

    Published without the per-opportunity matching job (61 of them, run inline
    in a local run, took most of the seeding time): the seed computes everyone's
    suggestions once at the end instead.
    """
    rng = random.Random(seed)  # nosec B311 - reproducible demo data, not security
    by_slug = {org.slug: org for org in orgs}
    zip_of = {spec.slug: spec.zip_code for spec in ORGANIZATIONS}
    owner_of = {spec.slug: spec.owner.email for spec in ORGANIZATIONS}
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    created: dict[str, Opportunity] = {}
    for spec in OPPORTUNITIES:
        lat, lon = zip_centroid(zip_of[spec.org])
        lat, lon = lat + rng.uniform(-0.004, 0.004), lon + rng.uniform(-0.005, 0.005)
        opp = create_opportunity(
            session, by_slug[spec.org], None, to_input(spec, lat, lon, today),
            source_key=f"demo:{spec.key}", now=now,
        )
        opp.created_by_id = author_ids.get(owner_of[spec.org])
        publish(session, opp, now=now, match=False)
        created[spec.key] = opp
    return created
