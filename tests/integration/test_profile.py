"""The resident profile over HTTP: a full save, every kind of bad answer, sign-in required."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from matchmaker.geo import coarsen, haversine_km
from matchmaker.geo.cache import EXTENSION_KEY
from matchmaker.models import AvailabilityWindow, GeocodeCacheEntry, Profile, ProfileTag

# Fixtures shared with the cache tests (pytest finds them by name in this module).
from tests.integration.test_geocode_cache import (  # noqa: F401
    geocoder_calls,
    swap_geocoder,
)

PARTS = ("weekday", "start", "end")
BLANK_ROWS = {f"windows-{i}-{part}": "" for i in range(2, 7) for part in PARTS}

VALID = {
    "causes": ["food-security", "older-people"],
    "skills": ["cooking", "listening"],
    "access_needs": ["seated"],
    "timezone": "America/New_York",
    "windows-0-weekday": "5", "windows-0-start": "09:00", "windows-0-end": "12:00",
    "windows-1-weekday": "2", "windows-1-start": "18:30", "windows-1-end": "20:00",
    **BLANK_ROWS,
    "home": "Park Slope",
    "travel_radius_km": "3",
    "remote_ok": "y",
    "weekly_hours": "1.5",
    "max_commitments_per_week": "2",
    "social_format": "small_group",
    "is_adult": "y",
}


@pytest.fixture
def resident(make_user, login_as):
    user = make_user(email="rosa@example.org", display_name="Rosa")
    login_as(user)
    return user


def save(post_form, **changes):
    data = {**VALID, **changes}
    return post_form("/profile/", {k: v for k, v in data.items() if v is not None})


def errors_in(resp) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]+)<', resp.get_data(as_text=True))


def snapshot(session, user_id):
    """Everything the profile form can change, read fresh from the database."""
    session.expire_all()
    profile = session.get(Profile, user_id)
    columns = None if profile is None else tuple(
        getattr(profile, c) for c in ("timezone", "home_label", "home_lat", "home_lon",
                                      "travel_radius_km", "remote_ok", "weekly_minutes",
                                      "max_commitments_per_week", "social_format", "is_adult"))
    tags = set(session.execute(select(ProfileTag.kind, ProfileTag.value)
                               .where(ProfileTag.user_id == user_id)))
    windows = list(session.execute(
        select(AvailabilityWindow.weekday, AvailabilityWindow.start_minute,
               AvailabilityWindow.end_minute)
        .where(AvailabilityWindow.user_id == user_id)
        .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start_minute)))
    return columns, tags, windows


# --- access -------------------------------------------------------------------------------

def test_sign_in_required(client):
    resp = client.get("/profile/")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")
    assert client.post("/profile/", data=VALID).status_code in (302, 400)


def test_new_profile_page_has_kind_defaults_and_is_accessible(client, resident, app):
    resp = client.get("/profile/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.count("<h1") == 1
    assert "What we know so far" not in html  # nothing saved yet
    assert 'href="/account/password">Change password' in html
    assert "We will never suggest more." in html
    assert "Tell us what suits you" not in html
    # Every visible input has a label; seven empty free-time rows work without JavaScript.
    ids = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html)
    labelled = set(re.findall(r'<label for="([^"]+)"', html))
    assert [i for i in ids if i != "csrf_token" and i not in labelled] == []
    assert len(re.findall(r'name="windows-\d+-weekday"', html)) == 7
    assert 'type="time"' in html and 'step="900"' in html
    assert html.count("<legend>") >= 5
    assert f'<option selected value="{app.config["DEFAULT_TIMEZONE"]}"' in html
    assert 'value="2"' in html  # two hours a week to start with
    assert "<script" not in html


def test_welcome_intro_after_registration(client, resident):
    html = client.get("/profile/?welcome=1").get_data(as_text=True)
    assert "Tell us what suits you — you can change this any time" in html


# --- a good save ------------------------------------------------------------------------------

def test_full_save_round_trip(client, post_form, resident, session, app):
    resp = save(post_form)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/profile/"

    columns, tags, windows = snapshot(session, resident.id)
    profile = session.get(Profile, resident.id)
    assert columns[0] == "America/New_York"
    assert profile.home_label == "Park Slope, NY"
    assert (profile.travel_radius_km, profile.remote_ok) == (3.0, True)
    assert (profile.weekly_minutes, profile.max_commitments_per_week) == (90, 2)
    assert (profile.social_format, profile.is_adult) == ("small_group", True)
    assert tags == {("cause", "food-security"), ("cause", "older-people"),
                    ("skill", "cooking"), ("skill", "listening"), ("access", "seated")}
    assert windows == [(2, 1110, 1200), (5, 540, 720)]

    # Only a coarse point is stored: not the geocoder's point, but within a kilometre of it.
    raw = app.extensions[EXTENSION_KEY].lookup("park slope")
    stored = (profile.home_lat, profile.home_lon)
    assert stored != (raw.latitude, raw.longitude)
    assert stored == coarsen(raw.latitude, raw.longitude)
    assert haversine_km(stored, (raw.latitude, raw.longitude)) < 1.0

    html = client.get("/profile/").get_data(as_text=True)
    assert "Thank you — your profile is saved" in html
    assert "Saturday 09:00–12:00" in html and "Wednesday 18:30–20:00" in html
    assert "Food security, Older people" in html
    assert "Up to 1.5 hours a week" in html
    assert "Around Park Slope, NY, up to 3 km away" in html
    # The form shows what was saved, plus seven empty rows for more.
    assert 'value="Park Slope, NY"' in html
    assert len(re.findall(r'name="windows-\d+-weekday"', html)) == 2 + 7


def test_saving_again_replaces_choices_and_keeps_an_unchanged_home(
        client, post_form, resident, session, geocoder_calls):  # noqa: F811
    assert save(post_form).status_code == 303
    assert geocoder_calls == ["park slope"]
    first = snapshot(session, resident.id)
    resp = save(post_form, causes=["animals"], skills=[], access_needs=[],
                home="Park Slope, NY", **{"windows-1-weekday": "", "windows-1-start": "",
                                          "windows-1-end": ""})
    assert resp.status_code == 303
    columns, tags, windows = snapshot(session, resident.id)
    assert tags == {("cause", "animals")}
    assert windows == [(5, 540, 720)]
    assert columns[1:4] == first[0][1:4]
    assert geocoder_calls == ["park slope"]  # the same label was not looked up again


def test_zip_code_home_and_comma_decimals(post_form, resident, session):
    assert save(post_form, home="11215-1234", weekly_hours="0,25",
                travel_radius_km="2.5").status_code == 303
    session.expire_all()
    profile = session.get(Profile, resident.id)
    assert profile.home_label == "Brooklyn, NY 11215"
    assert (profile.home_lat, profile.home_lon) == coarsen(40.6669, -73.9828)
    assert (profile.weekly_minutes, profile.travel_radius_km) == (15, 2.5)


def test_overlapping_windows_are_joined_and_said_so(client, post_form, resident, session):
    resp = save(post_form, **{"windows-1-weekday": "5", "windows-1-start": "11:00",
                              "windows-1-end": "13:00"})
    assert resp.status_code == 303
    assert snapshot(session, resident.id)[2] == [(5, 540, 780)]
    assert "on Saturday overlapped, so we joined them" in client.get("/profile/").get_data(
        as_text=True)


def test_until_midnight_and_no_home_when_remote_is_fine(post_form, resident, session):
    resp = save(post_form, home="", remote_ok="y", **{"windows-1-start": "20:00",
                                                       "windows-1-end": "00:00"})
    assert resp.status_code == 303
    columns, _, windows = snapshot(session, resident.id)
    assert columns[1:4] == ("", None, None)
    assert (2, 1200, 1440) in windows


def test_nothing_chosen_is_a_valid_profile(post_form, resident, session):
    resp = save(post_form, causes=[], skills=[], access_needs=[], is_adult=None,
                **{f"windows-{i}-{p}": "" for i in (0, 1) for p in PARTS})
    assert resp.status_code == 303
    columns, tags, windows = snapshot(session, resident.id)
    assert (tags, windows, columns[-1]) == (set(), [], False)


# --- bad answers -------------------------------------------------------------------------------

BAD = [
    # field, changes, words expected in the message
    ("home", {"home": "Nowhereville"}, "We could not find “Nowhereville”"),
    ("home", {"home": "x" * 121}, "120 characters or fewer"),
    ("home", {"home": "", "remote_ok": None}, "ZIP code or town"),
    ("home", {"home": "Springfield, Narnia"}, "could not find"),
    ("travel_radius_km", {"travel_radius_km": ""}, "distance from 0 to 200"),
    ("travel_radius_km", {"travel_radius_km": "abc"}, "distance from 0 to 200"),
    ("travel_radius_km", {"travel_radius_km": "-1"}, "distance from 0 to 200"),
    ("travel_radius_km", {"travel_radius_km": "201"}, "distance from 0 to 200"),
    ("travel_radius_km", {"travel_radius_km": "NaN"}, "distance from 0 to 200"),
    ("travel_radius_km", {"travel_radius_km": "Infinity"}, "distance from 0 to 200"),
    ("travel_radius_km", {"travel_radius_km": "1e999999"}, "distance from 0 to 200"),
    ("weekly_hours", {"weekly_hours": ""}, "from 0 to 100 hours"),
    ("weekly_hours", {"weekly_hours": "two"}, "from 0 to 100 hours"),
    ("weekly_hours", {"weekly_hours": "-0.5"}, "from 0 to 100 hours"),
    ("weekly_hours", {"weekly_hours": "100.5"}, "from 0 to 100 hours"),
    ("max_commitments_per_week", {"max_commitments_per_week": ""}, "whole number from 0 to 14"),
    ("max_commitments_per_week", {"max_commitments_per_week": "1.5"}, "whole number"),
    ("max_commitments_per_week", {"max_commitments_per_week": "15"}, "whole number"),
    ("max_commitments_per_week", {"max_commitments_per_week": "-1"}, "whole number"),
    ("causes", {"causes": ["food-security", "world-domination"]}, "only from the list"),
    ("skills", {"skills": ["<script>"]}, "only from the list"),
    ("access_needs", {"access_needs": ["jetpack"]}, "only from the list"),
    ("social_format", {"social_format": "crowd-surfing"}, "Please choose one of these"),
    ("social_format", {"social_format": None}, "Please choose one of these"),
    ("timezone", {"timezone": "Mars/Olympus_Mons"}, "time zone from the list"),
    ("timezone", {"timezone": "../../etc/passwd"}, "time zone from the list"),
    ("timezone", {"timezone": ""}, "time zone from the list"),
    ("windows", {"windows-0-end": "08:00"}, "end time must be later than the start"),
    ("windows", {"windows-0-end": "09:00"}, "end time must be later than the start"),
    ("windows", {"windows-0-start": "09:10"}, "quarter hour"),
    ("windows", {"windows-0-start": "9am"}, "time of day, like 09:30"),
    ("windows", {"windows-0-start": "25:00"}, "time of day"),
    ("windows", {"windows-0-start": ""}, "Please enter a start time"),
    ("windows", {"windows-0-weekday": ""}, "Please choose a day, or clear this row"),
    ("windows", {"windows-0-weekday": "9"}, "choose a day from the list"),
    ("windows", {"windows-0-weekday": "Saturday"}, "choose a day from the list"),
]


@pytest.mark.parametrize(("field", "changes", "message"), BAD,
                         ids=[f"{f}:{next(iter(c.values()))!s:.20}" for f, c, _ in BAD])
def test_bad_answer_is_400_with_a_message_and_changes_nothing(
        post_form, resident, session, field, changes, message):
    assert save(post_form).status_code == 303
    before = snapshot(session, resident.id)
    bad = {**VALID, "causes": ["animals"], "weekly_hours": "3", **changes}
    resp = post_form("/profile/", {k: v for k, v in bad.items() if v is not None})
    assert resp.status_code == 400
    html = resp.get_data(as_text=True)
    assert any(message in e for e in errors_in(resp)), (message, errors_in(resp))
    assert 'role="alert"' in html
    assert snapshot(session, resident.id) == before


def test_bad_answer_on_a_new_profile_writes_no_profile(post_form, resident, session):
    resp = save(post_form, travel_radius_km="abc", home="Nowhereville")
    assert resp.status_code == 400
    assert snapshot(session, resident.id) == (None, set(), [])


def test_every_problem_is_reported_at_once(post_form, resident):
    resp = save(post_form, home="Nowhereville", timezone="Mars/Base",
                **{"windows-0-end": "08:00"})
    assert resp.status_code == 400
    assert len(errors_in(resp)) >= 2


def test_an_unknown_place_is_cached_even_though_the_form_failed(
        post_form, resident, session, geocoder_calls):  # noqa: F811
    for _ in range(2):
        assert save(post_form, home="Nowhereville").status_code == 400
    assert geocoder_calls == ["nowhereville"]
    session.expire_all()
    entry = session.scalar(select(GeocodeCacheEntry).where(
        GeocodeCacheEntry.key == "gazetteer:nowhereville"))
    assert entry is not None and entry.lat is None


def test_bad_input_keeps_what_was_typed(post_form, resident):
    html = save(post_form, travel_radius_km="abc", home="Astoria").get_data(as_text=True)
    assert 'value="abc"' in html and 'value="Astoria"' in html
    assert 'aria-invalid="true"' in html


def test_too_many_rows_are_ignored_not_fatal(post_form, resident, session):
    rows = {f"windows-{i}-{p}": "" for i in range(2, 200) for p in PARTS}
    assert save(post_form, **rows).status_code == 303
    assert len(snapshot(session, resident.id)[2]) == 2


def test_missing_csrf_token_is_rejected(client, resident, session):
    resp = client.post("/profile/", data=VALID)
    assert resp.status_code == 400
    assert snapshot(session, resident.id) == (None, set(), [])
