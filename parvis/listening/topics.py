"""What listening sees of a word or a hashtag right now: the workspace's recent mentions that
contain it (publishing's brand-safety check reads it before a post rides a hashtag).

Read-only. Every mention the workspace stored counts, whatever query matched it (or none).
The full-text index answers (FTS5 on SQLite, tsvector on PostgreSQL, see search.py), so a
workspace with a million mentions is not scanned:

- SQLite: when the word is in at most `DRIVE_CAP` indexed mentions (all workspaces, all
  dates), the index's row ids drive and each is looked up by primary key; a commoner word
  walks the workspace's newest mentions (`head_recent`) and probes the index's matches, and
  stops at `limit`.
- PostgreSQL: the GIN index gives the matches as a bitmap; the planner joins it to the
  workspace's recent mentions.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models.expressions import RawSQL

from parvis.listening.models import Mention
from parvis.listening.search import WORD, is_postgres
from parvis.listening.text import fold

# Past this many index matches, the workspace's recent mentions drive the query instead.
DRIVE_CAP = 10_000
# A hashtag or a keyword is a few words; a longer "term" is not one.
MAX_WORDS = 8
FIELDS = ("id", "network", "url", "title", "text", "published_at", "sentiment", "lang")

SQLITE_MATCHES = "SELECT rowid FROM listening_mention_fts WHERE listening_mention_fts MATCH %s"
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
    mentions = Mention.objects.filter(workspace_id=workspace_id, group_head=True)
    mentions = mentions.filter(published_at__gte=since)
    if until is not None:
        mentions = mentions.filter(published_at__lte=until)
    if is_postgres():
        matching = RawSQL(PG_MATCHES, [phrase, phrase, phrase])  # noqa: S611
        mentions = mentions.filter(id__in=matching)
    else:
        # Words are \w+ runs of folded text: no quote can break out of the FTS5 phrase.
        expression = f'"{phrase}"'
        with connection.cursor() as cursor:
            cursor.execute(SQLITE_MATCHES + f" LIMIT {DRIVE_CAP + 1}", [expression])
            ids = [row[0] for row in cursor.fetchall()]
        if len(ids) <= DRIVE_CAP:
            mentions = mentions.filter(id__in=ids)
        else:
            mentions = mentions.filter(id__in=RawSQL(SQLITE_MATCHES, [expression]))  # noqa: S611
    return list(mentions.only(*FIELDS).order_by("-published_at", "-id")[:limit])
