"""An organizer reads their figures on a phone: org page → Figures → another period →
one opportunity's figures → the CSV. axe checks every page (the SVG chart, the tables)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.test_opportunity_journey import make_organization, sign_in

pytestmark = pytest.mark.browser


def _history(live_server, owner_email: str, slug: str) -> int:
    """One opportunity with a date 10 days ago: two came, one did not, one unmarked."""
    from sqlalchemy import select

    from matchmaker.db import db, utcnow
    from matchmaker.models import Occurrence, Opportunity, Organization, Signup, User

    with live_server.app.app_context():
        org = db.session.scalar(select(Organization).where(Organization.slug == slug))
        start = utcnow().replace(microsecond=0) - timedelta(days=10)
        opp = Opportunity(organization=org, title="Sort food", status="published",
                          timezone="America/New_York", capacity=10)
        opp.occurrences = [Occurrence(starts_at=start, ends_at=start + timedelta(hours=2),
                                      capacity=10)]
        db.session.add(opp)
        people = [User(email=f"dash-{i}-{slug}@example.org", display_name=f"Dash {i}",
                       password_hash="!") for i in range(4)]
        db.session.add_all(people)
        db.session.flush()
        for user, attendance in zip(people, ("attended", "attended", "no_show", None),
                                    strict=True):
            db.session.add(Signup(occurrence_id=opp.occurrences[0].id, user_id=user.id,
                                  status="confirmed", attendance=attendance))
        db.session.commit()
        owner = db.session.scalar(select(User).where(User.email == owner_email))
        assert owner is not None
        return opp.id


def test_organizer_reads_the_figures_on_a_phone(phone_tab, make_account, live_server):
    tab = phone_tab
    page = tab.page
    owner = make_account("Olga")
    slug = make_organization(live_server, owner, "Figures Pantry")
    _history(live_server, owner.email, slug)

    sign_in(tab, owner)
    tab.visit(f"/organizations/{slug}")
    tab.click(page.get_by_role("link", name="Figures: sign-ups, show-ups, newcomers"))
    assert page.get_by_role("heading", level=1).inner_text() == "Figures for Figures Pantry"
    row = page.locator("#figure-show-up-rate")
    assert "67%" in row.inner_text()                       # 2 of 3 marked
    assert "1" in page.locator("#figure-not-marked").inner_text()
    assert page.locator("svg.cohort-chart title").first.text_content().startswith(
        "How many newcomers came back")
    tab.screenshot("dashboard")

    tab.click(page.get_by_role("link", name="Last 30 days"))
    assert page.get_by_text("Last 30 days", exact=True).get_attribute("aria-current") == "page"

    tab.click(page.get_by_role("link", name="Sort food"))
    assert "Figures for the opportunity" in page.get_by_role("heading", level=1).inner_text()
    href = page.get_by_role("link", name="Download these figures (CSV)").get_attribute("href")
    body = page.request.get(live_server(href)).text()
    assert "Show-up rate,67%" in body
    assert "Dash 0" not in body
