"""JSON API v1: browse, detail, organizer writes, sign-ups; errors; OpenAPI conformance.

Every response a test receives is validated against the schema that
/api/v1/openapi.json names for its path, method and status.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator

from matchmaker.api.auth import create_token
from matchmaker.db import utcnow
from matchmaker.models import Membership, Occurrence, Role, Signup

API = "/api/v1"


@pytest.fixture
def token_for(session):
    def make(user) -> dict:
        _row, token = create_token(session, user)
        session.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def api(client, token_for):
    """call(method, path, user=None, **kw) -> response, checked against the OpenAPI doc."""
    doc = client.get(f"{API}/openapi.json").json
    Draft202012Validator.check_schema({**doc["components"]["schemas"]["Opportunity"]})

    def call(method: str, path: str, user=None, template: str | None = None, **kwargs):
        headers = token_for(user) if user is not None else {}
        resp = client.open(f"{API}{path}", method=method.upper(), headers=headers, **kwargs)
        assert resp.status_code < 500, resp.get_data(as_text=True)
        assert resp.is_json, resp.get_data(as_text=True)[:300]
        spec = doc["paths"][template or path.split("?")[0]][method.lower()]
        responses = spec["responses"]
        assert str(resp.status_code) in responses, (resp.status_code, resp.json)
        schema = responses[str(resp.status_code)]["content"]["application/json"]["schema"]
        Draft202012Validator({**schema, "components": doc["components"]}).validate(resp.json)
        return resp

    return call


@pytest.fixture
def organizer(make_user):
    return make_user(email="org@example.org", role=Role.ORGANIZER)


@pytest.fixture
def org(make_org, organizer):
    return make_org(name="Park Slope Food Pantry", owner=organizer)


def new_opportunity(**extra) -> dict:
    start = (utcnow() + timedelta(days=5)).replace(tzinfo=None, microsecond=0, second=0)
    return {"title": "Sort tins", "description": "Help us *sort*.", "causes": ["food-security"],
            "kind": "one_off", "place": "11215", "start_local": start.isoformat(),
            "duration_minutes": 90, "capacity": 2, **extra}


def test_openapi_document_is_valid_openapi_31(client):
    doc = client.get(f"{API}/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    assert {"/opportunities", "/opportunities/{opportunity_id}", "/me/signups",
            "/opportunities/{opportunity_id}/signups", "/signups/{signup_id}"} <= set(doc["paths"])


def test_list_requires_a_token_and_errors_have_one_shape(api, client):
    resp = api("get", "/opportunities")
    assert resp.status_code == 401
    assert set(resp.json["error"]) == {"code", "message", "fields"}
    assert resp.json["error"]["code"] == "unauthorized"
    missing = client.get(f"{API}/nothing-here")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_list_filters_paginate_and_show_bands(api, make_user, make_opportunity):
    user = make_user()
    for i in range(3):
        make_opportunity(title=f"Pantry {i}", starts=utcnow() + timedelta(days=i + 1))
    make_opportunity(title="Dogs", causes=["animals"], lat=40.8448, lon=-73.8648)
    make_opportunity(title="Call", is_remote=True, kind="small_act", duration_minutes=10)
    resp = api("get", "/opportunities?per_page=2", user)
    assert resp.json["total"] == 5 and resp.json["pages"] == 3
    assert len(resp.json["items"]) == 2 and resp.json["links"]["prev"] is None
    assert "page=2" in resp.json["links"]["next"] and "per_page=2" in resp.json["links"]["next"]
    got = api("get", "/opportunities?cause=animals", user).json["items"]
    assert [i["title"] for i in got] == ["Dogs"]
    near = api("get", "/opportunities?near=40.6720,-73.9778&radius_km=5&sort=nearest", user)
    items = near.json["items"]
    assert [i["title"] for i in items][-1] == "Call"
    assert items[0]["distance_band"] == "under 1 km"
    assert "Dogs" not in [i["title"] for i in items]
    assert [i["title"] for i in api("get", "/opportunities?remote=true", user).json["items"]] \
        == ["Call"]
    assert [i["title"] for i in api("get", "/opportunities?small_acts=1", user).json["items"]] \
        == ["Call"]
    assert api("get", "/opportunities?place=11215&radius_km=3", user).status_code == 200
    assert api("get", "/opportunities?q=pantry+1", user).json["total"] == 1


@pytest.mark.parametrize("query,field", [
    ("page=-1", "page"), ("page=0", "page"), ("page=1e9", "page"), ("per_page=101", "per_page"),
    ("per_page=abc", "per_page"), ("radius_km=NaN", "radius_km"), ("near=95,10", "near"),
    ("near=10", "near"), ("from=2025-13-01", "from"), ("cause=unicorns", "cause"),
    ("remote=perhaps", "remote"), ("place=zzzqqqxxx+nowhere", "place"), ("sort=x", "sort"),
    ("to=" + "9" * 400, "to"), ("radius_km=" + "9" * 400, "radius_km"),
])
def test_bad_query_parameters_are_400_with_fields(api, make_user, query, field):
    resp = api("get", f"/opportunities?{query}", make_user())
    assert resp.status_code == 400
    assert field in resp.json["error"]["fields"]


def test_detail_hides_drafts_from_others(api, make_user, make_opportunity, org, organizer):
    draft = make_opportunity(org=org, title="Secret draft", status="draft")
    public = make_opportunity(org=org, title="Public")
    other = make_user()
    assert api("get", f"/opportunities/{public.id}", other,
               template="/opportunities/{opportunity_id}").json["title"] == "Public"
    assert api("get", f"/opportunities/{draft.id}", other,
               template="/opportunities/{opportunity_id}").status_code == 404
    assert api("get", f"/opportunities/{draft.id}", organizer,
               template="/opportunities/{opportunity_id}").status_code == 200
    assert api("get", "/opportunities/999999", other,
               template="/opportunities/{opportunity_id}").status_code == 404


def test_organizer_creates_updates_and_cancels(api, org, organizer, session):
    created = api("post", "/opportunities", organizer,
                  json=new_opportunity(organization=org.slug, publish=True))
    assert created.status_code == 201, created.json
    body = created.json
    assert body["status"] == "published" and body["organization"]["slug"] == org.slug
    assert len(body["occurrences"]) == 1
    opp_id = body["id"]
    tpl = "/opportunities/{opportunity_id}"
    changed = api("patch", f"/opportunities/{opp_id}", organizer, template=tpl,
                  json={"title": "Sort tins and jars", "capacity": 5})
    assert changed.status_code == 200 and changed.json["title"] == "Sort tins and jars"
    assert changed.json["capacity"] == 5
    bad = api("patch", f"/opportunities/{opp_id}", organizer, template=tpl,
              json={"capacity": "lots", "title": ""})
    assert bad.status_code == 422 and {"capacity", "title"} <= set(bad.json["error"]["fields"])
    cancelled = api("delete", f"/opportunities/{opp_id}", organizer, template=tpl)
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    again = api("patch", f"/opportunities/{opp_id}", organizer, template=tpl, json={"title": "x"})
    assert again.status_code == 409


def test_create_by_id_and_bad_bodies(api, org, organizer):
    assert api("post", "/opportunities", organizer,
               json=new_opportunity(organization=org.id)).status_code == 201
    assert api("post", "/opportunities", organizer, data="not json",
               content_type="application/json").status_code == 400
    assert api("post", "/opportunities", organizer, json=[1, 2]).status_code == 400
    resp = api("post", "/opportunities", organizer,
               json=new_opportunity(organization=org.slug, start_local="tomorrow-ish",
                                    colour="blue"))
    assert resp.status_code == 422
    assert {"start_local", "colour"} <= set(resp.json["error"]["fields"])
    resp = api("post", "/opportunities", organizer,
               json=new_opportunity(organization=org.slug, capacity=10**30, lat=float("nan"),
                                    lon=1.0, causes=["unicorns"], duration_minutes=-5))
    assert resp.status_code == 422
    assert {"capacity", "causes", "duration_minutes"} <= set(resp.json["error"]["fields"])
    assert api("post", "/opportunities", organizer,
               json=new_opportunity(organization="no-such-org")).status_code == 422
    nul = api("post", "/opportunities", organizer,
              json=new_opportunity(organization=org.slug, title="a\x00b"))
    assert nul.status_code == 422 and "title" in nul.json["error"]["fields"]
    assert api("post", "/opportunities", organizer,
               json=new_opportunity(organization=10**40)).status_code == 422


def test_other_organizations_and_residents_get_403(api, make_user, make_org, make_opportunity,
                                                   org):
    stranger = make_user(role=Role.ORGANIZER)
    make_org(name="Another Org", owner=stranger)
    resident = make_user()
    opp = make_opportunity(org=org)
    tpl = "/opportunities/{opportunity_id}"
    for who in (stranger, resident):
        assert api("post", "/opportunities", who,
                   json=new_opportunity(organization=org.slug)).status_code == 403
        assert api("patch", f"/opportunities/{opp.id}", who, template=tpl,
                   json={"title": "Mine now"}).status_code == 403
        assert api("delete", f"/opportunities/{opp.id}", who, template=tpl).status_code == 403
    assert opp.title == "Sort food at the pantry" and opp.status == "published"


def test_sign_up_waitlist_release_and_my_signups(api, make_user, make_opportunity, session):
    opp = make_opportunity(capacity=1)
    first, second = make_user(), make_user()
    tpl = "/opportunities/{opportunity_id}/signups"
    one = api("post", f"/opportunities/{opp.id}/signups", first, template=tpl)
    assert one.status_code == 201 and one.json["status"] == "confirmed"
    assert one.json["waitlist_position"] is None
    two = api("post", f"/opportunities/{opp.id}/signups", second, template=tpl, json={})
    assert two.status_code == 201
    assert (two.json["status"], two.json["waitlist_position"]) == ("waitlisted", 1)
    same = api("post", f"/opportunities/{opp.id}/signups", second, template=tpl)
    assert same.status_code == 200 and same.json["id"] == two.json["id"]
    mine = api("get", "/me/signups", second).json["items"]
    assert [(s["status"], s["waitlist_position"]) for s in mine] == [("waitlisted", 1)]
    # Someone else's sign-up is not found; your own is released and the next moves up.
    assert api("delete", f"/signups/{one.json['id']}", second,
               template="/signups/{signup_id}").status_code == 404
    released = api("delete", f"/signups/{one.json['id']}", first, template="/signups/{signup_id}")
    assert released.status_code == 200 and released.json["status"] == "released"
    assert session.get(Signup, two.json["id"]).status == "confirmed"


def test_recurring_needs_an_occurrence_id(api, make_user, make_opportunity, make_org):
    starts = [utcnow() + timedelta(days=d) for d in (2, 9)]
    opp = make_opportunity(starts=starts, kind="shifts")
    other = make_opportunity(title="Other")
    user = make_user()
    tpl = "/opportunities/{opportunity_id}/signups"
    url = f"/opportunities/{opp.id}/signups"
    assert "occurrence_id" in api("post", url, user, template=tpl).json["error"]["fields"]
    assert api("post", url, user, template=tpl,
               json={"occurrence_id": "two"}).status_code == 422
    assert api("post", url, user, template=tpl,
               json={"occurrence_id": other.occurrences[0].id}).status_code == 422
    assert api("post", url, user, template=tpl, data="[1]",
               content_type="application/json").status_code == 400
    later = opp.occurrences[1]
    ok = api("post", url, user, template=tpl, json={"occurrence_id": later.id})
    assert ok.status_code == 201
    assert api("get", "/me/signups", user).json["items"][0]["occurrence"]["id"] == later.id


def test_sign_up_for_a_cancelled_or_past_one_is_409(api, make_user, make_opportunity, session):
    opp = make_opportunity()
    opp.occurrences[0].cancelled_at = utcnow()
    session.commit()
    tpl = "/opportunities/{opportunity_id}/signups"
    resp = api("post", f"/opportunities/{opp.id}/signups", make_user(), template=tpl,
               json={"occurrence_id": opp.occurrences[0].id})
    assert resp.status_code == 409


def test_unverified_resident_cannot_sign_up(api, make_user, make_opportunity):
    opp = make_opportunity()
    resp = api("post", f"/opportunities/{opp.id}/signups", make_user(verified=False),
               template="/opportunities/{opportunity_id}/signups")
    assert resp.status_code == 403 and resp.json["error"]["code"] == "unverified"


def test_membership_of_the_organizer_is_what_counts(api, make_user, org, session):
    helper = make_user(role=Role.ORGANIZER)
    session.add(Membership(organization=org, user=helper, role="organizer"))
    session.commit()
    assert api("post", "/opportunities", helper,
               json=new_opportunity(organization=org.slug)).status_code == 201
    assert session.query(Occurrence).count() == 1
