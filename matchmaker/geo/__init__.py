"""Geocoding behind geopy's Geocoder interface, and distance helpers.

Public API (other packages import only these):

* ``geocode_place(session, query) -> Place`` — resolve a postcode or place name,
  through the configured geocoder and the database cache; raises ``UnknownPlace``.
* ``coarsen(lat, lon) -> (lat, lon)`` — snap a point to the ~1 km grid we store.
* ``haversine_km(a, b)`` and ``distance_band(km)`` — distances, shown only as
  rounded words ("about 2 km").
* ``Place`` — label, latitude, longitude.

Modules: ``gazetteer`` (the offline geopy Geocoder), ``index`` (its compact
name index, with the memory figures), ``providers`` (GEOCODER setting),
``cache`` (``geocode_place``), ``distance``, ``text``.
"""

from __future__ import annotations

from flask import Flask

from matchmaker.geo.cache import EXTENSION_KEY, geocode_place
from matchmaker.geo.distance import coarsen, distance_band, haversine_km
from matchmaker.geo.place import GeocoderUnavailable, Place, UnknownPlace
from matchmaker.geo.providers import build_geocoder

__all__ = [
    "GeocoderUnavailable",
    "Place",
    "UnknownPlace",
    "coarsen",
    "distance_band",
    "geocode_place",
    "haversine_km",
    "init_app",
]


def init_app(app: Flask) -> None:
    """Build the configured geocoder once, and warm the offline index in the background.

    The index takes a few seconds to build; doing it in a daemon thread at start-up
    means the first person to save a profile does not wait for it. Tests skip the
    warm-up (they build it on demand, once per process).
    """
    app.extensions[EXTENSION_KEY] = build_geocoder(app.config)
    if app.config.get("GEOCODER", "gazetteer") == "gazetteer" and not app.testing:
        import threading

        from matchmaker.geo.gazetteer import city_index

        threading.Thread(target=city_index, name="gazetteer-warm-up", daemon=True).start()
