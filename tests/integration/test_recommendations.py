"""Recommendations: rows -> matcher -> stored lists -> "For you", the API and alert emails.

Everything runs on the suite's database (SQLite locally, PostgreSQL in CI);
jobs run in the test's own app, as inline mode does. The worker processes and
the per-region shards on real Redis are in test_matching_workers.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matchmaker.db import utcnow
from matchmaker.matching import Match
from matchmaker.models import (
    AvailabilityWindow,
    MatchAlert,
    Occurrence,
    Opportunity,
    OpportunityTag,
    Profile,
    ProfileTag,
    Recommendation,
    Signup,
)
from matchmaker.recommendations import services, store
from matchmaker.recommendations.adapter import load_occurrences, load_residents
from matchmaker.recommendations.queries import RecommendationView, top_for_user
from tests.integration import test_api_v1

#: The API tests' fixtures: every response is checked against the OpenAPI document.
api, token_for = test_api_v1.api, test_api_v1.token_for

NEAR = (40.6730, -73.9790)   # about 150 m from make_opportunity's default place
NY = "America/New_York"


@pytest.fixture
def make_opportunity(make_opportunity):
    """The suite's factory, always with the opportunity's timezone set (New York)."""

    def make(**kw):
        kw.setdefault("timezone", NY)
        return make_opportunity(**kw)

    return make


@pytest.fixture
def make_resident(session, make_user):
    """make_resident(home=(lat, lon) | None, causes=[...], notify=False, ...) -> User."""

    def make(home=NEAR, causes=("food-security",), skills=("cooking",), radius=5.0,
             remote_ok=True, windows="always", notify=False, email=None, **fields):
        user = make_user(email=email)
        profile = Profile(user_id=user.id, timezone=NY, home_lat=home[0] if home else None,
                          home_lon=home[1] if home else None, travel_radius_km=radius,
                          remote_ok=remote_ok, weekly_minutes=600, max_commitments_per_week=5,
                          social_format="any", is_adult=True, notify_strong_matches=notify,
                          **fields)
        profile.tags = ([ProfileTag(kind="cause", value=c) for c in causes]
                        + [ProfileTag(kind="skill", value=s) for s in skills])
        if windows == "always":
            windows = [(d, 0, 1440) for d in range(7)]
        profile.availability = [AvailabilityWindow(weekday=d, start_minute=s, end_minute=e)
                                for d, s, e in windows]
        session.add(profile)
        session.commit()
        return user

    return make


def _opp(make_opportunity, **kw):
    """A strong-match opportunity for make_resident's defaults, unless told otherwise."""
    opp = make_opportunity(**{"social_format": "small_group", "first_timer_friendly": True,
                              **kw})
    return opp


def _occ(opp) -> Occurrence:
    return opp.occurrences[0]


# --- adapter ---------------------------------------------------------------------------------


def test_adapter_loads_residents_with_history_commitments_and_signups(
        session, make_resident, make_opportunity, make_user):
    me = make_resident()
    mate = make_user()
    now = utcnow()
    past = make_opportunity(title="Past pantry", starts=now - timedelta(days=10))
    gone_to = make_opportunity(title="Marked", starts=now - timedelta(days=20))
    booked = make_opportunity(title="Booked", starts=now + timedelta(days=2), duration_minutes=90)
    waiting = make_opportunity(title="Waiting", starts=now + timedelta(days=4))
    session.add_all([
        # unmarked but confirmed and over: counts as attended, with a mate
        Signup(occurrence_id=_occ(past).id, user_id=me.id, status="confirmed"),
        Signup(occurrence_id=_occ(past).id, user_id=mate.id, status="confirmed"),
        # marked no-show: never history
        Signup(occurrence_id=_occ(gone_to).id, user_id=me.id, status="confirmed",
               attendance="no_show"),
        Signup(occurrence_id=_occ(booked).id, user_id=me.id, status="confirmed"),
        Signup(occurrence_id=_occ(waiting).id, user_id=me.id, status="waitlisted"),
    ])
    session.commit()

    [res], skipped = load_residents(session, now, user_ids=[me.id])
    assert not skipped
    assert res.id == me.id and res.home == NEAR and res.timezone == NY
    assert res.causes == {"food-security"} and res.skills == {"cooking"}
    assert len(res.windows) == 7
    assert res.returned_organization_ids == {past.organization_id}
    assert gone_to.organization_id not in res.returned_organization_ids
    assert res.served_with_ids == {mate.id}
    assert not res.first_timer
    assert res.signed_up_occurrence_ids == {_occ(booked).id, _occ(waiting).id}
    # only the confirmed one costs time and makes them busy
    assert sum(m for m, _c in res.committed.values()) == 90
    assert sum(c for _m, c in res.committed.values()) == 1
    assert res.busy == ((_occ(booked).starts_at, _occ(booked).ends_at),)


