"""Inbox objects straight from the ORM, for the page tests (intake has its own tests)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from parvis.inbox import clock, services
from parvis.inbox.models import Conversation, Direction, Message
from parvis.listening.models import Author

_ids = itertools.count(1)


def make_conversation(
    workspace,
    *,
    text: str = "Bonjour, ma commande n'est pas arrivée ?",
    handle: str | None = None,
    name: str = "Camille Martin",
    network: str = "bluesky",
    at: dt.datetime | None = None,
    source=None,
    **fields,
) -> Conversation:
    n = next(_ids)
    at = at or timezone.now() - dt.timedelta(minutes=30)
    handle = handle or f"client{n}.test"
    author, _created = Author.objects.get_or_create(
        workspace=workspace,
        network=network,
        handle=handle,
        defaults={"name": name, "first_seen_at": at, "last_seen_at": at, "followers": 120},
    )
    conversation = Conversation.objects.create(
        workspace=workspace,
        network=network,
        thread_key=f"root-{n}",
        author=author,
        source=source,
        subject=text[:300],
        created_at=at,
        first_inbound_at=at,
        last_inbound_at=at,
        last_message_at=at,
        awaiting_since=at,
        message_count=1,
        **fields,
    )
    Message.objects.create(
        workspace=workspace,
        conversation=conversation,
        direction=Direction.IN,
        network=network,
        external_id=f"msg-{n}",
        author_handle=handle,
        author_name=name,
        text=text,
        url=f"https://bsky.app/profile/{handle}/post/{n}",
        sent_at=at,
    )
    clock.refresh(conversation, services.get_settings(workspace))
    return conversation
