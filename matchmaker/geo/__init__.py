"""Geocoding behind geopy's Geocoder interface, and distance helpers.

Public API (other packages import only these):

* ``geocode_place(session, query) -> Place`` — resolve a postcode or place name,
  through the configured geocoder and the database cache; raises ``UnknownPlace``.
* ``coarsen(lat, lon) -> (lat, lon)`` — snap a point to the ~1 km grid we store.
* ``Place`` — label, latitude, longitude.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask


class UnknownPlace(ValueError):
    """No geocoder result for the query; the message is meant for the person."""


@dataclass(frozen=True)
class Place:
    label: str
    latitude: float
    longitude: float


def coarsen(lat: float, lon: float) -> tuple[float, float]:  # implemented by the geo work
    raise NotImplementedError


def geocode_place(session, query: str) -> Place:  # implemented by the geo work
    raise NotImplementedError


def init_app(app: Flask) -> None:
    pass
