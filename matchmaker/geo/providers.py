"""Which geocoder answers, chosen by the ``GEOCODER`` setting.

Each choice becomes a :class:`ConfiguredGeocoder`: a name (the cache key
prefix, so answers from different geocoders never mix) and a ``lookup``
callable ``query -> geopy Location | None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.location import Location

from matchmaker.geo.gazetteer import GazetteerGeocoder

GEOCODERS = ("gazetteer", "nominatim")

# Nominatim address parts, smallest first, that name an area rather than a home.
# House numbers, roads and buildings are left out on purpose.
_AREA_PARTS = ("neighbourhood", "suburb", "city_district", "village", "town", "city",
               "county", "state", "postcode", "country")


@dataclass(frozen=True)
class ConfiguredGeocoder:
    name: str
    #: ``lookup(query)`` -> a geopy ``Location`` or ``None``; may raise geopy errors.
    lookup: Callable[[str], Location | None]
    #: The geopy geocoder behind ``lookup`` (tests inspect it).
    geocoder: Any


def area_label(location: Location) -> str:
    """A label that names an area: Nominatim's address parts without road or house.

    Someone may type a street address into a town field; Nominatim would echo it
    back in ``location.address``. With ``addressdetails`` we rebuild the label
    from the area parts only. Other geocoders' labels are used as they are.
    """
    address = (location.raw or {}).get("address") if isinstance(location.raw, dict) else None
    if not isinstance(address, dict):
        return location.address
    parts: list[str] = []
    for key in _AREA_PARTS:
        value = address.get(key)
        if value and value not in parts:
            parts.append(value)
    return ", ".join(parts[:3]) or location.address


def build_geocoder(config: Mapping[str, Any]) -> ConfiguredGeocoder:
    """The geocoder named by ``config["GEOCODER"]``; unknown names fail at start-up."""
    name = (config.get("GEOCODER") or "gazetteer").strip().lower()
    if name == "gazetteer":
        geocoder = GazetteerGeocoder(default_country=config.get("DEFAULT_COUNTRY", "US"))
        return ConfiguredGeocoder(name, geocoder.geocode, geocoder)
    if name == "nominatim":
        geocoder = Nominatim(user_agent=config.get("NOMINATIM_USER_AGENT") or "matchmaker")
        # Nominatim's policy: at most one request a second. The limiter is per
        # process, so run few web processes against the public server (or host
        # your own). Errors propagate (swallow_exceptions=False) so an outage is
        # never cached as "no such place".
        lookup = RateLimiter(partial(geocoder.geocode, exactly_one=True, addressdetails=True),
                             min_delay_seconds=1, max_retries=1, error_wait_seconds=2,
                             swallow_exceptions=False)
        return ConfiguredGeocoder(name, lookup, geocoder)
    raise ValueError(f"GEOCODER must be one of {', '.join(GEOCODERS)}, got {name!r}")