def test_adapter_loads_occurrences_with_tags_seats_and_people_going(
        session, make_opportunity, make_user):
    opp = make_opportunity(title="Walk dogs", capacity=3, social_format="solo", min_age=16,
                           causes=("animals",))
    opp.tags.append(OpportunityTag(kind="access", value="step-free"))
    opp.tags.append(OpportunityTag(kind="demand", value="outdoors"))
    goer = make_user()
    session.add(Signup(occurrence_id=_occ(opp).id, user_id=goer.id, status="confirmed"))
    _occ(opp).confirmed_count = 1
    draft = make_opportunity(title="Draft", status="draft")
    session.commit()

    occs, skipped = load_occurrences(session)
    assert not skipped
    [o] = [o for o in occs if o.opportunity_id == opp.id]
    assert all(o.opportunity_id != draft.id for o in occs)
    assert o.causes == {"animals"} and o.access == {"step-free"} and o.demands == {"outdoors"}
    assert o.seats_left == 2 and o.capacity == 3 and o.going_ids == {goer.id}
    assert o.social_format == "solo_remote" and o.min_age == 16
    assert o.start == _occ(opp).starts_at and o.place == (opp.lat, opp.lon)


def test_bad_input_is_skipped_logged_and_counted_in_the_job_result(
        session, make_resident, make_opportunity, caplog):
    from workers.matching_jobs import rematch_shard

    good = make_resident()
    homeless = make_resident(home=None)
    make_resident(home=(95.0, 10.0))                       # out of range: remote only
    make_opportunity(title="Fine")
    make_opportunity(title="No place", lat=None, lon=None)
    make_opportunity(title="Off the globe", lat=123.0, lon=-73.9)
    remote = make_opportunity(title="Phone a neighbour", is_remote=True)

    results = [rematch_shard(spec) for spec in services.plan_shards(session, per_shard=10)]
    skipped = {}
    for r in results:
        for k, v in r["skipped"].items():
            skipped[k] = skipped.get(k, 0) + v
    assert skipped["occurrence_no_location"] >= 1
    assert skipped["occurrence_bad_coordinates"] >= 1
    assert skipped["resident_no_location_remote_only"] == 1
    assert skipped["resident_bad_coordinates_remote_only"] == 1
    assert sum(r["residents"] for r in results) == 3
    assert "skipped" in caplog.text
    # the resident without a place still gets the remote one, and nothing else
    session.expire_all()
    assert [v.occurrence.opportunity_id for v in top_for_user(session, homeless.id)] == [remote.id]
    assert len(top_for_user(session, good.id)) == 2


# --- store -------------------------------------------------------------------------------------


def _match(occ_id, score, reasons=("Food security",), waitlist=False):
    return Match(occ_id, None, score, waitlist, tuple(reasons))


def test_store_replaces_a_residents_rows_and_leaves_others_alone(
        session, make_user, make_opportunity):
    a, b = make_user(), make_user()
    o1, o2, o3 = (_occ(make_opportunity(title=t)).id for t in ("One", "Two", "Three"))
    n = store.replace_for_users(session, {a.id: [_match(o1, .9), _match(o2, .8)],
                                          b.id: [_match(o3, .7)]})
    session.commit()
    assert n == 3
    # odd characters survive the bulk path (COPY's text format escapes backslashes)
    odd = ("Café \"Ø\" back\\slash", "tab\there", "about 1 km")
    store.replace_for_users(session, {a.id: [_match(o3, .95, odd)]})
    session.commit()
    rows = session.execute(select(Recommendation.user_id, Recommendation.occurrence_id,
                                  Recommendation.rank, Recommendation.reasons,
                                  Recommendation.score)
                           .order_by(Recommendation.user_id)).all()
    assert rows == [(a.id, o3, 1, list(odd), .95), (b.id, o3, 1, ["Food security"], .7)]
    # nothing found any more: the old list goes
    store.replace_for_users(session, {b.id: []})
    session.commit()
    assert session.scalar(select(func.count()).where(Recommendation.user_id == b.id)) == 0


