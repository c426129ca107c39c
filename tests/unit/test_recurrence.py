"""Recurring shifts: rule text round-trips, and expansion keeps local wall-clock time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from matchmaker.opportunities.recurrence import (
    RuleParts,
    build_rrule,
    end_of_local_day,
    expand,
    parse_rrule,
    to_utc,
)

NY = "America/New_York"


@pytest.mark.parametrize(("parts", "text"), [
    (RuleParts("weekly", 1, [5], None, None, 10), "FREQ=WEEKLY;BYDAY=SA;COUNT=10"),
    (RuleParts("weekly", 2, [3, 0], None, date(2025, 6, 30), None),
     "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20250630T235959"),
    (RuleParts("monthly", 1, [1], 2, None, 6), "FREQ=MONTHLY;BYDAY=2TU;COUNT=6"),
    (RuleParts("monthly", 1, [4], -1, None, 3), "FREQ=MONTHLY;BYDAY=-1FR;COUNT=3"),
    (RuleParts("monthly", 3, [], None, None, 4), "FREQ=MONTHLY;INTERVAL=3;COUNT=4"),
])
def test_rule_text_round_trips(parts, text):
    assert build_rrule(parts) == text
    back = parse_rrule(text)
    assert (back.frequency, back.interval, sorted(back.weekdays), back.month_week,
            back.until, back.count) == (parts.frequency, parts.interval, sorted(parts.weekdays),
                                        parts.month_week, parts.until, parts.count)


def test_weekly_shift_stays_at_nine_local_across_the_autumn_dst_change():
    # DST ends in New York on Sunday 2 November 2025.
    start = datetime(2025, 10, 18, 9, 0)  # a Saturday
    times = expand("FREQ=WEEKLY;BYDAY=SA;COUNT=4", start, NY,
                   after=datetime(2025, 10, 1, tzinfo=UTC),
                   horizon_end=datetime(2026, 1, 1, tzinfo=UTC))
    assert [t.astimezone(ZoneInfo(NY)).strftime("%Y-%m-%d %H:%M") for t in times] == [
        "2025-10-18 09:00", "2025-10-25 09:00", "2025-11-01 09:00", "2025-11-08 09:00"]
    # ... which is 13:00 UTC before the change and 14:00 UTC after it.
    assert [t.hour for t in times] == [13, 13, 13, 14]


def test_weekly_shift_across_the_spring_dst_change():
    start = datetime(2025, 3, 1, 9, 0)
    times = expand("FREQ=WEEKLY;BYDAY=SA", start, NY,
                   after=datetime(2025, 3, 1, tzinfo=UTC),
                   horizon_end=datetime(2025, 3, 16, tzinfo=UTC))
    assert [t.hour for t in times] == [14, 14, 13]  # 1, 8, 15 March (DST from 9 March)


def test_monthly_second_tuesday_and_last_friday():
    start = datetime(2025, 1, 14, 18, 30)
    second_tuesdays = expand("FREQ=MONTHLY;BYDAY=2TU;COUNT=3", start, NY,
                             after=datetime(2025, 1, 1, tzinfo=UTC),
                             horizon_end=datetime(2026, 1, 1, tzinfo=UTC))
    assert [t.astimezone(ZoneInfo(NY)).date() for t in second_tuesdays] == [
        date(2025, 1, 14), date(2025, 2, 11), date(2025, 3, 11)]
    last_fridays = expand("FREQ=MONTHLY;BYDAY=-1FR", datetime(2025, 1, 31, 10), NY,
                          after=datetime(2025, 1, 1, tzinfo=UTC),
                          horizon_end=datetime(2025, 4, 1, tzinfo=UTC))
    assert [t.astimezone(ZoneInfo(NY)).date() for t in last_fridays] == [
        date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 28)]


def test_monthly_on_the_31st_skips_short_months():
    times = expand("FREQ=MONTHLY;COUNT=3", datetime(2025, 1, 31, 10), NY,
                   after=datetime(2025, 1, 1, tzinfo=UTC),
                   horizon_end=datetime(2026, 1, 1, tzinfo=UTC))
    assert [t.astimezone(ZoneInfo(NY)).date() for t in times] == [
        date(2025, 1, 31), date(2025, 3, 31), date(2025, 5, 31)]


def test_until_includes_the_last_day_and_the_window_and_limit_apply():
    start = datetime(2025, 6, 2, 9)  # Monday
    rule = build_rrule(RuleParts("weekly", 1, [0], None, date(2025, 6, 23), None))
    times = expand(rule, start, NY, after=datetime(2025, 6, 1, tzinfo=UTC),
                   horizon_end=datetime(2026, 1, 1, tzinfo=UTC))
    assert len(times) == 4 and times[-1].astimezone(ZoneInfo(NY)).day == 23
    # Only what is after ``after``, before the horizon, and no more than ``limit``.
    later = expand(rule, start, NY, after=datetime(2025, 6, 10, tzinfo=UTC),
                   horizon_end=datetime(2025, 6, 20, tzinfo=UTC))
    assert [t.astimezone(ZoneInfo(NY)).day for t in later] == [16]
    daily_ish = expand("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU", start, NY,
                       after=datetime(2025, 6, 1, tzinfo=UTC),
                       horizon_end=datetime(2026, 6, 1, tzinfo=UTC), limit=60)
    assert len(daily_ish) == 60


def test_to_utc_and_end_of_day():
    assert to_utc(datetime(2025, 7, 4, 9), NY) == datetime(2025, 7, 4, 13, tzinfo=UTC)
    assert to_utc(datetime(2025, 1, 4, 9), NY) == datetime(2025, 1, 4, 14, tzinfo=UTC)
    end = end_of_local_day(date(2025, 7, 4), NY)
    assert end == datetime(2025, 7, 5, 4, tzinfo=UTC)
    assert end - to_utc(datetime(2025, 7, 4, 0), NY) == timedelta(days=1)
