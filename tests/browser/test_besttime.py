"""Best time to post in a real browser: the demo account's map (colours, figures, what it
stands on), then the composer's « next best slot » button filling the date and time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.connectors.models import ConnectedAccount
from parvis.demo.publishing import DEMO_HANDLE
from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, log_in
from tests.publishing.test_besttime_page import history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_map_and_the_next_best_slot(tab: Tab, artifacts):
    page = tab.page
    workspace = Workspace.objects.get(slug="demo")
    account = ConnectedAccount.objects.get(workspace=workspace, handle=DEMO_HANDLE)
    history(workspace, None, account, weeks=8)
    log_in(tab)
    tab.open(f"/w/demo/publishing/besttime/{account.pk}/")
    expect(page.locator("table.bt-map tbody tr")).to_have_count(7)
    expect(page.locator("#bt-basis")).to_contain_text("28")
    tab.shot(artifacts, "besttime-map.png")
    tab.open("/w/demo/publishing/new/")
    page.check(f"#accounts input[name=accounts][value='{account.pk}']")
    page.click("#next-best-slot")
    expect(page.locator("#next-slot .bt-why")).to_be_visible()
    value = page.input_value("#id_day")
    assert value and dt.date.fromisoformat(value) >= timezone.localdate() - dt.timedelta(days=1)
    assert page.input_value("#id_time").endswith(":00")
    tab.shot(artifacts, "besttime-composer.png", ".composer-form")
    assert tab.problems == []
