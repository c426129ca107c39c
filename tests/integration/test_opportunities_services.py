"""Opportunity services: validation, places, occurrences, publish, copy, cancel."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from matchmaker.models import Group, Occurrence, Opportunity, Role, Signup, SignupStatus
from matchmaker.opportunities import services
from matchmaker.opportunities.schema import OpportunityInput, validate
from matchmaker.opportunities.services import OpportunityError

NY = ZoneInfo("America/New_York")
#: A fixed "now" for the rules that depend on today: Wednesday 1 October 2025, noon UTC.
NOW = datetime(2025, 10, 1, 12, tzinfo=UTC)


def good(**changes) -> OpportunityInput:
    base = OpportunityInput(
        title="Sort food at the pantry", description="Help us **sort** donations.",
        causes=["food-security"], skills=["lifting"], access=["step-free"],
        demands=["standing"], kind="one_off", place="11215",
        start_local=datetime(2025, 10, 18, 9, 0), duration_minutes=120, capacity=8,
        social_format="small_group", timezone="America/New_York",
    )
    return replace(base, **changes)


@pytest.fixture
def org(make_org):
    return make_org(name="Brooklyn Pantry")


@pytest.fixture
def author(org):
    return org.memberships[0].user


def create(session, org, author, data, **kw):
    opp = services.create_opportunity(session, org, author, data, now=NOW, **kw)
    session.commit()
    return opp


# --- validate -------------------------------------------------------------------------

def test_a_good_input_is_valid():
    assert validate(good(), now=NOW) == {}


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": "  "}, "title"),
    ({"title": "x" * 141}, "title"),
    ({"description": "x" * 20_001}, "description"),
    ({"causes": ["knitting-for-cats"]}, "causes"),
    ({"skills": ["juggling"]}, "skills"),
    ({"access": ["lift"]}, "access"),
    ({"demands": ["flying"]}, "demands"),
    ({"kind": "sometimes"}, "kind"),
    ({"place": ""}, "place"),
    ({"place": "x" * 201}, "place"),
    ({"lat": 40.7}, "lon"),
    ({"lat": 91.0, "lon": 0.0}, "lat"),
    ({"lat": 40.0, "lon": 181.0}, "lon"),
    ({"lat": "40", "lon": "-73"}, "lat"),
    ({"start_local": None}, "start_local"),
    ({"start_local": datetime(2025, 9, 30, 9)}, "start_local"),
    ({"start_local": datetime(2025, 10, 18, 9, tzinfo=UTC)}, "start_local"),
    ({"start_local": datetime(2029, 1, 1, 9)}, "start_local"),
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"duration_minutes": 1441}, "duration_minutes"),
    ({"duration_minutes": "60"}, "duration_minutes"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": 10_001}, "capacity"),
    ({"capacity": True}, "capacity"),
    ({"min_age": -1}, "min_age"),
    ({"min_age": 100}, "min_age"),
    ({"social_format": "crowd"}, "social_format"),
    ({"first_timer_friendly": "yes"}, "first_timer_friendly"),
    ({"what_to_bring": "x" * 501}, "what_to_bring"),
    ({"group_id": "3"}, "group_id"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "../etc/passwd"}, "timezone"),
    ({"is_remote": "no"}, "is_remote"),
    # shifts
    ({"kind": "shifts"}, "until"),
    ({"kind": "shifts", "count": 5, "until": date(2025, 12, 1)}, "count"),
    ({"kind": "shifts", "count": 0}, "count"),
    ({"kind": "shifts", "count": 201}, "count"),
    ({"kind": "shifts", "until": date(2025, 10, 1)}, "until"),
    ({"kind": "shifts", "count": 3, "frequency": "daily"}, "frequency"),
    ({"kind": "shifts", "count": 3, "interval": 0}, "interval"),
    ({"kind": "shifts", "count": 3, "interval": 13}, "interval"),
    ({"kind": "shifts", "count": 3, "weekdays": [7]}, "weekdays"),
    ({"kind": "shifts", "count": 3, "month_week": 2, "weekdays": [1]}, "month_week"),
    ({"kind": "shifts", "count": 3, "frequency": "monthly", "month_week": 5,
      "weekdays": [1]}, "month_week"),
    ({"kind": "shifts", "count": 3, "frequency": "monthly", "month_week": 2,
      "weekdays": [1, 2]}, "weekdays"),
    ({"kind": "shifts", "count": 3, "frequency": "monthly", "weekdays": [1]}, "weekdays"),
    # small acts
    ({"kind": "small_act", "start_local": None}, "do_by"),
    ({"kind": "small_act", "do_by": date(2025, 9, 30)}, "do_by"),
    ({"kind": "small_act", "do_by": date(2028, 1, 1)}, "do_by"),
])
def test_each_invalid_field_is_named_with_a_message(changes, field):
    errors = validate(good(**changes), now=NOW)
    assert field in errors, errors
    assert errors[field].endswith(".") and len(errors[field]) > 10


def test_remote_needs_no_place_and_a_pin_needs_no_text():
    assert validate(good(place="", is_remote=True), now=NOW) == {}
    assert validate(good(place="", lat=40.66, lon=-73.97), now=NOW) == {}


def test_small_act_due_today_is_fine_in_the_organizers_zone():
    # 1 October 2025 noon UTC is still 1 October in New York.
    assert validate(good(kind="small_act", do_by=date(2025, 10, 1)), now=NOW) == {}


# --- create ---------------------------------------------------------------------------

def test_create_geocodes_tags_and_makes_one_draft_occurrence(session, org, author):
    opp = create(session, org, author, good())
    assert opp.status == "draft" and opp.created_by_id == author.id
    assert (opp.place_label, opp.lat, opp.lon) == ("11215", 40.6669, -73.9828)
    assert sorted((t.kind, t.value) for t in opp.tags) == [
        ("access", "step-free"), ("cause", "food-security"), ("demand", "standing"),
        ("skill", "lifting")]
    [occ] = opp.occurrences
    assert occ.starts_at == datetime(2025, 10, 18, 13, tzinfo=UTC)  # 09:00 EDT
    assert occ.ends_at - occ.starts_at == timedelta(hours=2)
    assert occ.capacity == 8 and occ.confirmed_count == 0


def test_create_with_a_pin_or_remote_does_not_geocode(session, org, author, monkeypatch):
    def boom(*_a, **_k):
        raise AssertionError("geocoder called")

    monkeypatch.setattr(services, "geocode_place", boom)
    pinned = create(session, org, author, good(place="Boathouse", lat=40.66, lon=-73.97))
    assert (pinned.place_label, pinned.lat, pinned.lon) == ("Boathouse", 40.66, -73.97)
    remote = create(session, org, author, good(place="ignored", is_remote=True))
    assert (remote.place_label, remote.lat, remote.lon) == ("", None, None)


def test_invalid_input_or_unknown_place_writes_nothing(session, org, author):
    before = session.scalar(select(func.count(Opportunity.id)))
    with pytest.raises(OpportunityError) as bad:
        services.create_opportunity(session, org, author, good(capacity=0), now=NOW)
    assert set(bad.value.errors) == {"capacity"}
    with pytest.raises(OpportunityError) as unknown:
        services.create_opportunity(session, org, author, good(place="Atlantis Xq"), now=NOW)
    assert "place" in unknown.value.errors
    session.rollback()
    assert session.scalar(select(func.count(Opportunity.id))) == before


def test_group_must_belong_to_the_organization(session, org, author, make_org):
    other = make_org(name="Other Org")
    theirs = Group(organization=other, name="Their crew", slug="their-crew")
    ours = Group(organization=org, name="Park crew", slug="park-crew")
    session.add_all([theirs, ours])
    session.flush()
    with pytest.raises(OpportunityError) as exc:
        services.create_opportunity(session, org, author, good(group_id=theirs.id), now=NOW)
    assert "group_id" in exc.value.errors
    assert create(session, org, author, good(group_id=ours.id)).group_id == ours.id


def test_source_key_is_stored(session, org, author):
    assert create(session, org, author, good(), source_key="nyc:42").source_key == "nyc:42"


# --- shifts -----------------------------------------------------------------------------

def local_times(opp):
    return [o.starts_at.astimezone(NY).strftime("%Y-%m-%d %H:%M") for o in opp.occurrences]


def test_weekly_shifts_keep_local_time_across_dst(session, org, author):
    opp = create(session, org, author, good(kind="shifts", weekdays=[5], count=4))
    assert opp.rrule == "FREQ=WEEKLY;BYDAY=SA;COUNT=4"
    assert local_times(opp) == ["2025-10-18 09:00", "2025-10-25 09:00", "2025-11-01 09:00",
                                "2025-11-08 09:00"]
    assert [o.starts_at.hour for o in opp.occurrences] == [13, 13, 13, 14]


def test_shifts_stop_at_the_horizon_and_the_top_up_extends_them(session, org, author):
    opp = create(session, org, author, good(kind="shifts", until=date(2026, 6, 30)))
    # Saturdays from 18 October up to 13 weeks after NOW (31 December): 11 of them.
    assert len(opp.occurrences) == 11
    assert local_times(opp)[-1] == "2025-12-27 09:00"
    # Four weeks later the nightly top-up adds the next four; past ones stay as history.
    services.materialise_occurrences(session, opp, now=NOW + timedelta(weeks=4))
    session.commit()
    assert len(opp.occurrences) == 15 and local_times(opp)[-1] == "2026-01-24 09:00"
    assert len({o.starts_at for o in opp.occurrences}) == 15


def test_monthly_second_tuesday(session, org, author):
    opp = create(session, org, author, good(
        kind="shifts", frequency="monthly", month_week=2, weekdays=[1], count=3,
        start_local=datetime(2025, 10, 14, 18, 30)))
    assert opp.rrule == "FREQ=MONTHLY;BYDAY=2TU;COUNT=3"
    assert local_times(opp) == ["2025-10-14 18:30", "2025-11-11 18:30", "2025-12-09 18:30"]


def test_editing_a_rule_keeps_dates_with_signups(session, org, author, make_user):
    opp = create(session, org, author, good(kind="shifts", weekdays=[5], count=4))
    kept = opp.occurrences[1]
    resident = make_user()
    session.add(Signup(occurrence=kept, user=resident, status=SignupStatus.CONFIRMED))
    kept.confirmed_count = 1
    session.commit()
    services.update_opportunity(session, opp, good(kind="shifts", weekdays=[6], count=2,
                                                   start_local=datetime(2025, 10, 19, 9)),
                                now=NOW)
    session.commit()
    assert local_times(opp) == ["2025-10-19 09:00", "2025-10-25 09:00", "2025-10-26 09:00"]
    assert kept in opp.occurrences and kept.signups


def test_capacity_cannot_drop_below_people_already_confirmed(session, org, author, make_user):
    opp = create(session, org, author, good(capacity=3))
    occ = opp.occurrences[0]
    for _ in range(3):
        session.add(Signup(occurrence=occ, user=make_user(), status=SignupStatus.CONFIRMED))
    occ.confirmed_count = 3
    session.commit()
    with pytest.raises(OpportunityError) as exc:
        services.update_opportunity(session, opp, good(capacity=2), now=NOW)
    assert "capacity" in exc.value.errors
    session.rollback()
    services.update_opportunity(session, opp, good(capacity=5, title="New title"), now=NOW)
    session.commit()
    assert (opp.title, occ.capacity) == ("New title", 5)


def test_an_edit_keeps_overbooked_extras_as_extras(session, org, author, make_user):
    # 10 places, 12 confirmed: 2 of them are reliability-aware overbooking extras.
    opp = create(session, org, author, good(capacity=10))
    occ = opp.occurrences[0]
    for _ in range(12):
        session.add(Signup(occurrence=occ, user=make_user(), status=SignupStatus.CONFIRMED))
    occ.confirmed_count, occ.overbook_allowance = 12, 2
    session.commit()
    services.update_opportunity(session, opp, good(capacity=10, title="Renamed"), now=NOW)
    session.commit()
    assert (occ.capacity, occ.overbook_allowance) == (10, 2)  # not silently 12 places
    with pytest.raises(OpportunityError) as exc:  # the 10 real places are all taken
        services.update_opportunity(session, opp, good(capacity=9), now=NOW)
    assert "cannot go below 10" in exc.value.errors["capacity"]
    session.rollback()


def test_failed_edit_changes_nothing(session, org, author):
    opp = create(session, org, author, good())
    with pytest.raises(OpportunityError):
        services.update_opportunity(session, opp, good(title="Other", place="Atlantis Xq"),
                                    now=NOW)
    session.rollback()
    assert session.get(Opportunity, opp.id).title == "Sort food at the pantry"


# --- small acts -------------------------------------------------------------------------

def test_small_act_window_runs_from_publication_to_the_end_of_its_day(session, org, author):
    opp = create(session, org, author, good(kind="small_act", do_by=date(2025, 10, 20),
                                            duration_minutes=15, is_remote=True, place=""))
    assert opp.start_local is None and opp.rrule == ""
    published = NOW + timedelta(days=2)
    services.publish(session, opp, now=published)
    session.commit()
    [occ] = opp.occurrences
    assert occ.starts_at == published
    # The end of 20 October in New York (EDT) is 04:00 UTC on the 21st.
    assert occ.ends_at == datetime(2025, 10, 21, 4, tzinfo=UTC)


# --- publish, copy, cancel ----------------------------------------------------------------

def test_publish_and_copy(session, org, author):
    opp = create(session, org, author, good())
    services.publish(session, opp, now=NOW)
    session.commit()
    assert opp.status == "published" and opp.published_at == NOW
    copy = services.copy_opportunity(session, opp, author, now=NOW)
    session.commit()
    assert copy.id != opp.id and copy.status == "draft" and copy.source_key is None
    assert copy.title == opp.title and copy.lat == opp.lat
    assert sorted(t.value for t in copy.tags) == sorted(t.value for t in opp.tags)
    assert [o.starts_at for o in copy.occurrences] == [o.starts_at for o in opp.occurrences]
    assert services.to_input(copy) == services.to_input(opp)


def test_publish_refuses_when_every_date_has_passed(session, org, author):
    opp = create(session, org, author, good())
    with pytest.raises(OpportunityError) as exc:
        services.publish(session, opp, now=datetime(2025, 12, 1, tzinfo=UTC))
    assert "start_local" in exc.value.errors


def test_to_input_round_trips_through_the_edit_form(session, org, author):
    data = good(kind="shifts", frequency="monthly", month_week=-1, weekdays=[4],
                until=date(2026, 3, 1), lat=40.6, lon=-73.9, place="Hall",
                start_local=datetime(2025, 10, 31, 17))
    opp = create(session, org, author, data)
    assert services.to_input(opp) == replace(data, causes=["food-security"])


def test_cancel_emails_each_person_once(session, org, author, make_user, outbox, app):
    opp = create(session, org, author, good(kind="shifts", weekdays=[5], count=3,
                                            start_local=datetime.now(NY).replace(
                                                tzinfo=None, microsecond=0)
                                            + timedelta(days=2)))
    services.publish(session, opp)
    first, second, _third = opp.occurrences
    twice, waiting, gone = make_user(), make_user(), make_user()
    session.add_all([
        Signup(occurrence=first, user=twice, status=SignupStatus.CONFIRMED),
        Signup(occurrence=second, user=twice, status=SignupStatus.CONFIRMED),
        Signup(occurrence=first, user=waiting, status=SignupStatus.WAITLISTED),
        Signup(occurrence=second, user=gone, status=SignupStatus.RELEASED),
    ])
    first.confirmed_count, second.confirmed_count = 1, 1
    session.commit()
    assert services.people_to_tell(session, opp) == 2

    assert services.cancel_opportunity(session, opp, author) == 2
    session.commit()  # the email job runs after the commit (inline mode)

    assert opp.status == "cancelled" and opp.cancelled_at is not None
    assert all(o.cancelled_at and o.confirmed_count == 0 for o in opp.occurrences)
    statuses = {(s.user_id, s.occurrence_id): s.status for s in
                session.scalars(services.occurrence_signups(session, opp))}
    assert statuses[(gone.id, second.id)] == "released"
    assert {v for k, v in statuses.items() if k[0] != gone.id} == {"cancelled"}
    recipients = sorted(m["To"] for m in outbox.messages)
    assert recipients == sorted([twice.email, waiting.email])
    mail = next(m for m in outbox.messages if m["To"] == twice.email)
    assert mail["Subject"] == "Cancelled: Sort food at the pantry"
    assert outbox.text_of(mail).count(" - ") >= 2  # both of their dates, in one email
    assert mail.get_body(("html",)) is not None

    # Running the job again, or cancelling again, tells nobody twice.
    from workers.jobs import send_cancellation_emails

    send_cancellation_emails(opp.id)
    assert services.cancel_opportunity(session, opp, author) == 0
    session.commit()
    assert len(outbox.messages) == 2


def test_cancelled_opportunity_cannot_be_edited_or_published(session, org, author):
    opp = create(session, org, author, good())
    services.cancel_opportunity(session, opp, author)
    with pytest.raises(OpportunityError):
        services.update_opportunity(session, opp, good(), now=NOW)
    with pytest.raises(OpportunityError):
        services.publish(session, opp, now=NOW)


def test_is_organizer(session, org, author, make_user):
    assert services.is_organizer(session, author, org.id)
    assert not services.is_organizer(session, make_user(role=Role.ORGANIZER), org.id)
    assert not services.is_organizer(session, None, org.id)


def test_occurrence_rows_are_unique_per_start(session, org, author):
    opp = create(session, org, author, good(kind="shifts", weekdays=[5], count=4))
    services.materialise_occurrences(session, opp, now=NOW)
    services.materialise_occurrences(session, opp, now=NOW)
    session.commit()
    assert session.scalar(select(func.count(Occurrence.id))
                          .where(Occurrence.opportunity_id == opp.id)) == 4


def test_nightly_job_extends_published_shifts_only(session, org, author):
    published = create(session, org, author, good(kind="shifts", until=date(2026, 6, 30)))
    services.publish(session, published, now=NOW)
    draft = create(session, org, author, good(kind="shifts", until=date(2026, 6, 30)))
    session.commit()
    assert services.extend_recurring(session, now=NOW + timedelta(weeks=2)) == 1
    session.commit()
    assert (len(published.occurrences), len(draft.occurrences)) == (13, 11)
