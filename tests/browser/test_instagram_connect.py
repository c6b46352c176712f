"""Connecting an Instagram professional account in a real browser: the guided connect page
lists the permissions before leaving for Facebook, in French, with no console error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_connect_page_lists_the_permissions(tab: Tab, artifacts):
    log_in(tab)
    slug = Workspace.objects.order_by("pk").first().slug
    tab.open(f"/w/{slug}/accounts/connect/?network=instagram")
    body = tab.page.locator("main")
    for permission in (
        "instagram_basic",
        "instagram_manage_comments",
        "instagram_content_publish",
        "instagram_manage_insights",
        "pages_show_list",
        "pages_read_engagement",
    ):
        expect(body).to_contain_text(permission)
    tab.shot(artifacts, "instagram-connect.png")
    assert not tab.problems, tab.problems
