"""The demo data is valid, varied and deterministic (pure: no database)."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

import pytest

from matchmaker import vocab
from matchmaker.demo.opportunities import KINDS, OPPORTUNITIES
from matchmaker.demo.organizations import DEMO_ADMIN, ORGANIZATIONS, organizer_people
from matchmaker.demo.people import generate_residents
from matchmaker.demo.places import NEIGHBOURHOODS, zip_centroid

# Brooklyn and western Queens, generously: nothing should land in New Jersey or the sea.
NYC_BOX = (40.60, 40.80, -74.05, -73.82)


@pytest.fixture(scope="module")
def residents():
    return generate_residents()


def test_every_zip_is_real_and_in_brooklyn_or_queens():
    for place in NEIGHBOURHOODS:
        lat, lon = zip_centroid(place.zip_code)
        assert NYC_BOX[0] < lat < NYC_BOX[1] and NYC_BOX[2] < lon < NYC_BOX[3], place
        assert place.borough in {"Brooklyn", "Queens"}
        assert place.label == f"{place.name}, {place.borough} {place.zip_code}"
    assert {"11215", "11217", "11238", "11101", "11102", "11211"} <= {
        p.zip_code for p in NEIGHBOURHOODS}
    with pytest.raises(KeyError):
        zip_centroid("00000")


def test_generation_is_deterministic():
    assert generate_residents(50, seed=7) == generate_residents(50, seed=7)
    assert generate_residents(50, seed=7) != generate_residents(50, seed=8)
    # The first residents do not depend on how many are asked for (demo-logins relies on it).
    assert generate_residents(5)[:5] == generate_residents(200)[:5]


def test_two_hundred_plausible_residents(residents):
    assert len(residents) == 200
    emails = [r.email for r in residents]
    assert len(set(emails)) == 200
    assert not set(emails) & ({p.email for p in organizer_people()} | {DEMO_ADMIN.email})
    for r in residents:
        assert r.email.endswith("@example.org") and r.email.isascii()
        assert 1 <= len(r.display_name) <= 80
        ZoneInfo(r.timezone)
        assert r.timezone == "America/New_York"
        assert NYC_BOX[0] < r.home_lat < NYC_BOX[1] and NYC_BOX[2] < r.home_lon < NYC_BOX[3]
        assert r.home_label.endswith(r.zip_code) and len(r.home_label) <= 160
        assert 1 <= r.travel_radius_km <= 15
        assert 30 <= r.weekly_minutes <= 300 and r.weekly_minutes % 15 == 0
        assert 1 <= r.max_commitments_per_week <= 3
        assert r.social_format in vocab.SOCIAL_FORMATS
        assert r.causes and set(r.causes) <= set(vocab.CAUSES)
        assert set(r.skills) <= set(vocab.SKILLS)
        assert set(r.access_needs) <= set(vocab.ACCESS_NEEDS)
        assert all(len(v) <= 40 for v in r.causes + r.skills + r.access_needs)
        assert r.availability, r
        previous = None
        for w in r.availability:
            assert 0 <= w.weekday <= 6
            assert 0 <= w.start_minute < w.end_minute <= 1440
            if previous and previous.weekday == w.weekday:
                assert previous.end_minute < w.start_minute, "windows overlap"
            previous = w


def test_residents_are_varied(residents):
    assert len({r.zip_code for r in residents}) >= 15
    assert len({r.archetype for r in residents}) >= 6
    assert set(Counter(r.social_format for r in residents)) == set(vocab.SOCIAL_FORMATS)
    assert len({c for r in residents for c in r.causes}) >= 15
    assert len({s for r in residents for s in r.skills}) >= 12
    assert 10 <= sum(1 for r in residents if r.access_needs) <= 80
    assert 0 < sum(1 for r in residents if not r.is_adult) < 20
    assert 40 < sum(1 for r in residents if r.remote_ok) < 190
    assert len({r.weekly_minutes for r in residents}) >= 10
    assert {r.max_commitments_per_week for r in residents} == {1, 2, 3}
    # Coarse homes: many people share a grid point, but not everyone.
    points = Counter((r.home_lat, r.home_lon) for r in residents)
    assert 20 <= len(points) < 200
    weekdays = Counter(w.weekday for r in residents for w in r.availability)
    assert set(weekdays) == set(range(7))


def test_homes_are_snapped_by_the_given_coarsen_function():
    snapped = generate_residents(10, coarsen=lambda lat, lon: (40.7, -73.9))
    assert {(r.home_lat, r.home_lon) for r in snapped} == {(40.7, -73.9)}


def test_organizations_fit_their_columns_and_the_vocabulary():
    assert len(ORGANIZATIONS) == 8
    assert len({o.slug for o in ORGANIZATIONS}) == 8
    assert any(o.verified for o in ORGANIZATIONS) and not all(o.verified for o in ORGANIZATIONS)
    assert any(o.co_organizer for o in ORGANIZATIONS)
    people = organizer_people()
    assert len({p.email for p in people}) == len(people)
    for org in ORGANIZATIONS:
        assert len(org.name) <= 120 and len(org.summary) <= 280 and len(org.area) <= 120
        assert set(org.causes) <= set(vocab.CAUSES)
        assert org.zip_code in {n.zip_code for n in NEIGHBOURHOODS}


def test_about_sixty_opportunities_ready_for_the_opportunities_feature():
    assert 55 <= len(OPPORTUNITIES) <= 70
    assert len({o.key for o in OPPORTUNITIES}) == len(OPPORTUNITIES)
    slugs = {o.slug for o in ORGANIZATIONS}
    per_org = Counter(o.org for o in OPPORTUNITIES)
    assert set(per_org) == slugs and min(per_org.values()) >= 5
    assert set(Counter(o.kind for o in OPPORTUNITIES)) == set(KINDS)
    for o in OPPORTUNITIES:
        assert o.cause in vocab.CAUSES, o.key
        assert o.format in vocab.SOCIAL_FORMATS and o.format != "any", o.key
        assert set(o.skills) <= set(vocab.SKILLS), o.key
        assert set(o.access) <= set(vocab.ACCESS_NEEDS), o.key
        assert o.title and len(o.title) <= 120
        if o.kind == "small_act":
            assert o.duration_minutes == 10 and o.capacity is None, o.key
        else:
            assert 30 <= o.duration_minutes <= 240 and o.capacity >= 1, o.key
        if o.kind in {"shift", "recurring_group"}:
            assert 0 <= o.weekday <= 6 and o.start and o.in_days is None, o.key
            hours, minutes = map(int, o.start.split(":"))
            assert 6 <= hours <= 21 and minutes in {0, 15, 30, 45}, o.key
        if o.kind == "one_off":
            assert o.in_days and o.in_days > 0 and o.weekday is None, o.key
    assert sum(1 for o in OPPORTUNITIES if o.first_timer_friendly) > len(OPPORTUNITIES) / 2
    assert sum(1 for o in OPPORTUNITIES if o.remote) >= 10


def test_history_is_planned_on_recurring_in_person_opportunities():
    from matchmaker.demo import history

    by_key = {o.key: o for o in OPPORTUNITIES}
    assert len(history.HISTORY) >= 8
    assert len({by_key[k].org for k in history.HISTORY}) >= 6
    # The demo organizer's organization has history for its dashboard.
    assert any(by_key[k].org == ORGANIZATIONS[0].slug for k in history.HISTORY)
    for key, weeks in history.HISTORY.items():
        spec = by_key[key]
        assert spec.kind in {"shift", "recurring_group"} and not spec.remote, key
        assert spec.capacity >= 3, key
        assert 1 <= weeks <= history.WEEKS, key
    assert history.DEMO_OPPORTUNITY in history.HISTORY


def test_the_demo_resident_story_has_a_streak_and_fits_their_week():
    from matchmaker.demo import history

    attended, missed = set(history.DEMO_ATTENDED_WEEKS), set(history.DEMO_NO_SHOW_WEEKS)
    assert not attended & missed
    assert max(attended | missed) <= history.HISTORY[history.DEMO_OPPORTUNITY]
    # Weeks 1, 2, 3... in a row: a streak of at least three as of last week.
    run = 0
    while run + 1 in attended:
        run += 1
    assert run >= 3
    # The demo login is free when the group meets (the opportunity starts in their window).
    spec = next(o for o in OPPORTUNITIES if o.key == history.DEMO_OPPORTUNITY)
    hours, minutes = map(int, spec.start.split(":"))
    start = hours * 60 + minutes
    demo_login = generate_residents(1)[0]
    assert any(w.weekday == spec.weekday and w.start_minute <= start < w.end_minute
               for w in demo_login.availability)
