"""Publishing in a real browser: compose a post for two networks, see each network's counter
and a brand-safety warning, override it with a reason, send for approval, approve as the
client, find the post scheduled in the calendar, drag it to another day, and see it published
(the engine run at its time, as the worker would, with a network that answers).

Counting and brand safety are the real modules: « #Iran » is flagged because listening stored,
just before, the mentions that make it the hashtag of an election and of deaths. The demo's
Bluesky account publishes to the demo network; the Mastodon account to the fake instance of the
connector tests (faked at the HTTP transport).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from parvis.connectors import http
from parvis.connectors.mastodon import MastodonConnector
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account
from parvis.demo.models import DemoSentPost
from parvis.demo.publishing import DEMO_HANDLE
from parvis.publishing import engine, services
from parvis.publishing.models import Post, Status
from parvis.workspaces.models import Workspace
from parvis.workspaces.roles import Role
from parvis.workspaces.services import do_add_member, do_create_user
from tests.browser.conftest import Tab, log_in
from tests.connectors.fakes.mastodon import Fake as FakeMastodon

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PARIS = ZoneInfo("Europe/Paris")
CLIENT_PASSWORD = "a long client password 2026"


@pytest.fixture
def brand_safety():
    """What listening saw today: « #Iran » in mentions of an election and of deaths."""
    from tests.publishing.safety_data import IRAN, store

    store(Workspace.objects.get(slug="demo"), IRAN)


def shot(tab: Tab, artifacts: Path, name: str, selector: str | None = None) -> None:
    tab.shot(artifacts, name, selector)


