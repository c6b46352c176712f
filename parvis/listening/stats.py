"""Figures over a period of the workspace's mentions, for the apps above listening (the
analytics app's KPIs) that may not read listening's models themselves.

Everything is counted by the database over group heads (a copy-paste campaign counts once),
in [since, until), and returned as plain values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from parvis.listening.models import (
    Mention,
    MentionMatch,
    MonitoredQuery,
    QueryKind,
    Sentiment,
    Source,
)
from parvis.workspaces.models import Workspace

__all__ = [
    "SentimentCounts",
    "VoiceCounts",
    "account_source_kinds",
    "mention_ids",
    "sentiment_counts",
    "sentiment_counts_many",
    "share_of_voice",
    "share_of_voice_many",
]

# The most mention ids one call hands over (the newest): a period's answer rate is read from
# them, and beyond this many it is a sample of the latest.
MAX_IDS = 20_000


@dataclass(frozen=True)
class SentimentCounts:
    """Mentions of the period by sentiment; `unknown`: not analysed (no sentiment)."""

    positive: int = 0
    neutral: int = 0
    negative: int = 0
    unknown: int = 0

    @property
    def analysed(self) -> int:
        return self.positive + self.neutral + self.negative


@dataclass(frozen=True)
class VoiceCounts:
    """Mentions of the period matched by the brand's queries and by the competitors'."""

    brand: int = 0
    competitors: int = 0


def heads(workspace: Workspace, since: dt.datetime, until: dt.datetime) -> QuerySet[Mention]:
    return Mention.objects.filter(
        workspace=workspace, group_head=True, published_at__gte=since, published_at__lt=until
    )


Span = tuple[dt.datetime, dt.datetime]


def sentiment_counts(
    workspace: Workspace, since: dt.datetime, until: dt.datetime, network: str = ""
) -> SentimentCounts:
    """The workspace's mentions published in [since, until) by sentiment (one network's when
    `network` is given)."""
    return sentiment_counts_many(workspace, [(since, until)], network)[0]


def sentiment_counts_many(
    workspace: Workspace, spans: list[Span], network: str = ""
) -> list[SentimentCounts]:
    """`sentiment_counts` of each span, in one query (a page's objectives and their previous
    periods at once)."""
    if not spans:
        return []
    rows = heads(workspace, min(s for s, _u in spans), max(u for _s, u in spans))
    if network:
        rows = rows.filter(network=network)
    wanted = {}
    for i, (since, until) in enumerate(spans):
        inside = Q(published_at__gte=since, published_at__lt=until)
        wanted[f"p{i}"] = Count("id", filter=inside & Q(sentiment=Sentiment.POSITIVE))
        wanted[f"n{i}"] = Count("id", filter=inside & Q(sentiment=Sentiment.NEUTRAL))
        wanted[f"m{i}"] = Count("id", filter=inside & Q(sentiment=Sentiment.NEGATIVE))
        wanted[f"t{i}"] = Count("id", filter=inside)
    found = rows.aggregate(**wanted)
    return [
        SentimentCounts(
            positive=found[f"p{i}"],
            neutral=found[f"n{i}"],
            negative=found[f"m{i}"],
            unknown=found[f"t{i}"] - found[f"p{i}"] - found[f"n{i}"] - found[f"m{i}"],
        )
        for i in range(len(spans))
    ]


def mention_ids(
    workspace: Workspace, since: dt.datetime, until: dt.datetime, limit: int = MAX_IDS
) -> list[int]:
    """Ids of the workspace's mentions published in [since, until), newest first, at most
    `limit` (what the inbox's answer statistics are asked about)."""
    rows = heads(workspace, since, until).order_by("-published_at", "-id")
    return list(rows.values_list("id", flat=True)[:limit])


def share_of_voice(
    workspace: Workspace, since: dt.datetime, until: dt.datetime
) -> VoiceCounts | None:
    """Mentions of [since, until) matched by a brand query and by a competitor query (a
    mention matched by several queries of one side counts once). None when the workspace has
    no active competitor query: there is nothing to compare with."""
    found = share_of_voice_many(workspace, [(since, until)])
    return found[0] if found is not None else None


def share_of_voice_many(workspace: Workspace, spans: list[Span]) -> list[VoiceCounts] | None:
    """`share_of_voice` of each span, in one query after the check for competitor queries."""
    if not workspace_has_queries(workspace, QueryKind.COMPETITOR):
        return None
    if not spans:
        return []
    matches = MentionMatch.objects.filter(
        workspace=workspace,
        published_at__gte=min(s for s, _u in spans),
        published_at__lt=max(u for _s, u in spans),
        query__is_active=True,
    )
    wanted = {}
    for i, (since, until) in enumerate(spans):
        inside = Q(published_at__gte=since, published_at__lt=until)
        for side, kind in (("b", QueryKind.BRAND), ("c", QueryKind.COMPETITOR)):
            wanted[f"{side}{i}"] = Count(
                "mention_id", distinct=True, filter=inside & Q(query__kind=kind)
            )
    found = matches.aggregate(**wanted)
    return [
        VoiceCounts(brand=found[f"b{i}"], competitors=found[f"c{i}"]) for i in range(len(spans))
    ]


def workspace_has_queries(workspace: Workspace, kind: str) -> bool:
    return MonitoredQuery.objects.filter(workspace=workspace, kind=kind, is_active=True).exists()


def account_source_kinds(account_id: int) -> list[str]:
    """The connector kinds of the sources reading through a connected account (the demo's
    replay source speaks for its account, whatever the account's network)."""
    kinds = Source.objects.filter(account_id=account_id).values_list("kind", flat=True)
    return sorted(set(kinds))
