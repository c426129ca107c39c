"""geocode_place and its database cache; the GEOCODER setting as the app builds it.

No test here reaches a network: Nominatim is only constructed, never asked.
"""

from __future__ import annotations

import pytest
from geopy.exc import GeocoderServiceError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from sqlalchemy import select

from matchmaker import create_app
from matchmaker.geo import GeocoderUnavailable, Place, UnknownPlace, geocode_place
from matchmaker.geo.cache import EXTENSION_KEY
from matchmaker.geo.gazetteer import GazetteerGeocoder
from matchmaker.geo.providers import ConfiguredGeocoder
from matchmaker.models import GeocodeCacheEntry

# --- configuration ----------------------------------------------------------------------

def test_default_geocoder_is_the_offline_gazetteer(app):
    configured = app.extensions[EXTENSION_KEY]
    assert configured.name == "gazetteer"
    assert isinstance(configured.geocoder, GazetteerGeocoder)


def test_nominatim_is_wrapped_in_a_rate_limiter_without_calling_it(app_config):
    app = create_app(**{**app_config, "GEOCODER": "nominatim",
                        "NOMINATIM_USER_AGENT": "matchmaker-tests/1.0"})
    configured = app.extensions[EXTENSION_KEY]
    assert configured.name == "nominatim"
    assert isinstance(configured.geocoder, Nominatim)
    assert configured.geocoder.headers["User-Agent"] == "matchmaker-tests/1.0"
    assert isinstance(configured.lookup, RateLimiter)
    assert configured.lookup.min_delay_seconds == 1
    assert configured.lookup.func.func == configured.geocoder.geocode
    assert configured.lookup.func.keywords["addressdetails"] is True


# --- geocode_place and its cache -------------------------------------------------------------

@pytest.fixture
def swap_geocoder(app):
    """swap_geocoder(lookup, name=None): put ``lookup`` behind geocode_place for this test."""
    real = app.extensions[EXTENSION_KEY]

    def swap(lookup, name=None):
        app.extensions[EXTENSION_KEY] = ConfiguredGeocoder(name or real.name, lookup, None)

    yield swap
    app.extensions[EXTENSION_KEY] = real


@pytest.fixture
def geocoder_calls(app, swap_geocoder):
    """The queries that reached the real geocoder (the cache sits in front of it)."""
    real_lookup = app.extensions[EXTENSION_KEY].lookup
    calls: list[str] = []

    def counting(query):
        calls.append(query)
        return real_lookup(query)

    swap_geocoder(counting)
    return calls


def test_geocode_place_caches_hits(session, geocoder_calls):
    place = geocode_place(session, "11215")
    assert place == Place("Brooklyn, NY 11215", 40.6669, -73.9828)
    assert geocode_place(session, "  11215") == place
    assert geocoder_calls == ["11215"]
    entry = session.scalar(select(GeocodeCacheEntry).where(
        GeocodeCacheEntry.key == "gazetteer:11215"))
    assert (entry.label, entry.lat, entry.lon) == ("Brooklyn, NY 11215", 40.6669, -73.9828)


def test_spellings_share_one_cache_entry(session, geocoder_calls):
    first = geocode_place(session, "Park Slope")
    assert geocode_place(session, "  PARK   slope ") == first
    assert geocoder_calls == ["park slope"]


def test_misses_are_cached_and_explained(session, geocoder_calls):
    for _ in range(2):
        with pytest.raises(UnknownPlace) as caught:
            geocode_place(session, "Nowhereville")
        assert str(caught.value) == ("We could not find “Nowhereville”. "
                                     "Try a ZIP code or a town name.")
    assert geocoder_calls == ["nowhereville"]
    entry = session.scalar(select(GeocodeCacheEntry).where(
        GeocodeCacheEntry.key == "gazetteer:nowhereville"))
    assert entry.lat is None and entry.lon is None


@pytest.mark.parametrize("query", ["", "   ", "x" * 201])
def test_empty_or_overlong_queries_never_reach_the_geocoder(session, geocoder_calls, query):
    with pytest.raises(UnknownPlace):
        geocode_place(session, query)
    assert geocoder_calls == []


def test_geocoder_outage_is_not_cached(session, swap_geocoder):
    def broken(query):
        raise GeocoderServiceError("down")

    swap_geocoder(broken, name="nominatim")
    with pytest.raises(GeocoderUnavailable, match="try again"):
        geocode_place(session, "Park Slope")
    assert session.scalar(select(GeocodeCacheEntry).where(
        GeocodeCacheEntry.key == "nominatim:park slope")) is None


def test_a_concurrent_answer_for_the_same_key_wins_quietly(session, swap_geocoder):
    def racing(query):
        # Another request stores the same key while we wait for the geocoder.
        session.add(GeocodeCacheEntry(key=f"gazetteer:{query}", label="Theirs", lat=1.0, lon=2.0))
        session.flush()

    swap_geocoder(racing)
    assert geocode_place(session, "Park Slope") == Place("Theirs", 1.0, 2.0)
    assert len(session.scalars(select(GeocodeCacheEntry).where(
        GeocodeCacheEntry.key == "gazetteer:park slope")).all()) == 1
