"""The crowded minute: posts due together are claimed, sent and recorded in batches.

An agency schedules its clients' posts on round hours, so thousands of variants may fall due
in the same minute. One variant at a time (engine.publish_variant) costs about twenty queries
and waits for each network's answer in turn; here a worker claims up to `BATCH_SIZE` due
variants in one statement, checks approval and crisis holds once per workspace, reads their
media and their accounts' connectors in one query each, sends them all at once from a pool of
threads (the networks' answers overlap), and records the outcomes in one transaction.

Only the plain case takes this path: a variant tried for the first time (never in doubt), of a
post that is not part of a thread. Everything else — a retry, an expired lease to reconcile
with `find_post`, a thread's parts that must go in order — stays on the one-at-a-time path,
whose rules this path keeps: the same conditional claim (so a variant is held by one worker),
the same lease (`engine.CLAIM` covers one network call, and each variant of a batch makes
exactly one), the same idempotency key, the same records, events and failure handling.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection, connections, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.connectors import base
from parvis.connectors.models import ConnectedAccount
from parvis.listening.extensions import publishing_holds
from parvis.publishing import engine
from parvis.publishing.models import EventKind, Flow, Media, Post, PostEvent, Status, Variant
from parvis.publishing.services import aggregate, get_approval_settings, media_file

logger = logging.getLogger(__name__)

BATCH_SIZE = 32
# Shared by the worker's threads: four Huey threads with a full batch each fit in one round,
# so every call of a batch starts at once and its lease is never outlived by a queue.
POOL_SIZE = 4 * BATCH_SIZE

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="parvis-publish")
        return _pool


def batchable(now: dt.datetime) -> QuerySet[Variant]:
    """Due variants that may take the batch path: first attempt, not part of a thread."""
    parts = Post.objects.filter(thread_parent_id=OuterRef("post_id"))
    return Variant.objects.filter(
        status=Status.SCHEDULED,
        attempts=0,
        next_attempt_at__isnull=True,
        post__scheduled_at__lte=now,
        post__thread_parent__isnull=True,
    ).exclude(Exists(parts))


def claim_batch(
    now: dt.datetime, owner: str, *, prefer_post: int | None = None, size: int = BATCH_SIZE
) -> list[Variant]:
    """Up to `size` due variants, now held by `owner` (the post `prefer_post`'s first: the
    task queued at its time). On PostgreSQL the candidates are locked with SKIP LOCKED, so
    workers claiming at once take different rows; on SQLite the transaction already holds
    the only write lock. The UPDATE re-checks the row's own state either way."""
    with transaction.atomic():
        candidates = batchable(now)
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        ids: list[int] = []
        if prefer_post is not None:
            ids = list(candidates.filter(post_id=prefer_post).values_list("id", flat=True)[:size])
        if len(ids) < size:
            rest = candidates.exclude(pk__in=ids).order_by("post__scheduled_at", "id")
            ids += list(rest.values_list("id", flat=True)[: size - len(ids)])
        if not ids:
            return []
        Variant.objects.filter(
            pk__in=ids, status=Status.SCHEDULED, attempts=0, next_attempt_at__isnull=True
        ).update(
            status=Status.PUBLISHING,
            claim_owner=owner,
            claimed_at=now,
            claimed_until=now + engine.CLAIM,
            attempts=F("attempts") + 1,
            first_attempt_at=Coalesce(F("first_attempt_at"), now),
            updated_at=now,
        )
        variants = list(
            Variant.objects.filter(pk__in=ids, status=Status.PUBLISHING, claim_owner=owner)
            .select_related("post__workspace", "account")
            .order_by("id")
        )
        # The calendar shows them on their way (the aggregate is recorded with the outcome).
        Post.objects.filter(pk__in={v.post_id for v in variants}, status=Status.SCHEDULED).update(
            status=Status.PUBLISHING, updated_at=now
        )
    return variants


def release(variants: Iterable[Variant], now: dt.datetime) -> None:
    """Back to `scheduled` as if never claimed (a crisis holds their workspace): the minute
    tick tries them again, on the one-at-a-time path that logs the hold."""
    ids = [v.pk for v in variants]
    Variant.objects.filter(pk__in=ids, status=Status.PUBLISHING).update(
        status=Status.SCHEDULED,
        claim_owner="",
        claimed_at=None,
        claimed_until=None,
        attempts=F("attempts") - 1,
        updated_at=now,
    )
    Post.objects.filter(pk__in={v.post_id for v in variants}, status=Status.PUBLISHING).update(
        status=Status.SCHEDULED, updated_at=now
    )


