"""The listening explorer in a real browser: open Écoute, filter by sentiment (htmx), search a
word, open a mention, see a hostile mention as text, the overview chart and the live preview.

Selectors use ids, data- attributes and URLs only, never labels (the UI is French by default).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parvis.listening.ingest import ingest_lines
from parvis.listening.models import Mention
from parvis.workspaces.models import Workspace
from tests.browser.conftest import Tab, log_in
from tests.listening.factories import lines

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE_NAME = "<img src=x onerror=alert('nom')>"
HOSTILE_TEXT = "<script>alert('texte')</script><b>gras</b> Maison Lumière"

TEXTS = [
    ("positive", "bluesky", "Les bougies Maison Lumière sentent divinement bon, merci ! #bougies"),
    ("negative", "mastodon", "Maison Lumière : colis arrivé cassé, service client muet #SAV"),
    ("neutral", "rss", "Maison Lumière ouvre une boutique rue des Archives à Paris"),
    ("positive", "reddit", "Cadeau parfait : le coffret Maison Lumière, emballage soigné"),
    ("negative", "bluesky", "Livraison en retard de dix jours chez Maison Lumière, très déçue"),
    ("neutral", "mastodon", "Quelqu'un connaît la cire de colza de Maison Lumière ?"),
    ("positive", "youtube", "Test des bougies végétales Maison Lumière : tenue excellente"),
]


def seed_mentions(workspace: Workspace) -> dict[str, Mention]:
    now = timezone.now()
    items = []
    for n, (sentiment, network, text) in enumerate(TEXTS * 3):
        items.append(
            {
                "network": network,
                "external_id": f"browser-{n}",
                "url": f"https://example.test/{n}",
                "author": {
                    "handle": f"lecteur{n % 5}.example",
                    "name": f"Lectrice {n % 5}",
                    "followers": 120 * (n + 1),
                },
                "title": "Nouvelle boutique" if network == "rss" else "",
                "text": f"{text} ({n})",
                "created_at": (now - dt.timedelta(hours=7 * n)).isoformat(),
                "lang": "fr",
                "metrics": {"likes": n % 9, "reposts": n % 4, "replies": n % 3},
                "_sentiment": sentiment,
            }
        )
    items.append(
        {
            "network": "bluesky",
            "external_id": "browser-hostile",
            "url": "javascript:alert('url')",
            "author": {"handle": "troll.example", "name": HOSTILE_NAME, "followers": 3},
            "text": HOSTILE_TEXT,
            "created_at": (now - dt.timedelta(minutes=5)).isoformat(),
            "lang": "fr",
            "_sentiment": "negative",
        }
    )
    ingest_lines(workspace, lines(items))
    # The analysis model decides the sentiment; the test decides it here to know what to expect.
    for data in items:
        Mention.objects.filter(workspace=workspace, external_id=data["external_id"]).update(
            sentiment=data["_sentiment"]
        )
    return {m.external_id: m for m in Mention.objects.filter(workspace=workspace)}


def result_ids(tab: Tab) -> list[int]:
    return [
        int(x)
        for x in tab.page.locator("#results article.mention").evaluate_all(
            "nodes => nodes.map(n => n.dataset.mention)"
        )
    ]


def test_explore_filter_search_and_open_a_mention(tab, artifacts):
    workspace = Workspace.objects.get(slug="demo")
    mentions = seed_mentions(workspace)
    page = tab.page
    log_in(tab)

    page.click("nav.sidebar a[href='/w/demo/listening/']")
    page.wait_for_url("**/w/demo/listening/")
    expect(page.locator("nav.sidebar a[href='/w/demo/listening/']")).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.locator("#results article.mention")).to_have_count(22)
    tab.shot(artifacts, "listening-explorer.png")

    # Filter by sentiment: htmx swaps the results and pushes the URL.
    page.select_option("#id_sentiment", "negative")
    page.wait_for_url(re.compile(r"sentiment=negative"))
    negatives = {m.pk for m in mentions.values() if m.sentiment == "negative"}
    expect(page.locator("#results article.mention")).to_have_count(len(negatives))
    assert set(result_ids(tab)) == negatives

    # Full-text search, accents ignored: "decue" finds "déçue".
    page.fill("#id_q", "decue")
    page.press("#id_q", "Enter")
    page.wait_for_url(re.compile(r"q=decue"))
    expected = {m.pk for m in mentions.values() if "déçue" in m.text}
    expect(page.locator("#results article.mention")).to_have_count(len(expected))
    assert set(result_ids(tab)) == expected
    tab.shot(artifacts, "listening-filtered.png")

    # The page works from its URL too (reload = no JavaScript state).
    page.reload()
    assert set(result_ids(tab)) == expected

    first = result_ids(tab)[0]
    page.click(f"#results article[data-mention='{first}'] a.details-link")
    page.wait_for_url(f"**/w/demo/listening/mentions/{first}/")
    expect(page.locator("#author-card")).to_be_visible()
    expect(page.locator("#thread .thread-item.current .mention-text")).to_contain_text("déçue")
    tab.shot(artifacts, "listening-mention.png")
    assert tab.problems == []


def test_hostile_mention_renders_as_text(tab, artifacts):
    mentions = seed_mentions(Workspace.objects.get(slug="demo"))
    hostile = mentions["browser-hostile"]
    log_in(tab)

    tab.open("/w/demo/listening/")
    card = tab.page.locator(f"#results article[data-mention='{hostile.pk}']")
    expect(card.locator(".author-name")).to_have_text(HOSTILE_NAME)
    expect(card.locator(".mention-text")).to_have_text(HOSTILE_TEXT)
    assert card.locator("script, img, b").count() == 0

    tab.open(f"/w/demo/listening/mentions/{hostile.pk}/")
    expect(tab.page.locator("#thread .thread-item.current .mention-text")).to_have_text(
        HOSTILE_TEXT
    )
    expect(tab.page.locator("#author-card .author-title strong")).to_have_text(HOSTILE_NAME)
    assert tab.page.locator("main script, main img, main b").count() == 0
    assert tab.page.locator("a[href^='javascript:']").count() == 0
    tab.shot(artifacts, "listening-hostile.png")
    assert tab.problems == []


def test_overview_and_live_query_preview(tab, artifacts):
    seed_mentions(Workspace.objects.get(slug="demo"))
    page = tab.page
    log_in(tab)

    tab.open("/w/demo/listening/overview/")
    expect(page.locator("svg.chart rect.positive").first).to_be_visible()
    tab.shot(artifacts, "listening-overview.png")
    page.locator("#top-words").scroll_into_view_if_needed()
    tab.shot(artifacts, "listening-overview-lists.png")

    tab.open("/w/demo/listening/queries/new/")
    page.fill("#id_expression", "colis OR livraison")
    expect(page.locator("#preview-summary")).to_be_visible()
    expect(page.locator("#preview mark").first).to_be_visible()
    page.fill("#id_expression", "bougie AND (cire")
    expect(page.locator("#preview-error")).to_contain_text("12")
    page.fill("#id_expression", "livraison OR colis")
    expect(page.locator("#preview-summary")).to_be_visible()
    tab.shot(artifacts, "listening-query-preview.png")

    tab.open("/w/demo/listening/queries/")
    expect(page.locator("#queries tbody tr").first).to_be_visible()
    tab.shot(artifacts, "listening-queries.png")

    tab.open("/w/demo/listening/sources/")
    expect(page.locator("#sources")).to_be_visible()
    tab.shot(artifacts, "listening-sources.png")

    ingest_lines(
        Workspace.objects.get(slug="demo"),
        ['{"network": "bluesky", "text": "<b>sans identifiant</b>"}\n', "{pas du json\n"],
        origin="import.jsonl",
    )
    page.click("#quarantine-link")
    page.wait_for_url("**/w/demo/listening/quarantine/")
    expect(page.locator("article.quarantined")).to_have_count(2)
    page.locator("article.quarantined details summary").first.click()
    expect(page.locator("article.quarantined pre.raw").first).to_have_text("{pas du json")
    tab.shot(artifacts, "listening-quarantine.png")
    assert tab.problems == []


def test_a_morning_period_sentiment_search_and_a_day_of_the_chart(tab, artifacts):
    """Today's mentions, then the negative ones, a search with OR, and a bar of the overview's
    chart opening the mentions of its day."""
    workspace = Workspace.objects.get(slug="demo")
    mentions = seed_mentions(workspace)
    page = tab.page
    log_in(tab)
    today = timezone.localdate()

    def on(day: dt.date) -> set[int]:
        return {m.pk for m in mentions.values() if timezone.localdate(m.published_at) == day}

    tab.open("/w/demo/listening/")
    page.select_option("#id_period", "today")
    page.wait_for_url(re.compile(r"period=today"))
    expect(page.locator("#results article.mention")).to_have_count(len(on(today)))
    assert set(result_ids(tab)) == on(today)

    page.select_option("#id_period", "7d")
    page.wait_for_url(re.compile(r"period=7d"))
    page.select_option("#id_sentiment", "negative")
    page.wait_for_url(re.compile(r"sentiment=negative"))
    negatives = {m.pk for m in mentions.values() if m.sentiment == "negative"}
    expect(page.locator("#results article.mention")).to_have_count(len(negatives))
    assert set(result_ids(tab)) == negatives

    page.select_option("#id_sentiment", "")
    page.fill("#id_q", "colis OR retard")
    page.press("#id_q", "Enter")
    page.wait_for_url(re.compile(r"q=colis(%20|\+)OR(%20|\+)retard"))
    found = {m.pk for m in mentions.values() if "colis" in m.text or "retard" in m.text}
    expect(page.locator("#results article.mention")).to_have_count(len(found))
    assert set(result_ids(tab)) == found
    tab.shot(artifacts, "listening-morning.png")

    tab.open("/w/demo/listening/overview/")
    day = max(d for d in {timezone.localdate(m.published_at) for m in mentions.values()})
    day = day - dt.timedelta(days=1)  # a full day of the seeded mentions
    page.click(f"svg.chart a.bar[data-day='{day.isoformat()}']")
    page.wait_for_url(re.compile(rf"since={day.isoformat()}&until={day.isoformat()}"))
    expect(page.locator("#results article.mention")).to_have_count(len(on(day)))
    assert set(result_ids(tab)) == on(day)
    tab.shot(artifacts, "listening-chart-day.png")
    assert tab.problems == []
