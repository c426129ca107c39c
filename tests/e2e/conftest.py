"""Browser tests: the real app on a loopback port, driven by Debian Chromium.

* ``live_server`` runs :func:`matchmaker.create_app` in werkzeug's threaded server
  against a database of its own (a fresh SQLite file, or with a PostgreSQL
  ``TEST_DATABASE_URL`` a fresh PostgreSQL database created for the run and
  dropped afterwards), so every commit is real and the main suite's tables are
  never touched. DEBUG is on so the /dev/outbox mail page exists; jobs run inline.
* ``tab`` / ``phone_tab`` / ``make_tab`` wrap a Playwright page in a :class:`Tab`.
  Every page a test reaches -- by address, by clicking, by submitting a form --
  must go through ``Tab.visit`` / ``Tab.follow`` / ``Tab.click`` / ``Tab.submit``,
  which run axe-core on it. A tab that saw a page nobody checked, a CSP
  violation, a script error or any other console error fails its test.

Chromium is Debian's (/usr/bin/chromium); ``playwright install`` is never used.
"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
from werkzeug.serving import make_server

from matchmaker import create_app
from matchmaker.db import Base, make_engine
from tests.conftest import TEST_DATABASE_URL, require_service
from tests.integration.databases import fresh_postgres_database

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
#: A 1x1 transparent PNG: map tiles are answered with it, so maps draw offline.
BLANK_TILE = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")
#: Tile servers (MAP_TILE_URL's default is tile.openstreetmap.org); no machine here
#: reaches the internet, and a test must not depend on it anyway.
TILE_REQUEST = re.compile(r"^https?://[^/]*tile[^/]*/")

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
#: Set SCREENSHOTS=1 to refresh the README's images in static/screenshots/.
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "static" / "screenshots"
#: Playwright's default is 30 s; a local page that takes longer is a failure worth seeing sooner.
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items):
    """Every test here drives Chromium: make sure it carries the ``browser`` mark
    (the service summary counts it), even in a new file that forgot ``pytestmark``."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents and "browser" not in item.keywords:
            item.add_marker(pytest.mark.browser)


# --- the server -------------------------------------------------------------------------

@contextmanager
def _fresh_database(tmp_dir: Path) -> Iterator[str]:
    """A database URL with the schema created, removed again afterwards."""
    import matchmaker.models  # noqa: F401  (registers every table)

    if TEST_DATABASE_URL.startswith("postgresql"):
        database = fresh_postgres_database(TEST_DATABASE_URL,
                                           f"matchmaker_e2e_{uuid.uuid4().hex[:10]}")
        try:
            url = database.__enter__()
        except Exception as exc:  # noqa: BLE001 - report any failure to connect or create
            require_service("PostgreSQL", False,
                            f"cannot create a database through TEST_DATABASE_URL: {exc}")
        try:
            yield url
        finally:
            database.__exit__(None, None, None)
    else:
        url = f"sqlite:///{tmp_dir / 'e2e.sqlite3'}"
        schema = make_engine(url)
        Base.metadata.create_all(schema)
        schema.dispose()
        yield url


@dataclass
class LiveServer:
    url: str
    app: object
    outbox_dir: Path

    def __call__(self, path: str = "/") -> str:
        return urljoin(self.url + "/", path.lstrip("/"))


