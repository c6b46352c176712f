"""Taking mentions into the inbox: what is addressed to the brand becomes a message of a
conversation.

A mention is addressed to the brand when
- a source reading the brand's own activity delivered it (notifications, the Reddit inbox,
  comments on the brand's videos: `Connector.reads_own_activity`),
- it answers a post of the brand's own accounts or a message already in the inbox,
- it names one of the brand's handles (@maisonlumiere), or
- a routing rule takes it: a question, or a complaint (negative), matching a brand query.
The brand's own posts that answer an inbox message are its native answers: they join the
conversation as outgoing messages (and stop the SLA clock like a reply sent from Parvis).

Intake reads the workspace's mentions in id order from `IntakeCursor`, under a lock of that
row: the pipeline's workspace write lock makes a workspace's mention ids commit in order, so
nothing is skipped, and each mention is looked at once however many workers run intake (the
`mentions_stored` signal, and a periodic catch-up for signals lost in a crash).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from parvis.connectors import base, options
from parvis.inbox import clock
from parvis.inbox.models import (
    Conversation,
    Direction,
    IntakeCursor,
    Kind,
    Message,
    Status,
)
from parvis.listening import own
from parvis.listening.models import Mention, MentionMatch, QueryKind, Source
from parvis.workspaces.models import Workspace

CHUNK = 500
# A question: a question mark, or a question's opening words without one (« pouvez-vous
# m'aider », "can you help"). Words such as « comment » or « quand » alone are too often not
# questions (« comment dire… », « quand je l'ai allumée »).
QUESTION = re.compile(
    r"\?|\b(est-ce que|pouvez-vous|pourriez-vous|avez-vous|can you|could you|do you|how do i)\b",
    re.I,
)


@dataclass
class Summary:
    seen: int = 0
    taken: int = 0
    answers: int = 0
    conversations: set[int] = field(default_factory=set)
    messages: list[int] = field(default_factory=list)


def own_activity_sources(workspace: Workspace) -> set[int]:
    ids = set()
    for source in Source.objects.filter(workspace=workspace).only("id", "kind", "config"):
        try:
            connector = base.get(source.kind)
        except base.ConnectorError:
            continue
        if connector.reads_own_activity(source.config or {}):
            ids.add(source.pk)
    return ids


def is_private(mention: Mention, kinds: dict[int, str]) -> bool:
    kind = kinds.get(mention.source_id or 0)
    if not kind:
        return False
    try:
        return base.get(kind).is_private(mention.raw if isinstance(mention.raw, dict) else {})
    except base.ConnectorError:
        return False


def handle_pattern(workspace: Workspace) -> re.Pattern[str] | None:
    handles = sorted({h.lower() for _network, h in own.own_handles(workspace) if h})
    if not handles:
        return None
    alternatives = "|".join(re.escape(h) for h in handles)
    return re.compile(rf"(?<![\w@])@({alternatives})(?![\w-])", re.I)


class Context:
    """What intake needs to know of a workspace, read once per chunk."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.own_ids = set(own.own_author_ids(workspace))
        self.own_sources = own_activity_sources(workspace)
        self.kinds = dict(Source.objects.filter(workspace=workspace).values_list("id", "kind"))
        self.handles = handle_pattern(workspace)
        from parvis.inbox.services import get_settings

        self.settings = get_settings(workspace)
        # Filled per chunk by look_up, in a few queries whatever the chunk's size.
        self.taken: set[int] = set()
        self.conversations: dict[tuple[str, str], Conversation] = {}
        self.own_posts: set[tuple[str, str]] = set()

    def look_up(self, mentions: list[Mention]) -> None:
        """What the chunk's mentions point at: those already taken, the inbox messages and the
        brand's own posts they answer."""
        ids = [m.pk for m in mentions]
        self.taken = set(
            Message.objects.filter(mention_id__in=ids).values_list("mention_id", flat=True)
        )
        parents = {m.parent_external_id for m in mentions if m.parent_external_id}
        parents |= {m.external_id for m in mentions}
        self.conversations = {
            (message.network, message.external_id): message.conversation
            for message in Message.objects.filter(
                workspace=self.workspace, external_id__in=parents
            ).select_related("conversation")
        }
        self.own_posts = set()
        if self.own_ids and parents:
            self.own_posts = set(
                Mention.objects.filter(
                    workspace=self.workspace, external_id__in=parents, author_id__in=self.own_ids
                ).values_list("network", "external_id")
            )

    def conversation_of(self, network: str, external_id: str) -> Conversation | None:
        return self.conversations.get((network, external_id)) if external_id else None

    def remember(self, message: Message) -> None:
        self.conversations[(message.network, message.external_id)] = message.conversation


