"""An opportunity's whole life, in a real browser, driven the way people would do it.

An organizer posts recurring weekly shifts with a map pin; a resident finds them
through the filters, signs up and gets the confirmation email with its calendar
file; a second resident lands on the waiting list and moves up when the first
passes the spot on. Every page goes through ``tab.visit/follow/click/submit``,
so axe-core checks each one and console errors fail the test.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import PHONE, unique_email

pytestmark = pytest.mark.browser

ZONE = "America/New_York"
TITLE_WORDS = "Sort food at the Prospect Park pantry"


# --- helpers ------------------------------------------------------------------------------

def sign_in(tab, account) -> None:
    page = tab.page
    tab.visit("/login")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password", exact=True).fill(account.password)
    tab.submit("Sign in")
    assert page.get_by_role("button", name="Sign out").is_visible(), page.url


def next_wednesday(days_ahead: int = 7) -> date:
    """A Wednesday at least ``days_ahead`` days away (New York time), so it is in the future."""
    day = datetime.now(ZoneInfo(ZONE)).date() + timedelta(days=days_ahead)
    return day + timedelta(days=(2 - day.weekday()) % 7)


def make_organization(live_server, account, name: str) -> str:
    """An organization owned by ``account`` (organizations have their own journey test)."""
    from sqlalchemy import select

    from matchmaker.db import db
    from matchmaker.models import User
    from matchmaker.orgs.services import create_organization

    with live_server.app.app_context():
        owner = db.session.scalar(select(User).where(User.email == account.email))
        org = create_organization(db.session, owner, name=name, summary="Food for neighbours",
                                  area="Brooklyn")
        db.session.commit()
        return org.slug


def open_outbox_message(tab, to: str, subject: str) -> None:
    """Open the newest email to ``to`` with this subject in /dev/outbox."""
    page = tab.page
    tab.visit("/dev/outbox")
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name=to, exact=True)) \
        .filter(has=page.get_by_role("link", name=subject, exact=True)).first
    tab.click(row.get_by_role("link", name=subject, exact=True))
    assert page.get_by_role("heading", level=1, name=subject).is_visible()


def my_commitments(tab):
    page = tab.page
    tab.click(page.get_by_role("navigation", name="Main").get_by_role("link", name="My commitments"))
    assert page.get_by_role("heading", level=1, name="My commitments").is_visible()
    return page.locator(".commitment").filter(has_text=TITLE_WORDS)


# --- the journey --------------------------------------------------------------------------

def post_recurring_opportunity(tab, slug: str, org_name: str, first: date) -> None:
    page = tab.page
    tab.visit(f"/organizations/{slug}")
    tab.click(page.get_by_role("link", name="Opportunities and rosters"))
    assert page.get_by_role("heading", level=1, name=f"Opportunities of {org_name}").is_visible()
    tab.click(page.get_by_role("link", name="Post a new opportunity"))
    assert page.get_by_role("heading", level=1, name="Post a new opportunity").is_visible()

    page.get_by_label("Title").fill(TITLE_WORDS)
    page.get_by_label("What will people do?").fill(
        "Sort donated food into boxes for families. **No experience needed.**")
    page.get_by_role("group", name="What kind of opportunity is it?") \
        .get_by_label("Recurring shifts (every week or every month)").check()
    page.get_by_role("textbox", name="Where", exact=True).fill("Prospect Park Boathouse")
    # The map pin: the script draws a map that fills the latitude/longitude boxes;
    # typing the numbers is the same pin, and the way without JavaScript.
    pin_map = page.get_by_role("application", name=re.compile(r"^Map: click to place the pin"))
    if tab.scripts:
        assert pin_map.is_visible(), "the pin-picker map was not drawn"
    else:
        assert pin_map.count() == 0
    page.get_by_label("Latitude (optional, for a map pin)").fill("40.6602")
    page.get_by_label("Longitude (optional, for a map pin)").fill("-73.9690")
    page.get_by_label("Date", exact=True).fill(first.isoformat())
    page.get_by_label("Start time").fill("09:30")
    page.get_by_label("Time zone").select_option(ZONE)
    page.get_by_label("How long does it take, in minutes?").fill("120")
    shifts = page.get_by_role("group", name="Only for recurring shifts")
    assert shifts.is_visible(), "choosing recurring shifts did not show the shift fields"
    shifts.get_by_label("Every week", exact=True).check()
    shifts.get_by_role("group", name="On which days?").get_by_label("Wednesday", exact=True).check()
    shifts.get_by_label("Number of shifts", exact=True).fill("3")
    page.get_by_label("How many people can take part (each time)?").fill("1")
    page.get_by_role("group", name="Causes", exact=True).get_by_label("Food security").check()
    tab.submit("Save as a draft")

    assert page.get_by_role("heading", level=1, name=TITLE_WORDS).is_visible()
    assert page.get_by_text("Saved as a draft.").is_visible()
    assert page.get_by_text("Draft.", exact=True).is_visible()
    tab.submit("Publish")
    assert page.get_by_text("Published. People can now find it and sign up.").is_visible()
    # Three weekly Wednesdays, the pin and one place each time.
    dates = page.get_by_role("region", name="Next dates")
    assert dates.locator(".opp-occurrence").count() == 3
    assert page.get_by_text("up to 1 person each time").is_visible()
    osm = page.get_by_role("link", name=re.compile("Open it on a map"))
    assert "mlat=40.66020" in osm.get_attribute("href")
    assert "mlon=-73.96900" in osm.get_attribute("href")


def find_and_open(tab, org_name: str, places: str) -> None:
    """From the main navigation, filter by cause and near 11215, open the card."""
    page = tab.page
    tab.click(page.get_by_role("navigation", name="Main")
              .get_by_role("link", name="Find something to do"))
    assert page.get_by_role("heading", level=1, name="Find something to do").is_visible()
    filters = page.get_by_role("form", name="Filters")
    filters.get_by_role("group", name="Causes").get_by_label("Food security", exact=True).check()
    filters.get_by_label("Near a place (ZIP code or town)").fill("11215")
    filters.get_by_label("How far, in km").fill("5")
    tab.submit("Show results")
    assert "cause=food-security" in page.url and "place=11215" in page.url
    results = page.get_by_role("region", name=re.compile(r"results?"))
    # Each run of the journey has its own organization (the live server's data is shared).
    card = results.locator(".browse-card").filter(has_text=TITLE_WORDS).filter(has_text=org_name)
    assert card.count() == 1, results.inner_text()
    assert places in card.inner_text()
    tab.click(card.get_by_role("link", name=TITLE_WORDS))
    assert page.get_by_role("heading", level=1, name=TITLE_WORDS).is_visible()


def sign_up_first_date(tab) -> None:
    page = tab.page
    first_box = page.locator(".signup-box").first
    button = first_box.get_by_role("button", name=re.compile(r"^(Sign up|Join the waiting list)$"))
    tab.click(button)


def check_calendar_file(tab, first: date) -> None:
    """The confirmation email links the .ics: download it signed in, and read it."""
    from icalendar import Calendar

    page = tab.page
    link = page.get_by_role("link", name=re.compile(r"signups.\d+\.ics$"))
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.body())
    zones = [c for c in calendar.walk("VTIMEZONE")]
    assert [str(z["TZID"]) for z in zones] == [ZONE]
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == TITLE_WORDS
    start = event.decoded("DTSTART")
    assert start == datetime(first.year, first.month, first.day, 9, 30, tzinfo=ZoneInfo(ZONE))
    assert event.decoded("DTEND") - start == timedelta(minutes=120)
    assert "Prospect Park Boathouse" in str(event.get("LOCATION", ""))


#: The same journey on a desktop with scripts, and on a phone with JavaScript off
#: (many residents' phones are old; nothing here may need a script).
DEVICES = {
    "desktop": {},
    "phone-no-js": {"viewport": PHONE, "java_script_enabled": False},
}


@pytest.mark.parametrize("device", DEVICES)
def test_post_find_sign_up_waitlist_and_pass_on(make_tab, make_account, live_server, device):
    org_name = f"Park Slope Pantry {unique_email('x')[2:10]}"
    organizer = make_account("Olu")
    slug = make_organization(live_server, organizer, org_name)
    first = next_wednesday()

    def make_tab(name, _make=make_tab):
        return _make(name=f"{name} ({device})", **DEVICES[device])

    # 1. The organizer posts recurring shifts with a map pin, then publishes them.
    org_tab = make_tab(name="organizer")
    sign_in(org_tab, organizer)
    post_recurring_opportunity(org_tab, slug, org_name, first)

    # 2. Resident A finds it through the filters and signs up for the first date.
    alice = make_account("Alice")
    a_tab = make_tab(name="resident A")
    sign_in(a_tab, alice)
    find_and_open(a_tab, org_name, "1 place left")
    if device == "desktop":
        a_tab.screenshot("opportunity")
    sign_up_first_date(a_tab)
    page = a_tab.page
    assert page.get_by_text(f"You're in! Your place for “{TITLE_WORDS}” is saved.").is_visible()
    assert page.locator(".signup-box").first.get_by_text("You're going. Thank you!").is_visible()

    open_outbox_message(a_tab, alice.email, f"You're in: {TITLE_WORDS}")
    assert page.get_by_text(f"Hello {alice.display_name},").is_visible()
    check_calendar_file(a_tab, first)

    # 3. Resident B signs up for the same date: the one place is taken -> waiting list.
    bea = make_account("Bea")
    b_tab = make_tab(name="resident B")
    sign_in(b_tab, bea)
    find_and_open(b_tab, org_name, "Full — you can join the waiting list")
    box = b_tab.page.locator(".signup-box").first
    assert box.get_by_text("The only place is taken. You can join the waiting list.").is_visible()
    sign_up_first_date(b_tab)
    assert b_tab.page.get_by_text(f"You're number 1 on the waiting list for “{TITLE_WORDS}”") \
        .is_visible()
    b_item = my_commitments(b_tab)
    assert b_item.count() == 1
    assert "You're number 1 on the waiting list." in b_item.inner_text()

    # 4. A passes the spot on from "My commitments"; B moves up and is told.
    a_item = my_commitments(a_tab)
    assert "You're going." in a_item.inner_text()
    a_tab.click(a_item.get_by_role("button", name=re.compile(r"^Pass my spot on")))
    assert page.get_by_text("is free for someone else now").is_visible()
    assert page.locator(".commitment").filter(has_text=TITLE_WORDS).count() == 0

    b_item = my_commitments(b_tab)
    assert b_item.count() == 1
    assert "You're going." in b_item.inner_text()
    assert "waiting list" not in b_item.inner_text()
    subject = f"A place opened up — you're in: {TITLE_WORDS}"
    open_outbox_message(b_tab, bea.email, subject)
    assert b_tab.page.get_by_text("a place opened up, and you were next").is_visible()
    # Sent once: exactly one such email to B.
    b_tab.visit("/dev/outbox")
    rows = b_tab.page.get_by_role("row").filter(has_text=bea.email).filter(has_text=subject)
    assert rows.count() == 1
