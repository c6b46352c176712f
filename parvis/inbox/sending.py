"""Replies sent through the networks exactly once.

A reply is written (`do_queue_reply`), checked against the editorial line, stored as
`queued` with an idempotency key, and handed to the worker (`send_reply`). Sending:

1. claim: in a transaction, `queued` → `sending` with `claimed_until`; a reply another worker
   holds is left alone;
2. outside any transaction, the network call. A reply tried before (a retry after
   `RetryLater`, or a claim that expired because a worker died between the network's answer
   and step 3) is first looked for on the network (`Connector.find_reply`): if it is there,
   it was sent and is recorded, not sent again. The idempotency key goes with every attempt
   (Mastodon's Idempotency-Key, Bluesky's record key), so the network also refuses a double;
3. record: in a transaction, the outgoing message, `sent`, and the conversation's clocks.

`RetryLater` puts it back to `queued` with a delay (the network's, else exponential);
`PermanentError` makes it `failed` with the network's words and what to do, shown in the
conversation. `reconcile_due` (every minute) picks up replies whose claim expired or whose
retry is due, so a crash or a lost task delays a reply but never loses or doubles it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.connectors import base
from parvis.connectors.models import ConnectedAccount
from parvis.inbox import editorial
from parvis.inbox.models import (
    Conversation,
    Direction,
    EventKind,
    Kind,
    Message,
    Reply,
    ReplyState,
)
from parvis.inbox.services import event, get_settings, notify, record_answer
from parvis.workspaces.models import Strategy

logger = logging.getLogger(__name__)

CLAIM = dt.timedelta(minutes=2)  # longer than any network call (timeouts are 30 s)
MAX_ATTEMPTS = 8
# A network's clock and ours differ: look back a little further than the first attempt.
CLOCK_MARGIN = dt.timedelta(minutes=5)


@dataclass
class Queued:
    reply: Reply | None
    warnings: list[dict[str, str]]


def last_inbound(conversation: Conversation) -> Message | None:
    return (
        Message.objects.filter(conversation=conversation, direction=Direction.IN)
        .order_by("-sent_at", "-id")
        .first()
    )


def collision(conversation: Conversation, member: Any, seen_version: int | None) -> str:
    """Someone else acted on the conversation since the composer was opened."""
    if seen_version is None or conversation.version == seen_version:
        return ""
    other = (
        Reply.objects.filter(conversation=conversation)
        .exclude(member=member)
        .order_by("-created_at")
        .select_related("member")
        .first()
    )
    if other is not None and other.member is not None:
        return _("%(name)s has answered this conversation meanwhile.") % {
            "name": other.member.get_username()
        }
    return _("Someone changed this conversation since you opened it.")


def do_queue_reply(
    conversation: Conversation,
    member: Any,
    text: str,
    *,
    force: bool = False,
    seen_version: int | None = None,
    in_reply_to: Message | None = None,
) -> Queued:
    """Check the reply and, without warnings (or with `force`), queue it for sending."""
    text = text.strip()
    strategy = Strategy.objects.filter(workspace_id=conversation.workspace_id).first()
    found = editorial.check(text, strategy, conversation.network)
    warnings = [w.as_dict() for w in found]
    if clash := collision(conversation, member, seen_version):
        warnings.append({"code": "collision", "message": clash})
    if editorial.blocking(found) or (warnings and not force):
        return Queued(None, warnings)
    target = in_reply_to or last_inbound(conversation)
    if target is None or target.conversation_id != conversation.pk:
        raise ValidationError(_("There is no message to answer in this conversation."))
    reply = Reply.objects.create(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        in_reply_to=target,
        member=member,
        text=text,
        warnings=warnings,
    )
    transaction.on_commit(lambda: enqueue(reply.pk))
    return Queued(reply, warnings)


def enqueue(reply_id: int, delay: float | None = None) -> None:
    from parvis.inbox.tasks import send_reply_task

    if delay:
        send_reply_task.schedule((reply_id,), delay=delay)
    else:
        send_reply_task(reply_id)


# --- which connector sends it ---------------------------------------------------------------


def capable_kind(network: str, capability: base.Capability) -> type[base.Connector] | None:
    """The connector that acts on a network for a connected account (OAuth or app password
    kinds before read-only key kinds)."""
    candidates = [
        cls
        for cls in base.load_all().values()
        if cls.network == network and capability in cls.capabilities
    ]
    candidates.sort(key=lambda cls: (cls.auth == base.Auth.API_KEY, cls.kind))
    return candidates[0] if candidates else None


def source_connector(
    conversation: Conversation, capability: base.Capability, http: httpx.Client | None
) -> base.Connector | None:
    """The connector of the source that delivered the conversation, when it can do this
    through the account it reads with (or needs none)."""
    source = conversation.source
    if source is None:
        return None
    try:
        cls = base.get(source.kind)
    except base.PermanentError:
        return None
    if capability in cls.capabilities and (
        source.account_id is not None or cls.auth == base.Auth.NONE
    ):
        return cls(source, http=http or cls.http_client())
    return None


def first_account(conversation: Conversation) -> ConnectedAccount | None:
    return (
        ConnectedAccount.objects.filter(
            workspace_id=conversation.workspace_id, network=conversation.network
        )
        .order_by("id")
        .first()
    )


def connector_for(conversation: Conversation, http: httpx.Client | None) -> base.Connector:
    connector = source_connector(conversation, base.Capability.REPLY, http)
    if connector is not None:
        return connector
    cls = capable_kind(conversation.network, base.Capability.REPLY)
    if cls is None:
        raise base.PermanentError(
            _("Parvis cannot reply on this network yet: answer on the network itself.")
        )
    account = first_account(conversation)
    if account is None:
        raise base.PermanentError(
            _("No connected account on this network: connect one under Accounts, then retry.")
        )
    return cls.for_account(account, http=http or cls.http_client())


def message_target(message: Message, *, private: bool) -> base.ReplyTarget:
    """An inbox message as the connectors see the item they act on (reply, moderate)."""
    mention = message.mention
    raw = mention.raw if mention is not None and isinstance(mention.raw, dict) else {}
    return base.ReplyTarget(
        network=message.network,
        external_id=message.external_id,
        root_external_id=(mention.root_external_id if mention is not None else ""),
        author_handle=message.author_handle,
        private=private,
        raw=raw,
    )


def target_of(reply: Reply) -> base.ReplyTarget:
    return message_target(reply.in_reply_to, private=reply.conversation.kind == Kind.PRIVATE)


# --- sending --------------------------------------------------------------------------------


def claim(reply_id: int, now: dt.datetime) -> tuple[Reply | None, bool]:
    """(the reply, whether an earlier attempt may have reached the network)."""
    with transaction.atomic():
        reply = Reply.objects.select_for_update().filter(pk=reply_id).first()
        if reply is None or reply.state in (ReplyState.SENT, ReplyState.FAILED):
            return None, False
        if reply.state == ReplyState.SENDING and reply.claimed_until and reply.claimed_until > now:
            return None, False  # another worker is sending it now
        in_doubt = reply.attempts > 0
        reply.state = ReplyState.SENDING
        reply.claimed_until = now + CLAIM
        reply.attempts += 1
        reply.first_attempt_at = reply.first_attempt_at or now
        reply.next_attempt_at = None
        reply.save(
            update_fields=[
                "state",
                "claimed_until",
                "attempts",
                "first_attempt_at",
                "next_attempt_at",
            ]
        )
    return reply, in_doubt


def send_reply(
    reply_id: int,
    *,
    http_client: httpx.Client | None = None,
    now: dt.datetime | None = None,
    after_send: Callable[[base.SentReply], None] | None = None,
) -> str:
    """One attempt at sending a reply; returns its state afterwards. `after_send` is a test
    hook, called between the network's answer and the record (the crash window)."""
    now = now or timezone.now()
    reply, in_doubt = claim(reply_id, now)
    if reply is None:
        return "skipped"
    reply = Reply.objects.select_related(
        "conversation__source__account", "conversation__workspace", "in_reply_to__mention"
    ).get(pk=reply.pk)
    context = base.ReplyContext(reply.workspace_id, idempotency_key=str(reply.idempotency_key))
    try:
        connector = connector_for(reply.conversation, http_client)
        target = target_of(reply)
        sent = None
        if in_doubt:
            since = (reply.first_attempt_at or now) - CLOCK_MARGIN
            sent = connector.find_reply(target, reply.text, since, context)
        if sent is None:
            sent = connector.reply(target, reply.text, context)
    except base.RetryLater as error:
        return retry_later(reply, str(error), error.retry_after, now)
    except base.PermanentError as error:
        return fail(reply, str(error))
    except (NotImplementedError, base.ConnectorError) as error:
        return fail(reply, str(error) or _("This network cannot take replies from Parvis."))
    except Exception as error:
        logger.exception("reply %s: unexpected error while sending", reply.pk)
        return retry_later(reply, f"{type(error).__name__}: {error}", None, now)
    if after_send is not None:
        after_send(sent)
    record_sent(reply, sent)
    return ReplyState.SENT


