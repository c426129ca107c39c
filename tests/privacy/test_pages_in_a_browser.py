"""The data-rights pages in Chromium, with JavaScript off: axe-core on every page reached
(the e2e harness's Tab does that), keyboard-reachable controls, no CSP complaint."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import browser, live_server, make_account, make_tab  # noqa: F401
from tests.e2e.test_account_journey import sign_in, signed_out

pytestmark = pytest.mark.browser


def test_find_download_and_delete_without_javascript(make_tab, make_account):  # noqa: F811
    tab = make_tab(java_script_enabled=False)
    account = make_account("Iris")
    tab.visit("/login")
    sign_in(tab, account.email, account.password)
    tab.visit("/profile/")
    tab.click(tab.page.get_by_role("link", name="Your information: download it or delete "
                                                "your account"))
    assert tab.page.get_by_role("heading", name="Download my data").is_visible()
    assert tab.page.get_by_role("link", name="Download my data").get_attribute("href") \
        == "/me/data.json"
    tab.click(tab.page.get_by_role("link", name="Delete my account…"))
    tab.page.get_by_label("Your password").fill("not the password")
    tab.submit("Delete my account for good", status=400)
    assert tab.page.get_by_text("That password is not right").is_visible()
    tab.page.get_by_label("Your password").fill(account.password)
    tab.submit("Delete my account for good")
    assert tab.page.get_by_role("heading", name="Your account is deleted").is_visible()
    signed_out(tab)
