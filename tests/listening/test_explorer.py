"""The explorer's plain functions: filters, full-text search, sorting, keyset pages, overview
figures on a small known corpus, CSV export, query preview, query actions, seeding, saved views.

Mentions go through the real pipeline (`ingest_lines`); the sentiment is then set by hand so
that the figures do not depend on the analysis model.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test.utils import override_settings
from django.utils import translation

from parvis.connectors.models import ConnectedAccount
from parvis.listening import explorer, services
from parvis.listening.forms import decode_cursor, encode_cursor
from parvis.listening.ingest import ingest_lines
from parvis.listening.models import Mention, MentionMatch, MonitoredQuery, SavedView
from parvis.workspaces.models import Competitor, NetworkChoice
from parvis.workspaces.strategy import do_update_strategy
from tests.listening.factories import lines, mention

pytestmark = pytest.mark.django_db

HOSTILE_TEXT = '<script>alert("text")</script> Maison Lumière <img src=x onerror=alert(1)>'
HOSTILE_NAME = "<img src=x onerror=alert('name')>"
HOSTILE_TITLE = "<b>titre</b><script>alert('title')</script>"


def item(key: str, text: str, day: int, **extra: Any) -> dict[str, Any]:
    """A mention whose external id ends with `key`, published on 2026-11-`day` at 10:00 UTC."""
    data = mention(
        0,
        external_id=f"ext-{key}",
        text=text,
        created_at=f"2026-11-{day:02d}T10:00:00+00:00",
        **extra,
    )
    data.setdefault("url", f"https://example.test/{key}")
    return data


def author(handle: str, followers: int, name: str = "") -> dict[str, Any]:
    return {"handle": handle, "name": name or handle.split(".")[0].title(), "followers": followers}


def make_queries(workspace) -> tuple[MonitoredQuery, MonitoredQuery]:
    brand = MonitoredQuery.objects.create(
        workspace=workspace,
        name="Maison Lumière",
        kind="brand",
        expression='"maison lumiere" OR #maisonlumiere',
    )
    rival = MonitoredQuery.objects.create(
        workspace=workspace,
        name="Cire & Sens",
        kind="competitor",
        expression='"cire et sens" OR cireetsens',
    )
    return brand, rival


CAMPAIGN = "Je participe au concours #MaisonLumiere pour gagner un coffret de bougies !"

# key: (sentiment, lang); the rest of each mention is in `corpus_items`.
SENTIMENTS = {
    "a": "positive",
    "b": "negative",
    "c": "neutral",
    "d": "neutral",
    "e1": "positive",
    "e2": "positive",
    "e3": "positive",
    "f": "negative",
    "g": "positive",
}


def corpus_items() -> list[dict[str, Any]]:
    return [
        item(
            "a",
            "J'adore les bougies de Maison Lumière #bougies",
            1,
            author=author("alice.bsky.social", 50_000, "Alice"),
            metrics={"likes": 40, "reposts": 5, "replies": 3},
        ),
        item(
            "b",
            "Maison Lumière : livraison en retard, très déçu #SAV",
            2,
            network="mastodon",
            author=author("bob@piaille.fr", 200, "Bob"),
            metrics={"likes": 1, "reposts": 0, "replies": 2},
            lang="fr",
        ),
        item(
            "c",
            "La Société Maison Lumière ouvre une boutique à Lyon.",
            3,
            network="rss",
            title="Bougies : la Société Maison Lumière s'agrandit",
            author=author("lemonde.example", 0, "Le Monde"),
            metrics={},
        ),
        item(
            "d",
            "Cire et Sens, c'est mieux que les autres #bougies",
            3,
            author=author("carol.bsky.social", 1200, "Carol"),
            metrics={"likes": 2, "reposts": 0, "replies": 0},
            lang="en",
        ),
        *[
            item(
                f"e{n}",
                CAMPAIGN,
                4,
                author=author(f"fan{n}.bsky.social", 10 * n),
                metrics={"likes": 0, "reposts": 0, "replies": 0},
            )
            for n in (1, 2, 3)
        ],
        item(
            "f",
            HOSTILE_TEXT,
            5,
            title=HOSTILE_TITLE,
            author=author("troll.bsky.social", 5, HOSTILE_NAME),
            metrics={"likes": 0, "reposts": 0, "replies": 0},
        ),
        item(
            "g",
            "Merci Alice, à bientôt chez Maison Lumière",
            5,
            author=author("lumiere.bsky.social", 3000, "Maison Lumière"),
            parent_id="ext-a",
            metrics={"likes": 3, "reposts": 1, "replies": 0},
        ),
    ]


def build_corpus(workspace) -> dict[str, Mention]:
    """The known corpus: 9 mentions, 7 group heads, a brand and a competitor query."""
    make_queries(workspace)
    items = corpus_items()
    # The campaign's copies arrive in order, so fan1's is the group head.
    ingest_lines(workspace, lines(items))
    for key, sentiment in SENTIMENTS.items():
        score = {"positive": 0.8, "negative": -0.7, "neutral": 0.0}[sentiment]
        Mention.objects.filter(workspace=workspace, external_id=f"ext-{key}").update(
            sentiment=sentiment, sentiment_score=score
        )
    return {
        m.external_id.removeprefix("ext-"): m
        for m in Mention.objects.filter(workspace=workspace).select_related("author")
    }


@pytest.fixture
def corpus(workspace):
    return build_corpus(workspace)


def keys(mentions) -> list[str]:
    return [m.external_id.removeprefix("ext-") for m in mentions]


def listed(workspace, **params) -> list[str]:
    filters, form = explorer.parse_filters(workspace, params)
    assert not form.errors, form.errors
    return keys(explorer.filtered_mentions(workspace, filters))


# --- filters ------------------------------------------------------------------------------


def test_the_list_shows_group_heads_newest_first(workspace, corpus):
    assert listed(workspace) == ["g", "f", "e1", "d", "c", "b", "a"]
    head = corpus["e1"]
    assert head.group_head and head.group_size == 3
    assert not corpus["e2"].group_head and not corpus["e3"].group_head


def test_each_filter(workspace, corpus):
    brand = MonitoredQuery.objects.get(kind="brand")
    rival = MonitoredQuery.objects.get(kind="competitor")
    assert listed(workspace, network="mastodon") == ["b"]
    assert listed(workspace, network="rss") == ["c"]
    assert listed(workspace, sentiment="negative") == ["f", "b"]
    assert listed(workspace, lang="en") == ["d"]
    assert listed(workspace, since="2026-11-03", until="2026-11-04") == ["e1", "d", "c"]
    assert listed(workspace, since="2026-11-05") == ["g", "f"]
    assert listed(workspace, until="2026-11-01") == ["a"]
    assert listed(workspace, author="alice.bsky.social") == ["a"]
    assert listed(workspace, author="@Alice.Bsky.Social") == ["a"]
    assert listed(workspace, min_reach="1000") == ["g", "d", "a"]
    assert listed(workspace, query=str(rival.pk)) == ["d"]
    assert set(listed(workspace, query=str(brand.pk))) == {"a", "b", "c", "e1", "f", "g"}
    # filters combine
    assert listed(workspace, query=str(brand.pk), sentiment="positive", network="bluesky") == [
        "g",
        "e1",
        "a",
    ]


def test_date_time_bounds_are_exact(workspace, corpus):
    assert listed(workspace, since="2026-11-05T10:00:00Z") == ["g", "f"]
    assert listed(workspace, since="2026-11-05T10:00:01+00:00") == []
    assert listed(workspace, until="2026-11-01T11:00:00+01:00") == []  # 10:00 UTC excluded


def test_full_text_search_ignores_accents_and_case(workspace, corpus):
    assert set(listed(workspace, q="societe")) == {"c"}  # "Société", in the text and title
    assert set(listed(workspace, q="SOCIÉTÉ lyon")) == {"c"}
    assert set(listed(workspace, q="deçu")) == {"b"}  # "déçu"
    assert set(listed(workspace, q="bougie")) >= {"a", "d", "e1"}  # prefix: bougies
    assert listed(workspace, q="inexistant") == []
    assert listed(workspace, q="   ") == listed(workspace)
    assert listed(workspace, q="societe", network="bluesky") == []


@pytest.mark.parametrize("few", [explorer.FEW, 0])
def test_search_understands_the_query_language(workspace, corpus, monkeypatch, few):
    monkeypatch.setattr(explorer, "FEW", few)  # the selective plan, then the broad one
    assert listed(workspace, q="livraison OR concours") == ["e1", "b"]
    assert listed(workspace, q="livraison OU concours") == ["e1", "b"]
    assert listed(workspace, q='"maison lumiere" -bougies') == ["g", "f", "b"]
    assert listed(workspace, q='"maison lumiere" NOT (bougies OR retard)') == ["g", "f"]
    assert listed(workspace, q="boutiq*") == ["c"]
    assert listed(workspace, q="#SAV") == ["b"]
    assert listed(workspace, q="(retard OR lyon) societe") == ["c"]
    assert listed(workspace, q="bougi") == ["e1", "d", "c", "a"]  # plain words: as you type


@pytest.mark.parametrize("q", ["lang:fr bougie", "-bougies", "NOT bougies", "(bougie"])
def test_a_search_the_index_cannot_answer_says_so(workspace, corpus, q):
    filters, form = explorer.parse_filters(workspace, {"q": q, "network": "mastodon"})
    assert "q" in form.errors and filters.q == ""
    assert keys(explorer.filtered_mentions(workspace, filters)) == ["b"]  # the rest applies


def test_sorting_by_reach_and_engagement(workspace, corpus):
    assert listed(workspace, sort="reach")[:3] == ["a", "g", "d"]
    assert listed(workspace, sort="engagement")[:3] == ["a", "g", "b"]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"since": "2026-13-01"}, "since"),
        ({"since": "hier"}, "since"),
        ({"until": "99999-01-01"}, "until"),
        ({"until": "0001-01-01"}, "until"),
        ({"since": "2026-11-02", "until": "2026-11-01"}, "until"),
        ({"sentiment": "furious"}, "sentiment"),
        ({"network": "myspace"}, "network"),
        ({"lang": "français!"}, "lang"),
        ({"min_reach": "-3"}, "min_reach"),
        ({"min_reach": "99999999999999999999999"}, "min_reach"),
        ({"min_reach": "lots"}, "min_reach"),
        ({"query": "999999"}, "query"),
        ({"query": "abc"}, "query"),
        ({"sort": "random"}, "sort"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_values_are_form_errors_and_the_rest_still_applies(workspace, corpus, params, field):
    filters, form = explorer.parse_filters(workspace, {"network": "mastodon", **params})
    assert list(form.errors) == [field]
    assert field not in filters.params
    if field != "network":
        assert keys(explorer.filtered_mentions(workspace, filters)) == ["b"]


def test_a_query_of_another_workspace_is_refused(workspace, other_workspace, corpus):
    foreign = MonitoredQuery.objects.create(
        workspace=other_workspace, name="x", kind="brand", expression="x"
    )
    filters, form = explorer.parse_filters(workspace, {"query": str(foreign.pk)})
    assert "query" in form.errors and filters.query_id is None


def test_other_workspaces_mentions_never_show(workspace, other_workspace, corpus):
    ingest_lines(other_workspace, lines([item("z", "Maison Lumière ailleurs", 5)]))
    assert "z" not in listed(workspace)
    assert "z" not in listed(workspace, q="ailleurs")
    filters, _ = explorer.parse_filters(other_workspace, {})
    assert keys(explorer.filtered_mentions(other_workspace, filters)) == ["z"]


# --- pages and counts -------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["date", "reach", "engagement"])
def test_keyset_pages_walk_the_whole_list_once(workspace, corpus, sort):
    expected = listed(workspace, sort=sort)
    seen, cursor = [], ""
    for _ in range(10):
        filters, form = explorer.parse_filters(workspace, {"sort": sort, "cursor": cursor})
        assert not form.errors
        page = explorer.keyset_page(explorer.filtered_mentions(workspace, filters), filters, 2)
        seen += keys(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected


@pytest.mark.parametrize("few", [0, 10**9])
def test_selective_and_broad_plans_find_the_same_mentions(workspace, corpus, monkeypatch, few):
    """Selective filters take another plan on SQLite (few ids fetched and sorted); the
    results must not depend on it. FEW=0: every filter is broad; 10**9: every one selective."""
    monkeypatch.setattr(explorer, "FEW", few)
    brand = str(MonitoredQuery.objects.get(kind="brand").pk)
    assert set(listed(workspace, q="societe")) == {"c"}
    assert set(listed(workspace, q="bougie")) >= {"a", "d", "e1"}
    assert listed(workspace, q="maison", sort="reach")[:2] == ["a", "g"]
    assert listed(workspace, q="inexistant") == []
    assert listed(workspace, author="@Alice.Bsky.Social") == ["a"]
    assert listed(workspace, author="nobody") == []
    assert listed(workspace, query=brand, q="lumiere", author="lumiere.bsky.social") == ["g"]
    assert listed(workspace, query=brand, sentiment="negative", sort="engagement") == ["b", "f"]
    assert listed(workspace, min_reach="2000") == ["g", "a"]
    assert listed(workspace, min_reach="1000", q="bougies", sort="reach") == ["a", "d"]


def test_a_selective_filter_stays_in_its_workspace(workspace, other_workspace, corpus, monkeypatch):
    monkeypatch.setattr(explorer, "FEW", 10**9)
    ingest_lines(other_workspace, lines([item("z", "La société Rival", 5)]))
    assert listed(workspace, q="societe") == ["c"]


@pytest.mark.parametrize("few", [0, 10**9])
@pytest.mark.parametrize("sort", ["date", "reach", "engagement"])
def test_query_filter_pages_in_every_order(workspace, corpus, monkeypatch, few, sort):
    monkeypatch.setattr(explorer, "FEW", few)
    brand = str(MonitoredQuery.objects.get(kind="brand").pk)
    expected = listed(workspace, query=brand, sort=sort)
    assert set(expected) == {"a", "b", "c", "e1", "f", "g"}
    seen, cursor = [], ""
    while True:
        params = {"query": brand, "sort": sort, "cursor": cursor}
        filters, form = explorer.parse_filters(workspace, params)
        assert not form.errors
        page = explorer.keyset_page(explorer.filtered_mentions(workspace, filters), filters, 4)
        seen += keys(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected


def sqlite_plan(workspace, **params) -> str:
    from django.db import connection

    filters, _ = explorer.parse_filters(workspace, params)
    query = explorer.filtered_mentions(workspace, filters)[:50].query
    sql, values = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, values)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


def test_sqlite_plans(workspace, corpus, monkeypatch):
    """Broad filters walk a head_* index in the list's order (no sort: a sort of every
    mention cost 2 s at 1M); selective ones fetch their few mentions by id."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite query plans")
    monkeypatch.setattr(explorer, "FEW", 0)
    for params, index in [
        ({}, "head_recent"),
        ({"sentiment": "negative"}, "head_sentiment"),
        ({"sort": "reach"}, "head_reach"),
        ({"query": MonitoredQuery.objects.get(kind="brand").pk}, "head_recent"),
        # The score sorts walk the partial indexes that hold just what they list.
        ({"sort": "negative"}, "head_negative"),
        ({"sort": "toxicity"}, "head_toxic"),
        ({"sort": "spam"}, "head_spammy"),
    ]:
        plan = sqlite_plan(workspace, **params)
        assert f"USING INDEX {index}" in plan and "TEMP B-TREE" not in plan, (params, plan)
    monkeypatch.setattr(explorer, "FEW", 10**9)
    plan = sqlite_plan(workspace, q="societe")
    assert "USING INTEGER PRIMARY KEY" in plan and "head_" not in plan, plan