@pytest.fixture(scope="package")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    """The real app, threaded, on a free loopback port, for every test in tests/e2e."""
    tmp = tmp_path_factory.mktemp("e2e")
    holder: dict = {}

    def wsgi(environ, start_response):  # the app is built once the port is known
        return holder["app"](environ, start_response)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    with _fresh_database(tmp) as database_url:
        app = create_app(
            DATABASE_URL=database_url,
            DEBUG=True,  # registers the dev blueprint: /dev/outbox
            REDIS_URL="",  # jobs (the verification email) run inline
            SMTP_URL="",
            OUTBOX_DIR=str(tmp / "outbox"),
            BASE_URL=base_url,
            SECRET_KEY="e2e-secret-key",
            RATELIMIT_STORAGE_URI="memory://",
            # Every test signs in from 127.0.0.1; the real limit is tested in integration/.
            LOGIN_RATE_LIMIT="1000 per minute",
        )
        assert app.debug, "DEBUG=True did not reach app.debug: /dev/outbox would be missing"
        assert "dev.outbox" in app.view_functions
        # Keep our own handle: `db` is one module-level object that the next create_app rebinds.
        engine = app.extensions["matchmaker.db"].engine
        holder["app"] = app
        thread = threading.Thread(target=server.serve_forever, name="e2e-live-server",
                                  kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        try:
            yield LiveServer(url=base_url, app=app, outbox_dir=tmp / "outbox")
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            engine.dispose()


# --- the browser ------------------------------------------------------------------------

@pytest.fixture(scope="package")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} accessibility violation(s) on {url}:"]
    for v in violations:
        lines.append(f"- {v['id']} ({v.get('impact') or 'n/a'}): {v['help']}  <{v['helpUrl']}>")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}")
            lines.append(f"       {node.get('html', '').strip()[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " / ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


def axe_check(page) -> None:
    """Run axe-core (every non-experimental rule) on the page; fail on any violation."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    assert not violations, format_violations(page.url, violations)


def axe_check_copy(browser, page) -> None:
    """axe for a page whose scripts are off: axe.run() awaits timers that never fire there.

    The page's DOM is served again, unchanged, to a scripted page at the same
    address (same stylesheet, same viewport) and checked there.
    """
    url, html = page.url, page.content()
    context = browser.new_context(viewport=page.viewport_size)
    try:
        copy = context.new_page()
        copy.set_default_timeout(TIMEOUT_MS)
        copy.route(lambda u: urldefrag(u)[0] == urldefrag(url)[0],
                   lambda route: route.fulfill(status=200, body=html,
                                               content_type="text/html; charset=utf-8"))
        copy.goto(url)
        axe_check(copy)
    finally:
        context.close()


@dataclass
class Tab:
    """A Playwright page that checks every page it lands on.

    Navigations are noticed as main-frame document responses; :meth:`check`
    (which ``visit``/``follow``/``click``/``submit`` call) runs axe and marks them
    checked. :meth:`assert_clean` -- run when the test ends -- fails on pages that
    were never checked and on console errors (CSP violations included).
    """

    page: object
    server: LiveServer
    browser: object
    name: str = "desktop"
    scripts: bool = True
    console_errors: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    error_documents: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"page error: {exc}"))
        self.page.on("response", self._on_response)

    # events

    def _on_console(self, msg) -> None:
        if msg.type not in ("error", "warning"):
            return
        text_ = msg.text
        where = (msg.location or {}).get("url", "")
        # Chromium logs a document answered with 4xx (a 404 page, a form sent back
        # with errors) as a failed resource; the test asserted that status itself.
        failed_load = text_.startswith("Failed to load resource")
        if failed_load and urldefrag(where)[0] in self.error_documents:
            return
        if msg.type == "warning" and "Content Security Policy" not in text_:
            return
        self.console_errors.append(f"console {msg.type} on {where or self.page.url}: {text_}")

    def _on_response(self, response) -> None:
        request = response.request
        if not request.is_navigation_request() or request.frame != self.page.main_frame:
            return
        if 300 <= response.status < 400:
            return  # a redirect: the page it leads to is the one to check
        if response.status >= 400:
            self.error_documents.add(urldefrag(response.url)[0])
        self.unchecked.append(f"{request.method} {response.url} ({response.status})")

    # moving around

    def visit(self, path: str, status: int = 200):
        """Open a page by address (path on the live server, or a full URL)."""
        url = path if path.startswith("http") else self.server(path)
        response = self.page.goto(url)
        return self.check(response, status)

    def follow(self, action: Callable[[], object], status: int = 200):
        """Do something that loads a new page (click, Enter, submit) and check that page."""
        with self.page.expect_navigation() as nav:
            action()
        return self.check(nav.value, status)

    def click(self, locator, status: int = 200):
        return self.follow(locator.click, status)

    def submit(self, button_name: str, status: int = 200):
        return self.click(self.page.get_by_role("button", name=button_name, exact=True), status)

    def check(self, response=None, status: int | None = 200):
        """Assert the status of the page just loaded and run axe on it."""
        self.page.wait_for_load_state("load")
        if response is not None and status is not None:
            assert response.status == status, (
                f"{response.request.method} {response.url} answered {response.status}, "
                f"expected {status}"
            )
        if self.scripts:
            axe_check(self.page)
        else:
            axe_check_copy(self.browser, self.page)
        self.unchecked.clear()
        self.assert_readable_text()
        return response

    def assert_readable_text(self) -> None:
        """Nothing a person reads is set below 16px (the CSS promises 18px, 17px on phones)."""
        small = self.page.evaluate(
            """() => [...document.body.querySelectorAll('*')]
                 .filter(el => [...el.childNodes].some(
                     n => n.nodeType === Node.TEXT_NODE && n.textContent.trim()))
                 .filter(el => { const r = el.getBoundingClientRect();
                                 return r.width > 1 && r.height > 1; })
                 .filter(el => parseFloat(getComputedStyle(el).fontSize) < 16)
                 .map(el => `<${el.tagName.toLowerCase()}> "${el.textContent.trim().slice(0, 40)}"`
                            + ` ${getComputedStyle(el).fontSize}`)"""
        )
        assert not small, f"text below 16px on {self.page.url}: {small}"

    # assertions

    def assert_clean(self) -> None:
        problems = []
        if self.unchecked:
            problems.append("pages reached without an accessibility check (use tab.visit/"
                            f"follow/click/submit): {self.unchecked}")
        if self.console_errors:
            problems.append("console errors:\n  " + "\n  ".join(self.console_errors))
        assert not problems, f"[{self.name}] " + "\n".join(problems)

    def screenshot(self, name: str) -> None:
        """Save static/screenshots/<name>.png, only when SCREENSHOTS=1."""
        if os.environ.get("SCREENSHOTS") != "1":
            return
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True)


@pytest.fixture
def make_tab(browser, live_server) -> Iterator[Callable[..., Tab]]:
    """Factory: make_tab(viewport=PHONE, java_script_enabled=False, name=...) -> Tab.

    Each tab has its own browser context (its own cookies); map tiles are served
    locally (``BLANK_TILE``). All are checked for
    console errors and unchecked pages when the test ends.
    """
    contexts, tabs = [], []

    def make(viewport: dict = DESKTOP, name: str | None = None, **context_options) -> Tab:
        if viewport == PHONE:
            context_options.setdefault("is_mobile", True)
            context_options.setdefault("has_touch", True)
            context_options.setdefault("device_scale_factor", 2)
        context = browser.new_context(viewport=viewport, locale="en-US",
                                      timezone_id="America/New_York", **context_options)
        contexts.append(context)
        context.route(TILE_REQUEST, lambda route: route.fulfill(
            status=200, body=BLANK_TILE, content_type="image/png"))
        tab = Tab(page=context.new_page(), server=live_server, browser=browser,
                  name=name or ("phone" if viewport == PHONE else "desktop"),
                  scripts=context_options.get("java_script_enabled", True))
        tabs.append(tab)
        return tab

    yield make
    try:
        for tab in tabs:
            tab.assert_clean()
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def tab(make_tab) -> Tab:
    """A desktop-sized tab (1280x900)."""
    return make_tab()


@pytest.fixture
def phone_tab(make_tab) -> Tab:
    """A phone-sized tab (375x740, touch, mobile viewport rules)."""
    return make_tab(viewport=PHONE)


# --- accounts -----------------------------------------------------------------------------

@dataclass
class Account:
    email: str
    password: str
    display_name: str


def unique_email(name: str) -> str:
    """The live server's database lives for the whole e2e run: every test needs new addresses."""
    return f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org"


@pytest.fixture
def make_account(live_server) -> Callable[..., Account]:
    """Factory: an account created straight in the live server's database (committed).

    For tests about something other than registering; the journey test registers
    through the form like a person.
    """
    from matchmaker.auth.services import create_user
    from matchmaker.db import db
    from tests.conftest import PASSWORD

    def make(display_name: str = "Ada", verified: bool = True) -> Account:
        email = unique_email(display_name)
        with live_server.app.app_context():
            create_user(db.session, email, display_name, PASSWORD, verified=verified)
            db.session.commit()
        return Account(email=email, password=PASSWORD, display_name=display_name)

    return make
