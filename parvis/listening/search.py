"""Full-text search: SQLite FTS5 or PostgreSQL tsvector, one interface.

Both index the text folded for accents and case (parvis.listening.query.fold), so "societe"
finds "Société". SQLite stems with Porter (English, and French plurals in practice);
PostgreSQL indexes each mention with its language's configuration (french, english, or
simple) and searches all three. The tables are created by migration listening.0002.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _

from parvis.listening.query import (
    And,
    Handle,
    Hashtag,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Word,
    fold,
    parse,
)

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
    """Mentions of `queryset` matching the search `terms` (see text_search)."""
    found = text_search(terms)
    if found is None:
        return queryset
    return queryset.filter(id__in=RawSQL(found.sql, found.params))  # noqa: S611


# --- the monitored-query language in the search box ----------------------------------------


class SearchError(ValueError):
    """A search the full-text index cannot answer (the message says why, for the visitor)."""


@dataclass(frozen=True)
class TextSearch:
    """SQL that selects the ids of the mentions matching a search, and its parameters."""

    sql: str
    params: list[Any]


PG_LEAF = "(to_tsquery('french', %s) || to_tsquery('english', %s) || to_tsquery('simple', %s))"
PG_MATCH = "SELECT mention_id FROM listening_mention_search WHERE vector @@ ({})"


def is_plain(root: Node) -> bool:
    """Plain words ("bougie parfum"): searched as typed, the last word as a prefix."""
    if isinstance(root, Word):
        return True
    return isinstance(root, And) and all(isinstance(c, Word) for c in root.children)


def text_search(terms: str) -> TextSearch | None:
    """The search for `terms`, written in the language of monitored queries (OR, NOT, -word,
    "phrases", prefix*, #hashtags, parentheses); None when there is nothing to search.

    Raises QuerySyntaxError for an expression that does not parse, SearchError for what the
    index cannot answer: lang: and network: (the list has filters for them), or a search
    made only of exclusions.
    """
    if not WORD.search(terms or ""):
        return None
    root = parse(terms).root
    if is_plain(root):
        if is_postgres():
            folded = fold(terms)
            return TextSearch(PG_SEARCH, [folded, folded, folded])
        return TextSearch(SQLITE_SEARCH, [sqlite_match(terms)])
    if is_postgres():
        sql, params = _pg(root)
        return TextSearch(PG_MATCH.format(sql), params)
    return TextSearch(SQLITE_SEARCH, [_fts(root)])


def _words(node: Node) -> tuple[list[str], bool]:
    """The index's words for a term, and whether the last one is a prefix."""
    if isinstance(node, Word):
        return WORD.findall(node.token), False
    if isinstance(node, Phrase):
        return WORD.findall(node.whole or " ".join(node.tokens)), False
    if isinstance(node, Prefix):
        return WORD.findall(node.stem), True
    if isinstance(node, Hashtag):
        return WORD.findall(node.tag), node.prefix
    if isinstance(node, Handle):
        return WORD.findall(node.handle), False  # the handle where it is written
    raise SearchError(
        _("lang: and network: are filters here: use the Language and Network fields.")
    )


def _split(node: And) -> tuple[list[Node], list[Node]]:
    included = [c for c in node.children if not isinstance(c, Not)]
    excluded = [c.child for c in node.children if isinstance(c, Not)]
    if not included:
        raise SearchError(_("Say what to find, not only what to leave out."))
    return included, excluded


def _fts(node: Node) -> str:
    """An FTS5 expression: "phrases", prefix*, AND, OR, NOT (binary), parentheses."""
    if isinstance(node, Or):
        return "(" + " OR ".join(_fts(c) for c in node.children) + ")"
    if isinstance(node, And):
        included, excluded = _split(node)
        text = "(" + " AND ".join(_fts(c) for c in included) + ")"
        return text + "".join(f" NOT {_fts(c)}" for c in excluded)
    if isinstance(node, Not):
        raise SearchError(_("Say what to find, not only what to leave out."))
    words, prefix = _words(node)
    if not words:
        raise SearchError(_("Say what to find, not only what to leave out."))
    return '"' + " ".join(words) + '"' + ("*" if prefix else "")


def _pg(node: Node) -> tuple[str, list[Any]]:
    """A tsquery expression; each term in the three configurations of the index (a mention
    is indexed in its language's), so that NOT excludes it whatever the language."""
    if isinstance(node, Or | And):
        if isinstance(node, And):
            included, excluded = _split(node)
            parts = [_pg(c) for c in included] + [_negate(_pg(c)) for c in excluded]
            joiner = " && "
        else:
            parts = [_pg(c) for c in node.children]
            joiner = " || "
        return "(" + joiner.join(sql for sql, _p in parts) + ")", [
            p for _s, ps in parts for p in ps
        ]
    if isinstance(node, Not):
        raise SearchError(_("Say what to find, not only what to leave out."))
    words, prefix = _words(node)
    if not words:
        raise SearchError(_("Say what to find, not only what to leave out."))
    text = " <-> ".join(words) + (":*" if prefix else "")
    return PG_LEAF, [text, text, text]


def _negate(part: tuple[str, list[Any]]) -> tuple[str, list[Any]]:
    return "(!! " + part[0] + ")", part[1]
