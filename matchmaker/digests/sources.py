"""Where the digest gets what other features know: the one place that imports them.

Recommendations (matchmaker.recommendations.queries.top_for_user) and streaks
(matchmaker.followthrough.impact.load_acts + streaks.current_streak) are imported lazily, and a missing module or
function degrades to "nothing to show" (an empty list, a streak of 0) instead of
breaking every digest. :data:`overrides` lets the benchmark (and tests) plug in a
stand-in source without touching the real ones.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from matchmaker.db import utcnow

log = logging.getLogger(__name__)

#: name -> callable replacing a source ("matches", "streak"); empty in production.
overrides: dict[str, Callable[..., Any]] = {}
_missing_logged: set[str] = set()


def _optional(module: str, name: str) -> Callable[..., Any] | None:
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        if f"{module}.{name}" not in _missing_logged:
            _missing_logged.add(f"{module}.{name}")
            log.warning("digest source %s.%s is not available (%s); showing none",
                        module, name, exc)
        return None


def top_matches(session: Session, user_id: int, *, limit: int = 5,
                max_minutes: int | None = None, now: datetime | None = None) -> list:
    """Best suggestions that fit ``max_minutes`` (RecommendationView-like objects)."""
    if "matches" in overrides:
        return overrides["matches"](session, user_id, limit=limit, max_minutes=max_minutes,
                                    now=now)
    func = _optional("matchmaker.recommendations.queries", "top_for_user")
    if func is None:
        return []
    return list(func(session, user_id, limit, max_minutes=max_minutes, now=now))


def streak_weeks(session: Session, user_id: int, zone: ZoneInfo,
                 now: datetime | None = None) -> int:
    """Weeks in a row with at least one completed act (0 when unknown).

    Uses follow-through's own definition: its list of completed acts
    (impact.load_acts) and its pure week counting (streaks.current_streak).
    """
    if "streak" in overrides:
        return int(overrides["streak"](session, user_id, now=now))
    load_acts = _optional("matchmaker.followthrough.impact", "load_acts")
    current_streak = _optional("matchmaker.followthrough.streaks", "current_streak")
    if load_acts is None or current_streak is None:
        return 0
    try:
        moments = [act.moment for act in load_acts(session, user_id)]
        return max(int(current_streak(moments, now or utcnow(), zone)), 0)
    except Exception:
        log.exception("streak for user %s failed; showing none", user_id)
        return 0


def people_with_acts(session: Session, user_ids: list[int]) -> set[int] | None:
    """Who among ``user_ids`` has any completed act (follow-through's definition),
    in one query; None when that definition is not available."""
    if "streak" in overrides:
        return None
    attended_clause = _optional("matchmaker.followthrough.impact", "attended_clause")
    if attended_clause is None or not user_ids:
        return None if attended_clause is None else set()
    from sqlalchemy import select

    from matchmaker.models import Signup

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
                    now: datetime | None = None) -> dict[int, list[Suggestion]] | None:
    """Every person's still-valid stored suggestions, best first, for a whole batch
    in two queries: the digest then keeps those that fit each person's remaining time
    and the first :data:`~matchmaker.digests.compose.MAX_MATCHES`.

    The same filters as ``recommendations.queries.top_for_user`` (upcoming, not
    cancelled, published, not signed up or waiting; same order: rank, occurrence
    id); tests/integration/test_digests.py checks both agree. ``max_minutes``
    compares ``Opportunity.duration_minutes``, as ``top_for_user`` does, so it is
    carried in ``minutes``. None when an override or a missing module asks for the
    per-person path.
    """
    if "matches" in overrides:
        return None
    queries = _optional("matchmaker.recommendations.queries", "top_for_user")
    if queries is None:
        return None
    from sqlalchemy import exists, select
    from sqlalchemy.orm import contains_eager

    from matchmaker.models import (
        Occurrence,
        Opportunity,
        OpportunityStatus,
        Recommendation,
        Signup,
    )
    from matchmaker.recommendations.queries import ACTIVE_SIGNUP

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