def test_a_cursor_is_tied_to_its_sort_order():
    cursor = encode_cursor("reach", 10, 5)
    assert decode_cursor(cursor, "reach") == (10, 5)
    with pytest.raises(ValidationError):
        decode_cursor(cursor, "date")
    with pytest.raises(ValidationError):
        decode_cursor(encode_cursor("date", "yesterday", 5), "date")
    with pytest.raises(ValidationError):
        decode_cursor(encode_cursor("reach", 10, -1), "reach")


def test_a_single_page_counts_itself(workspace, corpus, django_assert_num_queries):
    filters, _ = explorer.parse_filters(workspace, {"network": "bluesky"})
    qs = explorer.filtered_mentions(workspace, filters)
    page = explorer.keyset_page(qs, filters, 10)
    with django_assert_num_queries(0):
        assert explorer.count_results(qs, filters, page) == (5, False)
    page = explorer.keyset_page(qs, filters, 2)
    assert explorer.count_results(qs, filters, page) == (5, False)
    assert explorer.count_results(qs, filters, page, cap=3) == (3, True)


def test_count_is_capped(workspace, corpus):
    filters, _ = explorer.parse_filters(workspace, {})
    qs = explorer.filtered_mentions(workspace, filters)
    assert explorer.count_capped(qs) == (7, False)
    assert explorer.count_capped(qs, cap=5) == (5, True)
    assert explorer.count_capped(qs, cap=7) == (7, False)


