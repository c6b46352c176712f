"""Correcting a mention's labels in a real browser: one click in the Analysis panel (htmx),
then the Corrections tab lists it. Selectors: ids, names and values, never labels."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from parvis.listening.models import Correction, Mention
from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, log_in
from tests.browser.test_explorer import seed_mentions

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_correct_in_one_click_and_see_it_listed(tab: Tab, artifacts):
    workspace = Workspace.objects.get(slug="demo")
    mentions = seed_mentions(workspace)
    mention = mentions["browser-0"]
    spam_before = Mention.objects.get(pk=mention.pk).spam
    log_in(tab)
    tab.open(f"/w/demo/listening/mentions/{mention.pk}/")
    label = "no" if spam_before >= 0.5 else "yes"
    tab.page.click(f"#analysis form:has(input[value=spam]) button[value={label}]")
    expect(tab.page.locator("#analysis h3")).to_be_visible()
    tab.shot(artifacts, "listening-correction.png", "#analysis")
    assert Correction.objects.filter(mention_id=mention.pk, field="spam", after=label).exists()

    tab.open("/w/demo/listening/corrections/")
    expect(tab.page.locator(f"a[href$='/mentions/{mention.pk}/']")).to_be_visible()
    tab.shot(artifacts, "listening-corrections.png")
    assert tab.problems == []
