"""CSRF sweep, generated from ``app.url_map``: every POST/PUT/PATCH/DELETE route
rejects a request without a valid token, even from someone who may otherwise do it.

For each state-changing route the authorization matrix names an actor and object
that would pass; that actor sends the request with no token, a malformed token
and a real token of another session. Each must be refused by the CSRF check
(400 and its own message) and leave the database untouched. A control request
with the actor's real token proves the refusal was the token's doing.

The only exceptions are listed in ``EXEMPT`` with the reason, and the test
checks that list against what the app really exempts.
"""

from __future__ import annotations

import pytest

from matchmaker.db import db
from matchmaker.security import csrf
from tests.security.conftest import ANON, RESIDENT, SIGNED_IN, changed_tables, db_state
from tests.security.test_authorization_matrix import (
    CASES,
    PASS,
    object_kinds,
    object_url,
    routes,
)

WRITES = ("POST", "PUT", "PATCH", "DELETE")

#: Blueprints and views allowed to take state-changing requests without a CSRF token.
EXEMPT = {
    "api": "the token-authenticated API: requests carry 'Authorization: Bearer', which a "
           "browser never adds on its own; session cookies are not accepted there "
           "(test_api_ignores_the_session_cookie)",
    "digests.unsubscribe": "RFC 8058 one-click unsubscribe: mail clients POST with no "
                           "session and no form; the signed token in the URL is the "
                           "only credential, and all it can do is stop emails",
}

#: The message of the app-wide CSRF error handler (views' own checks word it differently).
CSRF_REFUSAL = "reload the page and send it again"


def _exempt(rule) -> bool:
    return rule.endpoint in EXEMPT or rule.endpoint.split(".")[0] in EXEMPT


def write_cases() -> list[tuple[str, str]]:
    return sorted(case for case in CASES if case[0] in WRITES)


def _allowed(entry, rule) -> tuple[str, str]:
    """An (actor, object kind) the matrix lets through; a signed-in one when possible."""
    kinds = object_kinds(entry.access, rule)
    for kind in kinds:
        for actor in (RESIDENT, *SIGNED_IN, ANON):
            if entry.access.expect(actor, kind) == PASS:
                return actor, kind
    return RESIDENT, kinds[0]  # a token link: anyone holding it (forged here) may try


#: Real link tokens, so that a refused POST would otherwise have changed something.
LINK_TOKENS = {"/pass/<token>": "pass", "/attendance/<token>": "attendance"}


def _url(world, case) -> tuple[str, str]:
    rule = routes(world.app)[case]
    entry = CASES[case]
    actor, kind = _allowed(entry, rule)
    values = dict(world.objects[kind])
    if case[1] in LINK_TOKENS:
        values["token"] = world.tokens[LINK_TOKENS[case[1]]]
    return actor, object_url(rule, entry, values, world)


def test_documented_exemptions_are_the_real_ones(shared_world):
    """A new csrf.exempt anywhere fails here until it is added to EXEMPT with a reason."""
    blueprints = {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints}
    app = shared_world.app

    def exempted(rule) -> bool:
        view = app.view_functions[rule.endpoint]
        return (rule.endpoint.split(".")[0] in blueprints
                or f"{view.__module__}.{view.__name__}" in csrf._exempt_views)

    exempt_endpoints = {r.endpoint for r in app.url_map.iter_rules() if exempted(r)}
    documented = {r.endpoint for r in app.url_map.iter_rules() if _exempt(r)}
    assert exempt_endpoints == documented
    assert blueprints <= set(EXEMPT)


def test_the_sweep_covers_every_state_changing_route(shared_world):
    served = {case for case in routes(shared_world.app) if case[0] in WRITES}
    assert served == set(write_cases()), "add the route to MATRIX in test_authorization_matrix"


@pytest.mark.parametrize("case", write_cases(), ids=lambda c: f"{c[0]} {c[1]}")
def test_state_changing_route_needs_a_valid_csrf_token(world, case):
    rule = routes(world.app).get(case)
    if rule is None:
        pytest.skip("no such route (the matrix's completeness test reports it)")
    if _exempt(rule):
        pytest.skip(f"documented exception: {EXEMPT.get(rule.endpoint) or 'the API'}")
    method = case[0]
    actor, url = _url(world, case)
    client = world.clients[actor]
    other_session = world.csrf[ANON] if actor != ANON else world.csrf[RESIDENT]
    problems = []
    for label, data in (("no token", {}), ("a malformed token", {"csrf_token": "not-a-token"}),
                        ("another session's token", {"csrf_token": other_session})):
        before = db_state(db.session)
        resp = client.open(url, method=method, data=data)
        body = resp.get_data(as_text=True)
        if resp.status_code != 400 or CSRF_REFUSAL not in body:
            problems.append(f"{method} {url} as {actor} with {label}: got {resp.status_code}, "
                            "want 400 from the CSRF check")
        changed = changed_tables(before, db_state(db.session))
        if changed:
            problems.append(f"{method} {url} as {actor} with {label}: database changed in "
                            f"{changed}")
    control = client.open(url, method=method, data={"csrf_token": world.csrf[actor]})
    if CSRF_REFUSAL in control.get_data(as_text=True):
        problems.append(f"{method} {url} as {actor}: refused even with a valid token, so the "
                        "sweep proves nothing here")
    assert not problems, "\n".join(problems)


def test_api_ignores_the_session_cookie(world):
    """The API is CSRF-exempt, so it must never act on a cookie: a signed-in browser
    with no bearer token gets 401 on every API route, reads and writes alike."""
    client = world.clients[RESIDENT]
    assert client.get("/me/commitments").status_code == 200  # the cookie is a live session
    problems = []
    for (method, rule_text), rule in sorted(routes(world.app).items()):
        if rule.endpoint.split(".")[0] != "api" or rule.endpoint == "api.get_openapi":
            continue
        url = object_url(rule, CASES[(method, rule_text)], world.objects["own"], world)
        before = db_state(db.session)
        resp = client.open(url, method=method, json={},
                           headers={"X-CSRFToken": world.csrf[RESIDENT]})
        if resp.status_code != 401:
            problems.append(f"{method} {url} with only a session cookie: {resp.status_code}")
        if changed_tables(before, db_state(db.session)):
            problems.append(f"{method} {url} with only a session cookie changed the database")
    assert not problems, "\n".join(problems)


def test_api_writes_work_with_a_bearer_token_and_no_csrf_token(world):
    """The exemption is real: a bearer token alone signs the resident up."""
    opportunity_of_a = world.objects["of A"]["opportunity_id"]
    resp = world.clients[ANON].post(f"/api/v1/opportunities/{opportunity_of_a}/signups",
                                    headers=world.bearer[RESIDENT])
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)


def test_one_click_unsubscribe_needs_no_csrf_token(world):
    """RFC 8058: the mail client's POST, with no session and no token, switches emails off."""
    from matchmaker.models import Profile

    resp = world.app.test_client().post(f"/unsubscribe/{world.tokens['unsubscribe']}",
                                        data={"List-Unsubscribe": "One-Click"})
    assert resp.status_code == 200
    profile = db.session.get(Profile, world.users[RESIDENT].id)
    assert profile is not None and profile.digest_frequency == "off"
