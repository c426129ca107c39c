"""Raising the number of places moves people up from the waiting list, in order."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.models import Signup, SignupStatus
from matchmaker.opportunities.services import to_input, update_opportunity
from matchmaker.signups.services import sign_up


def test_more_places_promote_the_waiting_list_first_in_first_out(
        session, make_opportunity, make_user, outbox):
    opp = make_opportunity(capacity=1)
    occ = opp.occurrences[0]
    people = [make_user() for _ in range(3)]
    for person in people:
        sign_up(session, occ.id, person)
        session.commit()
    data = to_input(opp)
    data.capacity = 2
    update_opportunity(session, opp, data)
    session.commit()
    statuses = {s.user_id: s.status for s in session.scalars(
        select(Signup).where(Signup.occurrence_id == occ.id))}
    assert statuses == {people[0].id: SignupStatus.CONFIRMED,
                        people[1].id: SignupStatus.CONFIRMED,
                        people[2].id: SignupStatus.WAITLISTED}
    session.refresh(occ)
    assert occ.confirmed_count == 2
    promoted_mail = [m for m in outbox.messages if m["To"] == people[1].email]
    assert any("place" in m["Subject"].lower() for m in promoted_mail), \
        [m["Subject"] for m in promoted_mail]
