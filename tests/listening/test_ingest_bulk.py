"""The fast ingestion paths (raw bulk writes, enrichment in a helper process) store exactly
what the plain in-process pipeline stores."""

import dataclasses
import json

import pytest
from django.db import connection

from parvis.listening import bulk, enrichment, pipeline, search
from parvis.listening.ingest import ingest_lines
from parvis.listening.models import Author, Mention, MentionMatch, MonitoredQuery, QuarantinedItem
from tests.listening.factories import lines, mention

pytestmark = pytest.mark.django_db

CAMPAIGN = "Je participe au concours #MaisonLumiere pour gagner un coffret de bougies !"


def feed() -> list[str]:
    items = []
    for n in range(40):
        extra = {}
        if n % 5 == 0:
            extra["text"] = CAMPAIGN  # a copy-paste group across batches
        if n % 6 == 0:
            extra["lang"] = None  # detected by enrichment
            extra["text"] = "Cire & Sens, the candles I love so much, great gift"
        if n % 9 == 0:
            extra["title"] = "Un titre"
        items.append(mention(n, **extra))
    feed = lines(items)
    feed.insert(3, "{broken\n")
    feed.insert(10, feed[5])  # the same item twice, in another batch
    return feed


def with_queries(workspace):
    MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression='"maison lumiere"'
    )
    MonitoredQuery.objects.create(
        workspace=workspace, name="Rival", kind="competitor", expression='"cire & sens"'
    )


MENTION_FIELDS = [
    f.attname
    for f in Mention._meta.concrete_fields
    if f.attname not in {"id", "workspace_id", "author_id", "ingested_at", "source_id"}
]
AUTHOR_FIELDS = [
    f.attname for f in Author._meta.concrete_fields if f.attname not in {"id", "workspace_id"}
]


def snapshot(workspace) -> dict:
    mentions = Mention.objects.filter(workspace=workspace).order_by("id")
    return {
        "mentions": [[getattr(m, f) for f in MENTION_FIELDS] + [m.author.handle] for m in mentions],
        "authors": sorted(Author.objects.filter(workspace=workspace).values_list(*AUTHOR_FIELDS)),
        "matches": sorted(
            MentionMatch.objects.filter(workspace=workspace).values_list(
                "mention__external_id", "query__name", "published_at"
            )
        ),
        "quarantine": list(
            QuarantinedItem.objects.filter(workspace=workspace).values_list(
                "line_number", "reason", "raw"
            )
        ),
        "found": sorted(
            search.filter_text(mentions, "bougies").values_list("external_id", flat=True)
        ),
    }


def test_the_helper_process_stores_exactly_what_the_single_process_stores(
    workspace, other_workspace, monkeypatch
):
    with_queries(workspace)
    with_queries(other_workspace)
    alone = ingest_lines(workspace, feed(), batch_size=7, overlap=False)
    matched_here = []
    original = pipeline.match_candidates

    def spy(batch, candidates):
        matched_here.append(len(candidates))
        original(batch, candidates)

    monkeypatch.setattr(pipeline, "match_candidates", spy)
    timings: dict[str, float] = {}
    helped = ingest_lines(other_workspace, feed(), batch_size=7, overlap=True, timings=timings)
    assert set(matched_here) == {0}  # the helper matched every candidate
    assert (
        alone.as_dict()
        == helped.as_dict()
        == {
            "read": 42,
            "stored": 40,
            "duplicates": 1,
            "rejected": 1,
        }
    )
    assert timings["enrich_helper"] > 0  # the helper really did the enrichment
    expected, got = snapshot(workspace), snapshot(other_workspace)
    assert got == expected
    text, head, size = (MENTION_FIELDS.index(f) for f in ("text", "group_head", "group_size"))
    campaign = [m for m in got["mentions"] if m[text] == CAMPAIGN]
    assert [m[size] for m in campaign if m[head]] == [6] and len(campaign) == 6
    assert len(got["matches"]) > 0 and got["found"]


def test_author_aggregates_add_up_across_batches(workspace):
    from django.db.models import Count, Max, Min, Sum

    from parvis.listening.authors import influence

    ingest_lines(workspace, feed(), batch_size=4)
    authors = Author.objects.filter(workspace=workspace).annotate(
        n=Count("mentions"),
        total=Sum("mentions__engagement"),
        sentiment=Sum("mentions__sentiment_score"),
        first=Min("mentions__published_at"),
        last=Max("mentions__published_at"),
    )
    assert len(authors) == 7
    for a in authors:
        assert (a.mention_count, a.engagement, a.sentiment_count) == (a.n, a.total, a.n)
        assert a.sentiment_sum == pytest.approx(a.sentiment, abs=1e-6)
        assert (a.first_seen_at, a.last_seen_at) == (a.first, a.last)
        newest = a.mentions.order_by("-published_at").first()
        assert a.followers == newest.reach
        assert a.influence == influence(a.followers, a.engagement, a.mention_count)


