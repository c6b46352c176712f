"""Ingestion: an ordered list of small stages over a batch of incoming items (STAGES, each a
`Stage` that declares its phase and whether it enriches, matches or can run in the helper).

prepare (no transaction): validate → dedupe → match early → enrich → match queries
write (one transaction):  dedupe again → store → index → source cursor and health
after commit:             emit

Items without a network-given language are matched after enrichment, so that `lang:` queries
see the detected language; for sources that keep matches only, the others are matched (and the
misses dropped) before enrichment, which lets a firehose be filtered at its own speed.
Everything a batch writes — mentions, authors, matches, index rows, quarantined items and the
source's cursor — commits together: a worker killed at any point loses and repeats nothing.
The write transaction is the workspace's only writer (bulk.lock_workspace): several workers
may ingest into one workspace at once and store what a single writer would have stored.

`store` writes raw rows (parvis.listening.bulk), not through Django's bulk_create. A long
import (`run_stream`) enriches and matches batch N+1 in a helper process while this process
writes batch N; batches still commit one by one, in order, here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import BrokenExecutor, Future
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Count, DateTimeField, F, Max, Q, Value, When
from django.utils import timezone

from parvis.connectors.base import Incoming
from parvis.listening import (
    adapting,
    authors,
    bulk,
    enrichment,
    freshness,
    own,
    search,
    stage_times,
)
from parvis.listening.models import (
    Mention,
    MentionMatch,
    MonitoredQuery,
    QuarantinedItem,
    Source,
)
from parvis.listening.normalize import Candidate, InvalidMention, storable, validate
from parvis.listening.query import compile_queries, match_mention
from parvis.listening.signals import mentions_stored
from parvis.workspaces.models import Workspace


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
    mention_ids: list[int] = field(default_factory=list)  # stored, in candidates' order


class Phase(StrEnum):
    PREPARE = "prepare"  # no transaction: reads only
    WRITE = "write"  # inside the batch's one transaction
    AFTER_COMMIT = "after_commit"  # once that transaction committed


@dataclass(frozen=True, slots=True)
class Stage:
    """One step over a batch and what it is. The runners (`write`, `run_batch`, `run_stream`)
    read these declarations: a stage is found by what it does, never by its function's name.
    """

    name: str
    run: Callable[[Batch], None]
    phase: Phase
    # The costly CPU step (language, sentiment, toxicity, spam): the one a long import hands
    # to its helper process.
    enriches: bool = False
    # Matches candidates against the workspace's queries.
    matches: bool = False
    # Needs no database, only the batch's texts: the helper process can do it too, right
    # after enriching (parvis.listening.enrichment).
    in_helper: bool = False

    def __call__(self, batch: Batch) -> None:
        start = time.perf_counter()
        self.run(batch)
        stage_times.add(self.name, time.perf_counter() - start)  # for /metrics


# --- prepare ----------------------------------------------------------------------------


# Far above any real post with its payload (a few KB to tens of KB): one item of a page under
# the HTTP cap (connectors/http.py) can still be megabytes of one forged field.
MAX_ITEM = 1_000_000


def validate_items(batch: Batch) -> None:
    seen: set[tuple[str, str]] = set()
    batch.summary.read = len(batch.incoming)
    for item in batch.incoming:
        if len(item.raw) > MAX_ITEM:
            batch.rejected.append(oversized(item))
            continue
        if item.error:
            batch.rejected.append((item, item.error))
            continue
        try:
            candidate = validate(item.data, item.payload)
        except InvalidMention as exc:
            batch.rejected.append((item, str(exc)))
            continue
        if candidate.key in seen:
            batch.summary.duplicates += 1
            continue
        seen.add(candidate.key)
        batch.candidates.append(candidate)


def oversized(item: Incoming) -> tuple[Incoming, str]:
    """The item for the quarantine, its raw text cut to MAX_ITEM, and the reason."""
    reason = f"item of {len(item.raw):,} characters, over the limit of {MAX_ITEM:,} (cut to it)"
    return dataclasses.replace(item, raw=item.raw[:MAX_ITEM], data=None), reason


def drop_known(batch: Batch) -> None:
    """Drop candidates already stored: (network, external id) is unique per workspace."""
    if not batch.candidates:
        return
    keys = [c.key for c in batch.candidates]
    columns = ("network", "external_id")
    known = set(bulk.lookup(Mention, batch.workspace.pk, columns, keys, columns))
    kept = [c for c in batch.candidates if c.key not in known]
    batch.summary.duplicates += len(batch.candidates) - len(kept)
    batch.candidates = kept


def enrich_text(c: Candidate) -> str:
    return f"{c.title}\n{c.text}" if c.title else c.text


def apply_analysis(candidates: list[Candidate], fields: list[dict[str, Any]]) -> None:
    for candidate, analysis in zip(candidates, fields, strict=True):
        candidate.analysis = analysis
        # The network's own language tag wins over detection when it gives one.
        candidate.lang = candidate.lang or analysis["lang"]


def after_analysis(batch: Batch) -> None:
    """The workspace's own view on the shared analysis: its corrections' adaptation layer,
    then its own accounts."""
    if not batch.candidates:
        return
    adapted = adapting.adapt(batch.workspace.pk, [c.analysis for c in batch.candidates])
    for candidate, fields in zip(batch.candidates, adapted, strict=True):
        candidate.analysis = fields
    clear_own_spam(batch)


def clear_own_spam(batch: Batch) -> None:
    """The brand's own accounts are never spam in their own workspace: their offers and
    links are the brand speaking (« Gift cards from €20… » scored 97 %). One query a batch
    (`own.own_handles`: connected accounts and the strategy's handles)."""
    if not batch.candidates:
        return
    handles = own.own_handles(batch.workspace)
    if not handles:
        return
    mine = {(network, handle.lower()) for network, handle in handles}
    for c in batch.candidates:
        if c.analysis and (c.network, c.author.handle.lstrip("@").lower()) in mine:
            c.analysis["spam"] = 0.0
            why = c.analysis.get("why")
            if isinstance(why, dict):
                why["spam"] = []


def enrich(batch: Batch) -> None:
    if not batch.candidates:
        return
    texts = [enrich_text(c) for c in batch.candidates]
    apply_analysis(batch.candidates, enrichment.analyze_texts(texts))
    after_analysis(batch)


_matchers: dict[int, tuple[tuple, Any, dict[int, str]]] = {}


def workspace_queries(workspace: Workspace) -> tuple[tuple, Any, dict[int, str]]:
    """(version, compiled matcher, expressions) of the workspace's active queries,
    recompiled only when they change."""
    queries = MonitoredQuery.objects.filter(workspace=workspace, is_active=True)
    version = tuple(
        queries.aggregate(last=Max("updated_at"), top=Max("id"), n=Count("id")).values()
    )
    cached = _matchers.get(workspace.pk)
    if cached is None or cached[0] != version:
        expressions = dict(queries.values_list("id", "expression"))
        cached = (version, compile_queries(expressions), expressions)
        _matchers[workspace.pk] = cached
    return cached


def workspace_matcher(workspace: Workspace) -> Any:
    """The compiled active queries of the workspace, recompiled only when they change."""
    return workspace_queries(workspace)[1]


def match_candidates(batch: Batch, candidates: list[Candidate]) -> None:
    matcher = workspace_matcher(batch.workspace)
    for c in candidates:
        c.matched = match_mention(
            matcher, enrich_text(c), lang=c.lang, network=c.network, author_handle=c.author.handle
        )
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


def group_heads(batch: Batch) -> dict[str, list[int]]:
    """The stored heads of this batch's copy-paste groups: content hash -> [id, group size]."""
    hashes = [(c.content_hash,) for c in batch.candidates if c.content_hash]
    heads = bulk.lookup(
        Mention,
        batch.workspace.pk,
        ("content_hash",),
        hashes,
        ("content_hash", "id", "group_size"),
        where="group_head",
    )
    return {content_hash: [pk, size] for content_hash, pk, size in heads}


# The columns `store` writes, in the order of `mention_row`; a field added to Mention later
# gets its default (bulk.insert), so this list only needs the fields the pipeline fills.
MENTION_COLUMNS = (
    "id",
    "workspace_id",
    "network",
    "external_id",
    "url",
    "author_id",
    "title",
    "text",
    "lang",
    "published_at",
    "ingested_at",
    "likes",
    "reposts",
    "replies",
    "engagement",
    "reach",
    "parent_external_id",
    "root_external_id",
    "source_id",
    "raw",
    "sentiment",
    "sentiment_score",
    "toxicity",
    "toxicity_categories",
    "spam",
    "analysis_why",
    "content_hash",
    "group_head",
    "group_size",
)


def group_mentions(batch: Batch) -> tuple[list[bool], list[int], dict[str, list[int]]]:
    """Copy-paste groups: whether each candidate heads its group, each one's group size, and
    the stored heads that grew. The first mention of a text heads its group; later copies,
    in this batch or any later one, add one to the head's size."""
    stored = group_heads(batch)
    is_head = [True] * len(batch.candidates)
    sizes = [1] * len(batch.candidates)
    new_heads: dict[str, int] = {}  # content hash -> position of its head in this batch
    grown: dict[str, list[int]] = {}
    for n, c in enumerate(batch.candidates):
        if not c.content_hash:
            continue
        head = stored.get(c.content_hash)
        if head is not None:
            is_head[n] = False
            head[1] += 1
            grown[c.content_hash] = head
        elif (first := new_heads.get(c.content_hash)) is not None:
            is_head[n] = False
            sizes[first] += 1
        else:
            new_heads[c.content_hash] = n
    return is_head, sizes, grown


def store(batch: Batch) -> None:
    """Authors, mentions, copy-paste groups and query matches, as raw bulk writes (see
    parvis.listening.bulk: Django's per-value preparation was most of this stage's time)."""
    if not batch.candidates:
        return
    when = bulk.datetime_adapter()
    ingested_at = when(timezone.now())
    author_ids = authors.upsert(batch.workspace, batch.candidates)
    is_head, sizes, grown = group_mentions(batch)
    ids = bulk.allocate_ids(Mention, len(batch.candidates))
    workspace_id = batch.workspace.pk
    source_id = batch.source.pk if batch.source is not None else None
    dumps = json.dumps  # what Django's JSONField sends (no custom encoder)
    rows = []
    for pk, c, head, size in zip(ids, batch.candidates, is_head, sizes, strict=True):
        a = c.analysis
        rows.append(
            (
                pk,
                workspace_id,
                c.network,
                c.external_id,
                c.url,
                author_ids[(c.network, c.author.handle)],
                c.title,
                c.text,
                c.lang,
                when(c.published_at),
                ingested_at,
                c.likes,
                c.reposts,
                c.replies,
                c.likes + c.reposts + c.replies,
                c.author.followers,
                c.parent_id,
                c.root_id,
                source_id,
                c.raw_json or dumps(c.raw),
                a.get("sentiment", ""),
                float(a.get("sentiment_score", 0.0)),
                float(a.get("toxicity", 0.0)),
                dumps(a.get("toxicity_categories", {})),
                float(a.get("spam", 0.0)),
                dumps(a.get("why", {})),
                c.content_hash,
                head,
                size,
            )
        )
    bulk.insert(Mention, MENTION_COLUMNS, rows)
    # Heads created in this batch were inserted above with their final group_size.
    if grown:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {connection.ops.quote_name(Mention._meta.db_table)} "  # noqa: S608
                "SET group_size = %s WHERE id = %s",
                [(size, pk) for pk, size in grown.values()],
            )
    batch.mention_ids = ids
    store_matches(batch)
    batch.summary.stored = len(ids)


