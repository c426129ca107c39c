"""The resident's impact page: their own figures, privately, and nobody else's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import url_for

from matchmaker.db import utcnow
from matchmaker.models import Occurrence, Profile, Role, Signup, SignupStatus

NY = "America/New_York"


@pytest.fixture
def history(session, make_user, make_org, make_opportunity):
    """Maria: 3 attended dates (2 weeks in a row up to last week), 1 no-show, 1 released."""
    now = utcnow().replace(microsecond=0)
    org = make_org(name="Prospect Park Alliance")
    park = make_opportunity(org=org, title="Park clean-up", causes=("environment",),
                            timezone=NY, starts=[now - timedelta(days=d) for d in (60, 14, 7, 3)])
    library = make_opportunity(title="Read to children", causes=("education-literacy",),
                               timezone=NY, duration_minutes=60,
                               starts=[now - timedelta(days=30), now + timedelta(days=5)])
    maria = make_user(email="maria@example.org", display_name="Maria Lopez")
    session.add(Profile(user_id=maria.id, timezone=NY))
    sam = make_user(display_name="Sam Lee")
    jo = make_user(display_name="Jo Kim")

    def add(user, occ: Occurrence, attendance, status=SignupStatus.CONFIRMED):
        session.add(Signup(occurrence_id=occ.id, user_id=user.id, status=status,
                           confirmed_at=occ.starts_at - timedelta(days=2),
                           attendance=attendance,
                           attendance_marked_at=occ.ends_at if attendance else None,
                           attendance_source="organizer" if attendance else ""))

    p60, p14, p7, p3 = park.occurrences
    add(maria, p14, "attended")
    add(maria, p7, "attended")
    add(maria, library.occurrences[0], "attended")
    add(maria, p60, "no_show")
    add(maria, p3, None, status=SignupStatus.RELEASED)  # passing a spot on: never counted
    add(sam, p14, "attended")
    add(sam, p7, "attended")
    add(jo, p7, "no_show")  # did not come: not someone Maria met
    add(jo, library.occurrences[0], "attended")
    session.commit()
    return {"maria": maria, "sam": sam, "jo": jo, "org": org, "park": park}


def test_impact_needs_signing_in(client):
    resp = client.get("/me/impact")
    assert resp.status_code == 302 and "/login" in resp.location


def test_impact_page_shows_my_own_figures_chart_and_private_rate(client, login_as, history):
    login_as(history["maria"])
    resp = client.get("/me/impact")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Time given 5 hours" in text  # 2 + 2 hours of park, 1 hour of reading
    assert "Things you have done 3" in text
    assert "Weeks in a row 2 weeks" in text  # the weeks of 14 and 7 days ago; this week open
    assert "People you have helped alongside 2" in text  # Sam twice, Jo at the library
    assert "Environment: 2" in text and "Education and literacy: 1" in text
    assert "Prospect Park Alliance: 2" in text
    # Own show-up rate, said to be private; the released spot is not held against her.
    assert "Only you can see this" in text
    assert "You went to 75% of the 4 dates" in text
    # An accessible chart and the same numbers in a table.
    svg = re.search(r"<svg.*?</svg>", html, re.DOTALL).group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "3 completed acts" in svg
    assert '<table class="table impact-table">' in html
    assert 'aria-current="page">My impact' in html


def test_another_resident_sees_only_their_own_empty_page(client, login_as, history):
    login_as(history["jo"])
    html = client.get("/me/impact").get_data(as_text=True)
    assert "Prospect Park Alliance" not in html
    assert "Maria" not in html
    assert "You went to 50% of the 2 dates" in re.sub(r"\s+", " ", html)
    assert client.get(f"/me/impact?user_id={history['maria'].id}").get_data(
        as_text=True).count("75%") == 0


def test_a_newcomer_sees_a_friendly_empty_page(client, login_as, make_user):
    login_as(make_user())
    html = client.get("/me/impact").get_data(as_text=True)
    assert "Nothing here yet" in html and "Nothing has been marked yet" in html


def test_organizers_never_see_a_persons_rate_on_the_roster(
        app, client, login_as, history, make_user, session):
    org = history["org"]
    owner = org.memberships[0].user
    assert owner.role == Role.ORGANIZER
    login_as(owner)
    occ = history["park"].occurrences[2]
    with app.test_request_context():
        roster = url_for("rosters.roster", slug=org.slug, occurrence_id=occ.id)
    html = client.get(roster).get_data(as_text=True)
    assert "Maria" in html  # she is on the roster ...
    assert "75%" not in html and "show-up rate" not in html.lower()  # ... her rate is not
    # The organizer's own impact page is their own, not Maria's.
    mine = client.get("/me/impact").get_data(as_text=True)
    assert "75%" not in mine and "Maria" not in mine
