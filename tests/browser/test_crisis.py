"""The crisis room in a real browser: a negative spike's alert in the bell, the episode, the
crisis started in one click, the playbook shown (contacts with « la direction », checklist,
holding statements), the contacts notified, a checklist item ticked, a statement used with
its variables filled in, a note, the crisis closed and its summary shown. Screenshots under
test-artifacts/browser-<database>/crisis-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from parvis.alerts import raising
from parvis.alerts.crisis.models import Crisis, CrisisNotice
from parvis.alerts.models import AlertRule, Episode
from parvis.demo.crisis import DEMO_RULE
from parvis.listening.models import MonitoredQuery
from parvis.workspaces.models import Workspace
from tests.alerts.helpers import add_mentions
from tests.browser.conftest import Tab, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def spike(workspace: Workspace) -> Episode:
    """A negative spike on the brand over the last half hour, with the demo rule's alert."""
    query = MonitoredQuery.objects.get(workspace=workspace, name="Maison Lumière")
    now = timezone.now().replace(second=0, microsecond=0)
    for minutes in range(60, 30, -5):
        add_mentions(
            workspace,
            now - dt.timedelta(minutes=minutes),
            1,
            query=query,
            text="Maison Lumière bougie parfum",
        )
    for minutes, n in ((28, 3), (25, 9), (22, 14), (18, 8), (12, 4)):
        add_mentions(
            workspace,
            now - dt.timedelta(minutes=minutes),
            n,
            negative=True,
            reach=3000,
            query=query,
            text="Maison Lumière Fig & Cedar mèche brûlée #boycottlumiere",
        )
    opened = now - dt.timedelta(minutes=26)
    episode = Episode.objects.create(
        workspace=workspace,
        kind="negative",
        query=query,
        query_name=query.name,
        severity="crisis",
        opened_at=opened,
        fired_at=opened,
        last_event_at=now,
        baseline=0.3,
        peak_value=14,
        peak_at=now - dt.timedelta(minutes=22),
    )
    rule = AlertRule.objects.get(workspace=workspace, name=DEMO_RULE)
    with transaction.atomic():
        raising.raise_alert(rule, episode, opened)
    return episode


def test_run_a_crisis_from_the_alert_to_the_summary(tab: Tab, artifacts):
    page = tab.page
    workspace = Workspace.objects.get(slug="demo")
    episode = spike(workspace)
    log_in(tab)

    tab.open("/w/demo/alerts/")
    page.click(f"a[href='/w/demo/alerts/episodes/{episode.pk}/']")
    page.wait_for_url(f"**/w/demo/alerts/episodes/{episode.pk}/")
    tab.shot(artifacts, "crisis-1-episode.png")
    page.click("#start-crisis")  # one click, from the episode
    page.wait_for_url(f"**/w/demo/alerts/episodes/{episode.pk}/crisis/")
    expect(page.locator("#crisis-contacts")).to_contain_text("Claire Martin")
    expect(page.locator("#crisis-checklist li")).to_have_count(5)
    expect(page.locator("#crisis-timeline polyline")).to_have_count(3)
    expect(page.locator("#new-words")).to_contain_text("#boycottlumiere")
    tab.shot(artifacts, "crisis-2-room.png")
    tab.shot(artifacts, "crisis-3-playbook.png", "#crisis-playbook")
    tab.shot(artifacts, "crisis-3-drivers.png", "#crisis-drivers")

    page.click("#notify-contacts")
    expect(page.locator("#crisis-notices tbody tr")).to_have_count(2)
    page.click("#notify-contacts")  # a second click tells nobody twice
    expect(page.locator("#crisis-notices tbody tr")).to_have_count(2)
    assert CrisisNotice.objects.filter(crisis__episode=episode).count() == 2

    faq = page.locator("#crisis-checklist li", has_text="FAQ")
    faq.locator("button.tick").click()
    expect(
        page.locator("#crisis-checklist li", has_text="FAQ").locator("button.tick")
    ).to_have_attribute("aria-pressed", "true")
    pause = page.locator("#crisis-checklist li").first
    pause.locator("button.tick").click()
    expect(page.locator("#publishing-paused")).to_be_visible()

    statement = page.locator(".statement", has_text="Attente").first
    statement.locator("input[name=channel]").fill("Bluesky")
    statement.locator("button.use-statement").click()
    used = page.locator("#statement-used textarea")
    expect(used).to_contain_text("L'équipe Maison Lumière examine la situation")
    expect(used).to_contain_text("sur Bluesky")
    expect(used).not_to_contain_text("{")
    tab.shot(artifacts, "crisis-4-statement.png", "#statement-used")

    page.fill("#note-text", "Appel avec l'atelier : lot Fig & Cedar en cause.")
    page.click("#note-form button[type=submit]")
    expect(page.locator("#crisis-log")).to_contain_text("lot Fig & Cedar en cause")
    tab.shot(artifacts, "crisis-5-log.png", "#crisis-log")

    page.fill("#closing-note", "Lot retiré, clients remboursés.")
    page.click("#close-crisis")
    expect(page.locator("#crisis-summary")).to_be_visible()
    expect(page.locator("#crisis-summary")).to_contain_text("Lot retiré, clients remboursés.")
    expect(page.locator("#publishing-paused")).to_have_count(0)
    expect(page.locator("#notify-contacts")).to_have_count(0)
    tab.shot(artifacts, "crisis-6-summary.png")
    tab.shot(artifacts, "crisis-7-summary-panel.png", "#crisis-summary")
    crisis = Crisis.objects.get(episode=episode)
    assert crisis.state == "closed" and crisis.summary["mentions"] == 35  # from the opening on
    assert crisis.summary["peak"]["volume"] == 14

    tab.open("/w/demo/alerts/playbook/")
    tab.shot(artifacts, "crisis-8-playbook-page.png")
    assert tab.problems == []


def test_the_demo_s_crisis_room_is_filled_in(tab: Tab, artifacts):
    """After the demo source's backlog: the bad buzz's episode, its alert, the crisis run."""
    from parvis.listening import runner
    from parvis.listening.models import Source

    workspace = Workspace.objects.get(slug="demo")
    runner.run_source(Source.objects.get(workspace=workspace, kind="demo").pk)
    episode = Episode.objects.get(workspace=workspace, rule__name=DEMO_RULE)
    log_in(tab)
    tab.open(f"/w/demo/alerts/episodes/{episode.pk}/crisis/")
    page = tab.page
    expect(page.locator("#crisis-summary")).to_be_visible()
    expect(page.locator("#crisis-log tr")).to_have_count(10)
    expect(page.locator("#crisis-contacts")).to_contain_text("la direction")
    tab.shot(artifacts, "crisis-demo-room.png")
    tab.shot(artifacts, "crisis-demo-drivers.png", "#crisis-drivers")
    tab.shot(artifacts, "crisis-demo-log.png", "#crisis-log")
    assert tab.problems == []
