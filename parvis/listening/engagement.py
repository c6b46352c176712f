"""The likes, reposts and replies of young mentions, read again from the networks.

A mention's counts are those of the moment it was read; most of a post's engagement comes
in its first hours. So every hour the mentions that have just passed one of the CHECKPOINTS
(1, 6, 24 and 47 hours after publication) are read again, source by source, through the
connector that read them, when its network lets it read anyone's posts
(`Connector.metrics_of_others`: Bluesky, Mastodon, X). The schedule needs no stored state:
a mention is due when its age falls in the hour after a checkpoint, so four readings in its
first two days; a missed hour skips one reading, never repeats one.

The new counts replace the old ones (a network's figure can go down: a like withdrawn), the
mention's engagement is their sum, and its author's total engagement moves by the same
difference (an atomic increment: sources of one workspace may run at once). The author's
influence is recomputed at its next mention. One source failing (rate limit, token, network)
is logged and the others go on; the workspace's cached figures are marked changed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import httpx
from django.db import transaction
from django.db.models import F, Q, QuerySet

from parvis.connectors import base
from parvis.listening import freshness
from parvis.listening.models import Author, Mention, Source

logger = logging.getLogger(__name__)

CHECKPOINTS = (1, 6, 24, 47)  # hours after publication
HOUR = dt.timedelta(hours=1)
PER_SOURCE = 500  # mentions read per source and run, the most reached first
BATCH = 100


@dataclass
class Outcome:
    read: int = 0
    changed: int = 0
    sources: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def due_mentions(now: dt.datetime) -> QuerySet[Mention]:
    """The mentions whose age is in the hour after a checkpoint, from a source."""
    window = Q()
    for hours in CHECKPOINTS:
        age = dt.timedelta(hours=hours)
        window |= Q(published_at__gt=now - age - HOUR, published_at__lte=now - age)
    return Mention.objects.filter(window, source__isnull=False, source__is_active=True)


def save_counts(mentions: list[Mention], answers: list[base.PostMetrics]) -> int:
    """Store the counts the network gave (a figure it does not give stays); how many
    mentions changed."""
    by_id = {a.external_id: a for a in answers if not a.gone}
    changed = 0
    for mention in mentions:
        answer = by_id.get(mention.external_id)
        if answer is None:
            continue
        counts = {}
        for name in ("likes", "reposts", "replies"):
            value = base.metric(getattr(answer, name))
            counts[name] = getattr(mention, name) if value is None else value
        engagement = sum(counts.values())
        if all(counts[n] == getattr(mention, n) for n in counts):
            continue
        delta = engagement - mention.engagement
        with transaction.atomic():
            Mention.objects.filter(pk=mention.pk).update(**counts, engagement=engagement)
            if delta:
                Author.objects.filter(pk=mention.author_id).update(
                    engagement=F("engagement") + delta
                )
        changed += 1
    return changed


def refresh_source(
    source: Source, mentions: list[Mention], http: httpx.Client | None = None
) -> tuple[int, int]:
    """(read, changed) for `mentions` of `source`; raises the connector's errors."""
    cls = base.get(source.kind)
    client = http or cls.http_client()
    connector = cls(source, client)
    context = base.MetricsContext(workspace_id=source.workspace_id)
    read = changed = 0
    try:
        for start in range(0, len(mentions), BATCH):
            batch = mentions[start : start + BATCH]
            answers = connector.mention_metrics([m.external_id for m in batch], context)
            read += sum(1 for a in answers if not a.gone)
            changed += save_counts(batch, answers)
    finally:
        if http is None:
            client.close()
    return read, changed


def refresh_engagement(now: dt.datetime, http: httpx.Client | None = None) -> Outcome:
    outcome = Outcome()
    due = due_mentions(now)
    workspaces: set[int] = set()
    for source_id in sorted(set(due.values_list("source_id", flat=True))):
        source = Source.objects.filter(pk=source_id).select_related("account").first()
        if source is None:
            continue
        try:
            cls = base.get(source.kind)
        except base.PermanentError:  # a connector no longer installed
            continue
        if not cls.metrics_of_others:
            continue
        mentions = list(
            due.filter(source_id=source_id)
            .only("pk", "external_id", "author_id", "likes", "reposts", "replies", "engagement")
            .order_by("-reach", "pk")[:PER_SOURCE]
        )
        outcome.sources += 1
        try:
            read, changed = refresh_source(source, mentions, http)
        except (base.RetryLater, base.PermanentError) as exc:
            logger.info("engagement of %s's mentions: not now (%s)", source, exc)
            outcome.failed[source_id] = str(exc)
        except Exception as exc:  # one broken connector must not stop the other sources
            logger.exception("engagement of %s's mentions failed", source)
            outcome.failed[source_id] = f"{type(exc).__name__}: {exc}"
        else:
            outcome.read += read
            outcome.changed += changed
            if changed:
                workspaces.add(source.workspace_id)
    for workspace_id in workspaces:
        freshness.bump(workspace_id)
    return outcome