def screen(variants: list[Variant], now: dt.datetime) -> tuple[list[Variant], dict[str, int]]:
    """The variants that may go, and the outcomes of the others: approval and crisis holds,
    checked once per workspace."""
    by_workspace: dict[int, list[Variant]] = {}
    for variant in variants:
        by_workspace.setdefault(variant.workspace_id, []).append(variant)
    going: list[Variant] = []
    counts: dict[str, int] = {}
    for group in by_workspace.values():
        workspace = group[0].post.workspace
        if publishing_holds(workspace):
            release(group, now)
            for post in {v.post_id: v.post for v in group}.values():
                engine.held(post, now)
            continue
        asks = get_approval_settings(workspace).flow != Flow.NONE
        for variant in group:
            post = variant.post
            if asks and post.approved_version != post.version:
                outcome = engine.fail(
                    variant,
                    post,
                    _("This post was not approved in its current version: send it for approval."),
                    now,
                )
                counts[outcome] = counts.get(outcome, 0) + 1
            else:
                going.append(variant)
    return going, counts


def media_by_variant(variants: list[Variant]) -> dict[int, list[Media]]:
    """What each variant publishes (services.media_of for many): its own, else the post's."""
    rows = Media.objects.filter(
        Q(variant_id__in=[v.pk for v in variants])
        | Q(post_id__in={v.post_id for v in variants}, variant__isnull=True)
    ).order_by("position", "id")
    own: dict[int, list[Media]] = {}
    shared: dict[int, list[Media]] = {}
    for media in rows:
        if media.variant_id is not None:
            own.setdefault(media.variant_id, []).append(media)
        else:
            shared.setdefault(media.post_id, []).append(media)
    return {v.pk: own.get(v.pk) or shared.get(v.post_id, []) for v in variants}


def classes_for(accounts: Iterable[ConnectedAccount]) -> dict[int, type[base.Connector] | None]:
    """engine.connector_class for many accounts, with one query for their sources' kinds."""
    from parvis.listening.models import Source

    accounts = list({a.pk: a for a in accounts}.values())
    kinds: dict[int, set[str]] = {}
    for account_id, kind in Source.objects.filter(
        account_id__in=[a.pk for a in accounts]
    ).values_list("account_id", "kind"):
        kinds.setdefault(account_id, set()).add(kind)
    return {a.pk: engine.connector_class(a, kinds=kinds.get(a.pk, set())) for a in accounts}


def send(
    cls: type[base.Connector] | None,
    account: ConnectedAccount,
    post: base.OutgoingPost,
    context: base.PublishContext,
    factory: engine.Factory | None,
) -> base.PublishedPost:
    """In a pool thread: one network call. A connector that touched the database (a token
    refreshed) leaves no connection open behind it in this long-lived thread."""
    try:
        if factory is not None:
            connector = factory(account)
        elif cls is None:
            raise base.PermanentError(
                _("Parvis cannot publish on this network yet: post it on the network itself.")
            )
        else:
            connector = cls.for_account(account, http=engine.http_client(cls))
        return connector.publish(post, context)
    finally:
        connections.close_all()


