"""Property tests: the fast matcher against the slow reference, on random small worlds.

The worlds are built around the awkward places and times on purpose: the date
line, the poles, a radius of zero, empty profiles, residents with no free
time, zones with half-hour (and 45-minute) offsets, and ``now`` a few days
before a daylight-saving change in New York, London, Adelaide or Lord Howe.
Windows are partly drawn around the occurrences (sometimes with no slack at
all), so that most examples have real matches to compare.
"""

from __future__ import annotations

import math
import os
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import great_circle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.matching import (
    Occurrence,
    OccurrenceIndex,
    Resident,
    ResidentIndex,
    engine,
    kth_scores,
    rank,
    rank_for_resident,
    residents_for_occurrence,
)
from tests.unit.matching_reference import reference_rank, reference_suited

ZONES = ["UTC", "America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Adelaide",
         "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham",
         "Pacific/Kiritimati", "Pacific/Pago_Pago"]
ANCHORS = [
    datetime(2025, 3, 9, 7, 0, tzinfo=UTC),     # New York springs forward
    datetime(2025, 11, 2, 6, 0, tzinfo=UTC),    # New York falls back
    datetime(2025, 3, 30, 1, 0, tzinfo=UTC),    # London springs forward
    datetime(2025, 10, 26, 1, 0, tzinfo=UTC),   # London falls back
    datetime(2025, 4, 5, 16, 30, tzinfo=UTC),   # Adelaide falls back
    datetime(2025, 10, 4, 16, 30, tzinfo=UTC),  # Adelaide springs forward
    datetime(2025, 4, 5, 15, 0, tzinfo=UTC),    # Lord Howe: a half-hour change
    datetime(2025, 6, 15, 0, 0, tzinfo=UTC),
]
CENTRES = [(0.0, 179.95), (0.0, -179.95), (89.95, 10.0), (-89.9, -120.0), (40.7, -74.0),
           (51.5, -0.12), (-34.9, 138.6), (0.0, 0.0)]