# --- detail -----------------------------------------------------------------------------------


def test_thread_and_copies(workspace, corpus):
    ancestors, replies = explorer.thread(corpus["g"])
    assert keys(ancestors) == ["a"] and replies == []
    ancestors, replies = explorer.thread(corpus["a"])
    assert ancestors == [] and keys(replies) == ["g"]
    assert sorted(keys(explorer.copies(corpus["e1"]))) == ["e2", "e3"]
    assert explorer.copies(corpus["a"]) == []


def test_a_reply_loop_does_not_hang(workspace):
    ingest_lines(
        workspace,
        lines(
            [
                item("x", "premier", 1, parent_id="ext-y"),
                item("y", "second", 2, parent_id="ext-x"),
            ]
        ),
    )
    x = Mention.objects.get(external_id="ext-x")
    ancestors, replies = explorer.thread(x)
    assert keys(ancestors) == ["x", "y"][1:] and keys(replies) == ["y"]


# --- overview ---------------------------------------------------------------------------------


@override_settings(TIME_ZONE="UTC")
def test_overview_figures_on_a_known_corpus(workspace, corpus):
    data = explorer.overview(workspace, dt.date(2026, 11, 1), dt.date(2026, 11, 7))
    by_day = {d.day.day: (d.positive, d.neutral, d.negative, d.total) for d in data.days}
    assert by_day == {
        1: (1, 0, 0, 1),
        2: (0, 0, 1, 1),
        3: (0, 2, 0, 2),
        4: (3, 0, 0, 3),  # the campaign counts as volume, copies included
        5: (1, 0, 1, 2),
        6: (0, 0, 0, 0),
        7: (0, 0, 0, 0),
    }
    assert data.total == 9
    assert round(data.sentiment_share("positive")) == 56  # 5 of 9

    shares = [(s.name, s.kind, s.count, round(s.percent)) for s in data.share_of_voice]
    # brand: a b c e1 e2 e3 f g = 8; competitor: d = 1
    assert shares == [("Maison Lumière", "brand", 8, 89), ("Cire & Sens", "competitor", 1, 11)]

    authors = [(a["handle"], a["n"]) for a in data.top_authors]
    assert authors[:3] == [
        ("alice.bsky.social", 1),
        ("lumiere.bsky.social", 1),
        ("carol.bsky.social", 1),
    ]

    sites = {(s["label"], s["kind"]): s["count"] for s in data.top_sites}
    assert sites == {
        ("Bluesky", "network"): 7,
        ("Mastodon", "network"): 1,
        ("lemonde.example", "site"): 1,
    }

    tags = dict(data.top_hashtags)
    assert tags["#bougies"] == 2 and tags["#MaisonLumiere"] == 1  # the campaign counted once
    terms = dict(data.top_terms)
    assert terms["bougies"] == 3  # a, c's title ("Bougies"), the campaign; once per text
    assert "Lumière" not in terms and "Maison" not in terms  # the brand's own name
    assert "les" not in terms and "pour" not in terms  # stop words
    assert data.sample_size == 7


