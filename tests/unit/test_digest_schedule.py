"""When a digest is due: local day and hour, timezones, DST, fortnightly, lateness."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from matchmaker.digests.schedule import (
    MAX_LATE,
    Preference,
    batches,
    due,
    due_people,
    is_on_week,
    next_send_moment,
    period_of,
    send_moment,
)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


NY = "America/New_York"


def test_default_sunday_1700_local_in_new_york():
    pref = Preference(1, NY)  # Sunday 17:00
    # Sunday 22 Nov 2026 17:00 EST = 22:00 UTC
    assert due(pref, utc(2026, 11, 22, 21, 59)) is None
    item = due(pref, utc(2026, 11, 22, 22, 0))
    assert item is not None and item.period == "2026-W47"
    assert item.send_at == utc(2026, 11, 22, 22, 0)
    assert due(pref, utc(2026, 11, 23, 21, 59)) is not None  # still within MAX_LATE
    # Monday 23 Nov 22:00 UTC is still Monday 17:00 local: a new local week (W48), whose
    # Sunday has not come yet, so nothing is due.
    assert due(pref, utc(2026, 11, 23, 22, 0)) is None


def test_period_is_the_local_week_not_the_utc_one():
    # Monday 00:30 in UTC is still Sunday evening in New York: the local week counts.
    pref = Preference(1, NY, weekday=6, hour=19)
    item = due(pref, utc(2026, 11, 23, 0, 30))
    assert item is not None and item.period == "2026-W47"
    tokyo = Preference(2, "Asia/Tokyo", weekday=0, hour=8)  # Monday 08:00 JST = Sun 23:00 UTC
    item = due(tokyo, utc(2026, 11, 22, 23, 0))
    assert item is not None and item.period == "2026-W48"


def test_same_local_hour_across_daylight_saving():
    pref = Preference(1, NY)
    summer = due(pref, utc(2026, 7, 5, 21, 0))   # EDT: 17:00 local = 21:00 UTC
    winter = due(pref, utc(2026, 12, 6, 22, 0))  # EST: 17:00 local = 22:00 UTC
    assert summer and summer.send_at == utc(2026, 7, 5, 21, 0)
    assert winter and winter.send_at == utc(2026, 12, 6, 22, 0)
    assert due(pref, utc(2026, 12, 6, 21, 30)) is None


def test_skipped_hour_on_spring_forward_still_sends():
    # 8 March 2026, 02:00 does not exist in New York; the digest goes at 03:00 EDT.
    pref = Preference(1, NY, weekday=6, hour=2)
    period, moment = send_moment(pref, utc(2026, 3, 8, 12, 0))
    assert period == "2026-W10"
    assert due(pref, moment) is not None
    assert due(pref, moment - timedelta(minutes=1)) is None


def test_never_days_late():
    pref = Preference(1, "UTC", weekday=0, hour=9)
    assert due(pref, utc(2026, 11, 23, 9, 0) + MAX_LATE - timedelta(seconds=1))
    assert due(pref, utc(2026, 11, 23, 9, 0) + MAX_LATE) is None


def test_off_is_never_due():
    assert due(Preference(1, NY, frequency="off"), utc(2026, 11, 22, 22, 0)) is None


def test_fortnightly_every_other_week_with_people_split_across_weeks():
    weeks = [utc(2026, 11, 22, 22, 0) + timedelta(weeks=n) for n in range(6)]
    for user_id in (1, 2):
        pref = Preference(user_id, NY, frequency="fortnightly")
        hits = [due(pref, w) is not None for w in weeks]
        assert hits.count(True) == 3
        assert all(a != b for a, b in itertools.pairwise(hits))
    day = weeks[0].date()
    assert is_on_week("fortnightly", 1, day) != is_on_week("fortnightly", 2, day)


def test_unknown_timezone_falls_back_to_utc_instead_of_failing():
    item = due(Preference(1, "Mars/Olympus_Mons", weekday=6, hour=17), utc(2026, 11, 22, 17, 0))
    assert item is not None and item.send_at == utc(2026, 11, 22, 17, 0)


def test_iso_week_year_boundary():
    assert period_of(datetime(2026, 12, 31).date()) == "2026-W53"
    assert period_of(datetime(2027, 1, 4).date()) == "2027-W01"


def test_due_people_and_batches():
    prefs = [Preference(i, NY) for i in range(1, 8)] + [Preference(99, NY, frequency="off")]
    found = list(due_people(prefs, utc(2026, 11, 22, 22, 5)))
    assert [d.user_id for d in found] == list(range(1, 8))
    assert [len(b) for b in batches(found, 3)] == [3, 3, 1]


@pytest.mark.parametrize("now", [utc(2026, 11, 20, 12, 0), utc(2026, 11, 22, 23, 0)])
def test_next_send_moment_is_in_the_future(now):
    moment = next_send_moment(Preference(1, NY), now)
    assert moment > now and moment.astimezone().weekday() in (6, 0)
    assert next_send_moment(Preference(1, NY, frequency="off"), now) is None