def test_raw_rows_read_back_as_the_orm_wrote_them(workspace):
    item = mention(1, title="Titre", parent_id="p1", root_id="r1")
    ingest_lines(workspace, lines([item]))
    m = Mention.objects.get()
    assert m.raw == item and m.title == "Titre"
    assert (m.parent_external_id, m.root_external_id) == ("p1", "r1")
    assert m.published_at.isoformat() == "2026-11-02T10:01:00+00:00"
    assert m.ingested_at.tzinfo is not None and m.group_head and m.group_size == 1
    assert set(m.toxicity_categories) >= {"insult", "hate"} and "toxicity" in m.analysis_why
    assert m.author.first_seen_at == m.author.last_seen_at == m.published_at
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT raw, published_at FROM listening_mention")
            raw, published = cursor.fetchone()
        assert raw == json.dumps(item)  # what Django's JSONField writes
        assert str(published) == "2026-11-02 10:01:00"


def test_the_pipeline_writes_every_mention_column():
    columns = {f.column for f in Mention._meta.concrete_fields}
    assert set(pipeline.MENTION_COLUMNS) == columns


def test_ids_are_allocated_after_the_highest_ever_used(workspace):
    ingest_lines(workspace, lines([mention(1), mention(2)]))
    highest = Mention.objects.order_by("-id").first().pk
    Mention.objects.filter(pk=highest).delete()
    ingest_lines(workspace, lines([mention(3)]))
    assert Mention.objects.order_by("-id").first().pk > highest  # never reused


def test_a_long_import_uses_the_helper_and_restores_the_checkpoint_setting(workspace, monkeypatch):
    monkeypatch.setattr(pipeline, "OVERLAP_AFTER", 5)
    monkeypatch.setattr(enrichment, "cores", lambda: 2)
    started = []
    original = enrichment.Helper.__init__

    def spy(self):
        started.append(True)
        original(self)

    monkeypatch.setattr(enrichment.Helper, "__init__", spy)
    summary = ingest_lines(workspace, lines([mention(i) for i in range(12)]), batch_size=3)
    assert summary.stored == 12 and started == [True]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            assert cursor.fetchone()[0] == 1000


def test_stages_are_found_by_what_they_declare_not_by_their_names(workspace, monkeypatch):
    """Wrapped stages (as benchmarks/ingest.py times them) keep their roles: a long import
    still hands enrichment and query matching to the helper process."""
    with_queries(workspace)

    def wrapped(run):
        def timed(batch):
            run(batch)

        return timed

    for phase in ("PREPARE", "WRITE", "AFTER_COMMIT"):
        stages = [dataclasses.replace(s, run=wrapped(s.run)) for s in getattr(pipeline, phase)]
        monkeypatch.setattr(pipeline, phase, stages)
    asked = []
    original = enrichment.Helper.submit

    def spy(self, texts, match=None):
        asked.append(match is not None)
        return original(self, texts, match)

    monkeypatch.setattr(enrichment.Helper, "submit", spy)
    summary = ingest_lines(workspace, feed(), batch_size=7, overlap=True)
    assert summary.stored == 40
    assert asked and all(asked)  # the helper enriched and matched every batch
    assert MentionMatch.objects.filter(workspace=workspace).exists()


def test_a_dead_helper_is_replaced_by_enrichment_here(workspace, monkeypatch):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    def broken(self, texts, match=None):
        future = Future()
        future.set_exception(BrokenProcessPool("killed"))
        return future

    monkeypatch.setattr(enrichment.Helper, "submit", broken)
    summary = ingest_lines(workspace, lines([mention(i) for i in range(6)]), overlap=True)
    assert summary.stored == 6
    assert all(m.sentiment for m in Mention.objects.all())


def test_lookup_finds_exactly_the_keys(workspace):
    ingest_lines(workspace, lines([mention(1), mention(2), mention(3, network="mastodon")]))
    wanted = [
        ("bluesky", mention(1)["external_id"]),
        ("mastodon", mention(3)["external_id"]),
        ("mastodon", mention(2)["external_id"]),  # stored on bluesky only
        ("bluesky", mention(1)["external_id"]),  # asked twice, found once
    ]
    columns = ("network", "external_id")
    found = bulk.lookup(Mention, workspace.pk, columns, wanted, columns)
    assert sorted(found) == sorted(wanted[:2])
    heads = bulk.lookup(
        Mention, workspace.pk, ("external_id",), [(wanted[0][1],)], ("id",), where="group_head"
    )
    assert heads == [(Mention.objects.get(external_id=wanted[0][1]).pk,)]