@override_settings(TIME_ZONE="Europe/Paris")
def test_days_are_local_days(workspace):
    ingest_lines(
        workspace,
        lines(
            [
                mention(1, external_id="late", created_at="2026-11-01T22:30:00Z"),  # 23:30
                mention(2, external_id="next", created_at="2026-11-01T23:30:00Z"),  # 00:30
                mention(3, external_id="summer", created_at="2026-07-01T22:30:00Z"),  # 00:30
            ]
        ),
    )
    data = explorer.overview(workspace, dt.date(2026, 11, 1), dt.date(2026, 11, 2))
    assert [(d.day.day, d.total) for d in data.days] == [(1, 1), (2, 1)]
    data = explorer.overview(workspace, dt.date(2026, 7, 1), dt.date(2026, 7, 2))
    assert [(d.day.day, d.total) for d in data.days] == [(1, 0), (2, 1)]


def test_top_words_count_texts_and_keep_the_usual_spelling():
    texts = [
        ("Société", "La Société des bougies #Bougies #bougies"),
        ("", "société anonyme et bougies #BOUGIES"),
        ("", "SOCIETE du soir, les bougies"),
    ]
    tags, terms = explorer.top_words(texts, exclude=frozenset({"soir"}))
    assert tags == [("#Bougies", 2)]
    counts = dict(terms)
    assert counts["Société"] == 3  # once per text; the spelling most texts use
    assert counts["bougies"] == 3
    assert "soir" not in counts and "les" not in counts and "des" not in counts


