"""Check-in at the event, on phones, in a real browser (axe on every page).

The organizer opens the check-in sign for a shift starting in a few minutes (a
big code and a QR code drawn on the server); a resident with a place types the
code on a phone — a mistyped code first, answered with a clear message — and is
checked in. Then the organizer marks the rest of the roster on their phone.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.conftest import PHONE
from tests.e2e.test_opportunity_journey import make_organization, sign_in

pytestmark = pytest.mark.browser


def make_shift_starting_soon(live_server, slug: str, people: list) -> tuple[int, int]:
    """A published shift starting in 10 minutes with ``people`` signed up; (occurrence id, opp id)."""
    from sqlalchemy import select

    from matchmaker.db import db, utcnow
    from matchmaker.models import Occurrence, Opportunity, Organization, User
    from matchmaker.signups.services import sign_up

    with live_server.app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.slug == slug))
        start = utcnow().replace(microsecond=0) + timedelta(minutes=10)
        opp = Opportunity(organization=org, title="Plant bulbs in the park", kind="one_off",
                          status="published", capacity=10, duration_minutes=90,
                          place_label="Prospect Park", timezone="America/New_York",
                          published_at=utcnow(), start_local=start.replace(tzinfo=None))
        opp.occurrences = [Occurrence(starts_at=start, ends_at=start + timedelta(minutes=90),
                                      capacity=10)]
        db.session.add(opp)
        db.session.commit()
        occ_id = opp.occurrences[0].id
        for account in people:
            user = db.session.scalar(select(User).where(User.email == account.email))
            sign_up(db.session, occ_id, user)
        db.session.commit()
        return occ_id, opp.id


def test_checkin_by_code_on_a_phone(make_tab, live_server, make_account):
    organizer, resident, other = (make_account("Olu"), make_account("Rosa"),
                                  make_account("Sam"))
    slug = make_organization(live_server, organizer, "Bulb planters of Flatbush")
    occ_id, _ = make_shift_starting_soon(live_server, slug, [resident, other])

    boss = make_tab(viewport=PHONE, name="organizer phone")
    sign_in(boss, organizer)
    boss.visit(f"/organizations/{slug}/occurrences/{occ_id}/roster")
    boss.click(boss.page.get_by_role("link", name="Check-in code and QR code"))
    code = boss.page.locator(".checkin-code-big").inner_text().strip()
    assert len(code) == 6
    qr = boss.page.get_by_role("img", name="QR code for checking in")
    assert qr.is_visible()
    assert qr.bounding_box()["width"] <= PHONE["width"]

    phone = make_tab(viewport=PHONE, name="resident phone")
    sign_in(phone, resident)
    phone.visit("/checkin")
    box = phone.page.get_by_label("Check-in code")
    box.fill("QQQQQQ")
    phone.submit("Check me in", status=404)
    assert "does not match any event" in phone.page.locator(".field .error").inner_text()
    button = phone.page.get_by_role("button", name="Check me in")
    assert button.bounding_box()["height"] >= 44  # a thumb-sized target
    phone.visit("/checkin")  # a fresh form (no error) for the screenshot
    phone.page.get_by_label("Check-in code").fill(code.lower())
    phone.screenshot("check-in")
    phone.submit("Check me in")
    assert phone.page.get_by_role("heading", name="You're checked in").is_visible()

    # Back on the organizer's phone: Rosa came by code; Sam is marked by hand.
    boss.visit(f"/organizations/{slug}/occurrences/{occ_id}/roster")
    rows = boss.page.locator(".attendance-list li")
    assert "came" in rows.filter(has_text="Rosa").inner_text()
    sam = boss.page.get_by_role("checkbox", name="Sam")
    assert sam.bounding_box()["height"] >= 24
    sam.check()
    boss.submit("Mark selected as didn't come")
    assert "Marked 1 person as didn't come." in boss.page.content()
    assert "didn't come" in boss.page.locator(".attendance-list li").filter(
        has_text="Sam").inner_text()
    boss.screenshot("roster")
