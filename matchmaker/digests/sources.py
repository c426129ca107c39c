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
