"""Streaks: ISO weeks in a row with a completed act, in the resident's own time zone."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from matchmaker.followthrough.streaks import (
    active_weeks,
    current_streak,
    longest_streak,
    week_start,
)

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def at(y, m, d, hh=12, mm=0, zone=NY) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=zone)


def test_no_acts_is_no_streak():
    assert current_streak([], at(2026, 6, 10), NY) == 0
    assert longest_streak([], NY) == 0


def test_an_act_this_week_counts():
    # Wednesday 10 June 2026; the act on Monday of the same week.
    assert current_streak([at(2026, 6, 8)], at(2026, 6, 10), NY) == 1


def test_the_current_week_without_an_act_does_not_break_the_streak():
    acts = [at(2026, 5, 26), at(2026, 6, 3)]  # the two weeks before the week of 8 June
    assert current_streak(acts, at(2026, 6, 10), NY) == 2
    # ... and an act later this week extends it.
    assert current_streak([*acts, at(2026, 6, 11)], at(2026, 6, 12), NY) == 3


def test_a_whole_week_without_an_act_ends_the_streak():
    acts = [at(2026, 5, 19), at(2026, 5, 26)]  # weeks of 18 and 25 May; nothing 1-7 June
    assert current_streak(acts, at(2026, 6, 10), NY) == 0
    assert longest_streak(acts, NY) == 2


def test_a_gap_splits_runs_and_several_acts_in_one_week_count_once():
    acts = [at(2026, 4, 6), at(2026, 4, 7), at(2026, 4, 13),  # run of 2
            at(2026, 5, 4), at(2026, 5, 11), at(2026, 5, 18)]  # run of 3
    assert longest_streak(acts, NY) == 3
    assert current_streak(acts, at(2026, 5, 20), NY) == 3
    assert len(active_weeks(acts, NY)) == 5


def test_year_with_53_iso_weeks_flows_into_week_1():
    # 2026 has 53 ISO weeks: week 52 starts 21 Dec, week 53 starts 28 Dec, and
    # week 1 of 2027 starts 4 Jan 2027.
    acts = [at(2026, 12, 22), at(2026, 12, 30), at(2027, 1, 5)]
    assert [d.isocalendar()[1] for d in sorted(active_weeks(acts, NY))] == [52, 53, 1]
    assert current_streak(acts, at(2027, 1, 7), NY) == 3


def test_year_with_52_iso_weeks_flows_into_week_1():
    # 2025 has 52 weeks; week 1 of 2026 starts on Monday 29 December 2025.
    acts = [at(2025, 12, 23), at(2025, 12, 29), at(2026, 1, 8)]
    weeks = sorted(active_weeks(acts, NY))
    assert [w.isocalendar()[:2] for w in weeks] == [(2025, 52), (2026, 1), (2026, 2)]
    assert current_streak(acts, at(2026, 1, 9), NY) == 3


def test_sunday_late_evening_counts_in_the_residents_week_across_dst_end():
    # Clocks go back on Sunday 1 November 2026 in New York. 23:30 that Sunday is
    # already Monday 04:30 UTC, but for the resident it is the week of 26 October.
    late_sunday = datetime(2026, 11, 1, 23, 30, tzinfo=NY)
    assert late_sunday.astimezone(UTC).date() == date(2026, 11, 2)
    assert week_start(late_sunday, NY) == date(2026, 10, 26)
    acts = [at(2026, 10, 20), late_sunday]
    assert current_streak(acts, datetime(2026, 11, 4, 9, tzinfo=NY), NY) == 2


def test_sunday_late_evening_across_dst_start():
    late_sunday = datetime(2026, 3, 8, 23, 30, tzinfo=NY)  # the day clocks go forward
    assert week_start(late_sunday, NY) == date(2026, 3, 2)
    acts = [at(2026, 2, 24), late_sunday, at(2026, 3, 10)]
    assert current_streak(acts, at(2026, 3, 11), NY) == 3


def test_weeks_are_the_residents_own():
    # Sunday 20:00 in New York is Monday morning in Tokyo: a different week there.
    moment = datetime(2026, 6, 14, 20, 0, tzinfo=NY)
    assert week_start(moment, NY) == date(2026, 6, 8)
    assert week_start(moment, TOKYO) == date(2026, 6, 15)


def test_future_acts_are_ignored_for_the_current_streak():
    now = at(2026, 6, 10)
    assert current_streak([now + timedelta(days=14)], now, NY) == 0


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        week_start(datetime(2026, 6, 10, 12), NY)
