"""Mentions straight from the ORM, at chosen times, for the alerts' tests."""

from __future__ import annotations

import datetime as dt
import itertools

from parvis.listening.models import Author, Mention, MentionMatch, MonitoredQuery

COUNTER = itertools.count(1)
T0 = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)


def add_mentions(
    workspace,
    at: dt.datetime,
    n: int = 1,
    *,
    negative: bool = False,
    followers: int = 10,
    reach: int = 10,
    network: str = "bluesky",
    text: str = "Maison Lumière",
    query: MonitoredQuery | None = None,
) -> list[Mention]:
    made = []
    for _ in range(n):
        k = next(COUNTER)
        author = Author.objects.create(
            workspace=workspace,
            network=network,
            handle=f"a{k}.test",
            followers=followers,
            first_seen_at=at,
            last_seen_at=at,
        )
        mention = Mention.objects.create(
            workspace=workspace,
            network=network,
            external_id=f"m{k}",
            author=author,
            text=text,
            published_at=at,
            ingested_at=at,
            sentiment="negative" if negative else "neutral",
            reach=reach,
        )
        if query is not None:
            MentionMatch.objects.create(
                workspace=workspace, mention=mention, query=query, published_at=at
            )
        made.append(mention)
    return made


def brand_query(workspace, expression: str = "lumiere") -> MonitoredQuery:
    return MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression=expression
    )