def store_matches(batch: Batch) -> None:
    when = bulk.datetime_adapter()
    workspace_id = batch.workspace.pk
    rows = [
        (workspace_id, pk, query_id, when(c.published_at))
        for pk, c in zip(batch.mention_ids, batch.candidates, strict=True)
        for query_id in c.matched
    ]
    bulk.insert(MentionMatch, ("workspace_id", "mention_id", "query_id", "published_at"), rows)


def index(batch: Batch) -> None:
    search.index(
        [
            (pk, c.lang, c.title, c.text)
            for pk, c in zip(batch.mention_ids, batch.candidates, strict=True)
        ]
    )


def quarantine(batch: Batch) -> None:
    QuarantinedItem.objects.bulk_create(
        [
            QuarantinedItem(
                workspace=batch.workspace,
                source=batch.source,
                origin=storable(batch.origin[:200]),
                line_number=item.line,
                reason=storable(reason[:2000]),
                raw=storable(item.raw),
            )
            for item, reason in batch.rejected
        ],
        batch_size=500,
    )
    batch.summary.rejected = len(batch.rejected)


def advance_source(batch: Batch) -> None:
    """The source's cursor, count and newest item, as one UPDATE of these columns only: the
    count and the newest date computed by the database (an edit of the source, or another
    run's batch, may have changed the row since this process read it)."""
    source = batch.source
    if source is None:
        return
    changes: dict[str, Any] = {"items_total": F("items_total") + batch.summary.stored}
    newest = max((c.published_at for c in batch.candidates), default=None)
    if newest:
        later = Q(newest_item_at__isnull=True) | Q(newest_item_at__lt=newest)
        changes["newest_item_at"] = Case(
            When(later, then=Value(newest, output_field=DateTimeField())),
            default=F("newest_item_at"),
        )
    Source.objects.filter(pk=source.pk).update(**changes)
    source.refresh_from_db(fields=["items_total", "newest_item_at"])
    if batch.cursor is not None:
        # Only while the settings are those the run started with: new settings (edited
        # meanwhile) describe another feed, whose cursor starts over.
        source.cursor = batch.cursor
        Source.objects.filter(pk=source.pk, config=source.config).update(cursor=batch.cursor)


