"""Where a resident lives: stored only on the ~1 km grid, shown only in bands, and never
narrowed down by someone who chooses where to look from.

The attacker here is an organizer who posts opportunities at points of their
choosing, as many as they like, and watches everything the app then does with
residents: who is matched, who is emailed and with which words, what each
resident's "For you" page, digest, API and browse-from-home show (as if they
could read over the resident's shoulder). Two residents whose real homes are
about 800 m apart but in the same grid cell must produce byte-identical
observations from every one of those origins; a resident one cell over may
differ, but only by whole bands. A test that only compared stored values would
miss a channel that used the typed text or the geocoder's precise answer.
"""

from __future__ import annotations

import json
import math
import re
from datetime import timedelta

import pytest
from geopy.location import Location

from matchmaker.db import utcnow
from matchmaker.geo import coarsen, haversine_km
from matchmaker.geo.cache import EXTENSION_KEY
from matchmaker.geo.distance import DISTANCE_BANDS
from matchmaker.geo.providers import ConfiguredGeocoder
from matchmaker.matching.explain import distance_reason
from matchmaker.models import MatchAlert, Profile, Recommendation
from matchmaker.profile.availability import Window
from matchmaker.profile.services import ProfileInput, save_profile

#: The words a distance may be shown in: browse's bands (geo.distance_band) and the
#: matcher's reasons (whole km up to 9, then steps of 5), both measured from the grid point.
BANDS = ({words for _, words in DISTANCE_BANDS} | {"more than 20 km"}
         | {distance_reason(m) for m in range(0, 300_000, 100)})
#: Any figure followed by "km", with the words before it that make it a band.
KM_PHRASE = re.compile(r"(?:(?:under|about|more than)\s+)?\d+(?:[.,]\d+)?\s*km")

CELL = coarsen(40.6700, -73.9800)
LON_STEP = 360 / round(360 * math.cos(math.radians(CELL[0])) / 0.01)
#: Real homes: A and B in the same cell, ~830 m apart; C one cell east.
HOMES = {
    "A": (CELL[0] - 0.0034, CELL[1] - 0.0020),
    "B": (CELL[0] + 0.0034, CELL[1] + 0.0020),
    "C": (CELL[0], CELL[1] + LON_STEP),
}


def offset(point, km: float, bearing_deg: float) -> tuple[float, float]:
    """A point ``km`` away from ``point`` towards ``bearing_deg`` (flat-earth, fine at 12 km)."""
    b = math.radians(bearing_deg)
    dlat = km * math.cos(b) / 111.195
    dlon = km * math.sin(b) / (111.195 * math.cos(math.radians(point[0])))
    return point[0] + dlat, point[1] + dlon


@pytest.fixture
def real_homes(app):
    """A geocoder that answers "home A" etc. with each resident's real, precise home."""
    real = app.extensions[EXTENSION_KEY]

    def lookup(query: str):
        key = query.removeprefix("home ").upper()
        if key not in HOMES:
            return None
        lat, lon = HOMES[key]
        return Location("Brooklyn, NY", (lat, lon), {})

    app.extensions[EXTENSION_KEY] = ConfiguredGeocoder("test", lookup, None)
    yield HOMES
    app.extensions[EXTENSION_KEY] = real


def everyone_free() -> list[Window]:
    return [Window(day, 0, 1440) for day in range(7)]


@pytest.fixture
def residents(app, session, make_user, real_homes):
    from matchmaker.api.auth import create_token

    app.config["MATCH_EMAILS_PER_WEEK"] = 1000
    people = {}
    for name in HOMES:
        # Same name for all three: the observations must not differ by anything else.
        user = make_user(email=f"resident-{name.lower()}@example.org", display_name="Sam")
        save_profile(session, user.id, ProfileInput(
            timezone="America/New_York", home=f"home {name}", travel_radius_km=10,
            remote_ok=False, weekly_minutes=6000, max_commitments_per_week=14,
            causes=("food-security",), windows=everyone_free(), is_adult=True))
        session.get(Profile, user.id).notify_strong_matches = True
        _, token = create_token(session, user, "watch")
        session.commit()
        people[name] = (user, token)
    return people


def test_homes_are_stored_on_the_grid(residents, session):
    for name, (user, _token) in residents.items():
        profile = session.get(Profile, user.id)
        stored = (profile.home_lat, profile.home_lon)
        assert coarsen(*stored) == stored, f"{name}'s home is not a grid point: {stored}"
        assert stored != HOMES[name]
        assert haversine_km(stored, HOMES[name]) < 0.87
    a, b = (session.get(Profile, residents[n][0].id) for n in "AB")
    assert 0.75 < haversine_km(HOMES["A"], HOMES["B"]) < 0.9
    assert (a.home_lat, a.home_lon) == (b.home_lat, b.home_lon)