def test_overview_of_an_empty_period(workspace, corpus):
    data = explorer.overview(workspace, dt.date(2025, 1, 1), dt.date(2025, 1, 3))
    assert data.total == 0 and [d.total for d in data.days] == [0, 0, 0]
    assert [s.count for s in data.share_of_voice] == [0, 0]
    assert data.top_authors == [] and data.top_hashtags == []
    chart = explorer.volume_chart(data.days)
    assert all(bar["segments"] == [] for bar in chart.bars)


def test_chart_geometry_stacks_sentiments_and_never_localizes_numbers():
    days = [
        explorer.DayVolume(dt.date(2026, 11, 1), positive=3, negative=1),
        explorer.DayVolume(dt.date(2026, 11, 2), neutral=2),
    ]
    chart = explorer.volume_chart(days)
    first = chart.bars[0]["segments"]
    assert [s["cls"] for s in first] == ["negative", "positive"]
    heights = [float(s["h"]) for s in first]
    assert heights[1] == pytest.approx(3 * heights[0], abs=0.2)
    assert [g["value"] for g in chart.grid] == ["0", "1", "2", "3", "4"]
    tall = explorer.volume_chart([explorer.DayVolume(dt.date(2026, 11, 1), positive=37)])
    assert [g["value"] for g in tall.grid] == ["0", "10", "20", "30", "40"]
    assert all("," not in s["y"] for s in first)
    assert (
        explorer.nice_max(0) == 1 and explorer.nice_max(11) == 20 and explorer.nice_max(500) == 500
    )


def test_a_bad_buzz_day_stands_out_and_steady_complaints_do_not():
    steady = [
        explorer.DayVolume(dt.date(2026, 11, n), positive=14, neutral=12, negative=12)
        for n in range(1, 8)
    ]
    assert explorer.bad_days(steady) == set()
    steady[4].negative = 70
    assert explorer.bad_days(steady) == {dt.date(2026, 11, 5)}
    chart = explorer.volume_chart(steady)
    assert [bar["alert"] for bar in chart.bars] == [False] * 4 + [True] + [False] * 2
    quiet = [explorer.DayVolume(dt.date(2026, 11, 1), negative=3)]
    assert explorer.bad_days(quiet) == set()  # three unhappy people are not a bad buzz


# --- CSV ----------------------------------------------------------------------------------------


def read_csv(response, delimiter: str = ",") -> list[dict[str, str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(content[1:]), delimiter=delimiter))


@override_settings(TIME_ZONE="Europe/Paris")
def test_csv_export_of_a_filtered_list(workspace, corpus):
    filters, _ = explorer.parse_filters(workspace, {"sentiment": "negative"})
    with translation.override("en"):
        response = explorer.csv_response(workspace, filters)
        assert response["Content-Type"].startswith("text/csv")
        assert 'filename="mentions-lumiere-' in response["Content-Disposition"]
        rows = read_csv(response)
    assert [r["Id"] for r in rows] == [str(corpus["f"].pk), str(corpus["b"].pk)]
    assert rows[1]["Author handle"] == "bob@piaille.fr"
    assert rows[1]["Network"] == "Mastodon" and rows[1]["Sentiment"] == "Negative"
    # 10:00 UTC is 11:00 in Paris in November; the zone is said next to it.
    assert rows[1]["Date (local time)"] == "2026-11-02 11:00:00"
    assert rows[1]["Time zone"] == "Europe/Paris UTC+01:00"
    assert rows[1]["Sentiment score"] == "-0.7"
    assert rows[0]["Text"] == HOSTILE_TEXT  # a CSV is data: kept as written


@override_settings(TIME_ZONE="Europe/Paris")
def test_csv_for_french_spreadsheets(workspace, corpus):
    """French: semicolons, French headers, decimal commas; a comma file on request."""
    filters, _ = explorer.parse_filters(workspace, {"sentiment": "negative"})
    with translation.override("fr"):
        content = b"".join(explorer.csv_response(workspace, filters).streaming_content)
        rows = read_csv(explorer.csv_response(workspace, filters), delimiter=";")
        commas = read_csv(explorer.csv_response(workspace, filters, "comma"))
    header = content.decode("utf-8")[1:].splitlines()[0]
    assert header.startswith("Date (heure locale);Fuseau horaire;Réseau;")
    assert rows[1]["Score de sentiment"] == "-0,7" and rows[1]["Sentiment"] == "Négatif"
    assert rows[1]["Date (heure locale)"] == "2026-11-02 11:00:00"
    assert [r["Identifiant"] for r in commas] == [r["Identifiant"] for r in rows]
    with translation.override("en"):
        assert explorer.csv_separator("") == ","
        assert explorer.csv_separator("semicolon") == ";"


