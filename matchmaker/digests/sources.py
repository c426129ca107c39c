"""Where the digest gets what other features know: the one place that imports them.

Suggestions are the matcher's stored recommendations (the same rules as
``matchmaker.recommendations.queries.top_for_user``, read for a whole batch at
once); streaks and completed acts are follow-through's own definitions
(``matchmaker.followthrough.impact`` and ``streaks``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, contains_eager

from matchmaker.db import utcnow
from matchmaker.followthrough.impact import attended_clause, load_acts
from matchmaker.followthrough.streaks import current_streak
from matchmaker.models import (
    Occurrence,
    Opportunity,
    OpportunityStatus,
    Recommendation,
    Signup,
)
from matchmaker.recommendations.queries import ACTIVE_SIGNUP


def streak_weeks(session: Session, user_id: int, zone: ZoneInfo,
                 now: datetime | None = None) -> int:
    """Weeks in a row with at least one completed act."""
    moments = [act.moment for act in load_acts(session, user_id)]
    return max(current_streak(moments, now or utcnow(), zone), 0)


def people_with_acts(session: Session, user_ids: list[int]) -> set[int]:
    """Who among ``user_ids`` has any completed act (only they can have a streak)."""
    if not user_ids:
        return set()
    return set(session.scalars(select(Signup.user_id).distinct()
                               .where(Signup.user_id.in_(user_ids), attended_clause())))


@dataclass(frozen=True)
class Suggestion:
    """One stored recommendation still valid this week (like RecommendationView)."""

    occurrence: Any  # Occurrence with .opportunity and .opportunity.organization loaded
    reasons: tuple[str, ...]
    waitlist: bool
    minutes: int


def suggestions_for(session: Session, user_ids: list[int],
                    now: datetime | None = None) -> dict[int, list[Suggestion]]:
    """Every person's still-valid stored suggestions, best first, for a whole batch
    in two queries: the digest then keeps those that fit each person's remaining time
    and the first :data:`~matchmaker.digests.compose.MAX_MATCHES`.

    The same filters as ``recommendations.queries.top_for_user`` (upcoming, not
    cancelled, published, not signed up or waiting; same order: rank, occurrence
    id); tests/integration/test_digests.py checks both agree. ``max_minutes``
    compares ``Opportunity.duration_minutes``, as ``top_for_user`` does, so it is
    carried in ``minutes``.
    """
    now = now or utcnow()
    out: dict[int, list[Suggestion]] = {uid: [] for uid in user_ids}
    if not user_ids:
        return out
    signed_up = exists().where(Signup.occurrence_id == Recommendation.occurrence_id,
                               Signup.user_id == Recommendation.user_id,
                               Signup.status.in_(ACTIVE_SIGNUP))
    upcoming = (Occurrence.starts_at > now) | (
        (Opportunity.kind == "small_act") & (Occurrence.ends_at > now))
    # Plain columns for the (many) rows; the (few) occurrences are loaded once below.
    rows = session.execute(
        select(Recommendation.user_id, Recommendation.occurrence_id, Recommendation.reasons,
               Recommendation.waitlist, Opportunity.duration_minutes)
        .join(Occurrence, Occurrence.id == Recommendation.occurrence_id)
        .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
        .where(Recommendation.user_id.in_(list(user_ids)),
               Occurrence.cancelled_at.is_(None),
               Opportunity.status == OpportunityStatus.PUBLISHED,
               Opportunity.cancelled_at.is_(None), upcoming, ~signed_up)
        .order_by(Recommendation.user_id, Recommendation.rank,
                  Recommendation.occurrence_id)).all()
    occ_ids = {row[1] for row in rows}
    occurrences = {occ.id: occ for occ in session.scalars(
        select(Occurrence).join(Occurrence.opportunity).join(Opportunity.organization)
        .options(contains_eager(Occurrence.opportunity).contains_eager(Opportunity.organization))
        .where(Occurrence.id.in_(occ_ids))).unique()} if occ_ids else {}
    for user_id, occ_id, reasons, waitlist, minutes in rows:
        out[user_id].append(Suggestion(occurrences[occ_id],
                                       tuple(str(r) for r in (reasons or [])),
                                       bool(waitlist), int(minutes)))
    return out
