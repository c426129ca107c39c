"""The value geocoding hands back, and the error it raises."""

from __future__ import annotations

from dataclasses import dataclass


class UnknownPlace(ValueError):
    """No geocoder result for the query; the message is meant for the person."""


class GeocoderUnavailable(UnknownPlace):
    """The geocoder could not be asked (network, quota). Not cached: try again later."""


@dataclass(frozen=True)
class Place:
    """What a geocoder answered: a label fit to show and the point it stands for.

    The point is the geocoder's, not the person's: callers that store where
    someone lives keep only ``coarsen(place.latitude, place.longitude)``.
    """

    label: str
    latitude: float
    longitude: float