def test_csv_cells_cannot_become_formulas(workspace):
    dangerous = ['=HYPERLINK("http://evil")', "+33 6 12", "-2+3", "@SUM(A1)", "\tx"]
    ingest_lines(
        workspace,
        lines(
            [
                item(str(n), text, 1, author=author(f"h{n}.test", 1, name=text))
                for n, text in enumerate(dangerous)
            ]
        ),
    )
    filters, _ = explorer.parse_filters(workspace, {})
    with translation.override("en"):
        rows = read_csv(explorer.csv_response(workspace, filters))
    assert sorted(r["Text"] for r in rows) == sorted("'" + t for t in dangerous)
    assert all(r["Author name"].startswith("'") for r in rows)
    assert explorer.csv_cell(-0.5) == -0.5  # numbers stay numbers
    assert explorer.csv_cell("Bonjour = merci") == "Bonjour = merci"


# --- one count everywhere -------------------------------------------------------------------


@override_settings(TIME_ZONE="UTC")
def test_the_list_the_overview_and_the_csv_count_the_same_mentions(workspace, corpus):
    """9 mentions, of which 3 copies of one text: 9 in the list's count, the overview and
    the CSV; the list shows 7 lines."""
    params = {"since": "2026-11-01", "until": "2026-11-07"}
    filters, _ = explorer.parse_filters(workspace, params)
    mentions = explorer.filtered_mentions(workspace, filters)
    page = explorer.keyset_page(mentions, filters)
    assert explorer.count_results(mentions, filters, page) == (7, False)
    assert explorer.count_all(workspace, filters) == (9, False)
    assert explorer.count_all(workspace, filters, cap=5) == (5, True)
    data = explorer.overview(workspace, dt.date(2026, 11, 1), dt.date(2026, 11, 7))
    assert data.total == 9
    assert len(read_csv(explorer.csv_response(workspace, filters))) == 9
    campaign, _ = explorer.parse_filters(workspace, {"q": "concours"})
    assert explorer.count_all(workspace, campaign) == (3, False)


# --- the brand's own accounts -----------------------------------------------------------------


def own_bluesky(workspace, handle: str = "@Lumiere.bsky.social") -> None:
    NetworkChoice.objects.create(workspace=workspace, network="bluesky", handle=handle)


def test_own_accounts_are_left_out_by_default_and_listed_apart(workspace, corpus):
    assert "g" in listed(workspace)
    own_bluesky(workspace)
    ConnectedAccount.objects.create(
        workspace=workspace, network="mastodon", handle="bob@piaille.fr"
    )
    assert listed(workspace) == ["f", "e1", "d", "c", "a"]
    assert listed(workspace, own="only") == ["g", "b"]
    assert listed(workspace, own="all") == ["g", "f", "e1", "d", "c", "b", "a"]
    # An account removed: its posts are mentions again, past ones included.
    ConnectedAccount.objects.filter(workspace=workspace).delete()
    assert listed(workspace, own="only") == ["g"]


@override_settings(TIME_ZONE="UTC")
def test_own_accounts_are_not_influencers_nor_sentiment(workspace, corpus):
    own_bluesky(workspace, "lumiere.bsky.social")
    data = explorer.overview(workspace, dt.date(2026, 11, 1), dt.date(2026, 11, 7))
    assert "lumiere.bsky.social" not in [a["handle"] for a in data.top_authors]
    day5 = data.days[4]
    assert (day5.positive, day5.negative, day5.total) == (0, 1, 1)  # g (positive) left out
    assert data.total == 8 and data.own_posts == 1
    assert round(data.sentiment_share("positive")) == 50  # 4 of 8
    shares = [(s.name, s.count) for s in data.share_of_voice]
    assert shares == [("Maison Lumière", 7), ("Cire & Sens", 1)]  # g, the brand's reply, out


def test_own_accounts_of_another_workspace_do_not_count(workspace, other_workspace, corpus):
    own_bluesky(other_workspace, "lumiere.bsky.social")
    assert "g" in listed(workspace)


# --- frequent words, networks, periods ---------------------------------------------------------


def test_frequent_words_leave_out_handles_links_and_domains():
    texts = [
        ("", "Merci @alice.bsky.social pour la bougie https://shop.example.com/bougie?x=1"),
        ("", "Une bougie vue sur lemonde.example et www.example.org/page"),
        ("", "bougie offerte par bob@piaille.fr"),
    ]
    _tags, terms = explorer.top_words(texts)
    counts = dict(terms)
    assert counts["bougie"] == 3
    for noise in ("alice", "bsky", "social", "example", "shop", "lemonde", "piaille", "org"):
        assert noise not in counts, noise


def test_the_network_filter_offers_the_networks_in_use(workspace, corpus):
    _filters, form = explorer.parse_filters(workspace, {})
    offered = [code for code, _label in form.fields["network"].widget.choices]
    assert offered == ["", "bluesky", "mastodon", "rss"]
    # Any known network is still a valid value (an old link, an API client).
    filters, form = explorer.parse_filters(workspace, {"network": "tiktok"})
    assert not form.errors and filters.network == "tiktok"