CAUSES = ["animals", "environment", "food-security", "older-people", "zz-unknown"]
SKILLS = ["cooking", "driving", "gardening", "listening"]
FORMATS = ["any", "one_on_one", "small_group", "big_group", "solo_remote", "odd"]
PEOPLE = ["p1", "p2", "p3", "p4"]
#: MATCHING_EXAMPLES=5000 for a long hunt; the default keeps the unit suite fast.
PROPS = settings(max_examples=int(os.environ.get("MATCHING_EXAMPLES", "150")), deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _wrap(lat, lon):
    lat = max(-90.0, min(90.0, lat))
    lon = ((lon + 180.0) % 360.0) - 180.0
    return lat, lon


def _pick(rng, *weighted):
    """rng.choice over (value, weight) pairs."""
    values = [v for v, _ in weighted]
    return rng.choices(values, weights=[w for _, w in weighted])[0]


def place_near(rng, centre):
    kind = _pick(rng, ("centre", 2), ("near", 10), ("far", 1), ("bad", 1))
    if kind == "centre":
        return centre
    if kind == "bad":
        return rng.choice([(math.nan, 0.0), (91.0, 0.0), (0.0, 200.0), (math.inf, 1.0)])
    spread = 200 if kind == "far" else 30
    return _wrap(centre[0] + rng.randint(-spread, spread) / 1000.0,
                 centre[1] + rng.randint(-spread, spread) / 1000.0)


def make_occurrence(rng, now, centre, i):
    kw = {}
    if rng.random() < 0.2:
        kw["do_by"] = now + timedelta(minutes=rng.randint(-120, 14 * 1440))
        kw["effort_minutes"] = rng.choice([5, 10, 30, 120])
    else:
        start = now + timedelta(minutes=15 * rng.randint(-20, 10 * 96))
        kw["start"] = start
        kw["end"] = start + timedelta(minutes=rng.choice([15, 30, 60, 90, 120, 180, 300]))
    remote = rng.random() < 0.25
    if not remote:
        kw["place"] = None if rng.random() < 0.05 else place_near(rng, centre)
    return Occurrence(
        id=i,
        opportunity_id=rng.choice([10, 11, 12, 13, None]),
        organization_id=rng.choice([1, 2, 3, None]),
        group_id=rng.choice([None, None, 21, 22]),
        causes=frozenset(rng.sample(CAUSES, rng.randint(0, 3))),
        skills=frozenset(rng.sample(SKILLS, rng.randint(0, 2))),
        remote=remote,
        seats_left=rng.randint(-1, 6),
        capacity=rng.randint(0, 10),
        social_format=rng.choice(FORMATS[1:]),
        access=frozenset(rng.sample(["step-free", "seated"], rng.randint(0, 2))),
        demands=frozenset(rng.choice([(), (), ("outdoors",), ("heavy-lifting",)])),
        min_age=rng.choice([0, 0, 0, 0, 16, 18]),
        first_timer_friendly=rng.random() < 0.5,
        going_ids=frozenset(rng.sample(PEOPLE, rng.randint(0, 3))),
        organization_name=rng.choice(["", "Riverside Pantry"]),
        group_name=rng.choice(["", "Tuesday Gardeners"]),
        **kw,
    )


def covering_windows(occ: Occurrence, tz: str, slack: int) -> list[tuple[int, int, int]]:
    """Windows around an occurrence's local time (split at local midnight)."""
    if occ.start is None:
        return []
    z = ZoneInfo(tz)
    a = occ.start.astimezone(z).replace(tzinfo=None) - timedelta(minutes=slack)
    b = occ.end.astimezone(z).replace(tzinfo=None) + timedelta(minutes=slack)
    out = []
    day = datetime(a.year, a.month, a.day)
    while day < b:
        nxt = day + timedelta(days=1)
        s = max(a, day)
        e = min(b, nxt)
        if e > s:
            out.append((day.weekday(), int((s - day).total_seconds() // 60),
                        math.ceil((e - day).total_seconds() / 60)))
        day = nxt
    return out


def make_resident(rng, now, centre, occs, i, tz):
    windows = []
    for occ in occs:
        if rng.random() < 0.75:
            windows += covering_windows(occ, tz if tz in ZONES else "UTC",
                                        rng.choice([0, 0, 30, 120]))
    for _ in range(rng.randint(0, 2)):
        windows.append((rng.randint(0, 6), 30 * rng.randint(0, 48), 30 * rng.randint(0, 48)))
    if rng.random() < 0.1:
        windows = [(d, 0, 1440) for d in range(7)]        # free all week
    if rng.random() < 0.1:
        windows = []                                        # no free time at all
    local_now = now.astimezone(ZoneInfo(tz if tz in ZONES else "UTC"))
    monday = local_now.date() - timedelta(days=local_now.weekday())
    committed = {}
    if rng.random() < 0.25:
        day = monday + timedelta(days=7 * rng.randint(0, 2) + rng.randint(0, 6))
        committed[day] = (rng.choice([0, 30, 90, 170]), rng.randint(0, 3))
    busy = []
    for o in occs:
        if o.start is not None and rng.random() < 0.1:
            busy.append((o.start + timedelta(minutes=rng.randint(-120, 60)),
                         o.start + timedelta(minutes=rng.randint(61, 180))))
    empty = rng.random() < 0.1                              # an empty profile
    return Resident(
        id=100 + i,
        timezone=tz,
        causes=frozenset() if empty else frozenset(rng.sample(CAUSES, rng.randint(0, 4))),
        skills=frozenset() if empty else frozenset(rng.sample(SKILLS, rng.randint(0, 3))),
        windows=tuple(windows),
        home=None if rng.random() < 0.05 else place_near(rng, centre),
        travel_radius_km=rng.choice([0.0, 0.5, 2.0, 5.0, 15.0, 40.0, 40.0, 40.0, 40.0, 40.0]),
        remote_ok=rng.random() < 0.75,
        weekly_budget_minutes=rng.choice([0, 60, 180, 600, 600, 600, 600]),
        weekly_commitment_cap=rng.choice([0, 1, 2, 5, 5, 5, 5]),
        committed=committed,
        busy=tuple(busy),
        social_format=rng.choice(FORMATS),
        access_needs=frozenset(rng.choice(
            [(), (), (), (), ("step-free",), ("seated",), ("no-heavy-lifting",)])),
        is_adult=rng.random() < 0.75,
        age=rng.choice([None, None, None, None, 15, 17, 30]),
        returned_organization_ids=frozenset(rng.sample([1, 2, 3], rng.randint(0, 2))),
        returned_group_ids=frozenset(rng.sample([21, 22], rng.randint(0, 1))),
        served_with_ids=frozenset(rng.sample(PEOPLE, rng.randint(0, 3))),
        first_timer=rng.random() < 0.4,
        signed_up_occurrence_ids=frozenset(
            rng.sample([o.id for o in occs], 1)) if occs and rng.random() < 0.2 else frozenset(),
    )


@st.composite
def worlds(draw):
    """A small world: hypothesis picks the edges (time, place, zones, sizes); a seed the rest."""
    anchor = draw(st.sampled_from(ANCHORS))
    now = anchor - timedelta(minutes=draw(st.integers(0, 4 * 1440)))
    centre = draw(st.sampled_from(CENTRES))
    n_occ = draw(st.integers(0, 8)) if draw(st.integers(0, 9)) == 0 else draw(st.integers(3, 8))
    zones = draw(st.lists(st.sampled_from(ZONES + ["Not/AZone"]), min_size=1, max_size=4))
    k = draw(st.sampled_from([1, 2, 3, 10]))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    occs = [make_occurrence(rng, now, centre, i) for i in range(n_occ)]
    ress = [make_resident(rng, now, centre, occs, i, tz) for i, tz in enumerate(zones)]
    return now, ress, occs, k


def assert_same(fast, ref):
    assert [m.occurrence_id for m in fast] == [m[0] for m in ref]
    for f, r in zip(fast, ref):
        assert abs(f.score - r[2]) <= 1e-9
        assert f.opportunity_id == r[1]
        assert f.waitlist == r[3]
        assert f.reasons == r[4]


@PROPS
@given(worlds())
def test_fast_top_k_equals_reference(world):
    now, ress, occs, k = world
    fast = rank(ress, occs, now, k)
    ref, ref_skipped = reference_rank(ress, occs, now, k)
    assert set(fast.matches) == set(ref)
    for rid, expected in ref.items():
        assert_same(fast.matches[rid], expected)
    assert fast.skipped == ref_skipped
    # the order of the input does not matter
    shuffled = rank(list(reversed(ress)), list(reversed(occs)), now, k)
    assert shuffled.matches == fast.matches


def _local_minutes_free(res: Resident, t: datetime) -> bool:
    """Is the wall-clock reading at instant t inside one of the windows (closed)?"""
    wall = t.astimezone(ZoneInfo(res.timezone))
    minute = wall.hour * 60 + wall.minute + wall.second / 60
    for wd, s, e in res.windows:
        if not 0 <= s < e <= 1440:
            continue
        if wall.weekday() == wd and s <= minute <= e:
            return True
        if minute == 0 and (wall.weekday() - 1) % 7 == wd and e == 1440:
            return True
    return False


def check_hard_constraints(res: Resident, occ: Occurrence, now: datetime) -> None:
    """An independent check of every rule for a recommended pair (per-minute clock walk)."""
    if occ.remote:
        assert res.remote_ok
    else:
        d = great_circle(res.home, occ.place).km
        assert d <= res.travel_radius_km + 0.0005 + 1e-9
    if occ.start is not None:
        assert occ.start > now
        t = occ.start
        while t < occ.end:
            assert _local_minutes_free(res, t), f"{t} is not free time"
            t += timedelta(minutes=1)
        assert _local_minutes_free(res, occ.end)
        for a, b in res.busy:
            assert not (a < occ.end and occ.start < b)
        local = occ.start.astimezone(ZoneInfo(res.timezone))
    else:
        assert occ.do_by > now
        local = now.astimezone(ZoneInfo(res.timezone))
    monday = local.date() - timedelta(days=local.weekday())
    used_min = sum(m for d, (m, c) in res.committed.items()
                   if d - timedelta(days=d.weekday()) == monday)
    used_cnt = sum(c for d, (m, c) in res.committed.items()
                   if d - timedelta(days=d.weekday()) == monday)
    minutes = occ.duration_minutes or (
        (occ.end - occ.start).total_seconds() / 60 if occ.start else occ.effort_minutes)
    assert used_min + minutes <= res.weekly_budget_minutes
    assert used_cnt + 1 <= res.weekly_commitment_cap
    age = res.age if res.age is not None else (18 if res.is_adult else 0)
    assert age >= occ.min_age
    if "no-heavy-lifting" in res.access_needs:
        assert "heavy-lifting" not in occ.demands
    if not occ.remote:
        for need in ("step-free", "seated"):
            if need in res.access_needs:
                assert need in occ.access
    assert occ.id not in res.signed_up_occurrence_ids


@PROPS
@given(worlds())
def test_no_recommendation_breaks_a_hard_constraint(world):
    now, ress, occs, _k = world
    by_id = {o.id: o for o in occs}
    result = rank(ress, occs, now, 10)
    for res in ress:
        for m in result.matches.get(res.id, []):
            check_hard_constraints(res, by_id[m.occurrence_id], now)
            assert m.waitlist == (by_id[m.occurrence_id].seats_left <= 0)
            assert 0.0 <= m.score <= 1.0
    assert all(not m.waitlist for ms in rank(ress, occs, now, 10, include_waitlist=False)
               .matches.values() for m in ms)


@settings(PROPS, max_examples=max(1, PROPS.max_examples * 2 // 3))
@given(worlds())
def test_reverse_and_single_resident_paths_agree(world):
    now, ress, occs, k = world
    index = ResidentIndex(ress)
    for occ in occs:
        got = residents_for_occurrence(occ, index, now)
        expected = reference_suited(occ, ress, now)
        assert [m.resident_id for m in got.residents] == [e[0] for e in expected]
        for g, e in zip(got.residents, expected):
            assert abs(g.score - e[1]) <= 1e-9 and g.waitlist == e[2] and g.reasons == e[3]
    occ_index = OccurrenceIndex(occs)
    full = rank(ress, occ_index, now, k)
    for res in ress:
        one = rank_for_resident(res, occ_index, now, k)
        assert one.matches.get(res.id, []) == full.matches.get(res.id, [])
    # cutoffs: only the residents whose current top k the occurrence would enter
    cut = kth_scores(index, full, k)
    where = {rid: i for i, rid in enumerate(index.ids)}
    for occ in occs:
        every = residents_for_occurrence(occ, index, now).residents
        some = residents_for_occurrence(occ, index, now, cutoffs=cut).residents
        assert some == [m for m in every if m.score >= cut[where[m.resident_id]]]


@pytest.mark.parametrize("k, all_points", [(1, 65_536), (3, 0), (10, 65_536)])
def test_bigger_random_world_matches_reference(k, all_points, monkeypatch):
    """A denser seeded world (many pairs per resident, many small acts), beyond what
    hypothesis draws: exercises the shortlist floor that prunes work, and both ways
    a chunk finds its candidates (all occurrences, or a k-d tree query)."""
    monkeypatch.setattr(engine, "ALL_POINTS", all_points)
    rng = random.Random(7)
    now = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
    centre = (40.7, -74.0)
    occs = []
    for i in range(220):
        kw = {}
        if i % 4 == 0:
            kw.update(do_by=now + timedelta(days=rng.randint(1, 20)),
                      effort_minutes=rng.choice([10, 20, 45]))
        else:
            start = now + timedelta(minutes=15 * rng.randint(0, 14 * 96))
            kw.update(start=start, end=start + timedelta(minutes=rng.choice([60, 90, 120])))
        occs.append(Occurrence(
            id=i, opportunity_id=rng.randint(1, 60), organization_id=rng.randint(1, 8),
            group_id=rng.choice([None, 1, 2, 3]),
            causes=frozenset(rng.sample(CAUSES, rng.randint(0, 2))),
            skills=frozenset(rng.sample(SKILLS, rng.randint(0, 2))),
            place=_wrap(centre[0] + rng.uniform(-0.1, 0.1), centre[1] + rng.uniform(-0.1, 0.1)),
            remote=rng.random() < 0.15, seats_left=rng.randint(0, 5), capacity=rng.randint(1, 10),
            social_format=rng.choice(FORMATS[1:5]), going_ids=frozenset(rng.sample(PEOPLE, 1)),
            access=frozenset({"step-free"}) if rng.random() < 0.5 else frozenset(),
            first_timer_friendly=rng.random() < 0.5, **kw,
        ))
    ress = []
    for i in range(30):
        windows = [(rng.randint(0, 6), 60 * rng.randint(6, 14), 60 * rng.randint(15, 23))
                   for _ in range(rng.randint(2, 6))]
        ress.append(Resident(
            id=f"r{i:02d}", timezone="America/New_York",
            causes=frozenset(rng.sample(CAUSES, 3)), skills=frozenset(rng.sample(SKILLS, 2)),
            windows=tuple(windows), home=(centre[0] + rng.uniform(-0.05, 0.05),
                                          centre[1] + rng.uniform(-0.05, 0.05)),
            travel_radius_km=rng.uniform(2, 12), weekly_budget_minutes=600,
            weekly_commitment_cap=5, served_with_ids=frozenset(rng.sample(PEOPLE, 2)),
            returned_organization_ids=frozenset({rng.randint(1, 8)}),
            first_timer=rng.random() < 0.3, social_format=rng.choice(FORMATS[:5]),
        ))
    fast = rank(ress, occs, now, k)
    ref, _ = reference_rank(ress, occs, now, k)
    assert sum(len(v) for v in ref.values()) >= 25 * k
    for rid, expected in ref.items():
        assert_same(fast.matches[rid], expected)