def test_compose_approve_and_plan(tab: Tab, artifacts, brand_safety):
    page = tab.page
    workspace = Workspace.objects.get(slug="demo")
    services.do_save_approval_settings(workspace, None, flow="one", step1_role=Role.CLIENT)
    # The demo's Bluesky account publishes to the demo network (parvis/demo/publishing.py).
    bluesky = ConnectedAccount.objects.get(workspace=workspace, handle=DEMO_HANDLE)
    instance = FakeMastodon()
    spec = instance.account()
    mastodon = do_connect_account(
        workspace,
        None,
        network="mastodon",
        handle=spec["handle"],
        credentials=spec["credentials"],
    )
    client_user = do_create_user("claire", CLIENT_PASSWORD, email="claire@client.test")
    do_add_member(workspace, client_user, Role.CLIENT)
    day = dt.datetime.now(PARIS).date() + dt.timedelta(days=3)

    log_in(tab)
    page.click("nav a[href='/w/demo/publishing/']")
    page.wait_for_url("**/w/demo/publishing/")
    page.click("#new-post")
    page.fill("#id_text", "Nos bougies de Noël arrivent en boutique ! #Iran")
    page.check(f"#accounts input[name=accounts][value='{bluesky.pk}']")
    page.check(f"#accounts input[name=accounts][value='{mastodon.pk}']")
    page.fill("#id_day", day.isoformat())
    page.fill("#id_time", "10:00")
    # Mastodon gets its own version, started from the post's text.
    page.click(f"#accounts .account-row:has(input[value='{mastodon.pk}']) summary")
    page.check(f"input[name=own_{mastodon.pk}]")
    own = page.locator(f"textarea[name=variant_{mastodon.pk}]")
    expect(own).to_have_value("Nos bougies de Noël arrivent en boutique ! #Iran")
    own.fill("Nos bougies de Noël arrivent en boutique ! #Iran #bougies #artisanat")
    live = page.locator("#live-checks")
    expect(live.locator("[data-network=mastodon] .preview-text")).to_contain_text("#artisanat")
    expect(live.locator("[data-network=bluesky] .counter")).to_contain_text("/ 300")
    expect(live.locator("[data-network=mastodon] .counter")).to_contain_text("/ 500")
    expect(live.locator("#live-findings")).to_contain_text("élection")
    shot(tab, artifacts, "publishing-composer.png")

    page.click("button[name=action][value=save]")
    page.wait_for_url(re.compile(r"/w/demo/publishing/\d+/edit/$"))
    # The demo's own plan is in the calendar too: this post is the one the page edits.
    post = Post.objects.get(pk=int(re.search(r"/publishing/(\d+)/edit/", page.url)[1]))
    assert post.workspace_id == workspace.pk
    expect(page.locator("#override-form")).to_be_visible()
    shot(tab, artifacts, "publishing-composer-warning.png", "#post-checks")
    page.fill(
        "#override-form textarea[name=reason]", "Validé avec la cliente : pas d'autre mot-clé."
    )
    page.click("#override-form button[type=submit]")
    page.wait_for_url(f"**/w/demo/publishing/{post.pk}/edit/")
    expect(page.locator("#override-form")).to_have_count(0)
    page.click("#send-for-approval")
    page.wait_for_url(f"**/w/demo/publishing/{post.pk}/")
    expect(page.locator("#post-status")).to_have_attribute("data-status", "awaiting_approval")
    expect(page.locator("#post-log")).to_contain_text("pas d'autre mot-clé")
    shot(tab, artifacts, "publishing-post-awaiting.png")

    # The client signs in and approves.
    page.click("form[action='/logout/'] button")
    tab.open("/login/")
    page.fill("#id_username", "claire")
    page.fill("#id_password", CLIENT_PASSWORD)
    page.click("form[action$='/login/'] button[type=submit]")
    page.wait_for_load_state()
    tab.open(f"/w/demo/publishing/{post.pk}/")
    page.fill("#decide-form textarea[name=comment]", "Parfait, merci !")
    page.click("#approve")
    page.wait_for_url(f"**/w/demo/publishing/{post.pk}/")
    expect(page.locator("#post-status")).to_have_attribute("data-status", "scheduled")
    expect(page.locator("#approval-panel")).to_contain_text("Parfait, merci !")
    shot(tab, artifacts, "publishing-post-approved.png")

    # Back as the community manager: the post is in the calendar, on its day, and moves.
    page.click("form[action='/logout/'] button")
    log_in(tab)
    tab.open(f"/w/demo/publishing/?month={day:%Y-%m}")
    chip = page.locator(f"[data-date='{day.isoformat()}'] .post-chip[data-post='{post.pk}']")
    expect(chip).to_have_attribute("data-status", "scheduled")
    expect(chip).to_contain_text("10:00")
    # The whole month fits the window's width: no header pushes Saturday out of sight.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(tab, artifacts, "publishing-calendar-month.png")
    target = day + dt.timedelta(days=1 if day.day < 28 else -1)
    chip.drag_to(page.locator(f".cal-day[data-date='{target.isoformat()}']"))
    page.wait_for_load_state()
    moved = page.locator(f"[data-date='{target.isoformat()}'] .post-chip[data-post='{post.pk}']")
    expect(moved).to_be_visible()
    post.refresh_from_db()
    assert post.scheduled_at.astimezone(PARIS).date() == target
    assert post.scheduled_at.astimezone(PARIS).time() == dt.time(10, 0)
    assert post.status == Status.SCHEDULED

    tab.open(f"/w/demo/publishing/?view=week&week={target:%G-W%V}")
    expect(page.locator(f".post-chip[data-post='{post.pk}']")).to_be_visible()
    shot(tab, artifacts, "publishing-calendar-week.png")
    tab.open(f"/w/demo/publishing/?view=list&from={day.isoformat()}")
    shot(tab, artifacts, "publishing-calendar-list.png")

    # Its time comes: the engine publishes it on both accounts, once: the demo network and
    # the Mastodon instance (its HTTP faked at the transport, as in the connector tests).
    def connector(account):
        if account.pk == mastodon.pk:
            return MastodonConnector.for_account(
                account, http=http.client(transport=instance.transport())
            )
        return engine.connector_for(account)

    later = post.scheduled_at + dt.timedelta(seconds=30)
    engine.publish_post(post.pk, now=later, factory=connector)
    engine.publish_post(post.pk, now=later + dt.timedelta(minutes=5), factory=connector)
    assert len(instance.sent) == 1 and "artisanat" in instance.sent[0]["content"]
    assert (
        DemoSentPost.objects.filter(text="Nos bougies de Noël arrivent en boutique ! #Iran").count()
        == 1
    )
    tab.open(f"/w/demo/publishing/{post.pk}/")
    expect(page.locator("#post-status")).to_have_attribute("data-status", "published")
    # The Mastodon status has its address; the demo network's posts have none to link to.
    expect(page.locator("a.published-link")).to_have_count(1)
    expect(page.locator("a.published-link")).to_have_attribute(
        "href", re.compile(r"^https://mastodon\.example/@parvis/\d+$")
    )
    shot(tab, artifacts, "publishing-post-published.png")
    tab.open(f"/w/demo/publishing/?month={target:%Y-%m}")
    expect(
        page.locator(f"[data-date='{target.isoformat()}'] .post-chip[data-post='{post.pk}']")
    ).to_have_attribute("data-status", "published")

    tab.open("/publishing/")
    expect(page.locator(f".post-chip[data-post='{post.pk}'] .client")).to_have_text(
        "Maison Lumière"
    )
    shot(tab, artifacts, "publishing-agency.png")
    tab.open("/w/demo/publishing/settings/")
    expect(page.locator("#approval-settings input[value=one]")).to_be_checked()
    shot(tab, artifacts, "publishing-settings.png")
    assert tab.problems == []