def backoff(attempts: int) -> float:
    return min(60.0 * 2 ** (attempts - 1), 3600.0)


def retry_later(reply: Reply, message: str, retry_after: float | None, now: dt.datetime) -> str:
    if reply.attempts >= MAX_ATTEMPTS:
        return fail(
            reply,
            _("Gave up after %(n)s attempts: %(error)s") % {"n": reply.attempts, "error": message},
        )
    delay = max(retry_after or 0.0, backoff(reply.attempts))
    Reply.objects.filter(pk=reply.pk, state=ReplyState.SENDING).update(
        state=ReplyState.QUEUED,
        claimed_until=None,
        next_attempt_at=now + dt.timedelta(seconds=delay),
        last_error=message[:2000],
    )
    transaction.on_commit(lambda: enqueue(reply.pk, delay))
    return ReplyState.QUEUED


def fail(reply: Reply, message: str) -> str:
    with transaction.atomic():
        Reply.objects.filter(pk=reply.pk).update(
            state=ReplyState.FAILED, claimed_until=None, last_error=message[:2000]
        )
        event(reply.conversation, EventKind.REPLY_FAILED, None, error=message[:500])
        if reply.member is not None:
            notify(
                reply.conversation,
                reply.member,
                "reply_failed",
                _("Your reply could not be sent: %(error)s") % {"error": message[:200]},
            )
    return ReplyState.FAILED


