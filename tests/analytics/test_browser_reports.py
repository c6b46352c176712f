"""The reports archive in a real browser: ask for the demo's report of last month with a
comment, follow its progress, download it; no console error (CSP); screenshots kept."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from django.conf import settings
from playwright.sync_api import expect

from parvis.analytics import reports
from parvis.analytics.models import Report
from parvis.listening import runner
from parvis.listening.models import Source
from tests.browser.conftest import Tab, artifacts, browser, log_in, tab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def replay_demo() -> None:
    """The replay source's first run, as `parvis demo` starts it: the month of mentions."""
    source = Source.objects.get(workspace__slug="demo", kind="demo")
    runner.run_source(source.pk)


def test_ask_follow_and_download_a_report(tab: Tab, artifacts):  # noqa: F811
    page = tab.page
    replay_demo()
    log_in(tab)
    tab.open("/w/demo/reports/")
    expect(page.locator("#report-form")).to_be_visible()
    page.select_option("#id_format", "pdf")
    page.fill("#id_comments", "Un mois calme ; à suivre : la nouvelle collection.")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#report-rows tr")).to_have_count(1)
    tab.shot(artifacts, "reports-queued.png")
    # The worker's part (done already where the queue runs tasks at once): the page polls
    # and shows the file when it is written.
    reports.run_report(Report.objects.get().pk)
    link = page.locator("#report-rows a", has_text="Télécharger").or_(
        page.locator("#report-rows a", has_text="Download")
    )
    expect(link).to_have_count(1, timeout=10_000)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("demo-")
    assert download.value.suggested_filename.endswith(".pdf")
    # The demo's report kept with its pages as pictures, for a person to look at.
    download.value.save_as(artifacts / "reports-demo.pdf")
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(artifacts / "reports-demo.pdf"),
             str(artifacts / "reports-demo")], check=True, timeout=120,
        )  # fmt: skip
    tab.shot(artifacts, "reports-archive.png")
    tab.open("/w/demo/reports/settings/")
    expect(page.locator("#report-settings-form")).to_be_visible()
    tab.shot(artifacts, "reports-settings.png")
    assert tab.problems == []


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason=(
        "the home page's dashboard, KPIs and sidebar counters arrive as concurrent requests; "
        "Django's live server makes every request thread share the test's one in-memory "
        "SQLite connection (production SQLite is a file, one connection per thread), and in "
        "the whole suite that shared connection once blocked a request for good (twice, not "
        "alone): run on the PostgreSQL pass"
    ),
)
def test_dashboard_and_agency_view(tab: Tab, artifacts):  # noqa: F811
    page = tab.page
    replay_demo()
    log_in(tab)
    tab.open("/w/demo/")
    dashboard = page.locator("#dashboard")
    expect(dashboard).to_be_visible(timeout=15_000)
    expect(dashboard.locator("svg.chart a.bar").first).to_be_attached()
    tab.shot(artifacts, "dashboard-home.png", "#dashboard")
    # A day's bar opens the explorer filtered on that day.
    day = dashboard.locator("svg.chart a.bar").last.get_attribute("data-day")
    dashboard.locator("svg.chart a.bar").last.click()
    expect(page).to_have_url(re.compile(rf"/w/demo/listening/\?since={day}&until={day}"))
    tab.open("/agency/")
    expect(page.locator("#agency tbody tr")).to_have_count(2)  # the demo's two workspaces
    tab.shot(artifacts, "agency.png")
    assert tab.problems == []
