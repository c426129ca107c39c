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
