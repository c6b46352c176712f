"""A LinkedIn page in a real browser: the guided connect page lists the permissions before
leaving for LinkedIn, and the accounts page says when a sign-in must be renewed; in French,
with no console error."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.connectors.services import do_connect_account
from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_connect_page_and_the_expiry_on_the_accounts_page(tab: Tab, artifacts):
    log_in(tab)
    workspace = Workspace.objects.order_by("pk").first()
    tab.open(f"/w/{workspace.slug}/accounts/connect/?network=linkedin")
    body = tab.page.locator("main")
    for permission in (
        "r_organization_social",
        "w_organization_social",
        "rw_organization_admin",
        "r_organization_admin",
    ):
        expect(body).to_contain_text(permission)
    tab.shot(artifacts, "linkedin-connect.png")
    ends = timezone.now() + dt.timedelta(days=3)
    do_connect_account(
        workspace,
        None,
        network="linkedin",
        handle="urn:li:organization:2414183",
        display_name="Maison Lumière",
        credentials={
            "access_token": "a",
            "expires_at": ends.isoformat(),
            "refresh_token": "r",
            "refresh_expires_at": ends.isoformat(),
        },
    )
    tab.open(f"/w/{workspace.slug}/accounts/")
    expect(tab.page.locator("[data-expiry=soon]")).to_be_visible()
    tab.shot(artifacts, "linkedin-accounts-expiry.png", "#accounts")
    assert not tab.problems, tab.problems


def test_the_composer_shows_the_instagram_quota_left(tab: Tab, artifacts):
    log_in(tab)
    workspace = Workspace.objects.order_by("pk").first()
    now = timezone.now()
    instagram = do_connect_account(
        workspace,
        None,
        network="instagram",
        handle="17841400000000001",
        display_name="maisonlumiere",
        credentials={"page_access_token": "t", "ig_user_id": "17841400000000001"},
    )
    copy = {
        "posts_left": 63,
        "posts_per_window": 100,
        "window_seconds": 86400,
        "read_at": now.isoformat(),
        "asked_at": now.isoformat(),
    }
    type(instagram).objects.filter(pk=instagram.pk).update(publish_limits={"quota": copy})
    tab.open(f"/w/{workspace.slug}/publishing/new/")
    tab.page.fill("#id_text", "Nos bougies de Noël arrivent en boutique !")
    tab.page.check(f"#accounts input[name=accounts][value='{instagram.pk}']")
    note = tab.page.locator("#live-checks [data-network=instagram] [data-quota]")
    expect(note).to_contain_text("63")
    tab.shot(artifacts, "composer-instagram-quota.png", "#live-checks")
    assert not tab.problems, tab.problems
