"""Matching stored mentions against a new or edited monitored query.

Ingestion matches each mention once, against the queries that exist then. When a community
manager creates or edits a veille, the mentions already stored must be matched too, or the
new veille shows nothing of the past. This walks the workspace's mentions in id order, in
bounded chunks, with the same matcher as ingestion.
"""

from __future__ import annotations

from django.db import transaction

from parvis.listening import freshness
from parvis.listening.models import Mention, MentionMatch, MonitoredQuery
from parvis.listening.query import make_document, parse

CHUNK = 2000


def rematch_query(query_id: int) -> int:
    """Replace the query's matches by a fresh pass over all stored mentions; returns how many
    mentions match."""
    query = MonitoredQuery.objects.filter(pk=query_id).first()
    if query is None:
        return 0
    try:
        return _rematch(query)
    finally:
        # Share of voice counts matches: the overview's cached figures are out of date.
        freshness.bump(query.workspace_id)


def _rematch(query: MonitoredQuery) -> int:
    matcher = parse(query.expression)
    MentionMatch.objects.filter(query=query).delete()
    if not query.is_active:
        return 0
    found, last_id = 0, 0
    mentions = Mention.objects.filter(workspace_id=query.workspace_id).order_by("id")
    while True:
        chunk = list(
            mentions.filter(id__gt=last_id).values_list(
                "id", "title", "text", "lang", "network", "author__handle", "published_at"
            )[:CHUNK]
        )
        if not chunk:
            return found
        rows = [
            MentionMatch(
                workspace_id=query.workspace_id, mention_id=pk, query=query, published_at=when
            )
            for pk, title, text, lang, network, handle, when in chunk
            if matcher.matches(
                make_document(
                    f"{title}\n{text}" if title else text,
                    lang=lang,
                    network=network,
                    author_handle=handle,
                )
            )
        ]
        with transaction.atomic():
            # A mention ingested meanwhile was matched by the pipeline already.
            MentionMatch.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        found += len(rows)
        last_id = chunk[-1][0]
