"""What listening sees of a word or a hashtag right now: the workspace's recent mentions that
contain it (publishing's brand-safety check reads it before a post rides a hashtag).

Read-only. Every mention the workspace stored counts, whatever query matched it (or none).
The full-text index answers (FTS5 on SQLite, tsvector on PostgreSQL, see search.py), so a
workspace with a million mentions is not scanned:

- SQLite: the workspace's newest mentions drive (`head_recent`, newest first) and each is
  probed in the index's matches for the word, materialized once (FTS5 lists 400,000 matches
  in about 60 ms); the walk stops at `limit`. Measured on 2M mentions (1M in the
  workspace, 100,000 in its last 72 hours): 30 ms for an absent word, 60 ms for a rare
  hashtag, 170 ms for a word in a fifth of all mentions (benchmarks/brand_safety.py).
- PostgreSQL: the GIN index gives the matches; at most `PG_DRIVE_CAP` of them are looked up
  by primary key, more are probed while walking the workspace's newest mentions. On 1M
  mentions (500,000 in the workspace): see docs/brand-safety.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

from parvis.listening import bulk
from parvis.listening.models import Mention
from parvis.listening.search import WORD, is_postgres
from parvis.listening.text import fold

# A hashtag or a keyword is a few words; a longer "term" is not one.
MAX_WORDS = 8
FIELDS = ("id", "network", "url", "title", "text", "published_at", "sentiment", "lang")

# INDEXED BY: the planner, left alone, may drive from the index's matches and sort them all
# (a second for a word in 400,000 mentions) where walking the workspace's newest mentions
# stops after a few hundred. The subquery is not correlated: its matches are listed once.
SQLITE_RECENT = (
    "SELECT m.id FROM listening_mention m INDEXED BY head_recent "
    "WHERE m.workspace_id = %s AND m.group_head AND m.published_at >= %s "
    "AND m.published_at <= %s AND m.id IN ("
    "SELECT rowid FROM listening_mention_fts WHERE listening_mention_fts MATCH %s) "
    "ORDER BY m.published_at DESC, m.id DESC LIMIT %s"
)
# PostgreSQL: a word in at most this many mentions (all workspaces, all dates) is looked up
# by primary key; the planner, left alone, walked 40,000 recent rows for one in 5,000
# (430 ms, against 70 ms). A commoner one walks the workspace's newest mentions.
PG_DRIVE_CAP = 5_000
PG_MATCHES = (
    "SELECT mention_id FROM listening_mention_search WHERE vector @@ ("
    "phraseto_tsquery('french', %s) || phraseto_tsquery('english', %s) "
    "|| phraseto_tsquery('simple', %s))"
)


def index_words(term: str) -> list[str]:
    """The words the index holds for a term: « #Élection2027 » → ["election2027"]."""
    return WORD.findall(fold(term or ""))[:MAX_WORDS]


def recent_mentions_with_term(
    workspace_id: int,
    term: str,
    since: dt.datetime,
    *,
    until: dt.datetime | None = None,
    limit: int = 200,
) -> list[Mention]:
    """The workspace's newest mentions published in [since, until] whose text holds `term`
    (a word, a phrase or a hashtag, found as the search box finds it: folded for accents and
    case, stemmed), at most `limit`, newest first. Copies of a copy-pasted text count once
    (group heads only), so a campaign of identical posts weighs as one voice."""
    words = index_words(term)
    if not words or limit <= 0:
        return []
    phrase = " ".join(words)
    if not is_postgres():
        when = bulk.datetime_adapter()
        latest = until or dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
        # Words are \w+ runs of folded text: no quote can break out of the FTS5 phrase.
        params: list[Any] = [workspace_id, when(since), when(latest), f'"{phrase}"', limit]
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_RECENT, params)
            ids = [row[0] for row in cursor.fetchall()]
        found = Mention.objects.filter(id__in=ids).only(*FIELDS)
        return sorted(found, key=lambda m: (m.published_at, m.pk), reverse=True)
    mentions = Mention.objects.filter(workspace_id=workspace_id, group_head=True)
    mentions = mentions.filter(published_at__gte=since)
    if until is not None:
        mentions = mentions.filter(published_at__lte=until)
    with connection.cursor() as cursor:
        cursor.execute(f"{PG_MATCHES} LIMIT %s", [phrase, phrase, phrase, PG_DRIVE_CAP + 1])
        ids = [row[0] for row in cursor.fetchall()]
    if len(ids) <= PG_DRIVE_CAP:
        mentions = mentions.filter(id__in=ids)
    else:
        matching = RawSQL(PG_MATCHES, [phrase, phrase, phrase])  # noqa: S611
        mentions = mentions.filter(id__in=matching)
    return list(mentions.only(*FIELDS).order_by("-published_at", "-id")[:limit])
