"""JSON request bodies to plain values, refusing anything odd with a 400 or 422.

Only the shape is checked here (an object, known keys, dates that are dates);
the rules of a valid opportunity live in ``matchmaker.opportunities.schema``,
shared with the HTML form and the CSV importer.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from flask import request

from matchmaker.api.errors import ApiError
from matchmaker.opportunities.schema import OpportunityInput

INPUT_FIELDS = {f.name for f in dataclasses.fields(OpportunityInput)}
#: Keys the API accepts besides OpportunityInput's fields.
EXTRA_KEYS = {"organization", "publish"}


def json_body() -> dict:
    """The request's JSON object; 400 for anything else (not JSON, not an object)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "Send a JSON object as the request body, with "
                            "'Content-Type: application/json'.")
    bad = [str(k)[:60] for k, v in body.items() if _has_nul(k) or _has_nul(v)]
    if bad:  # PostgreSQL refuses NUL in text; say so instead of failing later
        raise ApiError(422, "Text may not contain NUL characters.",
                       {k: "Remove the NUL character." for k in bad})
    return body


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _to_datetime(value: object) -> object:
    if not isinstance(value, str):
        return value  # validate() explains the wrong type
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return "invalid"
    return "invalid" if parsed.tzinfo is not None else parsed


def _to_date(value: object) -> object:
    if value is None or not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        return "invalid"


def opportunity_input(body: dict, base: OpportunityInput | None = None) -> OpportunityInput:
    """``base`` (or a blank input) with the body's fields applied.

    Raises ApiError 422 listing unknown keys and unreadable dates.
    """
    fields: dict[str, str] = {}
    for key in body:
        if key not in INPUT_FIELDS and key not in EXTRA_KEYS:
            fields[str(key)[:60]] = "This field is not known."
    values = {k: v for k, v in body.items() if k in INPUT_FIELDS}
    if "start_local" in values and values["start_local"] is not None:
        values["start_local"] = _to_datetime(values["start_local"])
        if values["start_local"] == "invalid":
            fields["start_local"] = ("Give the local start time without an offset, as "
                                     "YYYY-MM-DDTHH:MM (it is read in 'timezone').")
    for name in ("until", "do_by"):
        if name in values:
            values[name] = _to_date(values[name])
            if values[name] == "invalid":
                fields[name] = "Give a date as YYYY-MM-DD."
    if fields:
        raise ApiError(422, "Some fields could not be read.", fields)
    return dataclasses.replace(base or OpportunityInput(), **values)
