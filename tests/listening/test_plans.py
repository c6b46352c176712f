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
