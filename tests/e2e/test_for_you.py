"""The "For you" page in a real browser: axe-checked, on a desktop and on a phone.

Every visit goes through ``tab.visit`` (axe-core, console errors fail the test).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.conftest import PHONE
from tests.e2e.test_account_journey import assert_no_horizontal_scroll
from tests.e2e.test_opportunity_journey import sign_in

pytestmark = pytest.mark.browser


def _resident_with_a_match(live_server, account) -> str:
    """Give the account a profile near a published pantry shift; returns the shift's title."""
    import uuid

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
        User,
    )

    title = f"Sort food {uuid.uuid4().hex[:6]}"
    with live_server.app.app_context():
        session = db.session
        user = session.scalar(select(User).where(User.email == account.email))
        profile = Profile(user_id=user.id, timezone="America/New_York", home_lat=40.673,
                          home_lon=-73.979, travel_radius_km=5, is_adult=True)
        profile.tags = [ProfileTag(kind="cause", value="food-security")]
        profile.availability = [AvailabilityWindow(weekday=d, start_minute=0, end_minute=1440)
                                for d in range(7)]
        org = Organization(name=f"Pantry {title}", slug=f"pantry-{title[-6:]}", summary="",
                           area="Brooklyn")
        start = utcnow().replace(microsecond=0) + timedelta(days=2)
        opp = Opportunity(organization=org, title=title, status="published", lat=40.672,
                          lon=-73.978, place_label="Park Slope", timezone="America/New_York",
                          duration_minutes=90, published_at=utcnow(),
                          start_local=start.replace(tzinfo=None))
        opp.tags = [OpportunityTag(kind="cause", value="food-security")]
        opp.occurrences = [Occurrence(starts_at=start, ends_at=start + timedelta(minutes=90),
                                      capacity=8)]
        session.add_all([profile, org, opp])
        session.commit()
    return title


def test_for_you_lists_the_match_with_its_reasons(tab, make_account, live_server):
    account = make_account("Rosa")
    title = _resident_with_a_match(live_server, account)
    sign_in(tab, account)
    page = tab.page
    tab.click(page.get_by_role("link", name="For you"))
    assert page.get_by_role("heading", level=1, name="For you").is_visible()
    assert page.get_by_role("link", name=title, exact=True).is_visible()
    assert page.get_by_text("Food security").first.is_visible()
    tab.screenshot("for-you")


def test_for_you_empty_state_and_phone_layout(make_tab, make_account):
    tab = make_tab(viewport=PHONE)
    account = make_account("Sol")
    sign_in(tab, account)
    tab.visit("/for-you")
    assert tab.page.get_by_role("link", name="Fill in my profile").is_visible()
    assert_no_horizontal_scroll(tab.page)
