"""Geocoding and distances: the offline gazetteer, coarse points, distance words.

The database cache and the app's geocoder setting are in
tests/integration/test_geocode_cache.py.
"""

from __future__ import annotations

import json
import math

import pytest
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from hypothesis import given
from hypothesis import strategies as st

from matchmaker.geo import (
    coarsen,
    distance_band,
    haversine_km,
)
from matchmaker.geo.gazetteer import GazetteerGeocoder
from matchmaker.geo.index import build_index, iter_records
from matchmaker.geo.providers import area_label, build_geocoder
from matchmaker.geo.text import fold, normalise_query


@pytest.fixture(scope="module")
def gazetteer() -> GazetteerGeocoder:
    return GazetteerGeocoder(default_country="US")


def near(location, lat, lon, km=2.0) -> bool:
    return haversine_km((location.latitude, location.longitude), (lat, lon)) < km


# --- the offline gazetteer -----------------------------------------------------------

def test_gazetteer_is_a_geopy_geocoder_returning_locations(gazetteer):
    assert isinstance(gazetteer, Geocoder)
    found = gazetteer.geocode("Park Slope")
    assert isinstance(found, Location)
    assert found.address == "Park Slope, NY"
    assert near(found, 40.670, -73.986)


@pytest.mark.parametrize("query", ["11215", "11215-1234", " 11215 ", "Brooklyn, NY 11215",
                                   "brooklyn ny 11215"])
def test_us_zip_codes(gazetteer, query):
    found = gazetteer.geocode(query)
    assert found.address == "Brooklyn, NY 11215"
    assert near(found, 40.6669, -73.9828, km=0.01)
    assert found.raw["source"] == "zipcodes"


@pytest.mark.parametrize("query", ["00000", "99999", "1121", "112150", "11215-12"])
def test_unknown_or_malformed_zip_finds_nothing(gazetteer, query):
    found = gazetteer.geocode(query)
    assert found is None or found.raw["source"] != "zipcodes"


@pytest.mark.parametrize(("query", "label"), [
    ("Brooklyn", "Brooklyn, NY"),
    ("Queens", "Queens, NY"),
    ("Astoria", "Astoria, NY"),
    ("Harlem", "Harlem, NY"),
    ("Bushwick", "Bushwick, NY"),
    ("Manhattan", "Manhattan, NY"),  # its own name beats New York City's alternate name
    ("Bronx", "The Bronx, NY"),      # an alternate name
    ("NYC", "New York City, NY"),
    ("Saint Louis", "St. Louis, MO"),  # a much bigger place wins on its alternate name
])
def test_demo_city_names(gazetteer, query, label):
    assert gazetteer.geocode(query).address == label


@pytest.mark.parametrize(("query", "label"), [
    ("Astoria, OR", "Astoria, OR"),
    ("Astoria, Oregon", "Astoria, OR"),
    ("Astoria Oregon", "Astoria, OR"),
    ("Springfield, IL", "Springfield, IL"),
    ("Paris", "Paris, TX"),             # the default country first ...
    ("Paris, France", "Paris, France"),  # ... unless a country is named
    ("paris fr", "Paris, France"),
    ("London, UK", "London, United Kingdom"),
    ("Los Angeles, CA", "Los Angeles, CA"),  # CA: California ...
    ("Toronto, CA", "Toronto, Canada"),      # ... or Canada, whichever has the town
])
def test_state_or_country_narrows_an_ambiguous_name(gazetteer, query, label):
    assert gazetteer.geocode(query).address == label


def test_ambiguous_name_lists_candidates_most_populous_first(gazetteer):
    found = gazetteer.geocode("Springfield", exactly_one=False)
    assert len(found) > 5
    assert all(loc.address.startswith("Springfield, ") for loc in found)
    us = [loc for loc in found if loc.raw["country_code"] == "US"]
    assert found[: len(us)] == us
    populations = [loc.raw["population"] for loc in us]
    assert populations == sorted(populations, reverse=True)


def test_default_country_is_configurable():
    assert GazetteerGeocoder(default_country="FR").geocode("Paris").address == "Paris, France"


@pytest.mark.parametrize("query", ["  PARK   slope ", "park slope", "Park-Slope",
                                   "Park Slope , NY"])
def test_case_and_spacing_do_not_matter(gazetteer, query):
    assert gazetteer.geocode(query).address == "Park Slope, NY"


def test_accents_and_punctuation_fold(gazetteer):
    assert gazetteer.geocode("Sao Paulo").address == gazetteer.geocode("SÃO PAULO").address
    assert gazetteer.geocode("St Louis").address == "St. Louis, MO"


@pytest.mark.parametrize("query", ["", "   ", ",", "Nowhereville", "Springfield, Narnia",
                                   "12 Main Street", "x" * 300])
def test_unknown_places_find_nothing(gazetteer, query):
    assert gazetteer.geocode(query) is None
    assert gazetteer.geocode(query, exactly_one=False) is None


@pytest.mark.parametrize("query", ["11215", "Astoria, OR", "Paris, France", "Bronx", "Harlem"])
def test_labels_read_back_to_the_same_place(gazetteer, query):
    first = gazetteer.geocode(query)
    again = gazetteer.geocode(first.address)
    assert (again.address, again.point) == (first.address, first.point)


