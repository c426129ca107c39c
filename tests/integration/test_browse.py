"""GET /opportunities: every filter, the sorts, pagination, distance bands, the no-JS list."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from matchmaker.db import utcnow
from matchmaker.models import OpportunityTag, Profile, ProfileTag

PARK_SLOPE = (40.6720, -73.9778)
GOWANUS = (40.6790, -73.9880)      # ~1 km from Park Slope
MIDTOWN = (40.7549, -73.9840)      # ~9 km
BRONX = (40.8448, -73.8648)        # ~21 km
NY = ZoneInfo("America/New_York")


def titles(resp) -> list[str]:
    body = resp.get_data(as_text=True)
    return [html.unescape(t) for t in
            re.findall(r'class="browse-card-title"><a href="[^"]*">([^<]*)</a>', body)]


def local(days: int, hour: int, minute: int = 0) -> datetime:
    """A time ``days`` from now at ``hour`` New York time, as UTC."""
    day = (utcnow().astimezone(NY) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY).astimezone(UTC)


def next_weekday(weekday: int, hour: int) -> datetime:
    today = utcnow().astimezone(NY).date()
    ahead = (weekday - today.weekday()) % 7 or 7
    return local(ahead, hour)


@pytest.fixture
def resident(session, make_user):
    """A signed-in-able resident living (coarsely) in Park Slope who cares about animals."""
    user = make_user(email="res@example.org")
    profile = Profile(user_id=user.id, timezone="America/New_York", home_label="Brooklyn, NY",
                      home_lat=PARK_SLOPE[0], home_lon=PARK_SLOPE[1])
    profile.tags = [ProfileTag(kind="cause", value="animals")]
    session.add(profile)
    session.commit()
    return user


def test_anyone_sees_upcoming_published_only(client, make_opportunity):
    make_opportunity(title="Upcoming shift")
    make_opportunity(title="A draft", status="draft")
    make_opportunity(title="Long gone", starts=utcnow() - timedelta(days=2))
    cancelled = make_opportunity(title="Cancelled one", status="cancelled")
    assert cancelled.status == "cancelled"
    resp = client.get("/opportunities")
    assert resp.status_code == 200
    assert titles(resp) == ["Upcoming shift"]


def test_one_card_per_opportunity_with_its_next_occurrence(client, make_opportunity):
    make_opportunity(title="Weekly crew", starts=[local(9, 9), local(2, 9), local(16, 9)])
    resp = client.get("/opportunities")
    assert titles(resp) == ["Weekly crew"]
    expected_day = local(2, 9).astimezone(NY)
    assert f"{expected_day:%A} {expected_day.day} {expected_day:%B}" in resp.get_data(as_text=True)


def test_the_card_shows_the_next_occurrence_that_matches(client, session, make_opportunity):
    # Soonest-first reads occurrences in start order and keeps each opportunity's
    # first *matching* one: a cancelled or filtered-out earlier one must not hide it.
    opp = make_opportunity(title="Weekly crew", starts=[local(2, 9), local(9, 9), local(16, 9)])
    make_opportunity(title="One-off", starts=local(5, 9))
    first = min(opp.occurrences, key=lambda o: o.starts_at)
    first.cancelled_at = utcnow()
    session.commit()
    page = client.get("/opportunities").get_data(as_text=True)
    assert titles(client.get("/opportunities")) == ["One-off", "Weekly crew"]
    shown = local(9, 9).astimezone(NY)
    assert f"{shown:%A} {shown.day} {shown:%B}" in page
    later = (utcnow().astimezone(NY) + timedelta(days=12)).date()
    page = client.get(f"/opportunities?from={later}").get_data(as_text=True)
    assert titles(client.get(f"/opportunities?from={later}")) == ["Weekly crew"]
    shown = local(16, 9).astimezone(NY)
    assert f"{shown:%A} {shown.day} {shown:%B}" in page
    assert ">1 result<" in page


def test_text_search_title_description_and_org_case_insensitive(client, make_opportunity,
                                                                 make_org):
    org = make_org(name="Brooklyn Cat Rescue")
    make_opportunity(title="Feed the cats", org=org)
    make_opportunity(title="Paint a fence", description="Bring an OLD shirt")
    make_opportunity(title="Sort tins 100% fun")
    make_opportunity(title="Read aloud")
    assert titles(client.get("/opportunities?q=CAT+rescue")) == ["Feed the cats"]
    assert titles(client.get("/opportunities?q=old+shirt")) == ["Paint a fence"]
    # Wildcards are literal characters, not patterns.
    assert titles(client.get("/opportunities?q=%25")) == ["Sort tins 100% fun"]
    assert titles(client.get("/opportunities?q=_")) == []


def test_cause_filter_and_unknown_cause(client, make_opportunity):
    make_opportunity(title="Dog walk", causes=["animals"])
    make_opportunity(title="Pantry", causes=["food-security"])
    make_opportunity(title="Both", causes=["animals", "food-security"])
    assert sorted(titles(client.get("/opportunities?cause=animals"))) == ["Both", "Dog walk"]
    resp = client.get("/opportunities?cause=nonsense")
    assert resp.status_code == 400
    assert "We do not know the cause" in resp.get_data(as_text=True)
    assert len(titles(resp)) == 3  # the rest of the filters still work


def test_dates_are_inclusive_days(client, make_opportunity):
    make_opportunity(title="Soon", starts=local(2, 10))
    make_opportunity(title="Later", starts=local(10, 10))
    day = (utcnow().astimezone(NY) + timedelta(days=2)).date()
    assert titles(client.get(f"/opportunities?from={day}&to={day}")) == ["Soon"]
    assert titles(client.get(f"/opportunities?from={day + timedelta(days=1)}")) == ["Later"]
    resp = client.get(f"/opportunities?from={day}&to={day - timedelta(days=3)}")
    assert resp.status_code == 400 and "on or after" in resp.get_data(as_text=True)


def test_weekday_and_time_of_day_in_the_opportunitys_timezone(client, make_opportunity):
    # 08:30 Saturday in Los Angeles is 11:30 (or so) in New York and after 15:00 UTC.
    la = ZoneInfo("America/Los_Angeles")
    sat = next_weekday(5, 8).astimezone(NY).date()
    la_morning = datetime(sat.year, sat.month, sat.day, 8, 30, tzinfo=la).astimezone(UTC)
    make_opportunity(title="LA Saturday morning", starts=la_morning, timezone="America/Los_Angeles")
    make_opportunity(title="NY Saturday evening", starts=next_weekday(5, 19))
    make_opportunity(title="NY Tuesday morning", starts=next_weekday(1, 9))
    make_opportunity(title="Card writing", kind="small_act", starts=local(1, 3),
                     duration_minutes=10)
    got = titles(client.get("/opportunities?day=sat&time=morning"))
    assert sorted(got) == ["Card writing", "LA Saturday morning"]
    assert sorted(titles(client.get("/opportunities?day=sat"))) == [
        "Card writing", "LA Saturday morning", "NY Saturday evening"]
    assert sorted(titles(client.get("/opportunities?time=morning&small_acts=1"))) == [
        "Card writing"]
    assert client.get("/opportunities?day=someday").status_code == 400


def test_near_a_typed_place_with_radius_and_bands(client, make_opportunity):
    make_opportunity(title="Gowanus", lat=GOWANUS[0], lon=GOWANUS[1])
    make_opportunity(title="Midtown", lat=MIDTOWN[0], lon=MIDTOWN[1])
    make_opportunity(title="Bronx", lat=BRONX[0], lon=BRONX[1])
    make_opportunity(title="Phone a neighbour", is_remote=True)
    resp = client.get("/opportunities?place=11215&radius_km=5&sort=nearest")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert titles(resp) == ["Gowanus", "Phone a neighbour"]
    body = resp.get_data(as_text=True)
    assert "From home" in body
    assert re.search(r"under 1 km|about 2 km", body)
    assert not re.search(r"\d+\.\d+\s*km", body), "an exact distance leaked"
    wide = titles(client.get("/opportunities?place=11215&radius_km=50&sort=nearest"))
    assert wide == ["Gowanus", "Midtown", "Bronx", "Phone a neighbour"]


def test_unknown_place_is_a_message_not_a_crash(client, make_opportunity):
    make_opportunity(title="Anything")
    resp = client.get("/opportunities?place=Qwxzzyville+Nowhere")
    assert resp.status_code == 400
    assert "We could not find" in resp.get_data(as_text=True)


def test_near_my_area_needs_a_home(client, login_as, make_user, make_opportunity, resident):
    make_opportunity(title="Gowanus", lat=GOWANUS[0], lon=GOWANUS[1])
    make_opportunity(title="Bronx", lat=BRONX[0], lon=BRONX[1])
    login_as(resident)
    resp = client.get("/opportunities?near=home&radius_km=3")
    assert titles(resp) == ["Gowanus"]
    assert "Near my area" in resp.get_data(as_text=True)
    login_as(make_user())  # no profile, no home
    resp = client.get("/opportunities?near=home")
    assert resp.status_code == 400 and "We do not know your area" in resp.get_data(as_text=True)


def test_anonymous_gets_no_my_area_option(client, make_opportunity):
    make_opportunity()
    assert 'value="home"' not in client.get("/opportunities").get_data(as_text=True)


def test_best_fit_prefers_my_causes_and_closeness(client, login_as, make_opportunity, resident):
    make_opportunity(title="Far pantry", causes=["food-security"], lat=BRONX[0], lon=BRONX[1],
                     starts=local(1, 10), first_timer_friendly=False)
    make_opportunity(title="Near dogs", causes=["animals"], lat=GOWANUS[0], lon=GOWANUS[1],
                     starts=local(5, 10))
    login_as(resident)
    got = titles(client.get("/opportunities?sort=best&near=home&radius_km=50"))
    assert got == ["Near dogs", "Far pantry"]
    assert titles(client.get("/opportunities?sort=soonest")) == ["Far pantry", "Near dogs"]


def test_duration_format_access_first_timer_remote_small_acts(client, session,
                                                               make_opportunity):
    quick = make_opportunity(title="Quick call", duration_minutes=20, social_format="one_on_one",
                             is_remote=True, first_timer_friendly=False)
    mid = make_opportunity(title="Two hours", duration_minutes=120, social_format="small_group")
    make_opportunity(title="All day", duration_minutes=360, social_format="big_group")
    make_opportunity(title="A card", kind="small_act", duration_minutes=10, social_format="solo",
                     is_remote=True)
    mid.tags.append(OpportunityTag(kind="access", value="step-free"))
    mid.tags.append(OpportunityTag(kind="access", value="seated"))
    quick.tags.append(OpportunityTag(kind="access", value="seated"))
    session.commit()
    assert sorted(titles(client.get("/opportunities?duration=short"))) == ["A card", "Quick call"]
    assert sorted(titles(client.get("/opportunities?duration=medium"))) == [
        "A card", "Quick call", "Two hours"]
    assert titles(client.get("/opportunities?duration=long")) == ["All day"]
    assert titles(client.get("/opportunities?format=big_group")) == ["All day"]
    assert titles(client.get("/opportunities?access=step-free&access=seated")) == ["Two hours"]
    assert sorted(titles(client.get("/opportunities?access=seated"))) == [
        "Quick call", "Two hours"]
    assert "Quick call" not in titles(client.get("/opportunities?first_timers=1"))
    assert sorted(titles(client.get("/opportunities?remote=1"))) == ["A card", "Quick call"]
    resp = client.get("/opportunities?small_acts=1")
    assert titles(resp) == ["A card"]
    assert re.search(r"Small act: 10 minutes, any time before \w+day", resp.get_data(as_text=True))


def test_seats_left_and_waiting_list(client, session, make_opportunity):
    full = make_opportunity(title="Full", capacity=2)
    full.occurrences[0].confirmed_count = 2
    make_opportunity(title="Roomy", capacity=5)
    session.commit()
    body = client.get("/opportunities").get_data(as_text=True)
    assert "5 places left" in body
    assert "Full — you can join the waiting list" in body


def test_pagination_keeps_the_filters(client, make_opportunity, make_org):
    org = make_org(name="Busy Org")
    for i in range(23):
        make_opportunity(org=org, title=f"Shift {i:02d}", starts=local(1, 9) + timedelta(hours=i),
                         causes=["animals"])
    make_opportunity(title="Other cause", causes=["health"])
    first = client.get("/opportunities?cause=animals")
    assert len(titles(first)) == 20
    body = first.get_data(as_text=True)
    nxt = html.unescape(re.search(r'href="([^"]+)" rel="next"', body).group(1))
    assert "cause=animals" in nxt and "page=2" in nxt
    second = client.get(nxt)
    assert titles(second) == ["Shift 20", "Shift 21", "Shift 22"]
    assert 'rel="prev"' in second.get_data(as_text=True)
    assert titles(client.get("/opportunities?cause=animals&page=9")) == []


def test_the_list_works_without_javascript_and_is_labelled(client, make_opportunity):
    make_opportunity(title="Something")
    resp = client.get("/opportunities")
    body = resp.get_data(as_text=True)
    assert '<form method="get"' in body
    assert body.count("<h1") == 1
    assert not re.search(r"<script(?![^>]*\bsrc=)", body), "inline script"
    assert " style=" not in body
    ids = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', body)
    labelled = set(re.findall(r'<label for="([^"]+)"', body))
    missing = [i for i in ids if i not in labelled]
    assert ids and not missing, missing
    # The map is an extra: hidden until the script shows it; the list has the points.
    assert re.search(r'id="browse-map"[^>]*hidden', body)
    assert 'data-lat="40.672"' in body


def test_csp_allows_the_configured_tile_host(app_config, engine):
    from matchmaker import create_app

    app_config["MAP_TILE_URL"] = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    app = create_app(**app_config)
    csp = app.config["CONTENT_SECURITY_POLICY"]
    assert "img-src 'self' data: https://*.tiles.example.org;" in csp
    assert "script-src 'self';" in csp


@pytest.mark.parametrize("query", [
    "page=-1", "page=abc", "page=99999999999999999999", "radius_km=NaN", "radius_km=inf",
    "radius_km=-5", "radius_km=1e400", "near=91,0", "near=abc", "near=1,2,3", "near=nan,nan",
    "from=2025-02-30", "to=yesterday", "from=99999-01-01", "sort=random", "duration=forever",
    "format=crowd", "access=wings", "remote=maybe", "q=" + "x" * 1000, "cause=%00",
    "q=%00%27%22", "place=%00x", "time=noon", "day=",
])
def test_bad_input_is_never_a_500(client, make_opportunity, query):
    make_opportunity()
    resp = client.get(f"/opportunities?{query}")
    assert resp.status_code in (200, 400), resp.status_code
    if resp.status_code == 400:
        assert 'class="error"' in resp.get_data(as_text=True)