def mark_changed(batch: Batch) -> None:
    """New mentions: the workspace's cached figures (the overview) are out of date. In the
    write transaction, so the new version and the mentions become visible together; the
    workspace lock already serializes this transaction, the version row adds no waiting."""
    if batch.mention_ids:
        freshness.bump(batch.workspace.pk)


def emit(batch: Batch) -> None:
    if batch.mention_ids:
        mentions_stored.send(
            sender=Mention,
            workspace=batch.workspace,
            mention_ids=list(batch.mention_ids),
            source=batch.source,
        )


STAGES: tuple[Stage, ...] = (
    Stage("validate_items", validate_items, Phase.PREPARE),
    Stage("drop_known", drop_known, Phase.PREPARE),
    Stage("match_early", match_early, Phase.PREPARE, matches=True),
    Stage("enrich", enrich, Phase.PREPARE, enriches=True, in_helper=True),
    Stage("match_queries", match_queries, Phase.PREPARE, matches=True, in_helper=True),
    # Again inside the transaction: another writer may have stored the same items meanwhile.
    Stage("drop_known", drop_known, Phase.WRITE),
    Stage("store", store, Phase.WRITE),
    Stage("index", index, Phase.WRITE),
    Stage("quarantine", quarantine, Phase.WRITE),
    Stage("advance_source", advance_source, Phase.WRITE),
    Stage("mark_changed", mark_changed, Phase.WRITE),
    Stage("emit", emit, Phase.AFTER_COMMIT),
)