def test_the_networks_in_use_are_cached_until_mentions_or_sources_change(
    workspace, corpus, monkeypatch
):
    from parvis.listening import freshness

    # Figures are kept at least MIN_AGE seconds after a change (see freshness): not here.
    monkeypatch.setattr(freshness, "MIN_AGE", 0)
    monkeypatch.setattr(freshness, "COST_FACTOR", 0)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parvis.listening.forms import networks_in_use
    from parvis.listening.sources import do_create_source, do_delete_source

    assert [c for c, _ in networks_in_use(workspace)] == ["bluesky", "mastodon", "rss"]
    with CaptureQueriesContext(connection) as queries:
        networks_in_use(workspace)
    assert len(queries) == 1  # the figures' version only
    source = do_create_source(workspace, kind="hackernews", name="HN", config={"query": "bougie"})
    offered = [c for c, _ in networks_in_use(workspace)]
    assert offered == ["bluesky", "mastodon", "hackernews", "rss"]
    do_delete_source(source)
    assert [c for c, _ in networks_in_use(workspace)] == ["bluesky", "mastodon", "rss"]
    ingest_lines(workspace, lines([item("yt1", "Une bougie", 3, network="youtube")]))
    assert "youtube" in [c for c, _ in networks_in_use(workspace)]


@override_settings(TIME_ZONE="Europe/Paris")
def test_rolling_periods(workspace, corpus, monkeypatch):
    monkeypatch.setattr(explorer.timezone, "localdate", lambda: dt.date(2026, 11, 5))
    assert listed(workspace, period="today") == ["g", "f"]
    assert listed(workspace, period="7d") == ["g", "f", "e1", "d", "c", "b", "a"]
    assert listed(workspace, period="7d", since="2026-11-05") == [
        "g",
        "f",
        "e1",
        "d",
        "c",
        "b",
        "a",
    ]
    assert listed(workspace, period="month") == ["g", "f", "e1", "d", "c", "b", "a"]
    monkeypatch.setattr(explorer.timezone, "localdate", lambda: dt.date(2026, 11, 8))
    assert listed(workspace, period="7d") == ["g", "f", "e1", "d", "c", "b"]
    assert listed(workspace, period="today") == []


def test_a_saved_view_keeps_a_rolling_period(workspace, owner):
    view = services.do_save_view(workspace, owner, "Semaine", {"period": "7d", "since": ""})
    assert view.params == {"period": "7d"}


# --- sentiment, toxicity and spam ------------------------------------------------------------


def scores(workspace, **values: dict[str, float]) -> None:
    for key, fields in values.items():
        Mention.objects.filter(workspace=workspace, external_id=f"ext-{key}").update(**fields)


@pytest.mark.parametrize("few", [explorer.FEW, 0])
def test_toxicity_and_spam_filters(workspace, corpus, monkeypatch, few):
    monkeypatch.setattr(explorer, "FEW", few)
    scores(workspace, f={"toxicity": 0.9}, b={"toxicity": 0.5}, d={"spam": 0.8}, c={"spam": 0.2})
    assert listed(workspace, toxic="toxic") == ["f", "b"]
    assert listed(workspace, spam="only") == ["d"]
    assert listed(workspace, spam="hide") == ["g", "f", "e1", "c", "b", "a"]


@pytest.mark.parametrize("sort", ["negative", "toxicity", "spam"])
def test_sorting_by_a_score_pages_through_what_it_marks(workspace, corpus, sort):
    scores(workspace, f={"toxicity": 0.9}, b={"toxicity": 0.5}, a={"toxicity": 0.7})
    scores(workspace, c={"toxicity": 0.49})
    scores(workspace, d={"spam": 0.8}, c={"spam": 0.5}, g={"spam": 0.3})
    scores(workspace, a={"sentiment": "negative", "sentiment_score": -0.2})
    expected = listed(workspace, sort=sort)
    # Only what the score marks, most marked first: negative mentions, toxic ones (0.5 and
    # more), spam (0.5 and more).
    if sort == "negative":
        assert expected == ["b", "f", "a"]  # -0.7 each (then by id), then -0.2
    elif sort == "toxicity":
        assert expected == ["f", "a", "b"]
    else:
        assert expected == ["d", "c"]
    seen, cursor = [], ""
    for _ in range(10):
        filters, form = explorer.parse_filters(workspace, {"sort": sort, "cursor": cursor})
        assert not form.errors
        page = explorer.keyset_page(explorer.filtered_mentions(workspace, filters), filters, 2)
        seen += keys(page.items)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == expected


def test_a_score_cursor_is_checked():
    assert decode_cursor(encode_cursor("negative", -0.7, 3), "negative") == (-0.7, 3)
    for value in (5.0, "x", True, None):
        with pytest.raises(ValidationError):
            decode_cursor(encode_cursor("toxicity", value, 3), "toxicity")


# --- preview ------------------------------------------------------------------------------------


def test_preview_reports_matches_among_recent_mentions(workspace, corpus):
    result = explorer.preview_query(workspace, "societe OR livraison")
    assert result.scanned == 9 and result.matched == 2
    assert keys(i.mention for i in result.items) == ["c", "b"]  # newest first
    pieces = result.items[1].segments
    assert ("livraison", True) in pieces
    assert "".join(p for p, _ in pieces) == corpus["b"].text