def record_sent(reply: Reply, sent: base.SentReply) -> None:
    conversation = reply.conversation
    when = sent.published_at or timezone.now()
    with transaction.atomic():
        # The network's own copy may have come in first (an own-activity source read it):
        # then that message is this reply.
        message = Message.objects.filter(
            workspace_id=reply.workspace_id,
            network=conversation.network,
            external_id=sent.external_id,
        ).first()
        answered_here = message is None
        if message is None:
            message = Message(
                workspace_id=reply.workspace_id,
                conversation=conversation,
                direction=Direction.OUT,
                network=conversation.network,
                external_id=sent.external_id,
                parent_external_id=reply.in_reply_to.external_id,
                author_handle=account_handle(reply),
                text=reply.text,
                url=sent.url,
                sent_at=when,
                member=reply.member,
            )
            try:
                with transaction.atomic():
                    message.save()
            except IntegrityError:
                message = Message.objects.get(
                    workspace_id=reply.workspace_id,
                    network=conversation.network,
                    external_id=sent.external_id,
                )
                answered_here = False
        if message.member_id is None and reply.member is not None:
            message.member = reply.member
            message.save(update_fields=["member"])
        Reply.objects.filter(pk=reply.pk).update(
            state=ReplyState.SENT,
            claimed_until=None,
            external_id=sent.external_id,
            url=sent.url,
            sent_at=when,
            message=message,
            last_error="",
        )
        settings = get_settings(conversation.workspace)
        if answered_here:
            record_answer(conversation, message, member=reply.member, settings=settings)
        else:
            Conversation.objects.filter(
                pk=conversation.pk, first_responder__isnull=True, first_response_at=message.sent_at
            ).update(first_responder=reply.member)


def account_handle(reply: Reply) -> str:
    source = reply.conversation.source
    if source is not None and source.account is not None:
        return source.account.handle
    account = ConnectedAccount.objects.filter(
        workspace_id=reply.workspace_id, network=reply.conversation.network
    ).first()
    return account.handle if account else reply.conversation.workspace.name


def due_replies(now: dt.datetime) -> list[int]:
    """Replies to try now: a retry whose time has come, a claim that expired (the worker
    died mid-send: in doubt, reconciled), a queued reply whose task was lost."""
    lost = now - CLAIM
    return list(
        Reply.objects.filter(
            Q(state=ReplyState.QUEUED, next_attempt_at__lte=now)
            | Q(state=ReplyState.QUEUED, next_attempt_at__isnull=True, created_at__lte=lost)
            | Q(state=ReplyState.SENDING, claimed_until__lte=now)
        ).values_list("id", flat=True)[:500]
    )


def do_retry(reply: Reply) -> None:
    """A failed reply, sent again on a person's request (after they fixed what was wrong)."""
    updated = Reply.objects.filter(pk=reply.pk, state=ReplyState.FAILED).update(
        state=ReplyState.QUEUED, next_attempt_at=None, last_error=""
    )
    if updated:
        transaction.on_commit(lambda: enqueue(reply.pk))
