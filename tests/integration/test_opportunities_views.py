"""Opportunity pages over HTTP: who may see and change what, the form, the public page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from matchmaker.models import Opportunity, Role, Signup, SignupStatus
from matchmaker.opportunities import services
from matchmaker.opportunities.schema import OpportunityInput
from tests.conftest import csrf_from

NY = ZoneInfo("America/New_York")


def soon(days: int = 5) -> datetime:
    return (datetime.now(NY) + timedelta(days=days)).replace(
        tzinfo=None, hour=9, minute=0, second=0, microsecond=0)


@pytest.fixture
def org(make_org):
    return make_org(name="Brooklyn Pantry", verified=True)


@pytest.fixture
def organizer(org):
    return org.memberships[0].user


@pytest.fixture
def draft(session, org, organizer):
    opp = services.create_opportunity(session, org, organizer, OpportunityInput(
        title="Sort food", description="Bring **gloves**. <script>alert(1)</script>",
        causes=["food-security"], access=["seated"], demands=["standing"], place="11215",
        start_local=soon(), capacity=2, what_to_bring="Water bottle"))
    session.commit()
    return opp


def base(org, opp=None) -> str:
    root = f"/organizations/{org.slug}/opportunities"
    return f"{root}/{opp.id}" if opp else root


def form_data(**changes) -> dict:
    start = soon(7)
    data = {
        "title": "Read to children", "description": "Stories at the library.",
        "kind": "one_off", "place": "11215", "start_date": start.date().isoformat(),
        "start_time": "10:30", "timezone": "America/New_York", "duration_minutes": "90",
        "capacity": "6", "min_age": "16", "social_format": "small_group",
        "first_timer_friendly": "y", "causes": ["children-youth", "education-literacy"],
        "access": ["step-free"], "what_to_bring": "", "frequency": "weekly", "interval": "1",
    }
    data.update(changes)
    return data


# --- permissions on every route ---------------------------------------------------------

ROUTES = [
    ("GET", ""), ("GET", "/new"), ("POST", "/new"), ("GET", "/{id}/edit"),
    ("POST", "/{id}/edit"), ("POST", "/{id}/publish"), ("POST", "/{id}/copy"),
    ("GET", "/{id}/cancel"), ("POST", "/{id}/cancel"),
]


def _request(client, method, org, draft, suffix, token=None):
    path = f"/organizations/{org.slug}/opportunities" + suffix.format(id=draft.id)
    if path.endswith("opportunities"):
        path += "/"
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": token or "", **form_data()})


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
def test_anonymous_is_sent_to_sign_in(client, org, draft, method, suffix):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = _request(client, method, org, draft, suffix, token)
    assert resp.status_code in (302, 303)
    assert "/login" in resp.headers["Location"]


@pytest.mark.parametrize(("method", "suffix"), ROUTES)
@pytest.mark.parametrize("who", ["resident", "other_organizer"])
def test_people_who_do_not_run_the_org_get_403(client, session, org, draft, make_user,
                                               make_org, login_as, method, suffix, who):
    user = make_user(role=Role.RESIDENT if who == "resident" else Role.ORGANIZER)
    if who == "other_organizer":
        make_org(name="Some Other Org", owner=user)
    login_as(user)
    token = csrf_from(client.get("/").get_data(as_text=True))
    resp = _request(client, method, org, draft, suffix, token)
    assert resp.status_code == 403
    session.expire_all()
    assert session.get(Opportunity, draft.id).status == "draft"
    assert session.scalar(select(func.count(Opportunity.id))) == 1


def test_an_opportunity_under_another_orgs_slug_is_404(client, session, draft, make_org,
                                                       login_as):
    theirs = make_org(name="Their Org")
    login_as(theirs.memberships[0].user)
    assert client.get(f"/organizations/{theirs.slug}/opportunities/{draft.id}/edit"
                      ).status_code == 404
    token = csrf_from(client.get("/").get_data(as_text=True))
    resp = client.post(f"/organizations/{theirs.slug}/opportunities/{draft.id}/cancel",
                       data={"csrf_token": token})
    assert resp.status_code == 404
    assert session.get(Opportunity, draft.id).status == "draft"


def test_unknown_org_is_404(client, organizer, login_as):
    login_as(organizer)
    assert client.get("/organizations/no-such-org/opportunities/").status_code == 404


# --- the organizer's pages ---------------------------------------------------------------

def test_list_shows_drafts_published_and_cancelled(client, session, org, organizer, draft,
                                                   login_as):
    published = services.copy_opportunity(session, draft, organizer)
    published.title = "Published one"
    services.publish(session, published)
    gone = services.copy_opportunity(session, draft, organizer)
    gone.title = "Cancelled one"
    services.cancel_opportunity(session, gone, organizer)
    session.commit()
    login_as(organizer)
    html = client.get(base(org) + "/").get_data(as_text=True)
    assert "Drafts (1)" in html and "Published (1)" in html and "Cancelled (1)" in html
    assert html.index("Sort food") < html.index("Published one") < html.index("Cancelled one")


def test_new_form_renders_with_labels_and_fieldsets(client, org, organizer, login_as):
    login_as(organizer)
    resp = client.get(base(org) + "/new")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<legend>Only for recurring shifts</legend>" in html
    assert "<legend>Only for small acts</legend>" in html
    assert html.count("<h1") == 1 and 'style="' not in html
    for field_id in ("title", "place", "lat", "lon", "start_date", "capacity", "do_by"):
        assert f'for="{field_id}"' in html


def test_post_a_one_off_then_publish_it(client, post_form, session, org, organizer, login_as):
    login_as(organizer)
    resp = post_form(base(org) + "/new", form_data())
    assert resp.status_code == 302
    opp = session.scalar(select(Opportunity).where(Opportunity.title == "Read to children"))
    assert opp.status == "draft" and opp.min_age == 16 and opp.duration_minutes == 90
    assert opp.start_local.time().isoformat() == "10:30:00"
    assert sorted(opp.tag_values("cause")) == ["children-youth", "education-literacy"]
    assert resp.headers["Location"].endswith(f"/opportunities/{opp.id}")
    resp = post_form(base(org, opp) + "/publish", {}, page=f"/opportunities/{opp.id}")
    assert resp.status_code == 303
    session.refresh(opp)
    assert opp.status == "published"


def test_post_weekly_shifts_with_a_pin(client, post_form, session, org, organizer, login_as):
    login_as(organizer)
    resp = post_form(base(org) + "/new", form_data(
        kind="shifts", place="Prospect Park Boathouse", lat="40.6602", lon="-73.9690",
        weekdays=["5"], count="6", start_date=soon(3).date().isoformat(), start_time="9:00 AM"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    opp = session.scalar(select(Opportunity).where(Opportunity.kind == "shifts"))
    assert (opp.lat, opp.lon, opp.place_label) == (40.6602, -73.969, "Prospect Park Boathouse")
    assert opp.rrule == "FREQ=WEEKLY;BYDAY=SA;COUNT=6"
    assert len(opp.occurrences) == 6
    assert {o.starts_at.astimezone(NY).strftime("%a %H:%M") for o in opp.occurrences} == {
        "Sat 09:00"}


def test_post_a_small_act(client, post_form, session, org, organizer, login_as):
    login_as(organizer)
    resp = post_form(base(org) + "/new", form_data(
        kind="small_act", is_remote="y", place="", start_date="", start_time="",
        do_by=soon(10).date().isoformat(), duration_minutes="15", social_format="solo"))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    opp = session.scalar(select(Opportunity).where(Opportunity.kind == "small_act"))
    assert opp.is_remote and opp.start_local is None and len(opp.occurrences) == 1


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"title": ""}, "title", "Please give it a short title."),
    ({"capacity": "lots"}, "capacity", "Please give a whole number, like 10."),
    ({"capacity": "0"}, "capacity", "Please give the number of places"),
    ({"start_date": "14th of June"}, "start_date", "year-month-day"),
    ({"start_date": ""}, "start_date", "Please give the date and time it starts."),
    ({"start_time": "noonish"}, "start_time", "like 09:30 or 2:00 PM"),
    ({"place": "Atlantis Xq"}, "place", "Atlantis Xq"),
    ({"place": ""}, "place", "Please say where this happens"),
    ({"lat": "north", "lon": "-73.9"}, "lat", "Please give a number"),
    ({"causes": ["made-up"]}, "causes", "Please choose causes from the list"),
    ({"kind": "shifts"}, "until", "Please give the last date"),
    ({"kind": "small_act", "do_by": ""}, "do_by", "Please give the last day"),
])
def test_bad_input_is_shown_next_to_the_field_with_400(client, post_form, session, org,
                                                       organizer, login_as, changes, field,
                                                       message):
    login_as(organizer)
    resp = post_form(base(org) + "/new", form_data(**changes))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html) or re.search(
        rf'<p class="error">([^<]*)</p>\s*<ul class="choice-grid">\s*<li class="check">'
        rf'<input[^>]*id="{field}-0"', html)  # a group of checkboxes
    assert error, html
    assert message.replace("“", "&#34;") in error.group(1).replace("&#39;", "'") or \
        message in error.group(1)
    assert session.scalar(select(func.count(Opportunity.id))) == 0


def test_missing_csrf_token_is_refused(client, session, org, organizer, login_as):
    login_as(organizer)
    resp = client.post(base(org) + "/new", data=form_data())
    assert resp.status_code == 400
    assert session.scalar(select(func.count(Opportunity.id))) == 0


def test_edit_shows_current_values_and_saves(client, post_form, session, org, organizer,
                                             draft, login_as):
    login_as(organizer)
    html = client.get(base(org, draft) + "/edit").get_data(as_text=True)
    assert 'value="Sort food"' in html and 'value="11215"' in html
    assert re.search(r'value="seated"[^>]*checked|checked[^>]*value="seated"', html)
    resp = post_form(base(org, draft) + "/edit", form_data(title="Sort food, morning"))
    assert resp.status_code == 302
    session.refresh(draft)
    assert draft.title == "Sort food, morning" and draft.capacity == 6


def test_copy_makes_a_new_draft_and_opens_its_edit_page(client, post_form, session, org,
                                                        organizer, draft, login_as):
    login_as(organizer)
    resp = post_form(base(org, draft) + "/copy", {}, page="/")
    assert resp.status_code == 303
    copy = session.scalar(select(Opportunity).where(Opportunity.id != draft.id))
    assert copy.title == draft.title and copy.status == "draft"
    assert resp.headers["Location"].endswith(base(org, copy) + "/edit")


def test_cancel_asks_first_and_says_how_many_people_will_be_told(
        client, post_form, session, org, organizer, draft, make_user, login_as, outbox):
    services.publish(session, draft)
    occurrence = draft.occurrences[0]
    a, b, c = make_user(), make_user(), make_user()
    session.add_all([Signup(occurrence=occurrence, user=a, status=SignupStatus.CONFIRMED),
                     Signup(occurrence=occurrence, user=b, status=SignupStatus.CONFIRMED),
                     Signup(occurrence=occurrence, user=c, status=SignupStatus.WAITLISTED)])
    occurrence.confirmed_count = 2
    session.commit()
    login_as(organizer)
    page = client.get(base(org, draft) + "/cancel").get_data(as_text=True)
    assert "3 people have signed up" in page and "tell 3 people" in page
    assert session.get(Opportunity, draft.id).status == "published"  # GET changes nothing

    resp = post_form(base(org, draft) + "/cancel", {})
    assert resp.status_code == 303
    session.expire_all()
    assert session.get(Opportunity, draft.id).status == "cancelled"
    assert sorted(m["To"] for m in outbox.messages) == sorted([a.email, b.email, c.email])
    # Cancelling again (a double click) tells nobody a second time.
    client.post(base(org, draft) + "/cancel",
                data={"csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    assert len(outbox.messages) == 3


# --- the public page ----------------------------------------------------------------------

def test_draft_is_404_for_everyone_but_its_organizers(client, draft, make_user, make_org,
                                                      login_as):
    path = f"/opportunities/{draft.id}"
    assert client.get(path).status_code == 404
    login_as(make_user())
    assert client.get(path).status_code == 404
    other = make_org(name="Other Org")
    login_as(other.memberships[0].user)
    assert client.get(path).status_code == 404


def test_public_page_shows_the_details_safely(client, session, org, organizer, draft,
                                              login_as):
    login_as(organizer)
    assert "Draft." in client.get(f"/opportunities/{draft.id}").get_data(as_text=True)
    services.publish(session, draft)
    session.commit()
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(True))})
    resp = client.get(f"/opportunities/{draft.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.count("<h1") == 1 and "Sort food" in html
    assert "Brooklyn Pantry" in html and "Verified by matchmaker" in html
    assert "<strong>gloves</strong>" in html and "<script>alert" not in html
    assert "11215" in html and "openstreetmap.org" in html
    assert "Can be done seated" in html and "Standing for a long time" in html
    assert "First time? You are very welcome" in html and "Water bottle" in html
    assert "about 2 hours" in html and "2 places left" in html


def test_full_occurrence_says_join_the_waiting_list_and_remote_says_from_home(
        client, session, org, organizer, make_user):
    opp = services.create_opportunity(session, org, organizer, OpportunityInput(
        title="Phone a neighbour", kind="one_off", is_remote=True, start_local=soon(),
        capacity=1, duration_minutes=30, social_format="one_on_one"))
    services.publish(session, opp)
    opp.occurrences[0].confirmed_count = 1
    session.add(Signup(occurrence=opp.occurrences[0], user=make_user(),
                       status=SignupStatus.CONFIRMED))
    session.commit()
    html = client.get(f"/opportunities/{opp.id}").get_data(as_text=True)
    assert "Full — join the waiting list" in html and "From home" in html
    assert "openstreetmap" not in html and "about 30 minutes" in html


def test_unknown_opportunity_is_404(client):
    assert client.get("/opportunities/999999").status_code == 404
