"""Listening pages: explorer, detail, overview, queries with preview, sources, quarantine, saved
views; escaping of hostile text, roles, and query counts that do not grow with the data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parvis.listening.ingest import ingest_lines
from parvis.listening.models import Mention, MonitoredQuery, QuarantinedItem, SavedView, Source
from parvis.workspaces.models import NetworkChoice
from parvis.workspaces.roles import Role
from parvis.workspaces.strategy import do_update_strategy
from tests.conftest import login
from tests.listening.factories import lines, mention
from tests.listening.test_explorer import (
    HOSTILE_NAME,
    HOSTILE_TEXT,
    HOSTILE_TITLE,
    author,
    build_corpus,
    item,
)

pytestmark = pytest.mark.django_db

BASE = "/w/lumiere/listening/"


@pytest.fixture
def corpus(workspace):
    return build_corpus(workspace)


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def section(page: str, ident: str) -> str:
    """The HTML of the section with id `ident` (sections are not nested on these pages)."""
    start = page.index(f'id="{ident}"')
    return page[start : page.index("</section>", start)]


def shown_ids(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<article class="mention" data-mention="(\d+)"', page)]


# --- explorer -----------------------------------------------------------------------------------


def test_listening_is_in_the_navigation(owner_client, workspace):
    page = html(owner_client.get("/w/lumiere/"))
    assert f'href="{BASE}"' in page
    page = html(owner_client.get(BASE))
    assert f'<a href="{BASE}" aria-current="page">Écoute' in page


def test_explorer_lists_group_heads_with_a_count_badge(owner_client, corpus):
    page = html(owner_client.get(BASE))
    assert shown_ids(page) == [corpus[k].pk for k in ["g", "f", "e1", "d", "c", "b", "a"]]
    assert (
        page.count('class="pill group"') == 1 and ">\u00d73</span>" in page
    )  # the multiplication sign
    # 9 mentions, the campaign's 3 copies on one line
    assert "9 mentions" in page and "7 textes distincts, copies sur une ligne" in page


def test_explorer_filters_and_search(owner_client, corpus):
    page = html(owner_client.get(BASE, {"sentiment": "negative"}))
    assert shown_ids(page) == [corpus["f"].pk, corpus["b"].pk]
    page = html(owner_client.get(BASE, {"q": "société"}))
    assert shown_ids(page) == [corpus["c"].pk]
    page = html(owner_client.get(BASE, {"sort": "reach", "network": "bluesky"}))
    assert shown_ids(page)[:2] == [corpus["a"].pk, corpus["g"].pk]


def test_bad_filters_are_explained_not_a_500(owner_client, corpus):
    page = html(
        owner_client.get(BASE, {"since": "2026-02-31", "min_reach": "-1", "network": "mastodon"})
    )
    assert 'id="filter-errors"' in page
    assert "Du</strong>" in page and "Portée minimale</strong>" in page
    assert shown_ids(page) == [corpus["b"].pk]  # the valid filter still applies


def test_htmx_gets_only_the_results(owner_client, corpus):
    response = owner_client.get(BASE, {"network": "rss"}, HTTP_HX_REQUEST="true")
    page = html(response)
    assert page.startswith('<section id="results"') and "<html" not in page
    assert shown_ids(page) == [corpus["c"].pk]
    assert "HX-Request" in response["Vary"]
    # Back in history without htmx's cache: the whole page.
    restore = owner_client.get(
        BASE, {"network": "rss"}, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in html(restore)


def test_pages_follow_with_a_cursor(owner_client, corpus, monkeypatch):
    from parvis.listening import explorer

    monkeypatch.setattr(explorer, "PAGE_SIZE", 3)
    page = html(owner_client.get(BASE, {"network": "bluesky"}))
    first = shown_ids(page)
    next_link = re.search(r'id="next-page" href="\?([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "network=bluesky" in next_link
    second = shown_ids(html(owner_client.get(f"{BASE}?{next_link}")))
    assert len(first) == 3 and not set(first) & set(second)
    assert len(first + second) == 5


def test_hostile_text_is_escaped_everywhere(owner_client, corpus):
    hostile = corpus["f"]
    pages = [
        html(owner_client.get(BASE)),
        html(owner_client.get(f"{BASE}mentions/{hostile.pk}/")),
        html(owner_client.get(f"{BASE}overview/", {"since": "2026-11-01", "until": "2026-11-07"})),
    ]
    for page in pages:
        for raw in (HOSTILE_TEXT, HOSTILE_NAME, HOSTILE_TITLE, "<script>alert", "<img src=x"):
            assert raw not in page
    assert "&lt;script&gt;alert(&quot;text&quot;)&lt;/script&gt;" in pages[0]
    assert "&lt;img src=x onerror=alert(&#x27;name&#x27;)&gt;" in pages[1]
    assert "&lt;b&gt;titre&lt;/b&gt;" in pages[1]


def test_javascript_links_from_a_source_are_not_links(owner_client, workspace):
    ingest_lines(
        workspace,
        lines(
            [
                item(
                    "js",
                    "texte",
                    1,
                    url="javascript:alert(1)",
                    author={"handle": "x.test", "url": "javascript:alert(2)"},
                )
            ]
        ),
    )
    from parvis.listening.models import Mention

    page = html(owner_client.get(f"{BASE}mentions/{Mention.objects.get().pk}/"))
    assert "javascript:" not in page


def test_mention_detail_shows_thread_author_and_analysis(owner_client, corpus):
    from parvis.listening.models import Author, Mention

    Author.objects.filter(pk=corpus["g"].author_id).update(sentiment_sum=1.6, sentiment_count=2)
    Mention.objects.filter(pk=corpus["g"].pk).update(
        toxicity=0.42,
        toxicity_categories={"insult": 0.4, "threat": 0.01},
        analysis_why={"toxicity": ["nul", "arnaque"]},
    )
    page = html(owner_client.get(f"{BASE}mentions/{corpus['g'].pk}/"))
    thread = section(page, "thread")
    assert thread.index("J&#x27;adore les bougies") < thread.index("Merci Alice")  # parent first
    card = section(page, "author-card")
    assert "Maison Lumière" in card and "lumiere.bsky.social" in card
    assert "3\u00a0k" in card  # followers, compact and French
    assert "+0,80" in card  # average sentiment, French decimals
    analysis = section(page, "analysis")
    assert "42&nbsp;%" in analysis and "insulte 40" in analysis and "menace" not in analysis
    assert "arnaque" in analysis
    facts = section(page, "facts")
    assert "Maison Lumière" in facts  # matched query

    page = html(owner_client.get(f"{BASE}mentions/{corpus['a'].pk}/"))
    assert "1 réponse" in page and "Merci Alice" in page
    page = html(owner_client.get(f"{BASE}mentions/{corpus['e1'].pk}/"))
    assert 'id="copies"' in page and "fan2.bsky.social" in page


def test_mention_of_another_workspace_is_404(owner_client, other_workspace):
    ingest_lines(other_workspace, lines([mention(1)]))
    from parvis.listening.models import Mention

    foreign = Mention.objects.get(workspace=other_workspace)
    assert owner_client.get(f"{BASE}mentions/{foreign.pk}/").status_code == 404
    assert owner_client.get(f"{BASE}mentions/99999999999999999999/").status_code == 404


def test_csv_export_from_the_page(owner_client, corpus):
    response = owner_client.get(f"{BASE}export.csv", {"network": "rss", "since": "nonsense"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    assert body.count("\n") == 2 and "lemonde.example" in body


# --- overview -----------------------------------------------------------------------------------


def test_overview_page(owner_client, corpus):
    page = html(
        owner_client.get(f"{BASE}overview/", {"since": "2026-11-01", "until": "2026-11-07"})
    )
    assert 'id="total">9<' in page
    assert page.count("<rect class=") >= 6  # the chart's segments, server-side SVG
    sov = section(page, "share-of-voice")
    assert "Maison Lumière" in sov and "89&nbsp;%" in sov and 'width="88.9"' in sov
    authors = section(page, "top-authors")
    assert ">Alice</a>" in authors and "alice.bsky.social · Bluesky" in authors
    assert "?author=alice.bsky.social" in authors and "50\u00a0k" in authors
    assert "#bougies" in page and "lemonde.example" in section(page, "top-sites")
    assert "style=" not in page and "<script>" not in page


def test_chart_bars_open_their_day_and_a_bad_day_stands_out(owner_client, workspace, corpus):
    bad = [
        item(f"bad{n}", f"Arnaque, colis jamais reçu numéro {n}", 6, author=author(f"u{n}.t", 1))
        for n in range(6)
    ]
    ingest_lines(workspace, lines(bad))
    Mention.objects.filter(external_id__startswith="ext-bad").update(sentiment="negative")
    page = html(
        owner_client.get(f"{BASE}overview/", {"since": "2026-11-01", "until": "2026-11-07"})
    )
    link = f'href="{BASE}?since=2026-11-03&amp;until=2026-11-03"'
    assert link in page  # each bar opens the mentions of its day
    assert page.count('class="bar alert"') == 1 and 'data-day="2026-11-06"' in page
    bar = page[page.index('class="bar alert"') :]
    assert "6 mentions, 6 négatives" in bar[: bar.index("</a>")]
    listed = html(owner_client.get(f"{BASE}?since=2026-11-03&until=2026-11-03"))
    assert shown_ids(listed) == [corpus["d"].pk, corpus["c"].pk]


def test_a_new_own_account_changes_the_cached_overview(owner_client, workspace, corpus):
    period = {"since": "2026-11-01", "until": "2026-11-07"}
    page = html(owner_client.get(f"{BASE}overview/", period))
    assert "lumiere.bsky.social" in section(page, "top-authors")
    NetworkChoice.objects.create(
        workspace=workspace, network="bluesky", handle="lumiere.bsky.social"
    )
    page = html(owner_client.get(f"{BASE}overview/", period))
    assert 'id="own-posts"' in page and 'id="total">8<' in page


def test_overview_offers_the_usual_periods(owner_client, corpus, monkeypatch):
    from parvis.listening import explorer

    monkeypatch.setattr(explorer.timezone, "localdate", lambda: dt.date(2026, 11, 20))
    page = section(html(owner_client.get(f"{BASE}overview/")), "period")
    assert 'href="?since=2026-11-14&amp;until=2026-11-20"' in page  # 7 days
    assert 'href="?since=2026-11-01&amp;until=2026-11-20"' in page  # this month
    # The default period is the last 30 days: that link is the current one.
    assert page.count("aria-current") == 1
    assert 'href="?since=2026-10-22&amp;until=2026-11-20" aria-current' in page
    page = html(owner_client.get(f"{BASE}overview/", {"since": "2026-11-02"}))
    assert section(page, "period").count("aria-current") == 0


def test_own_accounts_on_the_pages(owner_client, workspace, corpus):
    NetworkChoice.objects.create(
        workspace=workspace, network="bluesky", handle="lumiere.bsky.social"
    )
    page = html(owner_client.get(BASE))
    assert corpus["g"].pk not in shown_ids(page)
    page = html(owner_client.get(BASE, {"own": "all"}))
    assert corpus["g"].pk in shown_ids(page) and page.count('class="pill own"') == 1
    page = html(
        owner_client.get(f"{BASE}overview/", {"since": "2026-11-01", "until": "2026-11-07"})
    )
    assert "lumiere.bsky.social" not in section(page, "top-authors").split('id="own-posts"')[0]
    assert "1 publication de nos propres comptes" in page and "?own=only&amp;since=" in page


def test_counts_and_times_in_english(owner_client, workspace, corpus):
    many = [item(f"m{n}", "Bougie", 7, author=author(f"m{n}.t", 1)) for n in range(1200)]
    ingest_lines(workspace, lines(many))
    owner_client.cookies["django_language"] = "en"
    page = html(owner_client.get(BASE))
    assert "1,209 mentions" in page  # grouped the English way
    assert " p.m." not in page and " a.m." not in page
    assert re.search(r"2026-11-07 1[01]:00", page)  # 24-hour clock


def test_overview_period_errors(owner_client, corpus):
    page = html(
        owner_client.get(f"{BASE}overview/", {"since": "2020-01-01", "until": "2026-01-01"})
    )
    assert "un an au plus" in page
    page = html(owner_client.get(f"{BASE}overview/", {"since": "31/12/2026"}))
    assert 'class="errorlist"' in page


# --- queries ------------------------------------------------------------------------------------


def test_queries_list_and_create_with_a_syntax_error(owner_client, workspace, corpus):
    page = html(owner_client.get(f"{BASE}queries/"))
    assert "Maison Lumière" in page and 'id="new-query"' in page
    response = owner_client.post(
        f"{BASE}queries/new/",
        {"name": "Bougies", "kind": "topic", "expression": "bougie* AND (cire", "is_active": "on"},
    )
    page = html(response)
    assert "caractère 13" in page and "Parenthèse" in page
    assert not MonitoredQuery.objects.filter(name="Bougies").exists()
    response = owner_client.post(
        f"{BASE}queries/new/",
        {"name": "Bougies", "kind": "topic", "expression": "bougie* AND cire", "is_active": "on"},
    )
    assert response.status_code == 302
    query = MonitoredQuery.objects.get(name="Bougies")
    response = owner_client.post(
        f"{BASE}queries/{query.pk}/",
        {"name": "Bougies", "kind": "topic", "expression": "bougie*", "is_active": ""},
    )
    assert response.status_code == 302
    query.refresh_from_db()
    assert query.expression == "bougie*" and not query.is_active
    assert owner_client.post(f"{BASE}queries/{query.pk}/delete/").status_code == 302
    assert not MonitoredQuery.objects.filter(name="Bougies").exists()


def test_preview_with_htmx_and_without(owner_client, corpus):
    response = owner_client.post(
        f"{BASE}queries/preview/", {"expression": "livraison"}, HTTP_HX_REQUEST="true"
    )
    page = html(response)
    assert page.startswith('<section class="panel preview"')
    assert "1 correspondance parmi les 9" in page and "<mark>livraison</mark>" in page
    page = html(owner_client.post(f"{BASE}queries/preview/", {"expression": "(livraison"}))
    assert 'id="preview-error"' in page and "caractère 1" in page
    page = html(owner_client.post(f"{BASE}queries/preview/", {"expression": "<script>x"}))
    assert "<script>x" not in page
    # Without JavaScript: the form's "Preview" button, nothing saved.
    page = html(
        owner_client.post(
            f"{BASE}queries/new/",
            {"name": "Essai", "kind": "topic", "expression": "societe", "action": "preview"},
        )
    )
    assert "<mark>Société</mark>" in page
    assert not MonitoredQuery.objects.filter(name="Essai").exists()


def test_preview_escapes_hostile_text(owner_client, corpus):
    page = html(owner_client.post(f"{BASE}queries/preview/", {"expression": "alert"}))
    assert "<mark>alert</mark>" in page and "<script>" not in page and "<img" not in page


def test_seed_from_strategy_page(owner_client, workspace, owner):
    do_update_strategy(workspace, owner, {"brand_keywords": ["Maison Lumière"]})
    response = owner_client.post(f"{BASE}queries/seed/", follow=True)
    page = html(response)
    assert "1 veille créée" in page
    assert MonitoredQuery.objects.get().expression == '"Maison Lumière"'
    page = html(owner_client.post(f"{BASE}queries/seed/", follow=True))
    assert "Rien à ajouter" in page


def test_an_analyst_reads_but_cannot_edit_queries(workspace, member_factory, corpus):
    client = login(member_factory(Role.ANALYST))
    query = MonitoredQuery.objects.get(kind="brand")
    page = html(client.get(f"{BASE}queries/"))
    assert 'id="new-query"' not in page and "seed-queries" not in page
    assert f"{BASE}queries/{query.pk}/" not in page
    assert html(client.get(BASE)) and html(client.get(f"{BASE}overview/"))
    assert client.get(f"{BASE}queries/new/").status_code == 403
    assert client.get(f"{BASE}queries/{query.pk}/").status_code == 403
    assert client.post(f"{BASE}queries/{query.pk}/delete/").status_code == 403
    assert client.post(f"{BASE}queries/preview/", {"expression": "x"}).status_code == 403
    assert client.post(f"{BASE}queries/seed/").status_code == 403
    assert MonitoredQuery.objects.filter(pk=query.pk).exists()
    # Saved views are personal: an analyst keeps their own.
    assert client.post(f"{BASE}views/save/", {"name": "Mes négatifs"}).status_code == 302


# --- saved views --------------------------------------------------------------------------------


def test_save_list_and_delete_a_view(owner_client, owner, corpus):
    response = owner_client.post(
        f"{BASE}views/save/",
        {"name": "Négatifs Mastodon", "params": "sentiment=negative&network=mastodon&x=1"},
    )
    assert response.status_code == 302 and "sentiment=negative" in response["Location"]
    view = SavedView.objects.get()
    assert view.user == owner and view.params == {"network": "mastodon", "sentiment": "negative"}
    page = html(owner_client.get(BASE))
    assert "Négatifs Mastodon" in page
    link = re.search(rf'href="({BASE}\?[^"]+)" data-view="{view.pk}"', page).group(1)
    assert shown_ids(html(owner_client.get(link.replace("&amp;", "&")))) == [corpus["b"].pk]
    assert owner_client.post(f"{BASE}views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.exists()


def test_someone_elses_view_cannot_be_deleted(owner_client, workspace, member_factory):
    other = member_factory(Role.ANALYST)
    view = SavedView.objects.create(workspace=workspace, user=other, name="À moi", params={})
    assert owner_client.post(f"{BASE}views/{view.pk}/delete/").status_code == 404
    assert "À moi" not in html(owner_client.get(BASE))


# --- sources and quarantine ---------------------------------------------------------------------


def test_sources_show_their_health(owner_client, workspace):
    now = timezone.now()
    source = Source.objects.create(
        workspace=workspace,
        kind="rss",
        name="Blog <b>déco</b>",
        status="retrying",
        consecutive_failures=2,
        last_success_at=now - timezone.timedelta(hours=3),
        last_error_at=now - timezone.timedelta(minutes=5),
        last_error="HTTP 503 <script>alert(1)</script>",
        newest_item_at=now - timezone.timedelta(hours=2),
        items_total=12,
    )
    from parvis.listening import pipeline
    from parvis.listening.ingest import batches

    for batch in batches(lines([mention(i) for i in range(4)])):
        pipeline.run(workspace, batch, source=source)
    page = html(owner_client.get(f"{BASE}sources/"))
    row = page[page.index(f'data-source="{source.pk}"') :]
    assert "Blog &lt;b&gt;déco&lt;/b&gt;" in row and "Nouvel essai" in row
    assert "HTTP 503 &lt;script&gt;" in row and "<script>alert" not in page
    assert "2\u00a0échecs" in row or "2 échecs" in row
    assert '<td class="num">4</td>' in row  # collected in the last hour


def test_quarantine_page_shows_reason_and_raw_escaped(owner_client, workspace):
    ingest_lines(
        workspace, ['{"oops": "<script>alert(1)</script>"}\n', "{not json\n"], origin="f.jsonl"
    )
    page = html(owner_client.get(f"{BASE}quarantine/"))
    assert page.count('class="quarantined"') == 2
    assert "invalid JSON" in page and "missing field: network" in page
    assert '<pre class="raw">{&quot;oops&quot;: &quot;&lt;script&gt;' in page
    assert "<script>alert" not in page
    assert "f.jsonl" in page and "ligne 2" in page
    assert "(2)" in html(owner_client.get(f"{BASE}sources/"))


def test_quarantine_pages(owner_client, workspace, monkeypatch):
    from parvis.listening import views

    monkeypatch.setattr(views, "QUARANTINE_PAGE", 2)
    QuarantinedItem.objects.bulk_create(
        [QuarantinedItem(workspace=workspace, reason=f"r{n}", raw="x") for n in range(5)]
    )
    page = html(owner_client.get(f"{BASE}quarantine/"))
    before = re.search(r'href="\?before=(\d+)"', page).group(1)
    page = html(owner_client.get(f"{BASE}quarantine/", {"before": before}))
    assert page.count('class="quarantined"') == 2 and "r2" in page
    assert html(owner_client.get(f"{BASE}quarantine/", {"before": "x" * 50}))


# --- query counts -------------------------------------------------------------------------------


def queries_for(client, path: str, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {})
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        assert response.status_code == 200
    return len(ctx.captured_queries)


HOT_PAGES = [
    (BASE, None),
    (BASE, {"q": "bougies", "sort": "engagement"}),
    (BASE + "overview/", {"since": "2026-10-01", "until": "2026-11-30"}),
    (BASE + "queries/", None),
    (BASE + "sources/", None),
    (BASE + "export.csv", None),
]


def test_hot_pages_use_a_constant_number_of_queries(owner_client, workspace, corpus, monkeypatch):
    from parvis.listening import explorer, freshness

    monkeypatch.setattr(explorer, "PAGE_SIZE", 3)  # several pages in both sizes
    queries_for(owner_client, BASE, None)  # the first view remembers the workspace (a write)
    # The overview computed again after the new mentions, not kept from the cache.
    monkeypatch.setattr(freshness, "MIN_AGE", 0)
    monkeypatch.setattr(freshness, "COST_FACTOR", 0)
    from django.core.cache import cache

    def cold(path, params):
        # Every figure computed again (the cached ones cost fewer queries): the same work
        # at both sizes.
        cache.clear()
        return queries_for(owner_client, path, params)

    small = {(path, str(params)): cold(path, params) for path, params in HOT_PAGES}
    more = [
        item(
            f"n{n}",
            f"Les bougies Maison Lumière numéro {n} #bougies",
            1 + n % 20,
            author={"handle": f"reader{n}.test", "name": f"R{n}", "followers": n},
            network=["bluesky", "mastodon", "rss"][n % 3],
        )
        for n in range(60)
    ]
    ingest_lines(workspace, lines(more))
    Source.objects.create(workspace=workspace, kind="rss", name="s2")
    for path, params in HOT_PAGES:
        assert cold(path, params) == small[(path, str(params))], path
    # session, user, membership, query choices, page, matched queries, own accounts, capped
    # counts (heads and every mention) and networks in use (each: the figures' version, then
    # the figure's queries when not cached), workspaces menu, saved views; no session save
    # (nothing in it changed)
    assert small[(BASE, "None")] <= 14


def test_mention_detail_queries_are_bounded(owner_client, corpus):
    counts = [queries_for(owner_client, f"{BASE}mentions/{corpus[k].pk}/") for k in "ag"]
    assert max(counts) <= 14, counts