def test_approval_link_without_an_account(tab: Tab, artifacts):
    """The client opens the e-mailed link (no login), asks for changes; the link is then used."""
    from parvis.publishing import approvals

    page = tab.page
    workspace = Workspace.objects.get(slug="demo")
    services.do_save_approval_settings(workspace, None, flow="one", step1_role=Role.CLIENT)
    account = ConnectedAccount.objects.get(workspace=workspace, handle=DEMO_HANDLE)
    when = dt.datetime.now(PARIS).replace(hour=9, minute=30, second=0, microsecond=0)
    post = services.do_create_post(
        workspace,
        None,
        "Atelier bougies samedi : il reste 4 places !",
        variants={account.pk: ""},
        scheduled_at=when + dt.timedelta(days=5),
    )
    approvals.do_submit_for_approval(post, None)
    _link, token = approvals.do_create_link(post, None, "claire@client.test")

    tab.open(f"/approve/{token}/")
    expect(page.locator("main")).to_contain_text("il reste 4 places")
    shot(tab, artifacts, "publishing-approval-link.png")
    page.fill("#link-decide-form textarea[name=comment]", "Dites plutôt « 4 places ».")
    page.click("#request-changes")
    expect(page.locator("#link-done")).to_be_visible()
    post.refresh_from_db()
    assert post.status == Status.CHANGES_REQUESTED
    tab.open(f"/approve/{token}/")
    expect(page.locator("#link-problem")).to_be_visible()
    shot(tab, artifacts, "publishing-approval-link-used.png")
    # The used link answers 410 Gone, which the console reports; nothing else went wrong.
    assert [p for p in tab.problems if "410 (Gone)" not in p] == []


def test_failed_publication_says_what_to_do(tab: Tab, artifacts):
    from parvis.publishing.models import Variant

    page = tab.page
    workspace = Workspace.objects.get(slug="demo")
    # A workspace without approval (the demo's asks its client's): the retry publishes at once.
    services.do_save_approval_settings(workspace, None, flow="none")
    account = ConnectedAccount.objects.get(workspace=workspace, handle=DEMO_HANDLE)
    post = services.do_create_post(
        workspace,
        None,
        "Soldes d'hiver : -30 % sur les bougies parfumées.",
        variants={account.pk: ""},
        scheduled_at=dt.datetime.now(PARIS) - dt.timedelta(hours=1),
    )
    Post.objects.filter(pk=post.pk).update(status=Status.FAILED)
    Variant.objects.filter(post=post).update(
        status=Status.FAILED,
        attempts=5,
        last_error="401 Unauthorized: the app password was revoked.",
        what_to_do="Reconnectez le compte Bluesky (mot de passe d'application), puis réessayez.",
    )
    log_in(tab)
    tab.open(f"/w/demo/publishing/{post.pk}/")
    expect(page.locator(".failure")).to_contain_text("Reconnectez le compte Bluesky")
    shot(tab, artifacts, "publishing-post-failed.png")
    page.click(".failure button[type=submit]")
    page.wait_for_url(f"**/w/demo/publishing/{post.pk}/")
    expect(page.locator(".failure")).to_have_count(0)
    assert tab.problems == []