def in_phase(phase: Phase) -> list[Stage]:
    return [stage for stage in STAGES if stage.phase is phase]


PREPARE = in_phase(Phase.PREPARE)
WRITE = in_phase(Phase.WRITE)
AFTER_COMMIT = in_phase(Phase.AFTER_COMMIT)


def write(batch: Batch) -> Summary:
    with transaction.atomic():
        bulk.lock_workspace(batch.workspace.pk)
        for stage in WRITE:
            stage(batch)
        transaction.on_commit(lambda: after_commit(batch))
    return batch.summary


def after_commit(batch: Batch) -> None:
    for stage in AFTER_COMMIT:
        stage(batch)


def run_batch(batch: Batch) -> Summary:
    for stage in PREPARE:
        stage(batch)
    return write(batch)


# Below this many items a helper process (about a second to start and load the models)
# costs more than it saves.
OVERLAP_AFTER = 5_000


def split_prepare() -> tuple[list[Stage], list[Stage]] | None:
    """The prepare stages before and after the enrichment stage, which the helper process
    takes over (None without one)."""
    at = next((n for n, s in enumerate(PREPARE) if s.enriches and s.in_helper), None)
    if at is None:
        return None
    return PREPARE[:at], PREPARE[at + 1 :]


def wants_helper(overlap: bool | None, read: int, split: object) -> bool:
    if split is None or overlap is False:
        return False
    return bool(overlap) or (read > OVERLAP_AFTER and enrichment.helper_worthwhile())


