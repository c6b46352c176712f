"""Moderation actions carried out on the networks (hide, delete, restore), exactly once.

The same protocol as the inbox's replies: claim the log line (`queued` → `sending` with a
claim time), call the connector outside any transaction, record the answer. Hiding and
restoring set a state on the network, so doing one again after a crash changes nothing there:
an expired claim is simply tried again. A network that cannot act on the item (Mastodon, a
thread the account does not own, an RSS comment) gives `manual`: Parvis hides the item in
Parvis, marks it « à supprimer à la main » with its link, and counts it.
"""

from __future__ import annotations

import datetime as dt
import logging

import httpx
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.connectors import base
from parvis.inbox import sending
from parvis.inbox import services as inbox
from parvis.inbox.models import Conversation, Kind, Message, Moderation
from parvis.moderation.models import Action, ActionKind, ActionState

logger = logging.getLogger(__name__)

CLAIM = dt.timedelta(minutes=2)
MAX_ATTEMPTS = 8
RESULT_STATE = {
    ActionKind.HIDE: Moderation.HIDDEN,
    ActionKind.DELETE: Moderation.DELETED,
    ActionKind.RESTORE: Moderation.NONE,
}


def enqueue(action_id: int, delay: float | None = None) -> None:
    from parvis.moderation.tasks import moderation_action_task

    if delay:
        moderation_action_task.schedule((action_id,), delay=delay)
    else:
        moderation_action_task(action_id)


def connector_for(conversation: Conversation, http: httpx.Client | None) -> base.Connector | None:
    """The connector that can moderate on the conversation's network for the workspace: the
    source's that delivered it (its account), else one for a connected account (the inbox's
    look-up, as for replies)."""
    connector = sending.source_connector(conversation, base.Capability.MODERATE, http)
    if connector is not None:
        return connector
    cls = sending.capable_kind(conversation.network, base.Capability.MODERATE)
    account = sending.first_account(conversation)
    if cls is None or account is None:
        return None
    return cls.for_account(account, http=http or cls.http_client())


def target_of(message: Message) -> base.ReplyTarget:
    return sending.message_target(message, private=message.conversation.kind == Kind.PRIVATE)


def claim(action_id: int, now: dt.datetime) -> Action | None:
    with transaction.atomic():
        action = Action.objects.select_for_update().filter(pk=action_id).first()
        if action is None or action.state not in (ActionState.QUEUED, ActionState.SENDING):
            return None
        if (
            action.state == ActionState.SENDING
            and action.claimed_until
            and action.claimed_until > now
        ):
            return None
        action.state = ActionState.SENDING
        action.claimed_until = now + CLAIM
        action.attempts += 1
        action.next_attempt_at = None
        action.save(update_fields=["state", "claimed_until", "attempts", "next_attempt_at"])
    return action


def run_action(
    action_id: int, *, http_client: httpx.Client | None = None, now: dt.datetime | None = None
) -> str:
    """One attempt at a queued network action; returns its state afterwards."""
    now = now or timezone.now()
    action = claim(action_id, now)
    if action is None:
        return "skipped"
    action = Action.objects.select_related(
        "message__conversation__source__account", "message__mention"
    ).get(pk=action.pk)
    message = action.message
    try:
        connector = connector_for(message.conversation, http_client)
        wanted = base.ModerationAction(action.kind)
        if connector is None or wanted not in connector.moderation_actions:
            result = base.ModerationResult(
                action=action.kind,
                done=False,
                message=_("Parvis cannot do this on this network: do it on the network itself."),
                url=message.url,
            )
        else:
            context = base.ModerationContext(
                action.workspace_id, idempotency_key=str(action.idempotency_key)
            )
            result = connector.moderate(target_of(message), wanted, context)
    except base.RetryLater as error:
        return retry_later(action, str(error), error.retry_after, now)
    except base.PermanentError as error:
        return finish(action, ActionState.FAILED, str(error))
    except Exception as error:
        logger.exception("moderation action %s: unexpected error", action.pk)
        return retry_later(action, f"{type(error).__name__}: {error}", None, now)
    if not result.done:
        return finish(action, ActionState.MANUAL, result.message, url=result.url or message.url)
    return finish(action, ActionState.DONE, result.message, url=result.url)


def retry_later(action: Action, error: str, retry_after: float | None, now: dt.datetime) -> str:
    if action.attempts >= MAX_ATTEMPTS:
        return finish(action, ActionState.FAILED, error)
    delay = max(retry_after or 0.0, min(60.0 * 2 ** (action.attempts - 1), 3600.0))
    Action.objects.filter(pk=action.pk, state=ActionState.SENDING).update(
        state=ActionState.QUEUED,
        claimed_until=None,
        next_attempt_at=now + dt.timedelta(seconds=delay),
        network_answer=error[:2000],
    )
    transaction.on_commit(lambda: enqueue(action.pk, delay))
    return ActionState.QUEUED


def finish(action: Action, state: str, answer: str, url: str = "") -> str:
    with transaction.atomic():
        # Only while this worker still holds it: after an expired claim another worker may
        # have finished it (the network saw one effect; the log keeps one outcome).
        updated = Action.objects.filter(pk=action.pk, state=ActionState.SENDING).update(
            state=state,
            claimed_until=None,
            network_answer=answer[:2000],
            url=url[:2000],
            done_at=timezone.now(),
        )
        if not updated:
            return "skipped"
        message = Message.objects.get(pk=action.message_id)
        from parvis.moderation.services import stored_reason

        reason = stored_reason(action.reason) if action.reason else ""
        if state == ActionState.DONE:
            inbox.do_mark_moderated(message, RESULT_STATE[ActionKind(action.kind)], reason)
        elif state == ActionState.MANUAL and action.kind != ActionKind.RESTORE:
            # Hidden in Parvis at least, and counted as still to remove on the network.
            inbox.do_mark_moderated(message, Moderation.MANUAL, reason)
        elif state == ActionState.MANUAL:
            inbox.do_mark_moderated(message, Moderation.NONE)
    return state


def due_actions(now: dt.datetime) -> list[int]:
    lost = now - CLAIM
    return list(
        Action.objects.filter(
            Q(state=ActionState.QUEUED, next_attempt_at__lte=now)
            | Q(state=ActionState.QUEUED, next_attempt_at__isnull=True, created_at__lte=lost)
            | Q(state=ActionState.SENDING, claimed_until__lte=now)
        ).values_list("id", flat=True)[:500]
    )
