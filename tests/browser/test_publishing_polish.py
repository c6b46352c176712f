"""The publishing gaps closed by pub-polish, in a real browser (French pages, CSP on): the
workspace's time zone picked on the strategy page; a Mastodon instance's own limit in the
composer's counter; a file's description edited in place on the post's page; a failed post in
the bell, which leads to the post."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from playwright.sync_api import expect

from parvis.connectors import http, limits
from parvis.connectors.mastodon import MastodonConnector
from parvis.connectors.mastodon import publishing as toot_publishing
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account
from parvis.demo.publishing import DEMO_HANDLE
from parvis.publishing import engine, services
from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, log_in
from tests.connectors.fakes.mastodon import Fake as FakeMastodon
from tests.publishing.pubui_helpers import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_zone_limits_alt_text_and_the_bell(tab: Tab, artifacts, tmp_path):
    settings.DATA_DIR = tmp_path
    page = tab.page
    workspace = Workspace.objects.get(slug="demo")
    log_in(tab)

    # The workspace's clock, on the strategy page (htmx in place).
    tab.open("/w/demo/strategy/")
    page.click("#time-zone a.button")
    field = page.locator("#time-zone input[name=time_zone]")
    expect(field).to_have_attribute("list", "zone-names")
    field.fill("Mars/Olympus")
    page.click("#time-zone button[type=submit]")
    expect(page.locator("#time-zone .errorlist")).to_be_visible()
    tab.shot(artifacts, "polish-zone-refused.png", "#time-zone")
    page.locator("#time-zone input[name=time_zone]").fill("America/Montreal")
    page.click("#time-zone button[type=submit]")
    expect(page.locator("#time-zone-saved")).to_be_visible()
    expect(page.locator("#time-zone [data-field=time_zone]")).to_have_text("America/Montreal")
    tab.shot(artifacts, "polish-zone-saved.png", "#time-zone")
    workspace.refresh_from_db()
    assert workspace.time_zone == "America/Montreal"

    # A Mastodon instance that takes 1,000 characters: the counter says so.
    toot_publishing.forget_limits()
    instance = FakeMastodon()
    instance.max_characters = 1000
    spec = instance.account()
    mastodon = do_connect_account(
        workspace, None, network="mastodon", handle=spec["handle"], credentials=spec["credentials"]
    )
    limits.do_refresh_limits(mastodon, http=http.client(transport=instance.transport()))
    tab.open("/w/demo/publishing/new/")
    page.fill("#id_text", "Nos bougies " + "x" * 688)
    page.check(f"#accounts input[name=accounts][value='{mastodon.pk}']")
    counter = page.locator("#live-checks [data-network=mastodon] .counter")
    expect(counter).to_have_text("700 / 1000")
    expect(page.locator("#live-checks .limits-note")).to_be_visible()
    tab.shot(artifacts, "polish-counter-instance-limit.png", "#live-checks")

    # A file's description, edited in place after the upload.
    bluesky = ConnectedAccount.objects.get(workspace=workspace, handle=DEMO_HANDLE)
    post = services.do_create_post(workspace, None, "Atelier bougies", variants={bluesky.pk: ""})
    media = services.do_upload_media(workspace, None, png(40, 30), filename="atelier.png")
    services.do_attach_media(post, None, [media])
    tab.open(f"/w/demo/publishing/{post.pk}/")
    item = page.locator(f"#media-{media.pk}")
    item.locator("summary").click()
    item.locator("textarea").fill("x" * 2001)
    item.locator("button[type=submit]").click()
    expect(page.locator(f"#media-{media.pk} .errorlist")).to_contain_text("2")
    tab.shot(artifacts, "polish-alt-refused.png", f"#media-{media.pk}")
    page.locator(f"#media-{media.pk} textarea").fill("Six bougies ambrées sur un établi en chêne")
    page.locator(f"#media-{media.pk} button[type=submit]").click()
    expect(page.locator(f"#media-{media.pk} .alt-text")).to_have_text(
        "Six bougies ambrées sur un établi en chêne"
    )
    tab.shot(artifacts, "polish-alt-saved.png", f"#media-{media.pk}")
    media.refresh_from_db()
    assert media.alt_text == "Six bougies ambrées sur un établi en chêne"

    # The instance revokes the token: the post fails for good, the bell says what to do.
    services.do_save_approval_settings(workspace, None, flow="none")
    failing = services.do_create_post(workspace, None, "Bonjour", variants={mastodon.pk: ""})
    at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    services.do_schedule(failing, None, at)
    instance.broken = True

    def connector(account):
        return MastodonConnector.for_account(
            account, http=http.client(transport=instance.transport())
        )

    engine.publish_post(failing.pk, now=at, factory=connector)
    tab.open("/w/demo/alerts/")
    notice = page.locator("#notices li").first
    expect(notice).to_contain_text(spec["handle"])
    tab.shot(artifacts, "polish-bell.png", "#bell")
    notice.locator("button").click()
    page.wait_for_url(f"**/w/demo/publishing/{failing.pk}/")
    assert tab.problems == []
