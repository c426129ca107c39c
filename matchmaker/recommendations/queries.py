"""Reading a resident's stored recommendations (the "For you" page, the API, digests).

Stored rows can go stale between two rematches: an occurrence starts, is
cancelled, or the resident signs up for it. So the read filters again, in SQL,
and never shows what no longer applies; the ranking itself is the stored one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, contains_eager

from matchmaker.db import utcnow
from matchmaker.models import (
    Occurrence,
    Opportunity,
    OpportunityStatus,
    Recommendation,
    Signup,
    SignupStatus,
)

#: Sign-ups that mean "already on it": a passed-on spot may be suggested again.
ACTIVE_SIGNUP = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)


@dataclass(frozen=True)
class RecommendationView:
    """One suggestion as pages, the API and emails show it."""

    occurrence: Occurrence  # with .opportunity loaded
    score: float
    reasons: list[str] = field(default_factory=list)
    waitlist: bool = False


def top_for_user(
    session: Session,
    user_id: int,
    limit: int = 5,
    *,
    max_minutes: int | None = None,
    now: datetime | None = None,
) -> list[RecommendationView]:
    """The resident's best still-valid suggestions, best first.

    Only occurrences that start after ``now`` (small acts: whose do-by window
    has not ended), are not cancelled, belong to a published opportunity, and
    that the resident is not signed up or waiting for. With ``max_minutes``
    only those that take at most that long.
    """
    now = now or utcnow()
    signed_up = exists().where(
        Signup.occurrence_id == Recommendation.occurrence_id,
        Signup.user_id == user_id,
        Signup.status.in_(ACTIVE_SIGNUP),
    )
    # A small act's occurrence spans publication .. do-by, so "upcoming" means
    # "not over yet"; a timed occurrence must not have started.
    upcoming = (Occurrence.starts_at > now) | (
        (Opportunity.kind == "small_act") & (Occurrence.ends_at > now)
    )
    stmt = (
        select(Recommendation, Occurrence, Opportunity)
        .join(Occurrence, Occurrence.id == Recommendation.occurrence_id)
        .join(Opportunity, Opportunity.id == Occurrence.opportunity_id)
        .where(
            Recommendation.user_id == user_id,
            Occurrence.cancelled_at.is_(None),
            Opportunity.status == OpportunityStatus.PUBLISHED,
            Opportunity.cancelled_at.is_(None),
            upcoming,
            ~signed_up,
        )
        .options(contains_eager(Occurrence.opportunity))
        .order_by(Recommendation.rank, Recommendation.occurrence_id)
        .limit(max(int(limit), 0))
    )
    if max_minutes is not None:
        stmt = stmt.where(Opportunity.duration_minutes <= max_minutes)
    return [
        RecommendationView(
            occurrence=occ,
            score=float(rec.score),
            reasons=[str(r) for r in (rec.reasons or [])],
            waitlist=bool(rec.waitlist),
        )
        for rec, occ, _opp in session.execute(stmt).all()
    ]


def has_recommendations(session: Session, user_id: int) -> bool:
    """Whether any rows are stored for the resident (valid or not)."""
    return session.scalar(
        select(exists().where(Recommendation.user_id == user_id))
    ) or False


def refresh_for_user(session: Session, user_id: int) -> None:
    """Recompute one resident's recommendations now, in this session (flushes, no commit).

    Used after a profile change when jobs run inline, and by the "For you"
    page when the resident has none stored yet.
    """
    from matchmaker.recommendations.services import rematch_user

    rematch_user(session, user_id)
