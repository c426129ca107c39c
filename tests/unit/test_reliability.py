"""Show-up probability: forgiving for newcomers, recent behaviour weighs more."""

from datetime import date, timedelta

import pytest

from matchmaker.followthrough.reliability import (
    DEFAULT_PRIOR,
    show_up_probability,
    show_up_rate,
)

TODAY = date(2026, 11, 22)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def test_newcomer_gets_the_forgiving_prior():
    assert show_up_probability([], TODAY) == pytest.approx(DEFAULT_PRIOR)
    assert show_up_rate([]) is None


def test_one_miss_does_not_condemn_a_newcomer():
    p = show_up_probability([(days_ago(3), False)], TODAY)
    # Beta prior with weight 2 at 0.85: (1.7 + 0) / (2 + ~1) ≈ 0.57, not 0.
    assert 0.5 < p < 0.6
    assert show_up_rate([(days_ago(3), False)]) == 0.0


def test_recent_behaviour_weighs_more_than_old():
    recent_misses = [(days_ago(400), True)] * 5 + [(days_ago(5), False)] * 5
    old_misses = [(days_ago(400), False)] * 5 + [(days_ago(5), True)] * 5
    # Same plain rate, very different estimates.
    assert show_up_rate(recent_misses) == show_up_rate(old_misses) == 0.5
    assert show_up_probability(recent_misses, TODAY) < 0.4
    assert show_up_probability(old_misses, TODAY) > 0.8


def test_half_life_halves_the_weight():
    history = [(days_ago(180), False)]
    # One miss at exactly one half-life counts as half a miss.
    expected = (DEFAULT_PRIOR * 2) / (2 + 0.5)
    assert show_up_probability(history, TODAY) == pytest.approx(expected)


def test_plenty_of_evidence_overrides_the_prior():
    always = [(days_ago(i), True) for i in range(1, 40)]
    never = [(days_ago(i), False) for i in range(1, 40)]
    assert show_up_probability(always, TODAY) > 0.97
    assert show_up_probability(never, TODAY) < 0.1
    assert show_up_rate(always) == 1.0


def test_future_dates_count_as_today_and_result_stays_in_range():
    p = show_up_probability([(TODAY + timedelta(days=30), True)], TODAY)
    assert p == pytest.approx((DEFAULT_PRIOR * 2 + 1) / 3)
    assert show_up_probability([], TODAY, prior_weight=0) == DEFAULT_PRIOR


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError):
        show_up_probability([], TODAY, prior=1.5)
    with pytest.raises(ValueError):
        show_up_probability([], TODAY, half_life_days=0)
