"""Ingestion: an ordered list of small stages over a batch of incoming items.

prepare (no transaction): validate → dedupe → match early → enrich → match queries
write (one transaction):  dedupe again → store → index → source cursor and health
after commit:             emit

Items without a network-given language are matched after enrichment, so that `lang:` queries
see the detected language; for sources that keep matches only, the others are matched (and the
misses dropped) before enrichment, which lets a firehose be filtered at its own speed.
Everything a batch writes — mentions, authors, matches, index rows, quarantined items and the
source's cursor — commits together: a worker killed at any point loses and repeats nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from parvis.listening import authors, search
from parvis.listening.models import (
    Mention,
    MentionMatch,
    MonitoredQuery,
    QuarantinedItem,
    Source,
)
from parvis.listening.normalize import Candidate, InvalidMention, validate
from parvis.listening.query import compile_queries, make_document
from parvis.listening.signals import mentions_stored
from parvis.workspaces.models import Workspace


@dataclass(slots=True)
class Incoming:
    """One item as a source received it: parsed data, its raw text, where it came from."""

    data: Any
    raw: str = ""
    line: int | None = None
    error: str = ""  # set when the item could not even be parsed
    payload: Any = None  # the network's own payload, kept as received (default: data)


@dataclass
class Summary:
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0  # valid but matched no query, for sources that keep matches only

    def add(self, other: Summary) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {
            "read": self.read,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


@dataclass
class Batch:
    workspace: Workspace
    incoming: list[Incoming]
    source: Source | None = None
    origin: str = ""
    cursor: dict | None = None  # the source's cursor once this batch is stored
    keep_unmatched: bool = True
    candidates: list[Candidate] = field(default_factory=list)
    rejected: list[tuple[Incoming, str]] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    mentions: list[Mention] = field(default_factory=list)


Stage = Callable[[Batch], None]


# --- prepare ----------------------------------------------------------------------------


def validate_items(batch: Batch) -> None:
    seen: set[tuple[str, str]] = set()
    batch.summary.read = len(batch.incoming)
    for item in batch.incoming:
        if item.error:
            batch.rejected.append((item, item.error))
            continue
        try:
            candidate = validate(item.data)
        except InvalidMention as exc:
            batch.rejected.append((item, str(exc)))
            continue
        if item.payload is not None:
            candidate.raw = item.payload
        if candidate.key in seen:
            batch.summary.duplicates += 1
            continue
        seen.add(candidate.key)
        batch.candidates.append(candidate)


def drop_known(batch: Batch) -> None:
    """Drop candidates already stored: (network, external id) is unique per workspace."""
    if not batch.candidates:
        return
    networks = {c.network for c in batch.candidates}
    ids = {c.external_id for c in batch.candidates}
    known = set(
        Mention.objects.filter(
            workspace=batch.workspace, network__in=networks, external_id__in=ids
        ).values_list("network", "external_id")
    )
    kept = [c for c in batch.candidates if c.key not in known]
    batch.summary.duplicates += len(batch.candidates) - len(kept)
    batch.candidates = kept


def analysis_fields(result: Any) -> dict[str, Any]:
    """The Analysis (parvis.intelligence.types) as the columns of a mention."""
    scores = result.sentiment.scores
    return {
        "lang": result.lang or "",
        "sentiment": result.sentiment.label,
        "sentiment_score": round(scores.get("positive", 0.0) - scores.get("negative", 0.0), 4),
        "toxicity": result.toxicity.score,
        "toxicity_categories": result.toxicity.categories,
        "spam": result.spam.score,
        "why": result.why or {},
    }


def enrich(batch: Batch) -> None:
    if not batch.candidates:
        return
    from parvis.intelligence import analyze

    texts = [f"{c.title}\n{c.text}" if c.title else c.text for c in batch.candidates]
    for candidate, result in zip(batch.candidates, analyze(texts), strict=True):
        candidate.analysis = analysis_fields(result)
        # The network's own language tag wins over detection when it gives one.
        candidate.lang = candidate.lang or candidate.analysis["lang"]


_matchers: dict[int, tuple[tuple, Any]] = {}


def workspace_matcher(workspace: Workspace) -> Any:
    """The compiled active queries of the workspace, recompiled only when they change."""
    queries = MonitoredQuery.objects.filter(workspace=workspace, is_active=True)
    version = tuple(
        queries.aggregate(last=Max("updated_at"), top=Max("id"), n=Count("id")).values()
    )
    cached = _matchers.get(workspace.pk)
    if cached is None or cached[0] != version:
        expressions = dict(queries.values_list("id", "expression"))
        cached = (version, compile_queries(expressions))
        _matchers[workspace.pk] = cached
    return cached[1]


def match_candidates(batch: Batch, candidates: list[Candidate]) -> None:
    matcher = workspace_matcher(batch.workspace)
    for c in candidates:
        doc = make_document(
            f"{c.title}\n{c.text}" if c.title else c.text,
            lang=c.lang,
            network=c.network,
            author_handle=c.author.handle,
        )
        c.matched = matcher.match(doc)
        c.match_done = True


def drop_unmatched(batch: Batch) -> None:
    if batch.keep_unmatched:
        return
    kept = [c for c in batch.candidates if c.matched or not c.match_done]
    batch.summary.skipped += len(batch.candidates) - len(kept)
    batch.candidates = kept


def match_early(batch: Batch) -> None:
    """Sources that keep matches only (search, firehose) drop the rest before enrichment, the
    costly stage. Items whose network gave their language are matched exactly here; the others
    wait for language detection, which `lang:` queries need."""
    if batch.keep_unmatched or not batch.candidates:
        return
    match_candidates(batch, [c for c in batch.candidates if c.lang])
    drop_unmatched(batch)


def match_queries(batch: Batch) -> None:
    if not batch.candidates:
        return
    match_candidates(batch, [c for c in batch.candidates if not c.match_done])
    drop_unmatched(batch)


# --- write ------------------------------------------------------------------------------


def group_heads(batch: Batch) -> dict[str, Mention]:
    hashes = {c.content_hash for c in batch.candidates if c.content_hash}
    if not hashes:
        return {}
    heads = Mention.objects.filter(
        workspace=batch.workspace, content_hash__in=hashes, group_head=True
    )
    return {m.content_hash: m for m in heads}


def build_mention(batch: Batch, c: Candidate, author: Any, now: dt.datetime) -> Mention:
    a = c.analysis
    return Mention(
        workspace=batch.workspace,
        network=c.network,
        external_id=c.external_id,
        url=c.url,
        author=author,
        title=c.title,
        text=c.text,
        lang=c.lang,
        published_at=c.published_at,
        ingested_at=now,
        likes=c.likes,
        reposts=c.reposts,
        replies=c.replies,
        engagement=c.engagement,
        reach=c.author.followers,
        parent_external_id=c.parent_id,
        root_external_id=c.root_id,
        source=batch.source,
        raw=c.raw,
        sentiment=a.get("sentiment", ""),
        sentiment_score=a.get("sentiment_score", 0.0),
        toxicity=a.get("toxicity", 0.0),
        toxicity_categories=a.get("toxicity_categories", {}),
        spam=a.get("spam", 0.0),
        analysis_why=a.get("why", {}),
        content_hash=c.content_hash,
    )


def store(batch: Batch) -> None:
    if not batch.candidates:
        return
    now = timezone.now()
    by_author = authors.upsert(batch.workspace, batch.candidates)
    heads = group_heads(batch)
    grown: dict[str, Mention] = {}
    mentions = []
    for c in batch.candidates:
        mention = build_mention(batch, c, by_author[(c.network, c.author.handle)], now)
        head = heads.get(c.content_hash) if c.content_hash else None
        if head is not None:
            mention.group_head = False
            head.group_size += 1
            if head.pk:
                grown[c.content_hash] = head
        elif c.content_hash:
            heads[c.content_hash] = mention
        mentions.append(mention)
    Mention.objects.bulk_create(mentions, batch_size=500)
    # Heads created in this batch are saved above with their final group_size.
    Mention.objects.bulk_update(list(grown.values()), ["group_size"], batch_size=500)
    store_matches(batch, mentions)
    batch.summary.stored = len(mentions)
    batch.mentions = mentions


def store_matches(batch: Batch, mentions: list[Mention]) -> None:
    rows = [
        MentionMatch(
            workspace=batch.workspace, mention=m, query_id=query_id, published_at=m.published_at
        )
        for m, c in zip(mentions, batch.candidates, strict=True)
        for query_id in c.matched
    ]
    MentionMatch.objects.bulk_create(rows, batch_size=1000)


def index(batch: Batch) -> None:
    search.index([(m.pk, m.lang, m.title, m.text) for m in batch.mentions])


def quarantine(batch: Batch) -> None:
    QuarantinedItem.objects.bulk_create(
        [
            QuarantinedItem(
                workspace=batch.workspace,
                source=batch.source,
                origin=batch.origin[:200],
                line_number=item.line,
                reason=reason[:2000],
                raw=item.raw,
            )
            for item, reason in batch.rejected
        ],
        batch_size=500,
    )
    batch.summary.rejected = len(batch.rejected)


def advance_source(batch: Batch) -> None:
    source = batch.source
    if source is None:
        return
    if batch.cursor is not None:
        source.cursor = batch.cursor
    source.items_total += batch.summary.stored
    newest = max((c.published_at for c in batch.candidates), default=None)
    if newest and (source.newest_item_at is None or newest > source.newest_item_at):
        source.newest_item_at = newest
    source.save(update_fields=["cursor", "items_total", "newest_item_at"])


def emit(batch: Batch) -> None:
    if batch.mentions:
        mentions_stored.send(
            sender=Mention,
            workspace=batch.workspace,
            mention_ids=[m.pk for m in batch.mentions],
            source=batch.source,
        )


PREPARE: list[Stage] = [validate_items, drop_known, match_early, enrich, match_queries]
WRITE: list[Stage] = [drop_known, store, index, quarantine, advance_source]
AFTER_COMMIT: list[Stage] = [emit]


def run_batch(batch: Batch) -> Summary:
    for stage in PREPARE:
        stage(batch)
    with transaction.atomic():
        for stage in WRITE:
            stage(batch)
        transaction.on_commit(lambda: [stage(batch) for stage in AFTER_COMMIT])
    return batch.summary


def run(
    workspace: Workspace,
    items: Iterable[Incoming],
    *,
    source: Source | None = None,
    origin: str = "",
    cursor: dict | None = None,
    keep_unmatched: bool = True,
) -> Summary:
    batch = Batch(
        workspace=workspace,
        incoming=list(items),
        source=source,
        origin=origin,
        cursor=cursor,
        keep_unmatched=keep_unmatched,
    )
    return run_batch(batch)
