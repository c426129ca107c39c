"""Reliability-aware overbooking: exact Poisson-binomial tail and the chosen n.

The simulation tests draw show-up histories, estimate each person's probability
from their own history (as production does), choose n, then let the *true*
behaviour decide who arrives: the over-arrival rate must stay under 5 %.
"""

import math
import random
from datetime import UTC, date, datetime, timedelta
from itertools import product

import pytest

from matchmaker.followthrough.overbooking import (
    DEFAULT_RISK,
    MIN_CAPACITY,
    can_confirm_beyond_capacity,
    extra_confirmations,
    notify_only,
    overflow_probability,
)
from matchmaker.followthrough.reliability import show_up_probability


def brute_force_overflow(probs, capacity):
    total = 0.0
    for outcome in product((0, 1), repeat=len(probs)):
        if sum(outcome) > capacity:
            total += math.prod(p if came else 1 - p for p, came in zip(probs, outcome))
    return total


@pytest.mark.parametrize("seed", range(20))
def test_overflow_matches_brute_force(seed):
    rng = random.Random(seed)
    probs = [rng.random() for _ in range(rng.randint(1, 12))]
    capacity = rng.randint(0, len(probs))
    assert overflow_probability(probs, capacity) == pytest.approx(
        brute_force_overflow(probs, capacity), abs=1e-12)


def test_overflow_binomial_closed_form():
    # 12 people at 0.8 for 10 places: P(X >= 11) = 12*0.8^11*0.2 + 0.8^12.
    expected = 12 * 0.8 ** 11 * 0.2 + 0.8 ** 12
    assert overflow_probability([0.8] * 12, 10) == pytest.approx(expected)


def test_small_shifts_are_never_overbooked():
    assert extra_confirmations([0.3] * 9, 9) == 0
    assert not can_confirm_beyond_capacity([0.3] * 9, 9, 0.3)
    assert MIN_CAPACITY == 10


def test_n_is_the_largest_that_keeps_the_risk_under_5_percent():
    capacity = 20
    confirmed = [0.7] * capacity
    n = extra_confirmations(confirmed, capacity, newcomer=0.7)
    assert n > 0
    assert overflow_probability([0.7] * (capacity + n), capacity) < DEFAULT_RISK
    assert overflow_probability([0.7] * (capacity + n + 1), capacity) >= DEFAULT_RISK


def test_reliable_people_leave_no_room():
    assert extra_confirmations([0.99] * 30, 30, newcomer=0.99) == 0
    assert not can_confirm_beyond_capacity([0.99] * 30, 30, 0.99)


def test_waiting_list_probabilities_are_used_in_order():
    capacity = 20
    confirmed = [0.6] * capacity
    reliable_queue = extra_confirmations(confirmed, capacity, candidates=[0.99] * 10)
    flaky_queue = extra_confirmations(confirmed, capacity, candidates=[0.2] * 10)
    assert flaky_queue > reliable_queue


def test_max_extra_bounds_the_answer():
    assert extra_confirmations([0.01] * 10, 10, newcomer=0.01) == 10
    assert extra_confirmations([0.01] * 10, 10, newcomer=0.01, max_extra=3) == 3


def test_can_confirm_agrees_with_extra_confirmations():
    capacity = 15
    confirmed = [0.75] * capacity
    n = extra_confirmations(confirmed, capacity, newcomer=0.75)
    people = list(confirmed)
    for _ in range(n):
        assert can_confirm_beyond_capacity(people, capacity, 0.75)
        people.append(0.75)
    assert not can_confirm_beyond_capacity(people, capacity, 0.75)


def test_notify_only_close_to_the_start():
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    window = timedelta(hours=24)
    assert not notify_only(start, start - timedelta(hours=25), window)
    assert notify_only(start, start - timedelta(hours=23), window)


def _simulated_people(rng, count, today):
    """(true show-up rate, estimated probability from 4-20 past occasions)."""
    people = []
    for _ in range(count):
        true_p = rng.choice([0.95, 0.9, 0.8, 0.7, 0.5])
        history = [(today - timedelta(days=rng.randint(1, 365)), rng.random() < true_p)
                   for _ in range(rng.randint(4, 20))]
        people.append((true_p, show_up_probability(history, today)))
    return people


@pytest.mark.parametrize("capacity", [10, 20, 40])
def test_simulated_over_arrival_rate_stays_under_5_percent(capacity):
    """Fixed rosters whose estimates come from their own simulated histories.

    With the estimates equal to the truth the bound is exact; here the estimates
    are noisy, so we check the empirical rate over many occurrences and events.
    """
    rng = random.Random(capacity)
    today = date(2026, 11, 22)
    events = over = 0
    for _ in range(60):  # 60 different rosters
        people = _simulated_people(rng, capacity * 2, today)
        estimates = [est for _, est in people]
        n = extra_confirmations(estimates[:capacity], capacity,
                                candidates=estimates[capacity:])
        roster = people[:capacity + n]
        for _ in range(400):  # each roster meets 400 times
            arrivals = sum(rng.random() < true_p for true_p, _ in roster)
            events += 1
            over += arrivals > capacity
    rate = over / events
    assert rate < DEFAULT_RISK, f"over-arrival rate {rate:.3%} for capacity {capacity}"


def test_simulation_with_true_probabilities_is_close_to_the_model():
    rng = random.Random(7)
    capacity = 25
    probs = [rng.uniform(0.5, 0.95) for _ in range(60)]
    n = extra_confirmations(probs[:capacity], capacity, candidates=probs[capacity:])
    roster = probs[:capacity + n]
    predicted = overflow_probability(roster, capacity)
    trials = 20000
    over = sum(sum(rng.random() < p for p in roster) > capacity for _ in range(trials))
    assert n > 0 and predicted < DEFAULT_RISK
    assert abs(over / trials - predicted) < 0.01
    assert over / trials < DEFAULT_RISK
