"""The reports archive in a real browser: ask for the demo's report of last month with a
comment, follow its progress, download it; no console error (CSP); screenshots kept."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from parvis.analytics import reports
from parvis.analytics.models import Report
from tests.browser.conftest import Tab, artifacts, browser, log_in, tab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ask_follow_and_download_a_report(tab: Tab, artifacts):  # noqa: F811
    page = tab.page
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
