"""One rule at a time: the clock (DST, half hours, midnight), weeks, budgets, access, bad input.

Each test builds the smallest world that shows the rule; times are written in
UTC with the local reading next to them.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from matchmaker.matching import Occurrence, Resident, ResidentIndex, rank, residents_for_occurrence
from matchmaker.matching.explain import distance_reason
from matchmaker.matching.scoring import WEIGHTS


def utc(y, mo, d, h, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def shift(oid, start, minutes, **kw) -> Occurrence:
    kw.setdefault("place", (51.5, -0.12))
    return Occurrence(oid, opportunity_id=oid, organization_id=oid, start=start,
                      end=start + timedelta(minutes=minutes), **kw)


def person(windows, tz="UTC", **kw) -> Resident:
    kw.setdefault("home", (51.5, -0.12))
    kw.setdefault("id", "r")
    return Resident(timezone=tz, windows=tuple(windows), **kw)


def ids(result, rid="r") -> list:
    return [m.occurrence_id for m in result.matches[rid]]


SAT, SUN, MON = 5, 6, 0


# -- the resident's clock ---------------------------------------------------------------

def test_new_york_saturday_morning_before_and_after_clocks_spring_forward():
    r = person([(SAT, 10 * 60, 12 * 60)], tz="America/New_York")
    now = utc(2025, 3, 1, 0)
    occs = [
        shift("est-10", utc(2025, 3, 8, 15), 60),    # 10:00 EST: fits
        shift("est-09", utc(2025, 3, 8, 14), 60),    # 09:00 EST: too early
        shift("edt-10", utc(2025, 3, 15, 14), 60),   # 10:00 EDT (same UTC hour as above!)
        shift("edt-11", utc(2025, 3, 15, 15), 120),  # 11:00-13:00 EDT: ends too late
    ]
    assert sorted(ids(rank([r], occs, now))) == ["edt-10", "est-10"]


def test_london_across_the_autumn_change():
    r = person([(SAT, 10 * 60, 11 * 60)], tz="Europe/London")
    now = utc(2025, 10, 20, 0)
    occs = [shift("bst", utc(2025, 10, 25, 9), 60),     # 10:00 BST
            shift("gmt", utc(2025, 11, 1, 10), 60),     # 10:00 GMT
            shift("gmt-9", utc(2025, 11, 1, 9), 60)]    # 09:00 GMT
    assert sorted(ids(rank([r], occs, now))) == ["bst", "gmt"]


def test_half_hour_offsets_kolkata_and_adelaide():
    now = utc(2025, 3, 20, 0)
    kolkata = person([(MON, 9 * 60 + 30, 11 * 60)], tz="Asia/Kolkata", id="k")
    adelaide = person([(SAT, 10 * 60, 12 * 60)], tz="Australia/Adelaide", id="a")
    occs = [
        shift("k-exact", utc(2025, 3, 24, 4, 0), 90),     # Mon 09:30-11:00 IST, no slack
        shift("k-early", utc(2025, 3, 24, 3, 59), 90),    # Mon 09:29 IST
        shift("a-acdt", utc(2025, 3, 28, 23, 30), 60),    # Sat 29 Mar 10:00 ACDT (+10:30)
        shift("a-acst", utc(2025, 4, 12, 0, 30), 60),     # Sat 12 Apr 10:00 ACST (+9:30)
        shift("a-wrong", utc(2025, 4, 11, 23, 30), 60),   # Sat 12 Apr 09:00 ACST
    ]
    result = rank([kolkata, adelaide], occs, now)
    assert ids(result, "k") == ["k-exact"]
    assert sorted(ids(result, "a")) == ["a-acdt", "a-acst"]
    assert "Monday morning is in your free time" in result.matches["k"][0].reasons


def test_crossing_local_midnight_needs_the_windows_on_both_sides():
    now = utc(2025, 6, 1, 0)
    late = shift("late", utc(2025, 6, 7, 23), 120)             # Sat 23:00 - Sun 01:00
    only_saturday = person([(SAT, 22 * 60, 1440)], id="one")
    both_sides = person([(SAT, 22 * 60, 1440), (SUN, 0, 2 * 60)], id="two")
    result = rank([only_saturday, both_sides], [late], now)
    assert ids(result, "one") == [] and ids(result, "two") == ["late"]
    # and across the end of the week: Sunday night into Monday
    week_end = shift("wrap", utc(2025, 6, 8, 23, 30), 60)      # Sun 23:30 - Mon 00:30
    wraps = person([(SUN, 23 * 60, 1440), (MON, 0, 60)], id="w")
    assert ids(rank([wraps], [week_end], now), "w") == ["wrap"]


def test_the_night_clocks_go_back_counts_the_repeated_hour_twice():
    now = utc(2025, 10, 30, 0)
    # 05:30-06:30 UTC on 2 Nov reads 01:30 EDT ... 01:30 EST: the clock shows 01:30
    # twice; the span checked is 00:30-02:30 (start with the smaller offset, end
    # with the larger), which a person free 00:00-03:00 covers.
    occ = shift("fold", utc(2025, 11, 2, 5, 30), 60)
    wide = person([(SUN, 0, 3 * 60)], tz="America/New_York", id="wide")
    narrow = person([(SUN, 60, 2 * 60)], tz="America/New_York", id="narrow")
    result = rank([wide, narrow], [occ], now)
    assert ids(result, "wide") == ["fold"] and ids(result, "narrow") == []


def test_the_night_clocks_go_forward_skips_the_missing_hour():
    now = utc(2025, 3, 5, 0)
    occ = shift("gap", utc(2025, 3, 9, 6, 30), 60)           # 01:30 EST -> 03:30 EDT
    r = person([(SUN, 60, 4 * 60)], tz="America/New_York")
    assert ids(rank([r], [occ], now)) == ["gap"]
    r = person([(SUN, 60, 3 * 60)], tz="America/New_York")   # until 03:00: ends too late
    assert ids(rank([r], [occ], now)) == []


def test_overlapping_and_touching_windows_are_one_stretch_and_bad_ones_are_ignored():
    now = utc(2025, 6, 1, 0)
    occ = shift("x", utc(2025, 6, 7, 11), 120)              # Sat 11:00-13:00
    r = person([(SAT, 9 * 60, 12 * 60), (SAT, 12 * 60, 14 * 60), (SAT, 15 * 60, 14 * 60),
                (9, 0, 60), ("x", 1, 2), (SAT, float("nan"), 60)])
    result = rank([r], [occ], now)
    assert ids(result) == ["x"]
    assert result.skipped["window_ignored"] == 4


# -- weeks and budgets ------------------------------------------------------------------

def test_a_session_counts_in_the_local_week_it_starts_in():
    now = utc(2025, 6, 1, 0)
    # Monday 9 June 02:00 UTC is still Sunday 8 June 22:00 in New York: the week of 2 June.
    sunday_night = shift("sun", utc(2025, 6, 9, 2), 60)
    monday = shift("mon", utc(2025, 6, 9, 14), 60)          # Monday 10:00 EDT: week of 9 June
    r = person([(SUN, 20 * 60, 24 * 60), (MON, 9 * 60, 12 * 60)], tz="America/New_York",
               weekly_commitment_cap=2, committed={date(2025, 6, 4): (30, 2)})  # a Wednesday
    assert ids(rank([r], [sunday_night, monday], now)) == ["mon"]


def test_remaining_minutes_and_commitments_are_respected():
    now = utc(2025, 6, 1, 0)
    occs = [shift("30", utc(2025, 6, 3, 10), 30), shift("60", utc(2025, 6, 3, 12), 60)]
    r = person([(1, 9 * 60, 14 * 60)], weekly_budget_minutes=120,
               committed={date(2025, 6, 2): (90, 1)})
    assert ids(rank([r], occs, now)) == ["30"]
    r = person([(1, 9 * 60, 14 * 60)], weekly_commitment_cap=1,
               committed={date(2025, 6, 2): (0, 1)})
    assert ids(rank([r], occs, now)) == []
    r = person([(1, 9 * 60, 14 * 60)], weekly_budget_minutes=0)
    assert ids(rank([r], occs, now)) == []


def test_own_commitments_block_overlapping_times_but_not_touching_ones():
    now = utc(2025, 6, 1, 0)
    occs = [shift("clash", utc(2025, 6, 3, 11), 60), shift("after", utc(2025, 6, 3, 12), 60)]
    r = person([(1, 9 * 60, 14 * 60)], busy=((utc(2025, 6, 3, 10), utc(2025, 6, 3, 12)),))
    assert ids(rank([r], occs, now)) == ["after"]


def test_small_acts_any_time_before_do_by_within_budget():
    now = utc(2025, 6, 2, 12)
    acts = [
        Occurrence("ok", "a", "o", do_by=utc(2025, 6, 6, 12), effort_minutes=15, remote=True),
        Occurrence("past", "b", "o", do_by=utc(2025, 6, 2, 11), effort_minutes=15, remote=True),
        Occurrence("long", "c", "o2", do_by=utc(2025, 6, 6, 12), effort_minutes=200, remote=True),
    ]
    r = person([(1, 9 * 60, 11 * 60)])                       # two free hours on Tuesdays
    assert ids(rank([r], acts, now)) == ["ok"]               # 200 minutes fits no stretch
    assert ids(rank([person([])], acts, now)) == []          # no free time at all: nothing
    full = person([(1, 9 * 60, 11 * 60)], committed={date(2025, 6, 2): (170, 1)})
    assert ids(rank([full], acts, now)) == []                # only 10 minutes left this week


# -- the person ---------------------------------------------------------------------------

def test_age_access_and_sign_ups():
    now = utc(2025, 6, 1, 0)
    at = utc(2025, 6, 3, 10)
    occs = [
        shift("adults", at, 60, min_age=18),
        shift("sixteen", at + timedelta(hours=1), 60, min_age=16),
        shift("lifting", at + timedelta(hours=2), 60, demands=frozenset({"heavy-lifting"}),
              access=frozenset({"step-free", "seated"})),
        shift("stairs", at + timedelta(hours=3), 60, access=frozenset({"seated"})),
        shift("online", at + timedelta(hours=4), 60, place=None, remote=True),
    ]
    free = [(1, 9 * 60, 16 * 60)]
    young = person(free, id="young", is_adult=False)
    sixteen = person(free, id="sixteen", is_adult=False, age=16)
    needs = person(free, id="needs", access_needs=frozenset({"step-free", "no-heavy-lifting"}))
    signed = person(free, id="signed", signed_up_occurrence_ids=frozenset({"adults", "online"}))
    result = rank([young, sixteen, needs, signed], occs, now)
    assert sorted(ids(result, "young")) == ["lifting", "online", "stairs"]
    assert sorted(ids(result, "sixteen")) == ["lifting", "online", "sixteen", "stairs"]
    assert sorted(ids(result, "needs")) == ["online"]          # remote: no stairs to climb
    assert sorted(ids(result, "signed")) == ["lifting", "sixteen", "stairs"]


def test_full_occurrences_come_last_as_waitlist_or_not_at_all():
    now = utc(2025, 6, 1, 0)
    occs = [shift("full", utc(2025, 6, 3, 10), 60, seats_left=0, capacity=5),
            shift("open", utc(2025, 6, 3, 12), 60, seats_left=5, capacity=5)]
    r = person([(1, 9 * 60, 14 * 60)])
    got = rank([r], occs, now).matches["r"]
    assert [(m.occurrence_id, m.waitlist) for m in got] == [("open", False), ("full", True)]
    assert "Full for now: join the waitlist" in got[1].reasons
    assert ids(rank([r], occs, now, include_waitlist=False)) == ["open"]


# -- places -------------------------------------------------------------------------------

@pytest.mark.parametrize("home, place, radius, expected", [
    ((51.5, -0.12), (51.5, -0.12), 0.0, True),               # radius zero, same place
    ((51.5, -0.12), (51.5001, -0.12), 0.0, False),           # 11 m away
    ((0.0, 179.99), (0.0, -179.99), 3.0, True),              # across the date line: 2.2 km
    ((0.0, 179.99), (0.0, -179.99), 2.0, False),
    ((89.99, 0.0), (89.99, 180.0), 3.0, True),               # over the pole: 2.2 km
    ((-90.0, 0.0), (-89.99, 77.0), 1.2, True),               # at the pole itself: 1.1 km
])
def test_distance_is_great_circle_everywhere(home, place, radius, expected):
    now = utc(2025, 6, 1, 0)
    occ = shift("x", utc(2025, 6, 3, 10), 60, place=place)
    r = person([(1, 9 * 60, 14 * 60)], home=home, travel_radius_km=radius)
    assert (ids(rank([r], [occ], now)) == ["x"]) is expected
    found = residents_for_occurrence(occ, ResidentIndex([r]), now).residents
    assert bool(found) is expected


def test_distance_words_are_bands_never_exact():
    words = {m: distance_reason(m) for m in (0, 999, 1000, 1499, 1500, 9499, 9500, 12499, 12500)}
    assert words == {0: "under 1 km", 999: "under 1 km", 1000: "about 1 km", 1499: "about 1 km",
                     1500: "about 2 km", 9499: "about 9 km", 9500: "about 10 km",
                     12499: "about 10 km", 12500: "about 15 km"}
    assert distance_reason(None) == "From home"


# -- ranking ------------------------------------------------------------------------------

def test_variety_one_per_opportunity_two_per_organization_then_fill():
    now = utc(2025, 6, 1, 0)
    at = utc(2025, 6, 3, 9)
    home = (51.5, -0.12)

    def occ(oid, opp, org, metres_north):
        return Occurrence(oid, opp, org, start=at, end=at + timedelta(minutes=30),
                          place=(home[0] + metres_north / 111_195, home[1]))

    # nearer is better, all else equal: a1 > a2 > a3 > b1 > b2 > c1 > y1
    occs = [occ("a1", "A", "X", 100), occ("a2", "A", "X", 200), occ("a3", "A", "X", 300),
            occ("b1", "B", "X", 400), occ("b2", "B", "X", 500), occ("c1", "C", "X", 600),
            occ("y1", "Y", "Z", 700)]
    r = person([(1, 8 * 60, 10 * 60)], home=home, travel_radius_km=5, weekly_budget_minutes=600,
               weekly_commitment_cap=9)
    assert ids(rank([r], occs, now, k=3)) == ["a1", "b1", "y1"]
    assert ids(rank([r], occs, now, k=7)) == ["a1", "b1", "y1", "a2", "a3", "b2", "c1"]


def test_ties_are_broken_by_occurrence_id_and_inputs_order_does_not_matter():
    now = utc(2025, 6, 1, 0)
    occs = [Occurrence(i, i, i, start=utc(2025, 6, 3, 10), end=utc(2025, 6, 3, 11),
                       place=(51.5, -0.12)) for i in (5, 3, 9, 1)]
    r = person([(1, 9 * 60, 14 * 60)])
    assert ids(rank([r], occs, now)) == [1, 3, 5, 9]
    assert rank([r], occs[::-1], now) == rank([r], occs, now)
    assert rank([r], occs, now, workers=1) == rank([r], occs, now, workers=2)


def test_a_shard_of_residents_gets_the_same_answers():
    now = utc(2025, 6, 1, 0)
    occs = [shift(i, utc(2025, 6, 3, 9) + timedelta(hours=i % 5), 60,
                  place=(51.5 + i / 1000, -0.12)) for i in range(30)]
    people = [person([(1, 8 * 60, 16 * 60)], id=i, home=(51.5 + i / 500, -0.12), travel_radius_km=3)
              for i in range(12)]
    whole = rank(people, occs, now, k=4).matches
    part = rank(people[3:7], occs, now, k=4).matches
    assert part == {i: whole[i] for i in range(3, 7)}


def test_scores_are_weighted_components():
    assert math.isclose(sum(WEIGHTS.values()), 1.0)


# -- bad input ----------------------------------------------------------------------------

def test_bad_input_is_skipped_counted_and_never_raises():
    now = utc(2025, 6, 1, 0)
    at = utc(2025, 6, 3, 10)
    occs = [
        shift("nan", at, 60, place=(math.nan, 0.0)),
        shift("range", at, 60, place=(95.0, 0.0)),
        shift("lon", at, 60, place=(10.0, 181.0)),
        Occurrence("nowhere", "n", "n", start=at, end=at + timedelta(hours=1)),
        Occurrence("backwards", "b", "b", start=at, end=at - timedelta(hours=1), remote=True),
        Occurrence("no-do-by", "d", "d", effort_minutes=10, remote=True),
        shift("dup", at, 60), shift("dup", at, 30),
        shift("good", at, 60),
        Occurrence("online", "o", "o", start=at, end=at + timedelta(hours=1), remote=True),
    ]
    people = [
        person([(1, 9 * 60, 14 * 60)], id="fine"),
        person([(1, 9 * 60, 14 * 60)], id="nohome", home=None),
        person([(1, 9 * 60, 14 * 60)], id="nanhome", home=(math.nan, math.nan)),
        person([(1, 9 * 60, 14 * 60)], id="badtz", tz="Mars/Olympus_Mons"),
        person([(1, 9 * 60, 14 * 60)], id="fine"),
        person([(1, 9 * 60, 14 * 60), ("garbage",)], id="garbage-window", home=(51.51, -0.12),
               travel_radius_km=float("nan"), committed={"not a date": (1, 1)}),
    ]
    result = rank(people, occs, now)
    assert result.skipped == {
        "occurrence_bad_coordinates": 3, "occurrence_no_location": 1, "occurrence_bad_times": 2,
        "occurrence_duplicate_id": 1, "resident_no_location_remote_only": 1,
        "resident_bad_coordinates_remote_only": 1, "resident_bad_timezone": 1,
        "resident_duplicate_id": 1, "window_ignored": 1, "resident_bad_radius": 1,
        "committed_ignored": 1,
    }
    assert sorted(ids(result, "fine")) == ["dup", "good", "online"]
    assert ids(result, "nohome") == ["online"] and ids(result, "nanhome") == ["online"]
    assert ids(result, "garbage-window") == ["online"]                 # radius read as 0
    assert "badtz" not in result.matches
    assert residents_for_occurrence(occs[0], ResidentIndex(people), now).skipped == {
        "occurrence_bad_coordinates": 1}


def test_empty_inputs():
    now = utc(2025, 6, 1, 0)
    assert rank([], [], now).matches == {}
    assert rank([person([])], [], now).matches == {"r": []}
    assert residents_for_occurrence(shift("x", utc(2025, 6, 3, 10), 60), [], now).residents == []


# -- the package stays pure -----------------------------------------------------------------

def test_matching_imports_neither_flask_nor_sqlalchemy():
    package = Path(__file__).resolve().parents[2] / "matchmaker" / "matching"
    for path in package.glob("*.py"):
        text = path.read_text()
        assert not re.search(r"flask|sqlalchemy", text), path          # the grep in the brief
        assert not re.search(r"^\s*(import|from)\s+(flask|sqlalchemy)", text,
                             re.IGNORECASE | re.MULTILINE), path
