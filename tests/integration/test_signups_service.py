"""Sign-up rules at service level: seats, waiting list, release and promotion, warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from matchmaker.db import utcnow
from matchmaker.models import Occurrence, Profile, Signup
from matchmaker.signups import services
from matchmaker.signups.services import SignupError


def _profile(session, user, **fields):
    fields.setdefault("timezone", "America/New_York")
    profile = Profile(user_id=user.id, **fields)
    session.add(profile)
    session.commit()
    session.refresh(user)
    return profile


def test_confirmed_while_seats_left_then_waitlisted_fifo(session, make_user, make_opportunity):
    opp = make_opportunity(capacity=2)
    occ = opp.occurrences[0]
    people = [make_user() for _ in range(5)]
    results = [services.sign_up(session, occ.id, p) for p in people]
    session.commit()
    assert [r.status for r in results] == ["confirmed", "confirmed", "waitlisted",
                                          "waitlisted", "waitlisted"]
    assert [r.waitlist_position for r in results] == [None, None, 1, 2, 3]
    session.refresh(occ)
    assert occ.confirmed_count == 2 and occ.seats_left == 0


def test_signing_up_twice_returns_the_same_row(session, make_user, make_opportunity):
    occ = make_opportunity(capacity=3).occurrences[0]
    user = make_user()
    first = services.sign_up(session, occ.id, user)
    second = services.sign_up(session, occ.id, user)
    session.commit()
    assert second.already and not first.already
    assert first.signup.id == second.signup.id
    assert session.scalar(select(func.count()).select_from(Signup)
                          .where(Signup.occurrence_id == occ.id)) == 1
    session.refresh(occ)
    assert occ.confirmed_count == 1


def test_release_promotes_first_in_line_and_reactivation_reuses_row(
        session, make_user, make_opportunity):
    occ = make_opportunity(capacity=1).occurrences[0]
    a, b, c = make_user(), make_user(), make_user()
    ra = services.sign_up(session, occ.id, a)
    rb = services.sign_up(session, occ.id, b)
    rc = services.sign_up(session, occ.id, c)
    session.commit()
    promoted = services.release(session, ra.signup)
    session.commit()
    assert promoted is not None and promoted.id == rb.signup.id
    assert rb.signup.status == "confirmed" and rb.signup.confirmed_at is not None
    assert ra.signup.status == "released"
    assert services.waitlist_position(session, rc.signup) == 1
    # Releasing twice changes nothing.
    assert services.release(session, ra.signup) is None
    # A comes back: same row, now at the end of the line.
    again = services.sign_up(session, occ.id, a)
    session.commit()
    assert again.signup.id == ra.signup.id and again.status == "waitlisted"
    assert again.waitlist_position == 2
    session.refresh(occ)
    assert occ.confirmed_count == 1


def test_releasing_a_waiting_place_promotes_nobody(session, make_user, make_opportunity):
    occ = make_opportunity(capacity=1).occurrences[0]
    services.sign_up(session, occ.id, make_user())
    waiting = services.sign_up(session, occ.id, make_user()).signup
    assert services.release(session, waiting) is None
    session.refresh(occ)
    assert occ.confirmed_count == 1


def test_unverified_cannot_sign_up(session, make_user, make_opportunity):
    occ = make_opportunity().occurrences[0]
    with pytest.raises(SignupError) as exc:
        services.sign_up(session, occ.id, make_user(verified=False))
    assert exc.value.code == "unverified"


@pytest.mark.parametrize("change, code", [
    ({"status": "draft"}, "not_open"),
    ({"status": "cancelled"}, "not_open"),
])
def test_unpublished_or_cancelled_refused(session, make_user, make_opportunity, change, code):
    occ = make_opportunity(**change).occurrences[0]
    with pytest.raises(SignupError) as exc:
        services.sign_up(session, occ.id, make_user())
    assert exc.value.code == code


def test_cancelled_occurrence_refused(session, make_user, make_opportunity):
    occ = make_opportunity().occurrences[0]
    occ.cancelled_at = utcnow()
    session.commit()
    with pytest.raises(SignupError) as exc:
        services.sign_up(session, occ.id, make_user())
    assert exc.value.code == "not_open"


def test_started_refused_but_small_act_open_until_do_by(session, make_user, make_opportunity):
    past = utcnow().replace(microsecond=0) - timedelta(hours=1)
    occ = make_opportunity(starts=past).occurrences[0]
    with pytest.raises(SignupError) as exc:
        services.sign_up(session, occ.id, make_user())
    assert exc.value.code == "started"
    act = make_opportunity(title="Write a card", kind="small_act", starts=past,
                           duration_minutes=10).occurrences[0]
    act.ends_at = utcnow() + timedelta(days=3)
    session.commit()
    assert services.sign_up(session, act.id, make_user()).status == "confirmed"
    act.ends_at = utcnow() - timedelta(minutes=1)
    session.commit()
    with pytest.raises(SignupError):
        services.sign_up(session, act.id, make_user())


def test_minimum_age(session, make_user, make_opportunity):
    occ = make_opportunity(min_age=18).occurrences[0]
    young, adult, unknown = make_user(), make_user(), make_user()
    _profile(session, young, is_adult=False)
    _profile(session, adult, is_adult=True)
    for person in (young, unknown):
        with pytest.raises(SignupError) as exc:
            services.sign_up(session, occ.id, person)
        assert exc.value.code == "too_young"
        assert "18 or over" in str(exc.value)
    assert services.sign_up(session, occ.id, adult).status == "confirmed"
    # Under 18 minimum: no age check is possible or needed.
    teen_ok = make_opportunity(title="Litter pick", min_age=14).occurrences[0]
    assert services.sign_up(session, teen_ok.id, young).status == "confirmed"


def test_warnings_overlap_budget_and_cap_never_block(session, make_user, make_opportunity):
    user = make_user()
    _profile(session, user, weekly_minutes=150, max_commitments_per_week=1)
    # A Wednesday, well inside one ISO week in New York.
    base = datetime(2030, 5, 15, 15, 0, tzinfo=UTC)
    first = make_opportunity(title="Pantry", starts=base, duration_minutes=120).occurrences[0]
    clash = make_opportunity(title="Garden", starts=base + timedelta(hours=1),
                             duration_minutes=60).occurrences[0]
    assert services.sign_up(session, first.id, user).warnings == []
    result = services.sign_up(session, clash.id, user)
    assert result.status == "confirmed"
    text = " ".join(result.warnings)
    assert "overlaps" in text and "Pantry" in text
    assert "3 hours" in text and "2.5 hours" in text
    assert "2 commitments" in text
    # Next ISO week: no budget warnings.
    later = make_opportunity(title="Reading", starts=base + timedelta(days=7)).occurrences[0]
    assert services.sign_up(session, later.id, user).warnings == []


def test_commitments_lists_upcoming_active_only(session, make_user, make_opportunity):
    user = make_user()
    soon = make_opportunity(title="Soon").occurrences[0]
    later = make_opportunity(title="Later", starts=utcnow() + timedelta(days=9)).occurrences[0]
    gone = make_opportunity(title="Gone").occurrences[0]
    services.sign_up(session, later.id, user)
    services.sign_up(session, soon.id, user)
    released = services.sign_up(session, gone.id, user).signup
    services.release(session, released)
    session.commit()
    titles = [s.occurrence.opportunity.title
              for s in session.scalars(services.commitments(session, user, utcnow()))]
    assert titles == ["Soon", "Later"]
    assert list(session.scalars(services.commitments(
        session, user, utcnow() + timedelta(days=30)))) == []


def test_capacity_check_constraint_holds(session, make_opportunity):
    occ = make_opportunity(capacity=1).occurrences[0]
    occ.confirmed_count = 2
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
    assert session.get(Occurrence, occ.id).confirmed_count == 0
