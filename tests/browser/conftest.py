"""Playwright on Debian's chromium (never a downloaded browser), one browser per module."""

from __future__ import annotations

import os
import re
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

from parvis.demo.seed import DEMO_PASSWORD, DEMO_USER, ensure_demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(
    os.environ.get("PARVIS_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts")
)


def pytest_collection_modifyitems(config, items):
    # scripts/test.sh sets PARVIS_REQUIRE_BROWSER: there a missing chromium fails, not skips.
    if CHROMIUM.exists() or os.environ.get("PARVIS_REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API keeps an asyncio loop in this thread, and Django then refuses ORM
    # calls here (test set-up, DB checks, flush); the env var allows them while it runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=30_000
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def artifacts() -> Path:
    from django.db import connection

    # One folder per database, so the SQLite and PostgreSQL passes keep their own screenshots.
    folder = ARTIFACTS / f"browser-{connection.vendor}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


STEP_TIMEOUT_MS = 10_000


@dataclass
class Tab:
    """A page plus what went wrong in it: console errors (CSP violations land there),
    uncaught exceptions and any alert() that managed to run."""

    page: Page
    base_url: str
    problems: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def path(self) -> str:
        return re.sub(r"^https?://[^/]+", "", self.page.url)

    def shot(self, folder, name: str, selector: str | None = None) -> None:
        """What the user sees: the viewport, or one element scrolled into view. (Full-page
        captures misdraw the sticky, 100vh-high sidebar.) caret="initial": Playwright's
        default hides the caret with a style attribute on the focused input, which htmx then
        copies onto a swapped-in input: a CSP violation that only screenshots cause."""
        target = self.page.locator(selector) if selector else self.page
        target.screenshot(path=folder / name, caret="initial")


@pytest.fixture
def tab(browser, live_server, artifacts, request):
    """A French page on the live server with the demo data, recording what went wrong."""
    ensure_demo()
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    tab = Tab(page, live_server.url)
    page.on("console", lambda m: m.type == "error" and tab.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda exc: tab.problems.append(f"page error: {exc}"))

    def on_dialog(dialog):
        tab.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield tab
    finally:
        # The last thing the test saw, kept for when it fails.
        with suppress(PlaywrightError):
            tab.shot(artifacts, f"{request.node.name}-last.png")
        context.close()


def log_in(tab: Tab) -> None:
    tab.open("/login/")
    tab.page.fill("#id_username", DEMO_USER)
    tab.page.fill("#id_password", DEMO_PASSWORD)
    tab.page.click("form[action$='/login/'] button[type=submit]")
    tab.page.wait_for_url(re.compile(r"/w/[\w-]+/$"))
