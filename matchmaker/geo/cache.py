"""``geocode_place``: the configured geocoder behind a database cache.

Every answer is kept, hits and misses alike: a public geocoder is slow and
rate-limited, and the same few ZIP codes and town names come up again and
again. Entries are flushed, never committed; the caller's boundary commits.
"""

from __future__ import annotations

from flask import current_app
from geopy.exc import GeopyError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matchmaker.geo.place import GeocoderUnavailable, Place, UnknownPlace
from matchmaker.geo.providers import ConfiguredGeocoder, area_label
from matchmaker.geo.text import normalise_query
from matchmaker.models import GeocodeCacheEntry

#: Longer than any place name; keeps the cache key inside its 300-character column.
MAX_QUERY_LENGTH = 200
EXTENSION_KEY = "matchmaker.geocoder"


def current_geocoder() -> ConfiguredGeocoder:
    return current_app.extensions[EXTENSION_KEY]


def _not_found(query: str) -> UnknownPlace:
    return UnknownPlace(f"We could not find “{query.strip()}”. Try a ZIP code or a town name.")


def geocode_place(session: Session, query: str) -> Place:
    """The place ``query`` names, from the cache or the configured geocoder.

    Raises :class:`UnknownPlace` (message fit to show) for an empty, overlong
    or unknown query, and :class:`GeocoderUnavailable` when the geocoder
    cannot be reached (that is not cached).
    """
    normalised = normalise_query(query)
    if not normalised:
        raise UnknownPlace("Please enter a ZIP code or the name of your town.")
    if len(normalised) > MAX_QUERY_LENGTH:
        raise UnknownPlace("That is too long for a place name. Try a ZIP code or a town name.")
    geocoder = current_geocoder()
    key = f"{geocoder.name}:{normalised}"
    entry = session.scalar(select(GeocodeCacheEntry).where(GeocodeCacheEntry.key == key))
    if entry is None:
        try:
            location = geocoder.lookup(normalised)
        except GeopyError as exc:
            raise GeocoderUnavailable(
                "We could not look places up just now. Please try again in a minute."
            ) from exc
        entry = GeocodeCacheEntry(key=key)
        if location is not None:
            entry.label = area_label(location)[:300]
            entry.lat, entry.lon = location.latitude, location.longitude
        entry = _store(session, entry)
    if entry.lat is None or entry.lon is None:
        raise _not_found(query)
    return Place(entry.label, entry.lat, entry.lon)


def _store(session: Session, entry: GeocodeCacheEntry) -> GeocodeCacheEntry:
    """Add ``entry``; if another request stored the same key first, use theirs."""
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        return session.scalar(select(GeocodeCacheEntry).where(GeocodeCacheEntry.key == entry.key))
    return entry
