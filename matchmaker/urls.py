"""Absolute links for emails and feeds, built from BASE_URL (no request needed)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

#: The largest id a row can have: ids are INTEGER columns (int4 on PostgreSQL).
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` for row ids: a number past ``MAX_ROW_ID`` is a 404 at once.

    No row has such an id, and the database cannot even compare it (PostgreSQL:
    "integer out of range"; SQLite past 2**63: OverflowError), which was a 500.
    NotFound is raised here rather than through ``max``: a failed ``max`` makes
    werkzeug answer 405 when the same path has a route for another method.
    """

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ROW_ID:
            raise NotFound()
        return number


def external_url(endpoint: str, **values) -> str:
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