def run_stream(
    workspace: Workspace,
    item_batches: Iterable[list[Incoming]],
    *,
    origin: str = "",
    overlap: bool | None = None,
    timings: dict[str, float] | None = None,
) -> Summary:
    """Batches in order (an import), each as `run` would, committed alone and in order.

    Once the stream proves long (OVERLAP_AFTER items) and a second core is there, a helper
    process enriches batch N+1 while this process writes batch N. `overlap`: None decides
    so, True starts the helper at once (tests), False never. `timings` (optional) receives
    the helper's busy seconds and the seconds spent waiting for it.
    """
    total = Summary()
    split = split_prepare()
    helper: enrichment.Helper | None = None
    pending: deque[tuple[Batch, Future | None]] = deque()
    read = 0
    growth: bulk.GrowthWatch | None = None

    def add(summary: Summary) -> None:
        total.add(summary)
        if growth is not None:
            growth.wrote(summary.stored)

    with contextlib.ExitStack() as resources:
        for items in item_batches:
            batch = Batch(workspace=workspace, incoming=list(items), origin=origin)
            if read <= OVERLAP_AFTER < read + len(batch.incoming):
                resources.enter_context(bulk.long_writes())
                growth = bulk.GrowthWatch()
            read += len(batch.incoming)
            if helper is None and wants_helper(overlap, read, split):
                helper = enrichment.Helper()
                resources.callback(helper.close)
            if helper is None or split is None:
                add(run_batch(batch))
                continue
            for stage in split[0]:
                stage(batch)
            pending.append((batch, submit(helper, batch, split[1])))
            if len(pending) > 1:  # the helper has the next batch: write this one meanwhile
                add(finish(*pending.popleft(), split[1], timings))
        while pending:
            add(finish(*pending.popleft(), split[1], timings))  # type: ignore[index]
    return total


def submit(helper: enrichment.Helper, batch: Batch, after: list[Stage]) -> Future | None:
    """Send the batch's texts to the helper, and, when query matching comes next, what it
    needs to match them too (the queries as this process compiled them, and for each
    candidate not yet matched: its network, author and language if the network gave one)."""
    if not batch.candidates:
        return None
    texts = [enrich_text(c) for c in batch.candidates]
    match = None
    if any(stage.matches and stage.in_helper for stage in after):
        version, _, expressions = workspace_queries(batch.workspace)
        todo = [
            (n, c.lang, c.network, c.author.handle)
            for n, c in enumerate(batch.candidates)
            if not c.match_done
        ]
        match = ((batch.workspace.pk, version), expressions, todo)
    return helper.submit(texts, match)


def finish(
    batch: Batch, future: Future | None, after: list[Stage], timings: dict[str, float] | None
) -> Summary:
    """The rest of a batch the helper worked on: its results, the stages after enrichment
    (query matching finds the candidates already matched), then the write transaction."""
    if batch.candidates:
        start = time.perf_counter()
        result = None
        if future is not None:
            # If the helper died (out of memory, killed), this process does the work instead.
            with contextlib.suppress(BrokenExecutor):
                result = future.result()
        if result is None:
            result = (enrichment.analyze_texts([enrich_text(c) for c in batch.candidates]), {}, 0)
        fields, matched, busy = result
        if timings is not None:
            timings["enrich_wait"] = timings.get("enrich_wait", 0.0) + time.perf_counter() - start
            timings["enrich_helper"] = timings.get("enrich_helper", 0.0) + busy
        apply_analysis(batch.candidates, fields)
        after_analysis(batch)
        for n, query_ids in matched.items():
            batch.candidates[n].matched = query_ids
            batch.candidates[n].match_done = True
    for stage in after:
        stage(batch)
    return write(batch)


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
