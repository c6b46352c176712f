"""Publishing scheduled posts on the networks, exactly once per account.

The inbox's replies' protocol (inbox/sending.py), per variant (a post on one account):

1. claim: one conditional UPDATE, `scheduled` (due) → `publishing` with the worker's name and
   a lease (`claimed_until`); a variant found `publishing` with an expired lease is claimed
   the same way. Two workers never both hold one: the UPDATE's WHERE is on the row's own
   columns, so PostgreSQL re-checks it after waiting for the other's lock, and SQLite writes
   one at a time.
2. outside any transaction, the network. A variant tried before (its lease expired because a
   worker died between the network's answer and step 3, or a retry after `RetryLater`, which
   may hide a success the network could not tell us) is first looked for on the network
   (`Connector.find_post` since its first attempt): found, it is recorded, not sent again.
   The idempotency key (`Variant.idempotency_key`) goes with every attempt (Mastodon's
   Idempotency-Key, Bluesky's record key), so the network refuses a double too;
3. record: external id, URL, time, the network's raw answer (what a thread's next part
   replies to), `published`; the post's status is its variants' aggregate.

Never published: a variant whose post is not approved in its current version (when the
workspace asks for approval) — checked here, not only in the pages; a variant while a crisis
holds the workspace (`listening.extensions.publishing_holds`: logged once, it goes when the
hold lifts); part N of a thread before part N-1 on the same account is published.

`RetryLater` puts the variant back to `scheduled` with a delay (the network's, else
exponential); `PermanentError` makes it `failed` with the network's words and what to do,
logged on the post and e-mailed to its author. `run_due` (every minute) picks up what is due,
retries whose time came and leases that expired; an ETA task per post starts it on time.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.connectors import base
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.storable import storable_json
from parvis.listening.extensions import publishing_holds
from parvis.listening.normalize import storable
from parvis.publishing import notify
from parvis.publishing.models import EventKind, Post, Status, Variant
from parvis.publishing.services import (
    event,
    is_approved,
    media_file,
    media_of,
    refresh_status,
    thread_rows,
)

logger = logging.getLogger(__name__)

CLAIM = dt.timedelta(minutes=2)  # longer than any network call (timeouts are 30 s)
MAX_ATTEMPTS = 8
# A network's clock and ours differ: look back a little further than the first attempt.
CLOCK_MARGIN = dt.timedelta(minutes=5)
BATCH = 1000

Factory = Callable[[ConnectedAccount], base.Connector]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


# --- which connector publishes for an account ------------------------------------------------


def connector_class(
    account: ConnectedAccount, kinds: Iterable[str] | None = None
) -> type[base.Connector] | None:
    """The connector that publishes as `account`: the kind of a source reading through the
    account, when it can publish (the demo's replay source), else the network's connector
    that can (app password or OAuth kinds before read-only key kinds). `kinds`: the kinds
    of the account's sources, when the caller read them already."""
    from parvis.listening.models import Source

    if kinds is None:
        kinds = Source.objects.filter(account=account).values_list("kind", flat=True).distinct()
    for kind in sorted(kinds):
        try:
            cls = base.get(kind)
        except base.PermanentError:
            continue
        if base.Capability.PUBLISH in cls.capabilities:
            return cls
    candidates = [
        cls
        for cls in base.load_all().values()
        if cls.network == account.network and base.Capability.PUBLISH in cls.capabilities
    ]
    candidates.sort(key=lambda cls: (cls.auth == base.Auth.API_KEY, cls.kind))
    return candidates[0] if candidates else None


_clients = threading.local()


def http_client(cls: type[base.Connector]) -> httpx.Client:
    """One HTTP client per connector kind and worker thread, kept: building one (its TLS
    context) costs more than publishing a post, and a minute may hold thousands."""
    clients = getattr(_clients, "by_kind", None)
    if clients is None:
        clients = _clients.by_kind = {}
    client = clients.get(cls.kind)
    if client is None or client.is_closed:
        client = clients[cls.kind] = cls.http_client()
    # Shared by the accounts of the kind: nothing one account's answers set may go with
    # another's requests (connectors send their credentials per request, never on the client).
    client.cookies.clear()
    return client


def connector_for(account: ConnectedAccount, http: httpx.Client | None = None) -> base.Connector:
    cls = connector_class(account)
    if cls is None:
        raise base.PermanentError(
            _("Parvis cannot publish on this network yet: post it on the network itself.")
        )
    return cls.for_account(account, http=http or http_client(cls))


# --- what is due ------------------------------------------------------------------------------


def due_query(now: dt.datetime) -> Q:
    waiting = Q(status=Status.SCHEDULED, post__scheduled_at__lte=now) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return waiting | Q(status=Status.PUBLISHING, claimed_until__lte=now)


def due_variants(now: dt.datetime, *, post_ids: list[int] | None = None) -> list[int]:
    """Variants to try now, the earliest first, a thread's parts in order."""
    rows = Variant.objects.filter(due_query(now))
    if post_ids is not None:
        rows = rows.filter(post_id__in=post_ids)
    return list(
        rows.order_by("post__scheduled_at", "post__thread_position", "id").values_list(
            "id", flat=True
        )[:BATCH]
    )


def claim(
    variant_id: int, now: dt.datetime, owner: str, known: Variant | None = None
) -> tuple[Variant | None, bool]:
    """(the variant now held by `owner`, whether an earlier attempt may have reached the
    network); (None, False) when it is not due or another worker holds it. `known`: the
    variant as the caller loaded it (with its post and account), brought up to date."""
    waiting = Q(status=Status.SCHEDULED) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    expired = Q(status=Status.PUBLISHING, claimed_until__lte=now)
    claimed = Variant.objects.filter(waiting | expired, pk=variant_id).update(
        status=Status.PUBLISHING,
        claim_owner=owner,
        claimed_at=now,
        claimed_until=now + CLAIM,
        attempts=F("attempts") + 1,
        first_attempt_at=Coalesce(F("first_attempt_at"), now),
        next_attempt_at=None,
        updated_at=now,
    )
    if not claimed:
        return None, False
    if known is None:
        variant = Variant.objects.select_related(
            "post__thread_parent__workspace", "post__workspace", "account"
        ).get(pk=variant_id)
    else:
        variant = known
        # What the UPDATE computed in the database (another worker may have moved the
        # counters since the caller read the row).
        variant.attempts, variant.first_attempt_at = Variant.objects.values_list(
            "attempts", "first_attempt_at"
        ).get(pk=variant_id)
        variant.status, variant.claim_owner, variant.claimed_at = Status.PUBLISHING, owner, now
        variant.claimed_until, variant.next_attempt_at = now + CLAIM, None
    # The calendar shows the post on its way (the aggregate is recorded with the outcome).
    post = variant.post
    head = post.thread_parent or post
    if Status.SCHEDULED in (post.status, head.status):
        Post.objects.filter(pk__in={post.pk, head.pk}, status=Status.SCHEDULED).update(
            status=Status.PUBLISHING, updated_at=now
        )
    return variant, variant.attempts > 1


def is_due(variant: Variant, now: dt.datetime) -> bool:
    """`due_query` for one loaded variant (with its post)."""
    if variant.status == Status.SCHEDULED:
        when = variant.post.scheduled_at
        return (
            when is not None
            and when <= now
            and (variant.next_attempt_at is None or variant.next_attempt_at <= now)
        )
    return (
        variant.status == Status.PUBLISHING
        and variant.claimed_until is not None
        and variant.claimed_until <= now
    )


# --- before sending ---------------------------------------------------------------------------


def held(head: Post, now: dt.datetime) -> str:
    """Why the workspace's posts must wait now ("" when they may go). Logged once per post."""
    reasons = publishing_holds(head.workspace)
    if not reasons:
        return ""
    why = "; ".join(str(r) for r in reasons)
    if Post.objects.filter(pk=head.pk, paused_at__isnull=True).update(paused_at=now):
        event(head, EventKind.PAUSED, None, message=why, at=now)
    return why


def previous_part(variant: Variant) -> Variant | None:
    """In a thread, the variant on the same account of the part before this one."""
    post = variant.post
    if not post.thread_parent_id:
        return None
    if post.thread_position <= 1:
        previous_post_id = post.thread_parent_id
    else:
        previous_post_id = (
            Post.objects.filter(
                thread_parent_id=post.thread_parent_id, thread_position__lt=post.thread_position
            )
            .order_by("-thread_position")
            .values_list("id", flat=True)
            .first()
        ) or post.thread_parent_id
    return Variant.objects.filter(post_id=previous_post_id, account_id=variant.account_id).first()


def reply_target(variant: Variant, previous: Variant) -> base.ReplyTarget:
    head_id = variant.post.thread_parent_id or variant.post_id
    head_variant = Variant.objects.filter(post_id=head_id, account_id=variant.account_id).first()
    raw = previous.raw if isinstance(previous.raw, dict) else {}
    return base.ReplyTarget(
        network=variant.account.network,
        external_id=previous.external_id,
        root_external_id=head_variant.external_id if head_variant else previous.external_id,
        author_handle=variant.account.handle,
        raw=raw,
    )


def outgoing(variant: Variant, reply_to: base.ReplyTarget | None) -> base.OutgoingPost:
    return base.OutgoingPost(
        text=variant.effective_text,
        media=tuple(media_file(m) for m in media_of(variant)),
        reply_to=reply_to,
        language=variant.post.language,
    )


def blocked(variant: Variant, head: Post, now: dt.datetime) -> str | None:
    """Why a due variant may not go now: "wait" (a hold, a thread's previous part) leaves it
    scheduled; any other text fails it; None lets it go."""
    if not is_approved(head):
        return _("This post was not approved in its current version: send it for approval.")
    if held(head, now):
        return "wait"
    previous = previous_part(variant)
    if previous is not None and previous.status != Status.PUBLISHED:
        if previous.status in (Status.FAILED, Status.CANCELLED):
            return _("The previous part of the thread was not published: retry it first.")
        return "wait"
    return None


# --- one attempt ------------------------------------------------------------------------------


def publish_variant(
    variant_id: int,
    *,
    now: dt.datetime | None = None,
    factory: Factory | None = None,
    after_publish: Callable[[base.PublishedPost], None] | None = None,
    owner: str | None = None,
) -> str:
    """One attempt at publishing a variant; returns its status afterwards ("skipped" when
    it was not due, or another worker holds it; "waiting" for a hold or a thread's part).
    `after_publish` is a test hook, called between the network's answer and the record
    (the crash window)."""
    now = now or timezone.now()
    owner = owner or worker_name()
    candidate = (
        Variant.objects.select_related(
            "post__thread_parent__workspace", "post__workspace", "account"
        )
        .filter(pk=variant_id)
        .first()
    )
    if candidate is None or not is_due(candidate, now):
        return "skipped"
    head = candidate.post.thread_parent or candidate.post
    why = blocked(candidate, head, now)
    if why == "wait":
        return "waiting"
    variant, in_doubt = claim(variant_id, now, owner, known=candidate)
    if variant is None:
        return "skipped"
    if why is not None:
        return fail(variant, head, why, now)
    context = base.PublishContext(
        variant.workspace_id, idempotency_key=str(variant.idempotency_key)
    )
    try:
        previous = previous_part(variant)
        post = outgoing(variant, reply_target(variant, previous) if previous else None)
        connector = factory(variant.account) if factory else connector_for(variant.account)
        published = None
        if in_doubt:
            since = (variant.first_attempt_at or now) - CLOCK_MARGIN
            try:
                published = connector.find_post(post, since, context)
            except NotImplementedError:
                published = None  # the idempotency key is then the only guard
        if published is None:
            published = connector.publish(post, context)
    except base.RetryLater as error:
        return retry_later(variant, head, str(error), error.retry_after, now)
    except base.PermanentError as error:
        return fail(variant, head, str(error), now)
    except base.ConnectorError as error:
        return fail(variant, head, str(error), now)
    except Exception as error:
        logger.exception("variant %s: unexpected error while publishing", variant.pk)
        return retry_later(variant, head, f"{type(error).__name__}: {error}", None, now)
    if after_publish is not None:
        after_publish(published)
    return record(variant, head, published, now)


def lock_head(head: Post) -> None:
    """Outcomes of one thread are recorded one at a time, so the post's aggregate status is
    computed from every committed outcome. The head first, then the variant: the order the
    services take them in (no deadlock with an edit or an unschedule)."""
    list(Post.objects.select_for_update().filter(pk=head.pk).values_list("pk", flat=True))


def answer_fields(published: base.PublishedPost) -> dict[str, Any]:
    """What is kept of a network's answer, made storable: a NUL, a lone surrogate, NaN or a
    deep payload would make the database refuse the record, and the variant would then be
    reconciled and refused again forever."""
    raw = published.raw if isinstance(published.raw, dict) else {}
    _text, why = storable_json(raw)
    if why:
        raw = {"unstorable": why}
    when = published.published_at
    if when is None or timezone.is_naive(when) or not 2000 <= when.year <= 2100:
        when = timezone.now()
    return {
        "external_id": storable(str(published.external_id))[:300],
        "url": storable(str(published.url or ""))[:2000],
        "published_at": when,
        "raw": raw,
    }


def record(variant: Variant, head: Post, published: base.PublishedPost, now: dt.datetime) -> str:
    fields = answer_fields(published)
    with transaction.atomic():
        lock_head(head)
        # Whoever holds it now: the same key gave the same post, so recording it is right
        # even if our lease expired and another worker is reconciling it.
        updated = Variant.objects.filter(pk=variant.pk, status=Status.PUBLISHING).update(
            status=Status.PUBLISHED,
            **fields,
            # What was sent, kept as sent: a later edit of the post's text is not this one's.
            text=variant.effective_text,
            claim_owner="",
            claimed_until=None,
            last_error="",
            what_to_do="",
            updated_at=timezone.now(),
        )
        if not updated:
            return "skipped"
        event(
            variant.post,
            EventKind.PUBLISHED,
            None,
            variant=variant,
            at=now,
            network=variant.account.network,
            account=variant.account.handle,
            external_id=fields["external_id"],
            url=fields["url"],
        )
        if head.paused_at is not None and Post.objects.filter(
            pk=head.pk, paused_at__isnull=False
        ).update(paused_at=None):
            event(head, EventKind.RESUMED, None, at=now)
        posts = thread_rows(head)
        refresh_status(head, posts)
        following = next_parts(variant, posts)
        for variant_id in following:
            transaction.on_commit(functools.partial(enqueue, variant_id))
    return Status.PUBLISHED


def next_parts(variant: Variant, posts: list[tuple[int, str, int]]) -> list[int]:
    """The variant of the thread's next part on the same account, now free to go (`posts`:
    the thread's rows, from thread_rows)."""
    position = variant.post.thread_position
    later = sorted((p for p in posts if p[2] > position), key=lambda p: p[2])
    if not later:
        return []
    return list(
        Variant.objects.filter(post_id=later[0][0], account_id=variant.account_id).values_list(
            "id", flat=True
        )
    )


def backoff(attempts: int) -> float:
    return min(60.0 * 2 ** (attempts - 1), 3600.0)


def retry_later(
    variant: Variant, head: Post, message: str, retry_after: float | None, now: dt.datetime
) -> str:
    if variant.attempts >= MAX_ATTEMPTS:
        return fail(
            variant,
            head,
            _("Gave up after %(n)s attempts: %(error)s")
            % {"n": variant.attempts, "error": message},
            now,
        )
    delay = max(retry_after or 0.0, backoff(variant.attempts))
    with transaction.atomic():
        lock_head(head)
        updated = Variant.objects.filter(pk=variant.pk, status=Status.PUBLISHING).update(
            status=Status.SCHEDULED,
            claim_owner="",
            claimed_until=None,
            next_attempt_at=now + dt.timedelta(seconds=delay),
            last_error=message[:2000],
            what_to_do=_("Nothing: Parvis tries again by itself."),
            updated_at=timezone.now(),
        )
        if not updated:
            return "skipped"
        event(
            variant.post,
            EventKind.RETRIED,
            None,
            variant=variant,
            message=message[:500],
            at=now,
            delay_seconds=round(delay),
            attempts=variant.attempts,
        )
        refresh_status(head)
        transaction.on_commit(lambda: enqueue(variant.pk, delay))
    return Status.SCHEDULED


def fail(variant: Variant, head: Post, message: str, now: dt.datetime) -> str:
    what = _("Fix what the network said (or the account's connection), then retry.")
    with transaction.atomic():
        lock_head(head)
        updated = Variant.objects.filter(pk=variant.pk, status=Status.PUBLISHING).update(
            status=Status.FAILED,
            claim_owner="",
            claimed_until=None,
            last_error=message[:2000],
            what_to_do=what,
            updated_at=timezone.now(),
        )
        if not updated:
            return "skipped"
        failure = event(
            variant.post,
            EventKind.FAILED,
            None,
            variant=variant,
            message=message[:2000],
            at=now,
            network=variant.account.network,
            account=variant.account.handle,
        )
        refresh_status(head)
        # The publishers' bell, in this transaction: once per failure (publishing/notify.py).
        notify.publication_failed(variant, head, message, failure)
        transaction.on_commit(lambda: notify_failure(variant, message))
    return Status.FAILED


def notify_failure(variant: Variant, message: str) -> None:
    """The author hears of it by e-mail (the post's log shows it too; the publishers' bell
    through notify.publication_failed)."""
    author = variant.post.author
    if author is None or not author.email:
        return
    try:
        send_mail(
            _("A post could not be published"),
            _("Your post on %(account)s could not be published: %(error)s\n\n%(text)s")
            % {
                "account": variant.account.handle,
                "error": message[:500],
                "text": variant.effective_text[:1000],
            },
            settings.DEFAULT_FROM_EMAIL,
            [author.email],
        )
    except Exception:  # a mail server down must not hide the failure itself
        logger.exception("variant %s: could not e-mail the failure", variant.pk)


# --- the tasks' bodies ------------------------------------------------------------------------


def enqueue(variant_id: int, delay: float | None = None) -> None:
    from parvis.publishing.tasks import publish_variant_task

    if delay:
        publish_variant_task.schedule((variant_id,), delay=delay)
    else:
        publish_variant_task(variant_id)


def publish_post(post_id: int, *, now: dt.datetime | None = None, **kwargs: Any) -> dict[str, int]:
    """The ETA task at a post's time. First a batch of due variants, this post's first (a
    crowded minute is drained by every task queued for it: batch.py); then what the batch
    path does not take for this post (its thread's parts in order, retries, leases in doubt),
    one at a time."""
    from parvis.publishing import batch

    now = now or timezone.now()
    counts = batch.publish_batch(now, prefer_post=post_id, **kwargs)
    head_id = Post.objects.filter(pk=post_id).values_list("thread_parent_id", flat=True).first()
    head_id = head_id or post_id
    rows = Variant.objects.filter(due_query(now)).filter(
        Q(post_id=head_id) | Q(post__thread_parent_id=head_id)
    )
    ids = list(
        rows.order_by("post__scheduled_at", "post__thread_position", "id").values_list(
            "id", flat=True
        )[:BATCH]
    )
    for variant_id in ids:
        outcome = publish_variant(variant_id, now=now, **kwargs)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def run_due(now: dt.datetime | None = None, **kwargs: Any) -> dict[str, int]:
    """Every minute: what is due, retries whose time came, expired leases (in doubt)."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    for variant_id in due_variants(now):
        outcome = publish_variant(variant_id, now=now, **kwargs)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
