"""The organizer's roster marks who came, in bulk; marks feed the show-up history,
and the history sizes reliability-aware overbooking in sign_up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from matchmaker.db import utcnow
from matchmaker.followthrough.history import attendance_history
from matchmaker.models import Signup, SignupStatus
from matchmaker.signups import services as signup_services


@pytest.fixture
def roster(make_opportunity, make_org, make_user, session):
    organizer = make_user(email="org@example.org")
    org = make_org(name="Pantry", owner=organizer)
    opp = make_opportunity(org=org, capacity=3, timezone="America/New_York")
    occ = opp.occurrences[0]
    people = [make_user(display_name=f"Helper {i}") for i in range(4)]
    for person in people:
        signup_services.sign_up(session, occ.id, person)
    session.commit()
    return {"org": org, "occ": occ, "organizer": organizer, "people": people,
            "url": f"/organizations/{org.slug}/occurrences/{occ.id}"}


def _signups(session, occ):
    return session.scalars(select(Signup).where(Signup.occurrence_id == occ.id)
                           .order_by(Signup.id)).all()


def test_roster_has_a_no_js_checkbox_form(client, login_as, roster):
    login_as(roster["organizer"])
    page = client.get(roster["url"] + "/roster").get_data(as_text=True)
    assert 'name="mark" value="attended"' in page and 'name="mark" value="no_show"' in page
    assert page.count('type="checkbox" name="signup"') == 3  # only people with a place
    assert "not marked yet" in page


def test_bulk_marking(client, login_as, post_form, roster, session):
    login_as(roster["organizer"])
    confirmed = [s for s in _signups(session, roster["occ"])
                 if s.status == SignupStatus.CONFIRMED]
    waiting = [s for s in _signups(session, roster["occ"]) if s.status == SignupStatus.WAITLISTED]
    resp = post_form(roster["url"] + "/attendance",
                     {"mark": "attended", "signup": [confirmed[0].id, confirmed[1].id,
                                                     waiting[0].id]},
                     page=roster["url"] + "/roster", follow_redirects=True)
    assert resp.status_code == 200
    assert "Marked 2 people as came." in resp.get_data(as_text=True)
    post_form(roster["url"] + "/attendance", {"mark": "no_show", "signup": [confirmed[2].id]},
              page=roster["url"] + "/roster")
    session.expire_all()
    marks = {s.id: (s.attendance, s.attendance_source) for s in _signups(session, roster["occ"])}
    assert marks[confirmed[0].id] == ("attended", "organizer")
    assert marks[confirmed[2].id] == ("no_show", "organizer")
    assert marks[waiting[0].id] == (None, "")  # the waiting list is never marked
    history = attendance_history(session, [p.id for p in roster["people"]])
    assert [len(h) for h in history.values()] == [1, 1, 1, 0]
    assert history[roster["people"][2].id][0][1] is False


def test_bad_marks_are_refused(client, login_as, post_form, roster, make_user):
    login_as(roster["organizer"])
    resp = post_form(roster["url"] + "/attendance", {"mark": "maybe", "signup": ["1"]},
                     page=roster["url"] + "/roster")
    assert resp.status_code == 400
    nothing = post_form(roster["url"] + "/attendance", {"mark": "attended"},
                        page=roster["url"] + "/roster", follow_redirects=True)
    assert "Please tick at least one person first." in nothing.get_data(as_text=True)
    login_as(make_user())
    assert client.post(roster["url"] + "/attendance", data={"mark": "attended"}).status_code \
        in (400, 403)


def test_released_spots_never_enter_the_history(roster, session):
    person = roster["people"][0]
    signup = signup_services.find_signup(session, roster["occ"].id, person.id)
    signup_services.release(session, signup)
    session.commit()
    assert attendance_history(session, [person.id]) == {person.id: []}


# --- overbooking wired into sign-up -----------------------------------------------------------

@pytest.fixture
def make_user(session):
    """Verified people with no usable password: hashing one per person (argon2) would
    make these crowd tests slow, and no test here types a password."""
    from matchmaker.models import User

    counter = {"n": 0}

    def make(**_ignored):
        counter["n"] += 1
        user = User(email=f"crowd{counter['n']}@example.org", display_name=f"Crowd {counter['n']}",
                    password_hash="!", email_verified_at=utcnow())
        session.add(user)
        session.flush()
        return user

    return make


def _past_marks(session, make_opportunity, org, users, came: bool, times: int = 6):
    """Give ``users`` a past record: ``times`` earlier dates, all came or all missed."""
    starts = [utcnow() - timedelta(days=7 * (i + 1)) for i in range(times)]
    past = make_opportunity(org=org, title="Earlier shifts", starts=starts, capacity=50,
                            timezone="America/New_York")
    for occ in past.occurrences:
        for user in users:
            session.add(Signup(occurrence_id=occ.id, user_id=user.id,
                               status=SignupStatus.CONFIRMED, confirmed_at=occ.starts_at,
                               attendance="attended" if came else "no_show",
                               attendance_source="organizer", attendance_marked_at=utcnow()))
    session.commit()


def _shift(make_opportunity, org, allow: bool, capacity: int = 10, days: int = 5):
    opp = make_opportunity(org=org, title="Big shift", capacity=capacity,
                           starts=utcnow() + timedelta(days=days),
                           timezone="America/New_York", allow_overbooking=allow)
    return opp.occurrences[0]


def test_flaky_roster_lets_extra_people_in(make_opportunity, make_org, make_user, session):
    org = make_org(name="Big org")
    flaky = [make_user() for _ in range(10)]
    _past_marks(session, make_opportunity, org, flaky, came=False)
    occ = _shift(make_opportunity, org, allow=True)
    for person in flaky:
        signup_services.sign_up(session, occ.id, person)
    extra = [make_user() for _ in range(12)]
    statuses = [signup_services.sign_up(session, occ.id, p).status for p in extra]
    session.commit()
    session.refresh(occ)
    assert statuses[0] == "confirmed"  # beyond the 10 places
    assert occ.confirmed_count > occ.capacity
    assert occ.overbook_allowance == occ.confirmed_count - occ.capacity
    # Not unbounded: people keep going to the waiting list once the risk is reached.
    assert "waitlisted" in statuses


def test_without_the_organizers_consent_nobody_is_overbooked(make_opportunity, make_org,
                                                              make_user, session):
    org = make_org(name="Careful org")
    flaky = [make_user() for _ in range(10)]
    _past_marks(session, make_opportunity, org, flaky, came=False)
    occ = _shift(make_opportunity, org, allow=False)
    for person in flaky:
        signup_services.sign_up(session, occ.id, person)
    assert signup_services.sign_up(session, occ.id, make_user()).status == "waitlisted"


def test_reliable_roster_gets_no_extra_places(make_opportunity, make_org, make_user, session):
    org = make_org(name="Reliable org")
    steady = [make_user() for _ in range(10)]
    _past_marks(session, make_opportunity, org, steady, came=True, times=10)
    occ = _shift(make_opportunity, org, allow=True)
    for person in steady:
        signup_services.sign_up(session, occ.id, person)
    assert signup_services.sign_up(session, occ.id, make_user()).status == "waitlisted"


def test_notify_only_close_to_the_start(make_opportunity, make_org, make_user, session):
    org = make_org(name="Late org")
    flaky = [make_user() for _ in range(10)]
    _past_marks(session, make_opportunity, org, flaky, came=False)
    occ = _shift(make_opportunity, org, allow=True, days=0.5)  # starts in 12 hours
    for person in flaky:
        signup_services.sign_up(session, occ.id, person)
    assert signup_services.sign_up(session, occ.id, make_user()).status == "waitlisted"


def test_small_shifts_are_not_overbooked(make_opportunity, make_org, make_user, session):
    org = make_org(name="Small org")
    flaky = [make_user() for _ in range(9)]
    _past_marks(session, make_opportunity, org, flaky, came=False)
    occ = _shift(make_opportunity, org, allow=True, capacity=9)
    for person in flaky:
        signup_services.sign_up(session, occ.id, person)
    assert signup_services.sign_up(session, occ.id, make_user()).status == "waitlisted"


def test_waiting_list_moves_up_into_overbooked_places(make_opportunity, make_org, make_user,
                                                      session):
    org = make_org(name="Queue org")
    flaky = [make_user() for _ in range(10)]
    _past_marks(session, make_opportunity, org, flaky, came=False)
    occ = _shift(make_opportunity, org, allow=True)
    for person in flaky:
        signup_services.sign_up(session, occ.id, person)
    more = [signup_services.sign_up(session, occ.id, make_user()) for _ in range(12)]
    waiting = [r.signup for r in more if r.status == "waitlisted"]
    assert waiting
    # A newcomer with a place passes it on: the first in line takes it over.
    signup_services.release(session, next(r.signup for r in more if r.status == "confirmed"))
    session.commit()
    session.refresh(waiting[0])
    assert waiting[0].status == SignupStatus.CONFIRMED