def take_pending(workspace: Workspace, *, limit: int = 20 * CHUNK) -> Summary:
    """Look at every mention of the workspace not looked at yet (up to `limit`)."""
    summary = Summary()
    while summary.seen < limit:
        done = take_chunk(workspace, summary)
        if done:
            break
    return summary


def take_chunk(workspace: Workspace, summary: Summary) -> bool:
    before = len(summary.messages)
    with transaction.atomic():
        IntakeCursor.objects.get_or_create(workspace=workspace)
        cursor = IntakeCursor.objects.select_for_update().get(workspace=workspace)
        mentions = list(
            Mention.objects.filter(workspace=workspace, id__gt=cursor.last_mention_id)
            .select_related("author")
            .order_by("id")[:CHUNK]
        )
        if not mentions:
            return True
        context = Context(workspace)
        context.look_up(mentions)
        routed = routed_by_rule(context, mentions)
        for mention in mentions:
            take_one(context, mention, mention.pk in routed, summary)
        summary.seen += len(mentions)
        cursor.last_mention_id = mentions[-1].pk
        cursor.save(update_fields=["last_mention_id"])
        taken = summary.messages[before:]
        if taken:
            transaction.on_commit(lambda: announce(workspace, taken))
    return len(mentions) < CHUNK


def announce(workspace: Workspace, message_ids: list[int]) -> None:
    from parvis.inbox.signals import messages_received

    messages_received.send(sender=Message, workspace=workspace, message_ids=message_ids)


def routed_by_rule(context: Context, mentions: list[Mention]) -> set[int]:
    """Mentions matching a brand query that ask a question or complain."""
    rules = context.settings
    if not (rules.route_questions or rules.route_complaints):
        return set()
    ids = [m.pk for m in mentions if m.author_id not in context.own_ids]
    branded = set(
        MentionMatch.objects.filter(mention_id__in=ids, query__kind=QueryKind.BRAND).values_list(
            "mention_id", flat=True
        )
    )
    routed = set()
    for mention in mentions:
        if mention.pk not in branded:
            continue
        asks = rules.route_questions and QUESTION.search(mention.text or "")
        complains = rules.route_complaints and mention.sentiment == "negative"
        if asks or complains:
            routed.add(mention.pk)
    return routed


def answers_own_post(context: Context, mention: Mention) -> bool:
    parent = mention.parent_external_id
    return bool(parent) and (mention.network, parent) in context.own_posts


def take_one(context: Context, mention: Mention, routed: bool, summary: Summary) -> None:
    workspace = context.workspace
    if mention.pk in context.taken:
        return
    if mention.author_id in context.own_ids:
        take_own_post(context, mention, summary)
        return
    private = is_private(mention, context.kinds)
    if private:
        conversation = Conversation.objects.filter(
            workspace=workspace,
            network=mention.network,
            thread_key=f"dm:{mention.author.handle}",
        ).first()
    else:
        conversation = context.conversation_of(mention.network, mention.parent_external_id)
    addressed = (
        conversation is not None
        or private
        or mention.source_id in context.own_sources
        or answers_own_post(context, mention)
        or bool(context.handles and context.handles.search(mention.text or ""))
        or routed
    )
    if not addressed:
        return
    if conversation is None:
        key = f"dm:{mention.author.handle}" if private else mention.external_id
        conversation = open_conversation(context, mention, key, private)
    message = add_inbound(context, conversation, mention)
    summary.taken += 1
    summary.messages.append(message.pk)
    summary.conversations.add(conversation.pk)


def open_conversation(context: Context, mention: Mention, key: str, private: bool) -> Conversation:
    now = timezone.now()
    conversation, _created = Conversation.objects.get_or_create(
        workspace=context.workspace,
        network=mention.network,
        thread_key=key[:400],
        defaults={
            "kind": Kind.PRIVATE if private else Kind.THREAD,
            "author": mention.author,
            "source_id": mention.source_id,
            "subject": (mention.title or mention.text or "")[:300],
            "created_at": now,
            "last_message_at": mention.published_at,
        },
    )
    return conversation