def test_a_typed_home_is_stored_on_the_grid_through_the_form(post_form, login_as, make_user,
                                                             session):
    user = make_user()
    login_as(user)
    response = post_form("/profile/", {"timezone": "America/New_York", "home": "11215",
                                       "travel_radius_km": "3", "weekly_hours": "2",
                                       "max_commitments_per_week": "2",
                                       "social_format": "any"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    session.expire_all()
    profile = session.get(Profile, user.id)
    assert (profile.home_lat, profile.home_lon) == coarsen(40.6669, -73.9828)
    assert (profile.home_lat, profile.home_lon) != (40.6669, -73.9828)


# --- what the attacker and the residents can see -----------------------------------------------

_CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


def _page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return _CSRF.sub(r'\1"', response.get_data(as_text=True))


def observe(app, session, login_as, user, token) -> dict:
    """Everything the app shows or sends about, or to, one resident."""
    c = app.test_client()
    login_as(user, c)
    email = user.email
    recommendations = [
        (r.occurrence_id, r.rank, round(r.score, 12), r.reasons, r.waitlist)
        for r in session.query(Recommendation).filter_by(user_id=user.id)
        .order_by(Recommendation.rank)]
    alerts = sorted(a.occurrence_id for a in session.query(MatchAlert).filter_by(user_id=user.id))
    api = c.get("/api/v1/me/recommendations?limit=50",
                headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    return {
        "recommendations": recommendations,
        "alerts": alerts,
        "for_you": _page(c, "/for-you"),
        "digest": _page(c, "/me/digest"),
        "browse_from_home": _page(c, "/opportunities?near=home&radius_km=30"),
        "api": json.dumps(api.get_json(), sort_keys=True),
        "emails": [(str(m["Subject"]), m.get_body(("plain",)).get_content())
                   for m in _outbox(app) if email in str(m["To"])],
    }


def _outbox(app):
    from email import message_from_bytes, policy
    from pathlib import Path

    return [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"))]


def _without_bands(text: str) -> str:
    for words in sorted(BANDS, key=len, reverse=True):
        text = text.replace(words, "<band>")
    return text


def test_chosen_origins_cannot_place_a_resident_closer_than_the_grid(
        app, session, residents, make_org, make_opportunity, login_as):
    from workers.matching_jobs import match_opportunity

    attacker = make_org(name="Curious Organizers")
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=2)
    origins = [offset(HOMES["A"], km, bearing)
               for bearing in (0, 120, 240) for km in (0.2, 0.6, 1.2, 2.2, 4, 7, 9.5, 12)]
    assert len(origins) >= 3
    for n, point in enumerate(origins):
        opp = make_opportunity(org=attacker, title=f"Probe {n}", lat=point[0], lon=point[1],
                               starts=start + timedelta(hours=n), duration_minutes=30,
                               capacity=5)
        match_opportunity(opp.id)
    session.expire_all()

    seen = {name: observe(app, session, login_as, user, token)
            for name, (user, token) in residents.items()}
    for channel in seen["A"]:
        assert seen["A"][channel] == seen["B"][channel], (
            f"{channel}: two homes in the same grid cell can be told apart")
    # The test is sensitive: the probes did reach the residents and tell cells apart.
    assert len(seen["A"]["recommendations"]) >= 5 and seen["A"]["alerts"]
    assert seen["A"]["emails"], "no match email reached the resident"
    assert any(seen["A"][c] != seen["C"][c] for c in seen["A"])
    # ...but only by whole bands: every distance shown anywhere is a band.
    for name, channels in seen.items():
        for channel, value in channels.items():
            for phrase in KM_PHRASE.findall(str(value)):
                assert phrase.strip() in BANDS, f"{name} {channel} shows {phrase!r}"
    a_reasons = {occ: reasons for occ, _, _, reasons, _ in seen["A"]["recommendations"]}
    c_reasons = {occ: reasons for occ, _, _, reasons, _ in seen["C"]["recommendations"]}
    for occ in a_reasons.keys() & c_reasons.keys():
        assert [_without_bands(r) for r in a_reasons[occ]] == \
            [_without_bands(r) for r in c_reasons[occ]]


def test_matching_sees_only_the_grid_point(session, residents):
    """The pure matcher's input for A and B is the same but for the id."""
    from dataclasses import replace

    from matchmaker.recommendations.adapter import load_residents

    loaded, _ = load_residents(session, user_ids=[residents[n][0].id for n in "ABC"])
    by_id = {r.id: r for r in loaded}
    a, b, c = (by_id[residents[n][0].id] for n in "ABC")
    assert replace(a, id=0) == replace(b, id=0)
    assert replace(a, id=0) != replace(c, id=0)
    assert a.home == coarsen(*HOMES["A"])


def test_distances_are_shown_only_in_bands(app, session, residents, make_opportunity, login_as,
                                           client):
    user, _ = residents["A"]
    opps = [make_opportunity(title=f"Near {km}", lat=p[0], lon=p[1])
            for km in (0.4, 1.7, 3.3, 6.1, 13.9, 17.2, 26.0)
            for p in [offset(HOMES["A"], km, 45)]]
    login_as(user)
    pages = [client.get("/opportunities?near=home&radius_km=50").get_data(as_text=True),
             client.get(f"/opportunities?near={CELL[0]},{CELL[1]}&radius_km=50")
             .get_data(as_text=True),
             client.get("/api/v1/opportunities?near=home&radius_km=50").get_data(as_text=True)]
    pages += [client.get(f"/opportunities/{o.id}").get_data(as_text=True) for o in opps[:3]]
    phrases = [p.strip() for page in pages for p in KM_PHRASE.findall(page)]
    shown = {p for p in phrases if p in BANDS}
    assert len(shown) >= 4, phrases  # the list shows several different bands
    # "How far, in km" and the like are labels; every figure next to "km" is a band.
    assert [p for p in phrases if p not in BANDS] == []