# --- queries ----------------------------------------------------------------------------------


def test_top_for_user_shows_only_what_still_applies_best_first(
        session, make_user, make_opportunity):
    me = make_user()
    now = utcnow()
    ok = make_opportunity(title="Fine", duration_minutes=60)
    long = make_opportunity(title="Long", duration_minutes=240)
    full = make_opportunity(title="Full", capacity=1)
    gone = make_opportunity(title="Cancelled date")
    draft = make_opportunity(title="Unpublished")
    started = make_opportunity(title="Started", starts=now - timedelta(minutes=5))
    mine = make_opportunity(title="Signed up")
    released = make_opportunity(title="Passed on")
    store.replace_for_users(session, {me.id: [
        _match(_occ(o).id, 1 - i / 10, waitlist=o is full)
        for i, o in enumerate([gone, long, ok, draft, full, started, mine, released])]})
    _occ(gone).cancelled_at = now
    draft.status = "draft"
    session.add(Signup(occurrence_id=_occ(mine).id, user_id=me.id, status="confirmed"))
    session.add(Signup(occurrence_id=_occ(released).id, user_id=me.id, status="released"))
    session.commit()

    views = top_for_user(session, me.id, 10, now=now)
    assert [v.occurrence.opportunity.title for v in views] == ["Long", "Fine", "Full",
                                                                "Passed on"]
    assert isinstance(views[0], RecommendationView)
    assert views[0].reasons == ["Food security"] and views[0].score == pytest.approx(0.9)
    assert [v.waitlist for v in views] == [False, False, True, False]
    assert [v.occurrence.opportunity.title for v in top_for_user(session, me.id, 2)] == \
        ["Long", "Fine"]
    assert [v.occurrence.opportunity.title
            for v in top_for_user(session, me.id, 10, max_minutes=120)] == \
        ["Fine", "Full", "Passed on"]
    assert top_for_user(session, make_user().id) == []


def test_refresh_for_user_and_rematch_job_compute_the_list(
        session, make_resident, make_opportunity):
    from matchmaker.recommendations.queries import refresh_for_user
    from workers.matching_jobs import rematch_resident

    me = make_resident()
    near = _opp(make_opportunity, title="Pantry nearby")
    far = make_opportunity(title="Far away", lat=41.5, lon=-73.9)
    refresh_for_user(session, me.id)
    session.commit()
    [view] = top_for_user(session, me.id)
    assert view.occurrence.opportunity_id == near.id
    assert "Food security" in view.reasons
    assert far.id not in {v.occurrence.opportunity_id for v in top_for_user(session, me.id)}
    result = rematch_resident(me.id)
    assert result["residents"] == 1 and result["recommendations"] == 1


# --- the "For you" page ----------------------------------------------------------------------


def test_for_you_needs_sign_in(client):
    resp = client.get("/for-you")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_for_you_without_a_profile_links_to_it(client, login_as, make_user):
    login_as(make_user())
    html = client.get("/for-you").get_data(as_text=True)
    assert "Fill in my profile" in html and 'href="/profile/"' in html
    assert 'aria-current="page">For you<' in html


def test_for_you_computes_on_first_visit_and_shows_reasons_and_waitlist(
        client, session, login_as, make_resident, make_opportunity):
    me = make_resident()
    _opp(make_opportunity, title="Pantry sort")
    _opp(make_opportunity, title="Full kitchen", capacity=1)
    login_as(me)
    # fill the kitchen before the first visit
    occ = session.scalar(select(Occurrence).join(Opportunity)
                         .where(Opportunity.title == "Full kitchen"))
    occ.confirmed_count = 1
    session.commit()
    resp = client.get("/for-you")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Pantry sort" in html and "Food security" in html
    assert "join the waitlist" in html
    assert html.index("Pantry sort") < html.index("Full kitchen")
    assert "<ol" in html and "<h1>For you</h1>" in html


