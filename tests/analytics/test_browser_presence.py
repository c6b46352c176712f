"""The presence page in a real browser: the demo's accounts with profiles that disagree and
a bought-followers night; no console error (CSP); screenshots kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.analytics.models import AccountSnapshot
from parvis.analytics.presence import store
from parvis.connectors.base import ProfileInfo
from parvis.connectors.services import do_connect_account
from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, artifacts, browser, log_in, tab  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seed() -> None:
    workspace = Workspace.objects.get(slug="demo")
    now = timezone.now()
    blue = do_connect_account(
        workspace, None, network="bluesky", handle="lumiere-audit.bsky.social",
        credentials={"app_password": "x"},
    )  # fmt: skip
    masto = do_connect_account(
        workspace, None, network="mastodon", handle="@lumiere@piaille.example",
        credentials={"access_token": "x"},
    )  # fmt: skip
    store(
        blue,
        ProfileInfo(
            name=workspace.name,
            bio=f"Bougies artisanales à Lyon. Soldes d'hiver {now.year - 1} ! https://lumiere.example",
            avatar="https://cdn.example/avatar.jpg",
            banner="",
            links=("https://lumiere.example",),
            pinned="https://bsky.app/profile/did:plc:x/post/3l6oveex3ii2l",
        ),
        now,
    )
    store(
        masto,
        ProfileInfo(
            name="Lumière officiel",
            bio="Bougies & déco <b>faites main</b>",
            avatar="",
            banner="https://files.example/header.png",
            links=("https://old-lumiere.example/promo",),
            pinned=None,
        ),
        now,
    )
    today = now.date()
    rows, count = [], 4_000
    for i in range(60):
        day = today - dt.timedelta(days=59 - i)
        count += 12 + (i % 4) + (2_000 if i == 52 else 0)
        rows.append(
            AccountSnapshot(workspace=workspace, account=masto, day=day, at=now, followers=count)
        )
    AccountSnapshot.objects.bulk_create(rows)


def test_the_presence_page(tab: Tab, artifacts):  # noqa: F811
    page = tab.page
    seed()
    log_in(tab)
    tab.open("/w/demo/")
    link = page.locator("a[href='/w/demo/reports/presence/']")
    expect(link).to_have_count(1, timeout=10_000)
    link.click()
    expect(page.locator("#presence-table")).to_be_visible()
    expect(page.locator("#presence-flags li")).not_to_have_count(0)
    expect(page.locator("#presence-jumps tbody tr")).to_have_count(1)
    tab.shot(artifacts, "presence.png")
    tab.shot(artifacts, "presence-table.png", "#presence-table")
    tab.shot(artifacts, "presence-jumps.png", "#presence-jumps")
    assert tab.problems == []