def publish_batch(
    now: dt.datetime | None = None,
    *,
    prefer_post: int | None = None,
    factory: engine.Factory | None = None,
    after_publish: Callable[[base.PublishedPost], None] | None = None,
    owner: str | None = None,
    size: int = BATCH_SIZE,
) -> dict[str, int]:
    """Claim a batch of due variants, send them at once, record the outcomes. Returns the
    count of each outcome (empty when nothing was due on this path). The claim's owner is
    made unique per batch: the claimed rows are read back by it."""
    now = now or timezone.now()
    owner = f"{uuid.uuid4().hex[:12]}:{owner or engine.worker_name()}"[:100]
    variants, counts = screen(claim_batch(now, owner, prefer_post=prefer_post, size=size), now)
    if not variants:
        return counts
    media = media_by_variant(variants)
    classes = {} if factory is not None else classes_for(v.account for v in variants)
    futures: list[tuple[Variant, Future[base.PublishedPost]]] = []
    for variant in variants:
        outgoing = base.OutgoingPost(
            text=variant.effective_text,
            media=tuple(media_file(m) for m in media[variant.pk]),
            reply_to=None,
            language=variant.post.language,
        )
        context = base.PublishContext(
            variant.workspace_id, idempotency_key=str(variant.idempotency_key)
        )
        future = pool().submit(
            send, classes.get(variant.account_id), variant.account, outgoing, context, factory
        )
        futures.append((variant, future))
    done: list[tuple[Variant, base.PublishedPost]] = []
    for variant, future in futures:
        try:
            published = future.result()
        except base.RetryLater as error:
            outcome = engine.retry_later(variant, variant.post, str(error), error.retry_after, now)
        except base.ConnectorError as error:  # PermanentError included
            outcome = engine.fail(variant, variant.post, str(error), now)
        except Exception as error:
            logger.exception("variant %s: unexpected error while publishing", variant.pk)
            outcome = engine.retry_later(
                variant, variant.post, f"{type(error).__name__}: {error}", None, now
            )
        else:
            if after_publish is not None:
                after_publish(published)
            done.append((variant, published))
            continue
        counts[outcome] = counts.get(outcome, 0) + 1
    for outcome in record_all(done, now):
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def record_all(done: list[tuple[Variant, base.PublishedPost]], now: dt.datetime) -> list[str]:
    """engine.record for a batch, in one transaction: the posts locked in id order (as the
    services lock a head before its variants), each variant recorded only if still
    `publishing`, the events in one insert, each post's status its variants' aggregate."""
    if not done:
        return []
    outcomes: list[str] = []
    post_ids = sorted({v.post_id for v, _p in done})
    with transaction.atomic():
        list(
            Post.objects.select_for_update()
            .filter(pk__in=post_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        events: list[PostEvent] = []
        at = timezone.now()
        for variant, published in done:
            fields = engine.answer_fields(published)
            updated = Variant.objects.filter(pk=variant.pk, status=Status.PUBLISHING).update(
                status=Status.PUBLISHED,
                **fields,
                text=variant.effective_text,
                claim_owner="",
                claimed_until=None,
                last_error="",
                what_to_do="",
                updated_at=at,
            )
            if not updated:
                outcomes.append("skipped")
                continue
            outcomes.append(Status.PUBLISHED)
            events.append(
                PostEvent(
                    workspace_id=variant.workspace_id,
                    post_id=variant.post_id,
                    variant=variant,
                    kind=EventKind.PUBLISHED,
                    at=now,
                    details={
                        "network": variant.account.network,
                        "account": variant.account.handle,
                        "external_id": fields["external_id"],
                        "url": fields["url"],
                    },
                )
            )
        PostEvent.objects.bulk_create(events)
        resumed = list(
            Post.objects.filter(pk__in=post_ids, paused_at__isnull=False).values_list(
                "pk", flat=True
            )
        )
        if resumed:
            Post.objects.filter(pk__in=resumed).update(paused_at=None)
            PostEvent.objects.bulk_create(
                PostEvent(
                    workspace_id=v.workspace_id, post_id=v.post_id, kind=EventKind.RESUMED, at=now
                )
                for v in {v.post_id: v for v, _p in done if v.post_id in resumed}.values()
            )
        refresh_statuses(post_ids, at)
    return outcomes


def refresh_statuses(post_ids: list[int], at: dt.datetime) -> None:
    """services.refresh_status for posts outside threads: one read, one UPDATE per status."""
    by_post: dict[int, list[str]] = {}
    for post_id, status in Variant.objects.filter(post_id__in=post_ids).values_list(
        "post_id", "status"
    ):
        by_post.setdefault(post_id, []).append(status)
    wanted: dict[str, list[int]] = {}
    for post_id, statuses in by_post.items():
        status = aggregate(statuses)
        if status is not None:
            wanted.setdefault(status, []).append(post_id)
    for status, ids in wanted.items():
        Post.objects.filter(pk__in=ids).exclude(status=status).update(status=status, updated_at=at)


def due_split(now: dt.datetime) -> tuple[int, list[int]]:
    """For the minute tick: how many due variants the batch path takes (among the first
    engine.BATCH due), and the others (retries, leases in doubt, threads' parts)."""
    due = engine.due_variants(now)
    plain = set(batchable(now).filter(pk__in=due).values_list("id", flat=True))
    return len(plain), [variant_id for variant_id in due if variant_id not in plain]
