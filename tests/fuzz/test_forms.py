"""Every state-changing HTML route, fed hostile forms by a signed-in actor allowed to use it.

The routes come from ``app.url_map``: a POST route with no entry in
``targets.FORMS`` (or ``test_api.API`` for the JSON API) fails
``test_every_state_changing_route_has_a_strategy``.
"""

from __future__ import annotations

import pytest
from flask import url_for
from hypothesis import given, settings
from werkzeug.datastructures import MultiDict

from tests.fuzz.conftest import FUZZ_SETTINGS, TALLY
from tests.fuzz.scene import sign_in
from tests.fuzz.strategies import form_payload
from tests.fuzz.targets import FORMS
from tests.fuzz.test_api import API

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def state_changing_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules()
            if rule.methods & STATE_CHANGING}


def test_every_state_changing_route_has_a_strategy(app):
    missing = state_changing_endpoints(app) - set(FORMS) - set(API)
    assert not missing, f"give these routes a FormTarget in tests/fuzz/targets.py: {missing}"
    stale = (set(FORMS) | set(API)) - state_changing_endpoints(app)
    assert not stale, f"these fuzz targets name no state-changing route: {stale}"


@pytest.mark.parametrize("endpoint", sorted(FORMS))
def test_form_never_fails(endpoint, app, client, session, scene, make_user, send):
    target = FORMS[endpoint]
    fields = target.fields()
    with app.test_request_context():
        path = url_for(endpoint, **target.url_args(scene))
    campaign = f"form {endpoint}"

    def post(payload):
        if target.actor == "new resident":
            user = make_user()
        else:
            user = scene.users.get(target.actor)  # None: anonymous
        token = sign_in(app, client, session, user)
        data = MultiDict([("csrf_token", token), *payload])
        return send(campaign, lambda: client.post(path, data=data),
                    f"POST {path} {payload!r:.2000}")

    if target.good:  # the good values must really be good, or no input gets far
        good = [(k, v) for k, vs in target.good.items()
                for v in (vs if isinstance(vs, list) else [vs])]
        assert post(good).status_code < 400, f"{endpoint}: the good values were refused"

    @settings(FUZZ_SETTINGS, max_examples=target.budget)
    @given(payload=form_payload(fields, target.good))
    def fuzz(payload):
        post(payload)

    fuzz()
    assert TALLY[campaign] >= target.budget
