"""How many extra confirmations an occurrence can safely hand out.

PURE: no Flask, no SQLAlchemy. The model: each confirmed person turns up
independently with their own probability p_i (from :mod:`.reliability`), so the
number who arrive is Poisson-binomial. We confirm ``capacity + n`` people for the
largest ``n`` with P(arrivals > capacity) < ``risk`` (5 % by default), computed
exactly by dynamic programming, never by a normal approximation (which is poor
for the small rosters this app has).

Who the extra ``n`` would be: the people next on the waiting list, with their
own probabilities, and after them unknown newcomers at the prior.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from matchmaker.followthrough.reliability import DEFAULT_PRIOR

#: Overbooking is offered only from this many places up: on small shifts one
#: extra person is a large share, and the estimate is too noisy.
MIN_CAPACITY = 10
#: Acceptable chance that more people arrive than there are places.
DEFAULT_RISK = 0.05


class _Arrivals:
    """The distribution of arrivals, truncated at ``capacity`` (+ one "over" bucket).

    Only P(arrivals > capacity) matters, so states above ``capacity`` are lumped
    together: adding one person costs O(capacity), whatever the roster length.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.dist = [1.0] + [0.0] * capacity  # P(arrivals == k), k = 0..capacity
        self.over = 0.0                        # P(arrivals > capacity)

    def add(self, p: float) -> None:
        p = min(max(p, 0.0), 1.0)
        q = 1.0 - p
        dist = self.dist
        self.over += dist[-1] * p
        for k in range(self.capacity, 0, -1):
            dist[k] = dist[k] * q + dist[k - 1] * p
        dist[0] *= q

    def copy(self) -> _Arrivals:
        twin = _Arrivals.__new__(_Arrivals)
        twin.capacity, twin.dist, twin.over = self.capacity, list(self.dist), self.over
        return twin


def overflow_probability(probabilities: Sequence[float], capacity: int) -> float:
    """P(more than ``capacity`` of these people arrive), exactly."""
    if capacity < 0:
        return 1.0
    arrivals = _Arrivals(capacity)
    for p in probabilities:
        arrivals.add(p)
    return arrivals.over


def extra_confirmations(
    confirmed: Sequence[float],
    capacity: int,
    *,
    candidates: Sequence[float] = (),
    newcomer: float = DEFAULT_PRIOR,
    risk: float = DEFAULT_RISK,
    max_extra: int | None = None,
) -> int:
    """The largest ``n >= 0`` such that confirming ``capacity + n`` people keeps
    P(arrivals > capacity) < ``risk``.

    ``confirmed`` are the show-up probabilities of the people who hold a place
    now (possibly already more than ``capacity``); the next ones to be confirmed
    are ``candidates`` in order (the waiting list), then newcomers at
    ``newcomer``. ``max_extra`` (default: ``capacity``) bounds the answer, so
    people who never miss cannot make it unbounded. Below :data:`MIN_CAPACITY`
    the answer is always 0.
    """
    if capacity < MIN_CAPACITY:
        return 0
    limit = capacity if max_extra is None else max(max_extra, 0)
    # The order people would hold places in: those confirmed now, the waiting
    # list, then newcomers. The overflow chance only grows as people are added,
    # so the first person who tips it over ``risk`` ends the search.
    queue = [*confirmed, *candidates]
    arrivals = _Arrivals(capacity)
    count = 0
    while count < capacity + limit:
        p = queue[count] if count < len(queue) else newcomer
        arrivals.add(p)
        if arrivals.over >= risk:
            break
        count += 1
    return max(count - capacity, 0)


def can_confirm_beyond_capacity(confirmed: Sequence[float], capacity: int, newcomer: float, *,
                                risk: float = DEFAULT_RISK) -> bool:
    """May one more person (show-up probability ``newcomer``) be confirmed now?

    True when, with them added to ``confirmed``, P(arrivals > capacity) stays
    under ``risk``. The people already confirmed keep their places either way.
    """
    if capacity < MIN_CAPACITY or len(confirmed) >= 2 * capacity:
        return False
    if len(confirmed) < capacity:
        return True
    return overflow_probability([*confirmed, newcomer], capacity) < risk


def notify_only(starts_at: datetime, now: datetime, window: timedelta) -> bool:
    """Close to the start, no more overbooked confirmations: people would have
    too little time to hear that they are in, and the estimate matters most then."""
    return now >= starts_at - window
