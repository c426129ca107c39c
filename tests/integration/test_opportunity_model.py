"""The opportunity data model's own guarantees (constraints the database enforces)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from matchmaker.models import Signup, SignupStatus


def test_factory_builds_published_opportunity_with_occurrence(make_opportunity):
    opp = make_opportunity(capacity=5)
    [occ] = opp.occurrences
    assert occ.capacity == 5 and occ.seats_left == 5
    assert opp.tag_values("cause") == ["food-security"]


def test_one_signup_row_per_person_and_occurrence(session, make_opportunity, make_user):
    opp = make_opportunity()
    user = make_user()
    occ = opp.occurrences[0]
    session.add(Signup(occurrence=occ, user=user, status=SignupStatus.CONFIRMED))
    session.commit()
    session.add(Signup(occurrence=occ, user=user, status=SignupStatus.WAITLISTED))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_confirmed_count_cannot_exceed_capacity(session, make_opportunity):
    occ = make_opportunity(capacity=2).occurrences[0]
    occ.confirmed_count = 3
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_local_start_follows_the_start_and_the_timezone(session, make_opportunity):
    from datetime import UTC, datetime, timedelta

    # Saturday 5 Dec 2026, 14:30 UTC is 09:30 in New York and 06:30 in Los Angeles.
    start = datetime(2026, 12, 5, 14, 30, tzinfo=UTC)
    occ = make_opportunity(starts=start).occurrences[0]
    assert (occ.local_weekday, occ.local_minute) == (5, 9 * 60 + 30)
    occ.starts_at = start + timedelta(hours=12)  # 21:30 the same Saturday in New York
    occ.ends_at = occ.starts_at + timedelta(hours=1)
    session.commit()
    assert (occ.local_weekday, occ.local_minute) == (5, 21 * 60 + 30)
    occ.opportunity.timezone = "Asia/Tokyo"  # 11:30 on Sunday in Tokyo
    session.commit()
    assert (occ.local_weekday, occ.local_minute) == (6, 11 * 60 + 30)