def message_from(mention: Mention, conversation: Conversation, direction: str) -> Message:
    return Message(
        workspace_id=conversation.workspace_id,
        conversation=conversation,
        direction=direction,
        mention=mention,
        network=mention.network,
        external_id=mention.external_id,
        parent_external_id=mention.parent_external_id,
        author_handle=mention.author.handle,
        author_name=mention.author.name,
        text=mention.text or mention.title,
        url=mention.url,
        sent_at=clamp(mention.published_at),
        sentiment=mention.sentiment,
    )


def clamp(when: dt.datetime) -> dt.datetime:
    # A network date in year 1 or 9999 (stored before validation) would break the clocks.
    if when.year <= 1 or when > options.latest_plausible():
        return timezone.now()
    return when


def add_inbound(context: Context, conversation: Conversation, mention: Mention) -> Message:
    message = message_from(mention, conversation, Direction.IN)
    message.save()
    context.remember(message)
    when = message.sent_at
    # Locked until the chunk's transaction ends: a reply being recorded by another worker
    # (services.record_answer) writes the same columns.
    conversation.refresh_from_db(from_queryset=Conversation.objects.select_for_update())
    fields = ["last_inbound_at", "last_message_at", "message_count", "unread", "sentiment"]
    conversation.last_inbound_at = max(filter(None, [conversation.last_inbound_at, when]))
    conversation.last_message_at = max(conversation.last_message_at, when)
    conversation.message_count = F("message_count") + 1
    conversation.unread = True
    conversation.sentiment = mention.sentiment
    if conversation.first_inbound_at is None or when < conversation.first_inbound_at:
        conversation.first_inbound_at = when
        fields.append("first_inbound_at")
    if conversation.awaiting_since is None:
        conversation.awaiting_since = when
        fields.append("awaiting_since")
    if conversation.status in (Status.RESOLVED, Status.WAITING):
        # A new message reopens it: the customer is waiting again.
        conversation.status = Status.OPEN
        conversation.resolved_at = None
        fields += ["status", "resolved_at"]
    if conversation.snoozed_until is not None:
        conversation.snoozed_until = None
        fields.append("snoozed_until")
    conversation.save(update_fields=fields)
    conversation.refresh_from_db(fields=["message_count"])
    clock.refresh(conversation, context.settings)
    return message


def take_own_post(context: Context, mention: Mention, summary: Summary) -> None:
    """The brand's own post: an answer when it replies to an inbox message (sent natively, or
    the network's copy of a reply sent from Parvis)."""
    existing = None
    if (mention.network, mention.external_id) in context.conversations:
        existing = Message.objects.filter(
            workspace=context.workspace, network=mention.network, external_id=mention.external_id
        ).first()
    if existing is not None:
        if existing.mention_id is None:
            existing.mention = mention
            existing.save(update_fields=["mention"])
        return
    conversation = context.conversation_of(mention.network, mention.parent_external_id)
    if conversation is None:
        return
    message = message_from(mention, conversation, Direction.OUT)
    message.save()
    context.remember(message)
    from parvis.inbox.services import record_answer

    record_answer(conversation, message, member=None, settings=context.settings)
    summary.answers += 1


def do_take_mention(workspace: Workspace, mention: Mention, actor: Any) -> Conversation:
    """Send a listening mention to the inbox by hand (a question seen in the explorer): it
    joins the conversation of the message it answers, else opens its own."""
    if mention.workspace_id != workspace.pk:
        raise ValueError("a mention of another workspace")
    with transaction.atomic():
        existing = Message.objects.filter(mention=mention).select_related("conversation").first()
        if existing is not None:
            return existing.conversation
        context = Context(workspace)
        context.look_up([mention])
        if mention.author_id in context.own_ids:
            raise ValueError("the brand's own post")
        private = is_private(mention, context.kinds)
        conversation = (
            None
            if private
            else context.conversation_of(mention.network, mention.parent_external_id)
        )
        if conversation is None:
            key = f"dm:{mention.author.handle}" if private else mention.external_id
            conversation = open_conversation(context, mention, key, private)
        message = add_inbound(context, conversation, mention)
        transaction.on_commit(lambda: announce(workspace, [message.pk]))
        from parvis.inbox.models import EventKind
        from parvis.inbox.services import event

        event(conversation, EventKind.TAKEN, actor, mention=mention.pk)
    return conversation
