"""A resident's first visit, in a real browser, the way a person would do it.

Every page reached here goes through ``tab.visit/follow/click/submit`` and is
checked with axe-core; console errors (CSP violations included) fail the test.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, unique_email

pytestmark = pytest.mark.browser

PASSWORD = "maple syrup on a tuesday"


# --- small helpers ----------------------------------------------------------------------

def signed_in_as(tab, display_name: str | None = None) -> None:
    page = tab.page
    assert page.get_by_role("button", name="Sign out").is_visible(), f"not signed in on {page.url}"
    assert page.get_by_role("link", name="My profile").is_visible()
    if display_name:
        assert page.get_by_text(f"Welcome back, {display_name}.").is_visible()


def signed_out(tab) -> None:
    nav = tab.page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Sign in").is_visible(), f"signed in on {tab.page.url}"
    assert tab.page.get_by_role("button", name="Sign out").count() == 0


def register(tab, name: str, email: str, password: str = PASSWORD) -> None:
    page = tab.page
    page.get_by_label("Your first name or a nickname").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Type the password again").fill(password)
    tab.submit("Create my account")


def sign_in(tab, email: str, password: str = PASSWORD) -> None:
    page = tab.page
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    tab.submit("Sign in")


def sign_out(tab) -> None:
    tab.submit("Sign out")
    assert tab.page.get_by_text("You are signed out").is_visible()
    signed_out(tab)


def focus_style(page) -> dict:
    """What the focused element looks like, and whether the browser treats it as keyboard focus."""
    return page.evaluate(
        """() => { const el = document.activeElement, s = getComputedStyle(el);
                   return { tag: el.tagName.toLowerCase(), id: el.id, text: el.textContent.trim(),
                            focusVisible: el.matches(':focus-visible'),
                            outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth),
                            boxShadow: s.boxShadow }; }"""
    )


def assert_focus_visible(page) -> None:
    style = focus_style(page)
    assert style["focusVisible"], f"focused element is not :focus-visible: {style}"
    has_outline = style["outlineStyle"] not in ("none", "") and style["outlineWidth"] >= 2
    has_ring = style["boxShadow"] not in ("none", "")
    assert has_outline or has_ring, f"no visible focus indicator: {style}"


def assert_no_horizontal_scroll(page) -> None:
    sizes = page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["scroll"] <= sizes["inner"], f"{page.url} scrolls sideways on a phone: {sizes}"


# --- the journey -------------------------------------------------------------------------

def fill_profile(tab) -> None:
    """The resident profile at /profile/: what they care about, when, where, how much."""
    page = tab.page
    assert page.get_by_role("heading", level=1, name="Your profile").is_visible()

    causes = page.get_by_role("group", name="Causes you care about")
    causes.get_by_label("Food security", exact=True).check()
    causes.get_by_label("Older people", exact=True).check()
    page.get_by_role("group", name="Things you are good at or enjoy") \
        .get_by_label("Cooking", exact=True).check()

    first = page.get_by_role("group", name="Free time 1", exact=True)
    first.get_by_label("Day").select_option(label="Saturday")
    first.get_by_label("From").fill("09:00")
    first.get_by_label("Until").fill("12:00")
    second = page.get_by_role("group", name="Free time 2", exact=True)
    second.get_by_label("Day").select_option(label="Wednesday")
    second.get_by_label("From").fill("18:30")
    second.get_by_label("Until").fill("20:00")

    page.get_by_label("Your ZIP code or town").fill("11215")
    page.get_by_label("How far would you go, in kilometres?").fill("3")
    page.get_by_label("Hours a week").fill("1.5")
    page.get_by_label("Most things in one week").fill("1")
    page.get_by_role("group", name="How do you like to help?") \
        .get_by_label("A small group", exact=True).check()
    page.get_by_label("I am 18 or older").check()
    tab.submit("Save my profile")

    assert page.get_by_text("Thank you — your profile is saved.").is_visible()
    summary = page.get_by_role("region", name="What we know so far")
    summary_text = summary.inner_text()
    for expected in ("Food security", "Older people", "Saturday 09:00–12:00",
                     "Wednesday 18:30–20:00", "11215", "up to 3 km away",
                     "Up to 1.5 hours a week", "at most 1 thing in one week"):
        assert expected in summary_text, f"{expected!r} not in the saved profile: {summary_text}"
    # The form shows what was saved.
    assert causes.get_by_label("Food security", exact=True).is_checked()
    assert page.get_by_label("Hours a week").input_value() == "1.5"


def test_register_verify_profile_sign_out_and_in(tab):
    page = tab.page
    name, email = "Rosa", unique_email("rosa")

    tab.visit("/")
    tab.screenshot("home")
    signed_out(tab)
    tab.click(page.get_by_role("link", name="Join — it is free"))
    assert page.get_by_role("heading", level=1, name="Join matchmaker").is_visible()
    tab.screenshot("register")

    register(tab, name, email)
    assert page.url.startswith(tab.server("/profile/"))
    assert page.get_by_text(f"Welcome, {name}!").is_visible()
    notice = page.get_by_role("region", name="Email confirmation")
    assert notice.get_by_text(email).is_visible()

    # The verification email, read in the local outbox (debug mode only).
    tab.click(page.get_by_role("link", name="Mail outbox (local development only)"))
    assert page.get_by_role("heading", level=1, name="Mail outbox").is_visible()
    newest = page.get_by_role("table").get_by_role("row").nth(1)  # row 0 is the header
    assert newest.get_by_role("cell", name=email).is_visible()
    tab.click(newest.get_by_role("link", name="Please confirm your email address"))
    subject = "Please confirm your email address"
    assert page.get_by_role("heading", level=1, name=subject).is_visible()
    assert page.get_by_text(f"Hello {name},").is_visible()
    verify_link = page.get_by_role("link", name=re.compile(r"verify"))
    assert verify_link.get_attribute("href").startswith(tab.server("/verify/"))

    tab.click(verify_link)
    assert page.url.startswith(tab.server("/profile/"))
    assert page.get_by_text(f"Thank you — {email} is confirmed.").is_visible()
    assert page.get_by_role("region", name="Email confirmation").count() == 0

    fill_profile(tab)
    tab.screenshot("profile")

    sign_out(tab)
    tab.click(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in"))
    tab.screenshot("login")
    sign_in(tab, email)
    assert page.url == tab.server("/")
    signed_in_as(tab, name)

    tab.click(page.get_by_role("link", name="My profile"))
    assert page.url.startswith(tab.server("/profile/"))


def test_wrong_password_is_explained(tab, make_account):
    account = make_account("Bea")
    tab.visit("/login")
    page = tab.page
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password", exact=True).fill("not the password at all")
    tab.submit("Sign in", status=400)
    alert = page.get_by_role("alert")
    assert alert.is_visible() and alert.inner_text().strip()
    signed_out(tab)


# --- keyboard only -------------------------------------------------------------------------

def test_keyboard_only_skip_link_and_sign_in(tab, make_account):
    account = make_account("Kim")
    page, keyboard = tab.page, tab.page.keyboard
    tab.visit("/login")

    keyboard.press("Tab")
    assert focus_style(page)["text"] == "Skip to main content", "the skip link is not first"
    assert page.get_by_role("link", name="Skip to main content").is_visible(), (
        "the skip link stays hidden when focused")
    assert_focus_visible(page)

    keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main'")

    keyboard.press("Tab")
    email = page.get_by_label("Email address")
    assert email.evaluate("el => el === document.activeElement"), focus_style(page)
    assert_focus_visible(page)
    keyboard.type(account.email)
    keyboard.press("Tab")
    assert page.get_by_label("Password", exact=True).evaluate("el => el === document.activeElement")
    keyboard.type(account.password)
    tab.follow(lambda: keyboard.press("Enter"))
    signed_in_as(tab, account.display_name)

    # Sign out with the keyboard too: Tab until the button has focus, then Enter.
    for _ in range(20):
        keyboard.press("Tab")
        if focus_style(page)["text"] == "Sign out":
            break
    else:
        pytest.fail("Tab never reached the Sign out button")
    assert_focus_visible(page)
    tab.follow(lambda: keyboard.press("Enter"))
    signed_out(tab)


# --- without JavaScript --------------------------------------------------------------------

def test_register_and_sign_in_without_javascript(make_tab):
    tab = make_tab(java_script_enabled=False, name="no-javascript")
    page = tab.page
    email = unique_email("nojs")

    tab.visit("/register")
    register(tab, "Noor", email)
    assert page.get_by_text("Welcome, Noor!").is_visible()
    sign_out(tab)

    tab.click(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in"))
    sign_in(tab, email)
    signed_in_as(tab, "Noor")


# --- phones and reading ----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/register", "/login"])
def test_no_sideways_scrolling_on_a_phone(make_tab, path):
    tab = make_tab(viewport=PHONE)
    tab.visit(path)
    assert_no_horizontal_scroll(tab.page)


def test_signed_in_pages_fit_a_phone(make_tab, make_account):
    tab = make_tab(viewport=PHONE)
    account = make_account("Pat")
    tab.visit("/login")
    sign_in(tab, account.email, account.password)
    assert_no_horizontal_scroll(tab.page)
    tab.visit("/profile/")
    assert_no_horizontal_scroll(tab.page)


@pytest.mark.parametrize("viewport,minimum", [(DESKTOP, 18), (PHONE, 17)],
                         ids=["desktop", "phone"])
def test_body_text_is_large(make_tab, viewport, minimum):
    tab = make_tab(viewport=viewport)
    tab.visit("/")
    size = tab.page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 16, f"body text is {size}px"
    assert size >= minimum, f"body text is {size}px; the stylesheet promises {minimum}px"
    lead = tab.page.locator("main p.lead").first
    assert lead.evaluate("el => parseFloat(getComputedStyle(el).fontSize)") >= 16
    # (Tab.check also fails any page with visible text below 16px.)


# --- error states ----------------------------------------------------------------------------

def test_empty_register_form_explains_every_field(tab):
    page = tab.page
    tab.visit("/register")
    tab.submit("Create my account", status=400)  # axe runs on the error state too
    summary = page.get_by_role("alert")
    assert summary.get_by_text("Please check the fields marked below.").is_visible()
    for label, message in [
        ("Your first name or a nickname", "Please tell us what to call you."),
        ("Email address", "Please enter your email address."),
        ("Password", "Please choose a password."),
        ("Type the password again", "Please type the password again."),
    ]:
        field = page.get_by_label(label, exact=True)
        assert field.get_attribute("aria-invalid") == "true", label
        # The error is read out with the field: it is part of its accessible description.
        described = field.get_attribute("aria-describedby") or ""
        texts = " ".join(page.locator(f"#{i}").inner_text() for i in described.split())
        assert message in texts, f"{label}: {message!r} not in its description {texts!r}"


def test_profile_mistakes_are_explained(tab, make_account):
    account = make_account("Ivo")
    page = tab.page
    tab.visit("/login")
    sign_in(tab, account.email, account.password)
    tab.visit("/profile/")
    page.get_by_label("Hours a week").fill("-3")
    row = page.get_by_role("group", name="Free time 1", exact=True)
    row.get_by_label("Day").select_option(label="Monday")
    row.get_by_label("From").fill("14:00")
    row.get_by_label("Until").fill("10:00")
    tab.submit("Save my profile", status=400)  # axe runs on the error state too
    assert page.get_by_role("alert").first.is_visible()
    hours = page.get_by_label("Hours a week")
    assert hours.get_attribute("aria-invalid") == "true"
    described = hours.get_attribute("aria-describedby") or ""
    assert "Please enter from 0 to" in " ".join(
        page.locator(f"#{i}").inner_text() for i in described.split())
    assert row.locator(".error").count() >= 1, "the backwards free time is not explained"


def test_missing_page_is_a_friendly_404(tab):
    tab.visit("/no-such-page", status=404)
    page = tab.page
    assert page.get_by_role("heading", level=1, name="We could not find that page").is_visible()
    tab.click(page.get_by_role("link", name="Go to the home page"))


# --- the watchers themselves -------------------------------------------------------------------

def test_console_watcher_catches_csp_violations(tab):
    """Guard the guard: an inline script must be refused by the CSP and noticed here."""
    tab.visit("/")
    tab.page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__ran = true'; document.body.append(s); }"""
    )
    tab.page.wait_for_timeout(100)
    assert tab.page.evaluate("() => window.__ran === undefined"), "an inline script ran"
    assert any("Content Security Policy" in e for e in tab.console_errors), tab.console_errors
    tab.console_errors.clear()


def test_page_watcher_notices_unchecked_pages(tab):
    """Guard the guard: a page reached without Tab.visit/follow/click is reported."""
    tab.visit("/")
    tab.page.goto(tab.server("/login"))
    with pytest.raises(AssertionError, match="without an accessibility check"):
        tab.assert_clean()
    tab.unchecked.clear()
