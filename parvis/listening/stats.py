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
    "share_of_voice",
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


def sentiment_counts(
    workspace: Workspace, since: dt.datetime, until: dt.datetime, network: str = ""
) -> SentimentCounts:
    """The workspace's mentions published in [since, until) by sentiment (one network's when
    `network` is given)."""
    rows = heads(workspace, since, until)
    if network:
        rows = rows.filter(network=network)
    counts = rows.aggregate(
        positive=Count("id", filter=Q(sentiment=Sentiment.POSITIVE)),
        neutral=Count("id", filter=Q(sentiment=Sentiment.NEUTRAL)),
        negative=Count("id", filter=Q(sentiment=Sentiment.NEGATIVE)),
        total=Count("id"),
    )
    known = counts["positive"] + counts["neutral"] + counts["negative"]
    return SentimentCounts(
        positive=counts["positive"],
        neutral=counts["neutral"],
        negative=counts["negative"],
        unknown=counts["total"] - known,
    )


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
    matches = MentionMatch.objects.filter(
        workspace=workspace,
        published_at__gte=since,
        published_at__lt=until,
        query__is_active=True,
    )
    if not workspace_has_queries(workspace, QueryKind.COMPETITOR):
        return None
    brand = matches.filter(query__kind=QueryKind.BRAND).values("mention_id").distinct().count()
    competitors = (
        matches.filter(query__kind=QueryKind.COMPETITOR).values("mention_id").distinct().count()
    )
    return VoiceCounts(brand=brand, competitors=competitors)


def workspace_has_queries(workspace: Workspace, kind: str) -> bool:
    return MonitoredQuery.objects.filter(workspace=workspace, kind=kind, is_active=True).exists()


def account_source_kinds(account_id: int) -> list[str]:
    """The connector kinds of the sources reading through a connected account (the demo's
    replay source speaks for its account, whatever the account's network)."""
    kinds = Source.objects.filter(account_id=account_id).values_list("kind", flat=True)
    return sorted(set(kinds))
