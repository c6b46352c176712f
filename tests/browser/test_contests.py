"""A contest in a real browser: from a published post's page, create the contest, read its
commitment and the entries with their eligibility, draw once the entries have closed, see the
revealed seed and the check command; then the boost suggestions page. No CSP violation, no
script run from a reply."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.connectors.base import Incoming
from parvis.connectors.models import ConnectedAccount
from parvis.demo.publishing import DEMO_HANDLE
from parvis.listening import pipeline
from parvis.publishing.models import Contest, Status, Variant
from parvis.publishing.services import do_create_post
from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, log_in
from tests.listening.factories import mention

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POST = "at://did:plc:demo/app.bsky.feed.post/concours"


def published_post(workspace):
    account = ConnectedAccount.objects.get(workspace=workspace, handle=DEMO_HANDLE)
    post = do_create_post(workspace, None, "Concours de Noël ! Répondez avec #BougieDeNoel")
    Variant.objects.create(
        workspace=workspace,
        post=post,
        account=account,
        status=Status.PUBLISHED,
        external_id=POST,
        url="https://bsky.app/profile/demo/post/concours",
        published_at=timezone.now() - dt.timedelta(hours=3),
        likes=120,
        reposts=14,
        replies=30,
        views=1500,
    )
    type(post).objects.filter(pk=post.pk).update(status=Status.PUBLISHED)
    start = timezone.now() - dt.timedelta(hours=2)
    texts = [
        ("alice.bsky.social", "Je tente ma chance #BougieDeNoel"),
        ("bob.bsky.social", "<script>alert('x')</script> #BougieDeNoel"),
        ("carla.bsky.social", "Sans le hashtag, dommage"),
        ("alice.bsky.social", "Encore moi #BougieDeNoel"),
    ]
    items = [
        Incoming(
            data=mention(
                900 + i,
                external_id=f"at://did:plc:{handle.split('.')[0]}/app.bsky.feed.post/x{i}",
                author={"handle": handle, "name": handle},
                text=text,
                created_at=(start + dt.timedelta(minutes=i)).isoformat(),
                parent_id=POST,
            )
        )
        for i, (handle, text) in enumerate(texts)
    ]
    pipeline.run(workspace, items)
    return post


def test_contest_from_post_to_verified_draw(tab: Tab, artifacts):
    page = tab.page
    workspace = Workspace.objects.get(slug="demo")
    post = published_post(workspace)
    log_in(tab)
    tab.open(f"/w/demo/publishing/{post.pk}/")
    page.click("a.start-contest")
    page.fill("#id_name", "Bougie de Noël")
    page.fill("#id_required_hashtag", "#BougieDeNoel")
    page.fill("#id_reserves", "1")
    tab.shot(artifacts, "contest-new.png")
    page.click("#contest-form button[type=submit]")
    page.wait_for_url(re.compile(r"/contests/\d+/$"))
    contest = Contest.objects.get()
    expect(page.locator("#commitment")).to_have_text(contest.commitment)
    expect(page.locator("#contest-entries")).to_contain_text("Le hashtag")
    expect(page.locator("#contest-entries")).to_contain_text("<script>alert('x')</script>")
    tab.shot(artifacts, "contest-open.png")
    # The entries close; the draw button appears.
    Contest.objects.filter(pk=contest.pk).update(closes_at=timezone.now())
    page.reload()
    page.click("#draw-button")
    expect(page.locator("#contest-result")).to_be_visible()
    contest.refresh_from_db()
    expect(page.locator("#seed")).to_have_text(contest.seed)
    expect(page.locator("#verify-command")).to_contain_text("parvis contest-draw --verify")
    assert page.locator("#winners li").count() == 1
    tab.shot(artifacts, "contest-drawn.png")
    tab.open("/w/demo/publishing/contests/")
    tab.shot(artifacts, "contests.png")
    tab.open("/w/demo/publishing/boost/?budget=150")
    expect(page.locator("#no-ad-api")).to_be_visible()
    expect(page.locator("#boost-suggestions")).to_contain_text("EUR")
    tab.shot(artifacts, "boost.png")
    assert tab.problems == []
