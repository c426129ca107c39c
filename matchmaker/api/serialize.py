"""Rows to JSON: the shapes ``matchmaker.api.openapi`` documents, and nothing more.

Distances leave as bands ("about 2 km"), like on the pages. Times are ISO 8601
in UTC, with the opportunity's IANA timezone alongside for local display.
"""

from __future__ import annotations

from datetime import datetime

from flask import url_for

from matchmaker.browse.services import Card
from matchmaker.models import Occurrence, Opportunity, Signup


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def occurrence_json(occ: Occurrence) -> dict:
    return {
        "id": occ.id,
        "starts_at": _iso(occ.starts_at),
        "ends_at": _iso(occ.ends_at),
        "capacity": occ.capacity,
        "seats_left": occ.seats_left,
        "waitlist": occ.seats_left == 0,
        "cancelled": occ.cancelled_at is not None,
    }


def opportunity_json(opp: Opportunity, *, next_occurrence: Occurrence | None = None,
                     distance_band: str | None = None) -> dict:
    org = opp.organization
    return {
        "id": opp.id,
        "title": opp.title,
        "description": opp.description,
        "status": opp.status,
        "kind": opp.kind,
        "organization": {"id": org.id, "slug": org.slug, "name": org.name,
                         "verified": org.is_verified},
        "causes": opp.tag_values("cause"),
        "skills": opp.tag_values("skill"),
        "access": opp.tag_values("access"),
        "is_remote": opp.is_remote,
        "place_label": opp.place_label,
        "lat": None if opp.is_remote else opp.lat,
        "lon": None if opp.is_remote else opp.lon,
        "distance_band": distance_band,
        "timezone": opp.timezone,
        "duration_minutes": opp.duration_minutes,
        "capacity": opp.capacity,
        "min_age": opp.min_age,
        "social_format": opp.social_format,
        "first_timer_friendly": opp.first_timer_friendly,
        "what_to_bring": opp.what_to_bring,
        "do_by": opp.do_by.isoformat() if opp.do_by else None,
        "next_occurrence": occurrence_json(next_occurrence) if next_occurrence else None,
        "url": url_for("opportunities.detail", id=opp.id, _external=True),
    }


def card_json(card: Card) -> dict:
    return opportunity_json(card.opportunity, next_occurrence=card.occurrence,
                            distance_band=card.distance_band)


def signup_json(signup: Signup, waitlist_position: int | None) -> dict:
    occ = signup.occurrence
    return {
        "id": signup.id,
        "status": signup.status,
        "waitlist_position": waitlist_position,
        "occurrence": occurrence_json(occ),
        "opportunity": {"id": occ.opportunity.id, "title": occ.opportunity.title},
    }


def recommendation_json(view, rank: int) -> dict:
    """One ``recommendations.queries.RecommendationView``, ``rank`` 1 = best."""
    occ = view.occurrence
    return {
        "rank": rank,
        "score": round(float(view.score), 4),
        "reasons": list(view.reasons),
        "waitlist": bool(view.waitlist),
        "occurrence": occurrence_json(occ),
        "opportunity": opportunity_json(occ.opportunity),
    }
