"""Full-text search: SQLite FTS5 or PostgreSQL tsvector, one interface.

Both index the text folded for accents and case (parvis.listening.query.fold), so "societe"
finds "Société". SQLite stems with Porter (English, and French plurals in practice);
PostgreSQL indexes each mention with its language's configuration (french, english, or
simple) and searches all three. The tables are created by migration listening.0002.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from parvis.listening.query import fold

PG_CONFIGS = {"fr": "french", "en": "english"}

# Parameters only; no value is ever formatted into these statements.
# One statement per batch: the rows travel as three arrays (ids, configurations, bodies).
PG_INSERT = (
    "INSERT INTO listening_mention_search (mention_id, vector) "
    "SELECT id, to_tsvector(config::regconfig, body) "
    "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS row(id, config, body)"
)
PG_SEARCH = (
    "SELECT mention_id FROM listening_mention_search WHERE vector @@ ("
    "plainto_tsquery('french', %s) || plainto_tsquery('english', %s) "
    "|| plainto_tsquery('simple', %s))"
)
PG_DELETE = "DELETE FROM listening_mention_search WHERE mention_id = %s"
PG_CLEAR = "TRUNCATE listening_mention_search"
SQLITE_CLEAR = "INSERT INTO listening_mention_fts (listening_mention_fts) VALUES ('delete-all')"
SQLITE_INSERT = "INSERT INTO listening_mention_fts (rowid, body) VALUES (%s, %s)"
SQLITE_SEARCH = "SELECT rowid FROM listening_mention_fts WHERE listening_mention_fts MATCH %s"
# A contentless FTS5 table (SQLite < 3.43) forgets a row through the 'delete' command,
# which needs the indexed value again: we recompute it.
SQLITE_DELETE = (
    "INSERT INTO listening_mention_fts (listening_mention_fts, rowid, body) "
    "VALUES ('delete', %s, %s)"
)

Row = tuple[int, str, str, str]  # mention id, lang, title, text


def body(title: str, text: str) -> str:
    return fold(f"{title}\n{text}" if title else text)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def index(rows: Sequence[Row]) -> None:
    """Index rows, in the caller's transaction."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if is_postgres():
            ids = [pk for pk, *_ in rows]
            configs = [PG_CONFIGS.get(lang, "simple") for _, lang, _, _ in rows]
            cursor.execute(PG_INSERT, [ids, configs, [body(t, x) for _, _, t, x in rows]])
        else:
            cursor.executemany(SQLITE_INSERT, [(pk, body(t, x)) for pk, _, t, x in rows])


def unindex(rows: Sequence[Row]) -> None:
    """Remove rows from the index when their mentions are deleted."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.executemany(PG_DELETE, [(pk,) for pk, *_ in rows])
        else:
            cursor.executemany(SQLITE_DELETE, [(pk, body(t, x)) for pk, _, t, x in rows])


def clear() -> None:
    """Empty the index (after the mention table was emptied, e.g. by `flush`)."""
    with connection.cursor() as cursor:
        cursor.execute(PG_CLEAR if is_postgres() else SQLITE_CLEAR)


WORD = re.compile(r"\w+", re.UNICODE)


def sqlite_match(terms: str) -> str:
    """Every word must appear; the last one as a prefix, as people type."""
    words = WORD.findall(fold(terms))
    if not words:
        return ""
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def filter_text(queryset: QuerySet, terms: str) -> QuerySet:
    """Mentions of `queryset` whose title or text contain all words of `terms`."""
    if not WORD.search(terms or ""):
        return queryset
    if is_postgres():
        folded = fold(terms)
        return queryset.filter(id__in=RawSQL(PG_SEARCH, [folded, folded, folded]))  # noqa: S611
    return queryset.filter(id__in=RawSQL(SQLITE_SEARCH, [sqlite_match(terms)]))  # noqa: S611
