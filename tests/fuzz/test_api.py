"""The JSON API's state-changing routes, fed hostile JSON with a valid bearer token.

Bodies are any JSON at all, or objects with the API's own keys
(``OpportunityInput``'s fields) holding values of every JSON type and hostile
strings; raw bytes that are not JSON, and bodies sent without a JSON content
type, too. (Query strings of the list route are in ``test_queries``; the
OpenAPI-driven run is ``test_schemathesis``.)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import url_for
from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaker.opportunities.schema import OpportunityInput
from tests.fuzz.conftest import FUZZ_SETTINGS, TALLY
from tests.fuzz.strategies import dates, hostile_text, numbers
from tests.fuzz.targets import SOON

KEYS = [f.name for f in dataclasses.fields(OpportunityInput)] + ["organization", "publish",
                                                                "occurrence_id"]
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                         st.floats(allow_nan=False), hostile_text, numbers, dates)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(hostile_text, inner, max_size=4), max_leaves=12)


@st.composite
def bodies(draw, good: dict) -> tuple[bytes, str]:
    """(raw body, content type): mostly objects built on ``good`` with some keys spoilt."""
    shape = draw(st.sampled_from(["object", "object", "object", "any", "raw"]))
    if shape == "raw":
        return draw(st.binary(max_size=200)), draw(st.sampled_from(
            ["application/json", "text/plain", "application/x-www-form-urlencoded"]))
    if shape == "any":
        return json.dumps(draw(json_values)).encode(), "application/json"
    body = dict(good)
    for key in draw(st.lists(st.sampled_from(KEYS) | hostile_text, max_size=4)):
        if draw(st.booleans()):
            body[key] = draw(json_values)
        else:
            body.pop(key, None)
    return json.dumps(body).encode(), "application/json"


@dataclass(frozen=True)
class ApiTarget:
    method: str
    actor: str  # whose token
    url_args: Callable  # Scene -> url_for keyword arguments
    good: Callable = lambda scene: {}  # Scene -> a valid body to spoil
    budget: int = 200


OPPORTUNITY = {"title": "Pack boxes", "kind": "one_off", "start_local": f"{SOON}T09:30",
               "timezone": "America/New_York", "place": "Prospect Park",
               "lat": 40.66, "lon": -73.97,
               "causes": ["food-security"], "capacity": 5}

API: dict[str, ApiTarget] = {
    "api.create_opportunity": ApiTarget(
        "POST", "owner", lambda s: {},
        lambda s: {**OPPORTUNITY, "organization": s.org.slug, "publish": True}, 200),
    "api.update_opportunity": ApiTarget(
        "PATCH", "owner", lambda s: {"opportunity_id": s.opp.id},
        lambda s: {"title": "New title", "capacity": 12}, 200),
    "api.cancel_opportunity": ApiTarget(
        "DELETE", "owner", lambda s: {"opportunity_id": s.opp.id}, budget=100),
    "api.create_signup": ApiTarget(
        "POST", "resident", lambda s: {"opportunity_id": s.opp.id},
        lambda s: {"occurrence_id": s.occ.id}),
    "api.release_signup": ApiTarget(
        "DELETE", "resident", lambda s: {"signup_id": s.signup.id}, budget=100),
}


@pytest.mark.parametrize("endpoint", sorted(API))
def test_api_route_never_fails(endpoint, app, client, scene, send):
    target = API[endpoint]
    headers = {"Authorization": f"Bearer {scene.api_tokens[target.actor]}"}
    with app.test_request_context():
        path = url_for(endpoint, **target.url_args(scene))
    campaign = f"api {endpoint}"

    def call(body):
        raw, content_type = body
        return send(campaign, lambda: client.open(path, method=target.method, data=raw,
                                                  content_type=content_type, headers=headers),
                    f"{target.method} {path} {raw!r:.2000}")

    good = json.dumps(target.good(scene)).encode()
    # The good body must really be good, or no input gets far.
    assert call((good, "application/json")).status_code < 300, f"{endpoint}: good body refused"

    @settings(FUZZ_SETTINGS, max_examples=target.budget)
    @given(body=bodies(target.good(scene)))
    def fuzz(body):
        call(body)

    fuzz()
    assert TALLY[campaign] >= target.budget
