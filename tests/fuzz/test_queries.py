"""Query strings and path parameters: browse filters, the API's list filters, every GET route.

The browse and API campaigns send the filter names ``browse.params`` reads, with
known-good values mixed with hostile ones, repeated, or missing. The path
campaign walks ``app.url_map``: every GET route, its converters filled with
known ids, slugs and signed links or hostile values, plus stray query
parameters, for each kind of visitor.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter, PathConverter

from matchmaker import vocab
from matchmaker.browse import query
from matchmaker.browse.params import DAY_KEYS
from tests.fuzz.conftest import FUZZ_SETTINGS, TALLY
from tests.fuzz.scene import sign_in
from tests.fuzz.strategies import dates, hostile_text, numbers

FILTERS = {
    "q": st.sampled_from(["food", "park", "o'brien", "100%", "a_b"]) | hostile_text,
    "cause": st.sampled_from(list(vocab.CAUSES)),
    "from": dates, "to": dates,
    "day": st.sampled_from(DAY_KEYS),
    "time": st.sampled_from(list(query.TIMES_OF_DAY)),
    "duration": st.sampled_from(list(query.DURATIONS)),
    "format": st.sampled_from(list(query.SOCIAL_FORMATS)),
    "access": st.sampled_from(list(query.ACCESS)),
    "sort": st.sampled_from(list(query.SORTS)),
    "radius_km": numbers,
    "near": st.sampled_from(["home", "40.67,-73.97", "91,0", "nan,nan", "1e309,0"])
    | st.tuples(numbers, numbers).map(",".join) | hostile_text,
    "place": st.sampled_from(["11215", "Park Slope", "Brooklyn"]) | hostile_text,
    "page": numbers,
    "per_page": numbers,
    "first_timers": st.sampled_from(["1", "true", "no"]) | hostile_text,
    "remote": st.sampled_from(["1", "off"]) | hostile_text,
    "small_acts": st.sampled_from(["yes", "0"]) | hostile_text,
}


def _param(values: dict) -> st.SearchStrategy:
    name = st.sampled_from(sorted(values))
    return name.flatmap(lambda n: st.tuples(st.just(n), values[n] | hostile_text))


browse_args = st.lists(_param(FILTERS) | st.tuples(hostile_text, hostile_text), max_size=8)


#: (campaign, path, inputs). A typed place is geocoded (the slow part): the API's list,
#: with no page to render, gets the most.
FILTER_CAMPAIGNS = [
    ("browse /opportunities", "/opportunities", 500),
    ("api GET /api/v1/opportunities", "/api/v1/opportunities", 1000),
    ("api GET /api/v1/me/recommendations", "/api/v1/me/recommendations", 300),
]


@pytest.mark.parametrize(("campaign", "path", "budget"), FILTER_CAMPAIGNS)
def test_filters_never_fail(campaign, path, budget, app, client, session, scene, send):
    api = path.startswith("/api/")
    headers = {"Authorization": f"Bearer {scene.api_tokens['resident']}"} if api else {}
    extra = {"limit": numbers, "max_minutes": numbers}
    args = st.lists(_param({**FILTERS, **extra}), max_size=8) if api else browse_args

    @settings(FUZZ_SETTINGS, max_examples=budget)
    @given(args=args, signed_in=st.booleans())
    def get(args, signed_in):
        if not api:
            sign_in(app, client, session, scene.users["resident"] if signed_in else None)
        send(campaign, lambda: client.get(path, query_string=args, headers=headers),
             f"GET {path} {args!r:.2000}")

    get()
    assert TALLY[campaign] >= budget


# --- every GET route's path parameters ------------------------------------------------------

def _known(scene) -> dict[str, list]:
    """Values that reach real rows for each parameter name the routes use."""
    ids = [scene.opp.id, scene.occ.id, scene.signup.id, scene.small_signup.id, scene.org.id,
           scene.invitation.id, scene.users["resident"].id, 1]
    return {"int": ids, "slug": [scene.org.slug], "group_slug": [scene.group.slug],
            "token": list(scene.links.values()), "code": ["K7MX3Q"],
            "filename": ["css/app.css", "../pyproject.toml", "js/../../README.md"]}


def _value_for(name: str, converter, known: dict) -> st.SearchStrategy:
    if isinstance(converter, IntegerConverter):
        return st.sampled_from(known["int"]) | st.integers(0, 2**80)
    good = known.get(name) or known["slug"]
    text = hostile_text.filter(lambda v: "/" not in v) if not isinstance(
        converter, PathConverter) else hostile_text
    return st.sampled_from(good) | text


PER_ROUTE = 30
STRAY = {"page": numbers, "show": hostile_text, "email": hostile_text, "days": numbers,
         "answer": numbers, "welcome": hostile_text, "next": hostile_text}


def get_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if "GET" in r.methods),
                  key=lambda r: r.rule)


def _fuzz_rule(rule, known, actors, app, client, session, send) -> str:
    campaign = f"path {rule.endpoint} {rule.rule}"
    params = st.fixed_dictionaries({name: _value_for(name, converter, known)
                                    for name, converter in rule._converters.items()})

    @settings(FUZZ_SETTINGS, max_examples=PER_ROUTE)
    @given(values=params, actor=st.sampled_from(actors),
           stray=st.lists(_param(STRAY), max_size=3))
    def get(values, actor, stray):
        # This rule, not a twin with the same endpoint (the .csv of a dashboard).
        path = rule.build({**(rule.defaults or {}), **values}, append_unknown=False)[1]
        sign_in(app, client, session, actor)
        send(campaign, lambda: client.get(path, query_string=stray),
             f"GET {path} {stray!r:.500} as {actor and actor.email}")

    get()
    return campaign


def test_every_get_route_never_fails(app, client, session, scene, send):
    """One campaign per GET route, in one test so the scene is built once."""
    known = _known(scene)
    actors = [None, *scene.users.values()]
    for rule in get_rules(app):
        campaign = _fuzz_rule(rule, known, actors, app, client, session, send)
        assert TALLY[campaign] >= PER_ROUTE, campaign
