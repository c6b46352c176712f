"""The detail page's queries keep their index on SQLite whatever its statistics say. At 1M
mentions, sampled statistics (ANALYZE with analysis_limit) saw huge copy groups and most
mentions sharing the empty parent: SQLite then walked the workspace's million dates for a
mention's copies (17 s) and replies, instead of using an index made for them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parvis.listening import explorer
from tests.listening.test_explorer import build_corpus

pytestmark = pytest.mark.django_db

# sqlite_stat1 rows measured on the 1M-mention benchmark data dir.
STATS_AT_1M = {
    ("listening_mention", "mention_time"): "1000000 1000000 1001 334 72 1",
    ("listening_mention", "mention_copies"): "1000000 1000000 1001 21",
    ("listening_mention", "mention_replies"): "1000000 1000000 1001 1001 201",
    ("listening_mention", "head_recent"): "660000 1000000 501",
    ("listening_author", "author_influence"): "50000 50000 5",
    ("listening_author", "sqlite_autoindex_listening_author_1"): "50000 50000 10000 1",
}


@pytest.fixture
def statistics_at_1m():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's planner statistics")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # creates sqlite_stat1
        for (table, index), stat in STATS_AT_1M.items():
            cursor.execute("DELETE FROM sqlite_stat1 WHERE idx = %s", [index])
            cursor.execute(
                "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (%s, %s, %s)",
                [table, index, stat],
            )
        cursor.execute("ANALYZE sqlite_schema")  # load them
    yield
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM sqlite_stat1")
        cursor.execute("ANALYZE sqlite_schema")


def plans_of(call) -> list[str]:
    """EXPLAIN QUERY PLAN of each statement `call()` runs."""
    with CaptureQueriesContext(connection) as ctx:
        call()
    plans = []
    with connection.cursor() as cursor:
        for query in ctx.captured_queries:
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            plans.append(" | ".join(str(row[-1]) for row in cursor.fetchall()))
    return plans


def test_copies_and_replies_use_their_indexes(workspace, statistics_at_1m):
    corpus = build_corpus(workspace)
    mention = next(m for m in corpus.values() if m.group_size > 1)
    copies = plans_of(lambda: explorer.copies(mention))
    assert any("mention_copies" in p for p in copies), copies
    replies = plans_of(lambda: explorer.thread(mention))
    assert any("mention_replies" in p for p in replies), replies
    for found in copies + replies:
        # The index gives the order too: with a sort to do after it, SQLite preferred
        # walking mention_time in date order at 1M.
        assert "mention_time" not in found and "TEMP B-TREE" not in found, found


def test_a_long_import_gives_postgresql_statistics_as_it_goes(workspace, monkeypatch):
    """An import into a table PostgreSQL has no statistics for yet: its planner took any
    index starting with workspace_id (copies, replies) for the look-up of stored mentions,
    and scanned the workspace for each of 4,000 keys (a 100k import spent 69 s there). The
    import now analyses the tables as they double (bulk.GrowthWatch)."""
    import json

    from parvis.listening import bulk, pipeline
    from parvis.listening.ingest import ingest_lines
    from parvis.listening.models import Mention

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner")
    monkeypatch.setattr(pipeline, "OVERLAP_AFTER", 100)
    monkeypatch.setattr(bulk.GrowthWatch, "FIRST", 1000)
    lines = [
        json.dumps(
            {
                "network": ["bluesky", "mastodon", "reddit"][n % 3],
                "external_id": f"post-{n}",
                "author": {"handle": f"a{n % 50}", "followers": n},
                "text": f"Une bougie numéro {n} #{n % 97}",
                "created_at": f"2026-10-{1 + n % 28:02d}T{n % 24:02d}:00:00+00:00",
            }
        )
        for n in range(3000)
    ]
    ingest_lines(workspace, iter(lines), batch_size=500, overlap=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'listening_mention'")
        assert cursor.fetchone()[0] >= 1000  # only this transaction's ANALYZE sees them
    keys = [("bluesky", f"post-{n}") for n in range(4000)]
    columns = ("network", "external_id")
    with CaptureQueriesContext(connection) as ctx:
        found = bulk.lookup(Mention, workspace.pk, columns, keys, columns)
    assert len(found) == 1000
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + ctx.captured_queries[-1]["sql"])
        plans = [row[0] for row in cursor.fetchall()]
    assert any("unique_mention" in line for line in plans), plans
