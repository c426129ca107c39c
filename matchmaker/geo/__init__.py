"""Geocoding behind geopy's Geocoder interface, and distance helpers."""

from flask import Flask


def init_app(app: Flask) -> None:
    pass
