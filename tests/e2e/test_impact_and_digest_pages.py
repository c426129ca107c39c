"""A resident with a little history reads "My impact" and "This week's email".

"My impact" is reached from the main navigation; the digest page at its
address (the emails link to it). axe checks each page (``tab.visit``/``tab.click``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_opportunity_journey import make_organization, sign_in

pytestmark = pytest.mark.browser

NEW_YORK = ZoneInfo("America/New_York")


def _weekly(now: datetime, *, weekday: int, hour: int, back: int, ahead: int) -> list[datetime]:
    """UTC starts of a weekly local time: ``back`` weeks before the next one, ``ahead`` from it."""
    today = now.astimezone(NEW_YORK).date()
    day = today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    first = datetime.combine(day, time(hour), tzinfo=NEW_YORK)
    return [(first + timedelta(weeks=k)).astimezone(UTC) for k in range(-back, ahead)]


def _garden_regular(live_server, account, slug: str) -> None:
    """Saturdays attended for weeks in a row with two neighbours (one missed before),
    next Saturday booked, and suggestions stored."""
    from sqlalchemy import select

    from matchmaker.db import db, utcnow
    from matchmaker.models import (
        AvailabilityWindow,
        Occurrence,
        Opportunity,
        OpportunityTag,
        Organization,
        Profile,
        ProfileTag,
        Signup,
        User,
    )
    from matchmaker.recommendations.services import rematch_user

    now = utcnow().replace(microsecond=0)
    with live_server.app.app_context():
        session = db.session
        user = session.scalar(select(User).where(User.email == account.email))
        org = session.scalar(select(Organization).where(Organization.slug == slug))
        profile = Profile(user_id=user.id, timezone="America/New_York", home_lat=40.676,
                          home_lon=-73.968, travel_radius_km=5, weekly_minutes=300,
                          max_commitments_per_week=3, is_adult=True, remote_ok=True)
        profile.tags = [ProfileTag(kind="cause", value="environment")]
        profile.availability = [AvailabilityWindow(weekday=d, start_minute=480, end_minute=1260)
                                for d in range(7)]

        def weekly(title: str, starts: list[datetime]) -> Opportunity:
            opp = Opportunity(organization=org, title=title, kind="shifts", status="published",
                              lat=40.676, lon=-73.967, place_label="Prospect Heights",
                              timezone="America/New_York", duration_minutes=120, capacity=8,
                              published_at=now - timedelta(days=60),
                              start_local=starts[0].astimezone(NEW_YORK).replace(tzinfo=None))
            opp.tags = [OpportunityTag(kind="cause", value="environment")]
            opp.occurrences = [Occurrence(starts_at=s, ends_at=s + timedelta(hours=2),
                                          capacity=8) for s in starts]
            return opp

        # Saturdays at 10:00 and Tuesdays at 18:00, New York time (round times read better).
        workday = weekly("Garden workday", _weekly(now, weekday=5, hour=10, back=6, ahead=2))
        compost = weekly("Turn the compost", _weekly(now, weekday=1, hour=18, back=0, ahead=3))
        session.add_all([profile, workday, compost])
        session.flush()
        past = [o for o in workday.occurrences if o.ends_at < now]
        neighbours = [User(email=f"{n.lower()}-{slug}@example.org", display_name=n,
                           password_hash="!") for n in ("Noor", "Tom")]
        session.add_all(neighbours)
        session.flush()
        # Missed the first date, then came every week since; two neighbours came too.
        for k, occ in enumerate(past):
            mark = "no_show" if k == 0 else "attended"
            for person in [user, *neighbours]:
                session.add(Signup(occurrence_id=occ.id, user_id=person.id, status="confirmed",
                                   attendance=mark if person is user else "attended",
                                   attendance_marked_at=occ.ends_at,
                                   confirmed_at=occ.starts_at - timedelta(days=2)))
            occ.confirmed_count = 3
        booked = next(o for o in workday.occurrences if o.starts_at > now)
        session.add(Signup(occurrence_id=booked.id, user_id=user.id, status="confirmed",
                           confirmed_at=now))
        booked.confirmed_count = 1
        session.flush()
        rematch_user(session, user.id, now=now)
        session.commit()


def test_impact_and_this_weeks_email(tab, make_account, live_server):
    owner, resident = make_account("Gale"), make_account("Iris")
    slug = make_organization(live_server, owner, "Prospect Heights Garden Friends")
    _garden_regular(live_server, resident, slug)
    sign_in(tab, resident)
    _read_impact_and_digest(tab)


def _read_impact_and_digest(tab) -> None:
    page = tab.page
    tab.click(page.get_by_role("link", name="My impact"))
    assert page.get_by_role("heading", level=1, name="My impact").is_visible()
    text = page.locator("main").inner_text()
    assert "Garden Friends" in text and "Environment" in text
    assert page.locator("svg").first.is_visible()
    tab.screenshot("impact")

    tab.visit("/me/digest")
    text = page.locator("main").inner_text()
    assert "Hello Iris" in text
    assert "Garden workday" in text          # the booked date, this week or next
    assert "weeks in a row" in text
    assert "Turn the compost" in text        # a suggestion that fits the week
    tab.screenshot("digest")