def test_for_you_empty_states_help(client, login_as, make_resident, make_opportunity):
    make_opportunity(title="Far away", lat=41.5, lon=-73.9)
    me = make_resident(remote_ok=False)
    login_as(me)
    html = client.get("/for-you").get_data(as_text=True)
    assert "We have nothing to suggest right now" in html
    assert "go a little further" in html and "look through everything" in html
    assert "say helping from home is fine" in html

    other = make_resident(home=None)
    login_as(other)
    html = client.get("/for-you").get_data(as_text=True)
    assert "We don't know your area yet" in html
    assert "Add your neighbourhood or postcode to your profile" in html


# --- API ---------------------------------------------------------------------------------------


def test_api_recommendations_match_the_schema(api, session, make_resident, make_opportunity):
    me = make_resident()
    opp = _opp(make_opportunity, title="Pantry sort")
    services.rematch_user(session, me.id)
    session.commit()
    body = api("get", "/me/recommendations", me).json
    [item] = body["items"]
    assert item["rank"] == 1 and item["opportunity"]["id"] == opp.id
    assert item["occurrence"]["id"] == _occ(opp).id and not item["waitlist"]
    assert "Food security" in item["reasons"] and 0 < item["score"] <= 1
    assert api("get", "/me/recommendations?max_minutes=30", me).json == {"items": []}
    assert api("get", "/me/recommendations?limit=0", me).status_code == 400
    assert api("get", "/me/recommendations?max_minutes=x", me).json["error"]["fields"] == {
        "max_minutes": "Give a number of minutes from 1 to 1440."}
    assert api("get", "/me/recommendations").status_code == 401


# --- a new opportunity: lists and alert emails -----------------------------------------------


@pytest.fixture
def smtp_app_config(app_config, smtp_sink):
    app_config["SMTP_URL"] = smtp_sink.url
    app_config["MATCH_EMAILS_PER_WEEK"] = 2
    return app_config


def _alerts(session, user_id):
    return session.scalar(select(func.count()).select_from(MatchAlert)
                          .where(MatchAlert.user_id == user_id))


def test_new_opportunity_updates_lists_and_emails_opted_in_strong_matches_once(
        smtp_app_config, session, make_resident, make_opportunity, smtp_sink):
    from workers.matching_jobs import match_opportunity

    keen = make_resident(notify=True, email="keen@example.org")
    quiet = make_resident(notify=False)
    elsewhere = make_resident(home=(41.5, -73.9), remote_ok=False, notify=True)
    opp = _opp(make_opportunity, title="Pantry sort")

    result = match_opportunity(opp.id)
    assert result["emails"] == 1 and result["strong_matches"] >= 2
    [msg] = smtp_sink.messages
    assert msg["To"] == "keen@example.org"
    assert "Pantry sort" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "Food security" in text and "/for-you" in text and "/me/emails" in text
    assert "utm_" not in text
    html = msg.get_body(("html",)).get_content()
    assert "Pantry sort" in html and "font-size: 18px" in html
    session.expire_all()
    for user in (keen, quiet):
        assert [v.occurrence.opportunity_id for v in top_for_user(session, user.id)] == [opp.id]
    assert top_for_user(session, elsewhere.id) == []

    # the job runs again (a retry, an edit): no second email for the same occurrence
    assert match_opportunity(opp.id)["emails"] == 0
    assert len(smtp_sink.messages) == 1
    assert _alerts(session, keen.id) == 1


def test_alert_emails_are_capped_per_resident_per_week(
        smtp_app_config, session, make_resident, make_opportunity, smtp_sink):
    from workers.matching_jobs import match_opportunity

    make_resident(notify=True)
    opps = [_opp(make_opportunity, title=f"Shift {i}") for i in range(4)]
    sent = [match_opportunity(o.id)["emails"] for o in opps]
    assert sent == [1, 1, 0, 0]
    assert len(smtp_sink.messages) == 2
    # a week later the older alerts no longer count
    session.execute(MatchAlert.__table__.update().values(sent_at=utcnow() - timedelta(days=8)))
    session.commit()
    assert match_opportunity(opps[2].id)["emails"] == 1
    assert len(smtp_sink.messages) == 3


