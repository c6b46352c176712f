"""The mention table carries the indexes the models declare, no more: every index costs each
insert (docs/benchmarks.md, "Listening: ingestion")."""

from __future__ import annotations

import pytest
from django.db import connection

from parvis.listening.models import Mention, MentionMatch

pytestmark = pytest.mark.django_db


def index_columns(model) -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        tuple(info["columns"])
        for info in found.values()
        if info["index"] and not info["primary_key"]
    }


def test_no_single_column_index_that_another_index_starts_with():
    for model in (Mention, MentionMatch):
        indexes = index_columns(model)
        single = {cols for cols in indexes if len(cols) == 1}
        wider = {cols for cols in indexes if len(cols) > 1}
        redundant = {cols for cols in single if any(w[0] == cols[0] for w in wider)}
        assert not redundant, (model.__name__, redundant)


def test_the_score_indexes_are_partial():
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Mention._meta.db_table)
    names = {name for name, info in found.items() if info["index"]}
    assert {"head_negative", "head_toxic", "head_spammy"} <= names
    assert not names & {"head_score", "head_toxicity", "head_spam"}


def test_reading_a_workspace_after_a_cursor_walks_its_own_index(workspace, other_workspace):
    """Inbox intake and alerts read a workspace's new mentions after a cursor, in id order:
    through mention_workspace, not every id of every workspace after the cursor."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite query plans")
    rows = Mention.objects.filter(workspace=workspace, id__gt=10).order_by("id")[:1000]
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
    assert "mention_workspace" in plan and "TEMP B-TREE" not in plan, plan
