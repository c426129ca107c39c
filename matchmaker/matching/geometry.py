"""Distances on the Earth, the way the spatial index needs them.

Points become unit vectors in 3D. The straight-line (chord) distance between
two unit vectors grows with the great-circle distance, so a k-d tree over the
vectors answers "everything within r km" exactly with the chord
``2·sin(r / 2R)`` — no special cases at the date line or the poles, where
latitude/longitude boxes go wrong.

The radius check is made on the distance rounded to the whole metre: homes are
stored coarsely anyway, and rounding keeps the answer the same whichever sound
formula computed the distance (the tests compare against geopy's).
"""

from __future__ import annotations

import math

import numpy as np

#: Mean Earth radius in km, the same value geopy's great_circle uses.
EARTH_RADIUS_KM = 6371.009
#: Slack added to radii when asking the index for candidates, so rounding to the
#: metre can never lose a point the exact check would keep.
INDEX_SLACK_KM = 0.002


def valid_point(point) -> tuple[float, float] | None:
    """``(lat, lon)`` as floats when it is a real place on Earth, else None."""
    try:
        lat, lon = point
        lat = float(lat)
        lon = float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return lat, lon


def to_xyz(lat_deg, lon_deg) -> np.ndarray:
    """Unit vectors, shape (n, 3), for arrays of latitudes and longitudes in degrees."""
    lat = np.radians(np.asarray(lat_deg, dtype=np.float64))
    lon = np.radians(np.asarray(lon_deg, dtype=np.float64))
    cos_lat = np.cos(lat)
    return np.stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)], axis=-1)


def chord_for_km(km):
    """Chord length on the unit sphere for a great-circle distance (capped at antipodes)."""
    angle = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    return 2.0 * np.sin(angle / 2.0)


def km_for_chord(chord):
    """Great-circle km for a chord on the unit sphere."""
    half = np.minimum(np.asarray(chord, dtype=np.float64) / 2.0, 1.0)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(half)


def angle_for_chord(chord):
    """Central angle (radians) for a chord on the unit sphere."""
    return 2.0 * np.arcsin(np.minimum(np.asarray(chord, dtype=np.float64) / 2.0, 1.0))


def whole_metres(km):
    """Distance rounded to the whole metre (what the radius check and scoring use)."""
    return np.round(np.asarray(km, dtype=np.float64) * 1000.0)