def test_text_helpers():
    assert normalise_query("  Park   Slope ,NY ") == "park slope, ny"
    assert normalise_query(",, ") == ""
    assert fold("St. John's") == "st johns"
    assert fold("Bedford–Stuyvesant") == "bedford stuyvesant"
    assert fold("Zürich") == "zurich"


def test_streaming_reader_survives_chunk_boundaries(tmp_path):
    records = {str(i): {"geonameid": i, "name": f"Town {i} “ü”", "latitude": i / 10,
                        "longitude": -i / 10, "countrycode": "US", "population": i,
                        "admin1code": "NY", "alternatenames": [f"Alt {i}", "{tricky: },"]}
               for i in range(50)}
    path = tmp_path / "cities.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    for chunk_size in (7, 64, 1 << 20):
        assert list(iter_records(path, chunk_size=chunk_size)) == list(records.values())

    index = build_index(path)
    assert len(index) == 50
    [entry] = index.lookup("alt 7")
    assert (entry.name, entry.alternate, entry.population) == ("Town 7 “ü”", True, 7)
    assert len(index.lookup("{tricky: },")) == 50
    assert index.lookup("nowhere") == []


# --- configuration without an app -----------------------------------------------------

def test_unknown_geocoder_name_fails_at_start():
    with pytest.raises(ValueError, match="GEOCODER"):
        build_geocoder({"GEOCODER": "crystal-ball"})


def test_nominatim_labels_leave_out_road_and_house_number():
    raw = {"address": {"house_number": "12", "road": "5th Avenue", "suburb": "Park Slope",
                       "city": "New York", "state": "New York", "postcode": "11215"}}
    location = Location("12, 5th Avenue, Park Slope, New York, 11215", (40.67, -73.98), raw)
    assert area_label(location) == "Park Slope, New York, 11215"
    assert area_label(Location("Somewhere", (0, 0), {})) == "Somewhere"


# --- coarse points ----------------------------------------------------------------------

latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)


@given(latitudes, longitudes)
def test_coarsen_stays_within_a_kilometre(lat, lon):
    assert haversine_km((lat, lon), coarsen(lat, lon)) < 0.9


@given(st.floats(min_value=-85, max_value=85), longitudes)
def test_coarsen_away_from_the_poles_is_within_800_m(lat, lon):
    assert haversine_km((lat, lon), coarsen(lat, lon)) < 0.8


@given(latitudes, longitudes)
def test_coarsen_is_idempotent_and_in_range(lat, lon):
    snapped = coarsen(lat, lon)
    assert coarsen(*snapped) == snapped
    assert -90 <= snapped[0] <= 90 and -180 <= snapped[1] < 180


@given(st.floats(min_value=-80, max_value=80), longitudes)
def test_nearby_points_share_a_cell_or_a_neighbour(lat, lon):
    a, b = coarsen(lat, lon), coarsen(lat + 0.001, lon)
    assert haversine_km(a, b) < 2.5


@pytest.mark.parametrize(("lat", "lon"), [(90, 17.5), (90, -180), (89.9999, 120)])
def test_coarsen_at_the_north_pole(lat, lon):
    assert coarsen(lat, lon) == (90.0, 0.0)


def test_coarsen_at_the_poles_and_date_line():
    assert coarsen(-90, 45) == (-90.0, 0.0)
    east, west = coarsen(0.0, 179.9999), coarsen(0.0, -179.9999)
    assert east == west == (0.0, -180.0)
    assert haversine_km(coarsen(10, 179.996), coarsen(10, -179.996)) < 1.2


def test_coarsen_is_deterministic_and_hides_the_exact_point():
    assert coarsen(40.6669, -73.9828) == coarsen(40.6669, -73.9828) == (40.67, -73.97766)
    assert coarsen(40.6669, -73.9828) != (40.6669, -73.9828)


@pytest.mark.parametrize(("lat", "lon"), [(91, 0), (0, math.nan), (math.inf, 0)])
def test_coarsen_rejects_non_points(lat, lon):
    with pytest.raises(ValueError):
        coarsen(lat, lon)


# --- distances -----------------------------------------------------------------------------

def test_haversine_km():
    nyc, london = (40.7128, -74.0060), (51.5074, -0.1278)
    assert haversine_km(nyc, london) == pytest.approx(5570, rel=0.01)
    assert haversine_km(london, nyc) == haversine_km(nyc, london)
    assert haversine_km(nyc, nyc) == 0
    assert haversine_km((0, 0), (0.01, 0)) == pytest.approx(1.112, abs=0.001)


@pytest.mark.parametrize(("km", "words"), [
    (0, "under 1 km"), (0.99, "under 1 km"), (1, "about 2 km"), (2.9, "about 2 km"),
    (3, "about 5 km"), (7.4, "about 5 km"), (7.5, "about 10 km"), (14.9, "about 10 km"),
    (15, "about 15 km"), (20, "about 15 km"), (20.1, "more than 20 km"),
    (5000, "more than 20 km"),
])
def test_distance_band(km, words):
    assert distance_band(km) == words


@pytest.mark.parametrize("km", [-0.1, math.nan, math.inf])
def test_distance_band_rejects_non_distances(km):
    with pytest.raises(ValueError):
        distance_band(km)
