"""How likely a person is to turn up, from their own marked attendance.

PURE: no Flask, no SQLAlchemy. Callers pass the person's history as
``(occurrence date, attended?)`` pairs for their *marked, confirmed* sign-ups
only. A released spot is never part of the history, so passing a spot on early
never counts against anyone.

The score is private: a resident may see their own figure; organizers and
dashboards only ever aggregate it.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

#: Default prior show-up probability for someone with no (or little) history.
#: Forgiving on purpose: newcomers start out trusted.
DEFAULT_PRIOR = 0.85

History = Sequence[tuple[date, bool]]


def show_up_probability(
    history: History,
    today: date,
    *,
    half_life_days: float = 180,
    prior: float = DEFAULT_PRIOR,
    prior_weight: float = 2.0,
) -> float:
    """Estimated probability that the person attends their next confirmed sign-up.

    A Beta-Bernoulli estimate with exponentially decayed evidence: each marked
    sign-up counts with weight ``0.5 ** (age_days / half_life_days)`` so recent
    behaviour weighs more than old, and ``prior_weight`` pseudo-observations at
    ``prior`` keep one missed shift from condemning a newcomer. Future dates
    (clock skew, data entry) count as today. Result is in [0, 1].
    """
    if not 0.0 <= prior <= 1.0:
        raise ValueError("prior must be between 0 and 1")
    if prior_weight < 0 or half_life_days <= 0:
        raise ValueError("prior_weight must be >= 0 and half_life_days > 0")
    attended = 0.0
    total = 0.0
    for when, came in history:
        age = max((today - when).days, 0)
        weight = math.pow(0.5, age / half_life_days)
        total += weight
        if came:
            attended += weight
    denominator = prior_weight + total
    if denominator == 0:
        # No prior weight and no evidence: the prior is the only sensible answer.
        return prior
    return (prior * prior_weight + attended) / denominator


def show_up_rate(history: History) -> float | None:
    """Plain share of marked sign-ups attended, or None when nothing is marked."""
    if not history:
        return None
    return sum(1 for _, came in history if came) / len(history)