def test_preview_is_bounded(workspace, corpus, monkeypatch):
    monkeypatch.setattr(explorer, "PREVIEW_SCAN", 3)
    monkeypatch.setattr(explorer, "PREVIEW_SHOW", 1)
    result = explorer.preview_query(workspace, "lumiere")
    assert result.scanned == 3 and result.matched == 2 and len(result.items) == 1


def test_preview_of_a_bad_expression_says_where(workspace):
    from parvis.listening.query import QuerySyntaxError

    with pytest.raises(QuerySyntaxError) as info:
        explorer.preview_query(workspace, "bougie AND (cire")
    assert info.value.position == 11 and info.value.code == "unbalanced_paren"


def test_highlighted_pieces_are_cut():
    pieces = explorer.highlighted("abc def ghi", [(4, 7)], limit=6)
    assert pieces == [("abc ", False), ("de", True), ("…", False)]


# --- query actions ------------------------------------------------------------------------------


def test_create_update_and_delete_a_query(workspace, owner):
    query = services.do_save_query(
        workspace, owner, {"name": " Marque ", "kind": "brand", "expression": "lumiere"}
    )
    assert (query.name, query.created_by) == ("Marque", owner)
    services.do_save_query(workspace, owner, {"expression": "lumiere OR bougie"}, instance=query)
    query.refresh_from_db()
    assert query.expression == "lumiere OR bougie" and query.kind == "brand"
    services.do_delete_query(workspace, owner, query)
    assert not MonitoredQuery.objects.exists()


def test_a_syntax_error_names_the_position_in_french(workspace, owner):
    with pytest.raises(ValidationError) as info:
        services.do_save_query(
            workspace, owner, {"name": "x", "kind": "brand", "expression": "bougie OR"}
        )
    message = info.value.message_dict["expression"][0]
    assert "caractère 8" in message, message
    assert info.value.syntax.position == 7
    assert not MonitoredQuery.objects.exists()


def test_query_validation(workspace, owner):
    services.do_save_query(workspace, owner, {"name": "A", "kind": "brand", "expression": "a1"})
    with pytest.raises(ValidationError) as info:
        services.do_save_query(workspace, owner, {"name": "A", "kind": "topic", "expression": "b"})
    assert "name" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        services.do_save_query(workspace, owner, {"name": "B", "kind": "nope", "expression": "b"})
    assert "kind" in info.value.message_dict


def test_seed_from_the_strategy(workspace, owner):
    do_update_strategy(
        workspace, owner, {"brand_keywords": ["Maison Lumière", "#MaisonLumiere", "ET", '"']}
    )
    Competitor.objects.create(
        workspace=workspace, name="Cire & Sens", keywords=["cire et sens"], handles=["cireetsens"]
    )
    Competitor.objects.create(workspace=workspace, name="Bougies Rivales")
    created = services.seed_queries_from_strategy(workspace, owner)
    got = {(q.name, q.kind, q.expression) for q in created}
    assert got == {
        ("Maison Lumière", "brand", '"Maison Lumière" OR #MaisonLumiere OR "ET"'),
        ("Cire & Sens", "competitor", '"cire et sens" OR @cireetsens'),
        ("Bougies Rivales", "competitor", '"Bougies Rivales"'),
    }
    # Seeding again adds nothing and keeps edits.
    MonitoredQuery.objects.filter(name="Cire & Sens").update(expression="cire")
    assert services.seed_queries_from_strategy(workspace, owner) == []
    assert MonitoredQuery.objects.get(name="Cire & Sens").expression == "cire"


def test_seeded_queries_match_mentions(workspace, owner):
    do_update_strategy(workspace, owner, {"brand_keywords": ["Maison Lumière"]})
    services.seed_queries_from_strategy(workspace, owner)
    ingest_lines(workspace, lines([item("a", "Vive MAISON LUMIERE", 1)]))
    assert MentionMatch.objects.filter(query__kind="brand").count() == 1


# --- saved views --------------------------------------------------------------------------------


def test_saved_views_keep_only_filter_keys_and_replace_by_name(workspace, owner):
    view = services.do_save_view(
        workspace, owner, "Négatifs", {"sentiment": "negative", "evil": "x", "q": ""}
    )
    assert view.params == {"sentiment": "negative"}
    services.do_save_view(workspace, owner, "Négatifs", {"network": "rss"})
    assert SavedView.objects.get().params == {"network": "rss"}
    with pytest.raises(ValidationError):
        services.do_save_view(workspace, owner, "  ", {})


def test_a_saved_view_belongs_to_its_user(workspace, owner, member_factory):
    view = services.do_save_view(workspace, owner, "Mine", {})
    other = member_factory("analyst")
    with pytest.raises(ValidationError):
        services.do_delete_view(workspace, other, view)
    services.do_delete_view(workspace, owner, view)
    assert not SavedView.objects.exists()


def test_top_words_leave_out_the_stop_words_of_intelligence_list():
    # "ainsi", "afin" and "cette" are in data/stopwords.tsv; "c\u2019est" folds to "cest".
    texts = [("", "Ainsi, afin que cette bougie brille, c\u2019est simple")] * 2
    _, terms = explorer.top_words(texts)
    assert [word for word, _ in terms] == ["bougie", "brille", "simple"]