def test_no_alert_for_a_weak_match_nor_for_another_date_of_the_same_opportunity(
        smtp_app_config, session, make_resident, make_opportunity, smtp_sink):
    from workers.matching_jobs import match_opportunity

    make_resident(notify=True, causes=("animals",), skills=())    # suits, but weakly
    keen = make_resident(notify=True)
    now = utcnow().replace(microsecond=0)
    opp = _opp(make_opportunity, title="Weekly pantry",
               starts=[now + timedelta(days=2), now + timedelta(days=9)])
    assert match_opportunity(opp.id)["emails"] == 1
    [msg] = smtp_sink.messages
    assert msg["To"] == keen.email
    # the emailed date is called off: the other date is the same news, no new email
    alert = session.scalar(select(MatchAlert))
    session.get(Occurrence, alert.occurrence_id).cancelled_at = utcnow()
    session.commit()
    result = match_opportunity(opp.id)
    assert result["strong_matches"] >= 1 and result["emails"] == 0
    assert len(smtp_sink.messages) == 1


def test_cancelled_opportunity_leaves_the_lists(session, make_resident, make_opportunity):
    from workers.matching_jobs import match_opportunity

    me = make_resident()
    opp = _opp(make_opportunity, title="Pantry sort")
    match_opportunity(opp.id)
    assert session.scalar(select(func.count()).where(Recommendation.user_id == me.id)) == 1
    opp.status = "cancelled"
    opp.cancelled_at = utcnow()
    session.commit()
    result = match_opportunity(opp.id)
    assert result["occurrences"] == 0
    assert session.scalar(select(func.count()).where(Recommendation.user_id == me.id)) == 0


def test_publishing_and_saving_a_profile_queue_the_matching_jobs(
        session, make_resident, make_opportunity):
    from matchmaker.models import QueuedJob
    from matchmaker.opportunities.services import publish

    me = make_resident()
    opp = _opp(make_opportunity, title="Pantry sort", status="draft")
    publish(session, opp)
    session.commit()   # inline mode: the job runs now
    jobs = session.scalars(select(QueuedJob.func)).all()
    assert "workers.matching_jobs.match_opportunity" in jobs
    assert [v.occurrence.opportunity_id for v in top_for_user(session, me.id)] == [opp.id]


def test_profile_save_queues_a_rematch(session, make_user):
    from matchmaker.models import QueuedJob
    from matchmaker.profile.services import ProfileInput, save_profile

    me = make_user()
    save_profile(session, me.id, ProfileInput(timezone=NY, causes=["food-security"]))
    session.commit()
    assert session.scalar(select(QueuedJob).where(
        QueuedJob.func == "workers.matching_jobs.rematch_resident")).args == [me.id]


# --- shards --------------------------------------------------------------------------------------


def test_shards_cover_every_resident_exactly_once(session, make_resident):
    homes = [(40.60 + i * 0.01, -74.05 + (i % 5) * 0.02) for i in range(13)]
    users = [make_resident(home=h) for h in homes] + [make_resident(home=None)]
    shards = services.plan_shards(session, per_shard=3)
    assert len(shards) >= 5 and shards[-1].get("no_home")
    seen = []
    for spec in shards:
        seen += session.scalars(select(Profile.user_id).where(*services.shard_where(spec))).all()
    assert sorted(seen) == sorted(u.id for u in users)


def test_nightly_rematch_inline_runs_every_shard(session, make_resident, make_opportunity):
    from workers.matching_jobs import nightly_rematch

    users = [make_resident(home=(40.67 + i * 0.001, -73.98)) for i in range(5)]
    _opp(make_opportunity, title="Pantry sort")
    result = nightly_rematch(per_shard=2)
    assert result["shards"] >= 3
    for u in users:
        assert session.scalar(select(func.count()).where(Recommendation.user_id == u.id)) == 1
