"""The demo's objectives against their targets in a real browser: the strategy page and the
home page, in French, with no console error (CSP), screenshots kept as artefacts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from parvis.listening import runner
from parvis.listening.models import Source
from tests.browser.conftest import Tab, artifacts, browser, log_in, tab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_objectives_against_their_targets(tab: Tab, artifacts):  # noqa: F811
    page = tab.page
    # The replay source's first run, as `parvis demo` starts it: the month of mentions.
    source = Source.objects.get(workspace__slug="demo", kind="demo")
    runner.run_source(source.pk)
    log_in(tab)
    tab.open("/w/demo/strategy/")
    cells = page.locator("#objectives .kpi")
    expect(cells).to_have_count(3)
    expect(page.locator("#objectives")).to_contain_text("Instagram")
    expect(page.locator("#objectives")).to_contain_text("70 %")
    # The share of positive mentions of the month, next to its target (the overview's figure).
    expect(page.locator("#objectives .kpi").nth(2)).to_contain_text("%")
    tab.shot(artifacts, "analytics-strategy.png", "#objectives")
    tab.open("/w/demo/")
    expect(page.locator("#audience-title")).to_be_visible()
    expect(page.locator("section[aria-labelledby=audience-title] .stat")).not_to_be_empty()
    tab.shot(artifacts, "analytics-home.png")
    assert tab.problems == []
