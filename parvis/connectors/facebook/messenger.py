"""The Page's Messenger conversations (pages_messaging, the MESSAGING task on the Page), for
Pages whose app has that permission:

- reading: GET /{page-id}/conversations?platform=messenger (cursor paging only: no time-based
  paging on this edge), newest updated first, each with its latest messages
  (`messages.limit(n){id,message,from,created_time}`); message ids start with "m_";
- answering: the Send API, POST /{page-id}/messages with recipient={"id": <PSID>},
  messaging_type=RESPONSE and message={"text"}, answering {"recipient_id", "message_id"}; only
  within 24 hours of the person's last message (Meta's standard messaging window): past it
  Facebook refuses, and the message says to answer in Messenger itself;
- find_reply reads the conversation's latest messages for the Page's own with this text.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from parvis.connectors.base import (
    Incoming,
    PermanentError,
    ReplyTarget,
    RetryLater,
    SentReply,
    posted_since,
    same_text,
)
from parvis.connectors.facebook import graph, sends
from parvis.connectors.facebook.mapping import Malformed, graph_time, need

INBOX = "https://business.facebook.com/latest/inbox/messenger"
MESSAGES = "messages.limit(25){id,message,from,created_time}"
CONVERSATION_FIELDS = f"id,updated_time,{MESSAGES}"
PAGE_SIZE = 25
WINDOW = dt.timedelta(hours=24)


def is_message(raw: Any) -> bool:
    # Conversation and webhook message ids: "m_…" (older webhooks: "mid.…").
    return isinstance(raw, dict) and str(raw.get("id") or "").startswith(("m_", "mid."))


def message_mention(message: Any, conversation_id: str) -> dict[str, Any]:
    message_id = need(message, "id")
    created = need(message, "created_time")
    text = message.get("message", "")
    if not isinstance(text, str):
        raise Malformed("missing field: message")
    who = graph.as_dict(message.get("from"))
    handle = who.get("id")
    if not isinstance(handle, str) or not handle:
        raise Malformed("missing field: from")
    return {
        "network": "facebook",
        "external_id": message_id,
        "url": INBOX,
        "text": text,
        "created_at": created,
        "author": {"handle": handle, "name": str(who.get("name") or "")[:300], "followers": 0},
        "root_id": conversation_id,
        "metrics": {"likes": 0, "reposts": 0, "replies": 0},
    }


def conversation_items(
    conversation: Any, page_id: str, raw_text: Any
) -> tuple[list[Incoming], str]:
    """The people's messages of one conversation (the Page's own are not mentions), and its
    updated_time."""
    conversation = graph.as_dict(conversation)
    conversation_id = str(conversation.get("id") or "")
    items: list[Incoming] = []
    for message in graph.as_list(graph.as_dict(conversation.get("messages")).get("data")):
        if graph.as_dict(graph.as_dict(message).get("from")).get("id") == page_id:
            continue
        try:
            data = message_mention(message, conversation_id)
        except (Malformed, TypeError, AttributeError) as exc:
            items.append(Incoming(None, raw_text(message), error=f"unreadable message: {exc}"))
            continue
        items.append(Incoming(data, raw_text(message), payload=message))
    return items, str(conversation.get("updated_time") or "")


def recipient(target: ReplyTarget) -> str:
    psid = target.author_handle.strip()
    if not psid or not psid.isdigit():
        raise PermanentError("cannot answer on Messenger: the person's id is unknown")
    return psid


def create(
    connector: Any, api: graph.Api, page_id: str, target: ReplyTarget, text: str, key: str
) -> SentReply:
    psid = recipient(target)

    def send() -> SentReply:
        try:
            body = api.post(
                f"{page_id}/messages",
                {
                    "recipient": json.dumps({"id": psid}),
                    "messaging_type": "RESPONSE",
                    "message": json.dumps({"text": text}, ensure_ascii=False),
                },
                doing="message",
            )
        except PermanentError as exc:
            raise PermanentError(
                f"{exc}. Facebook lets a Page answer on Messenger within 24 hours of the "
                "person's last message: past that, answer in Messenger itself"
            ) from exc
        message_id = body.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise RetryLater("Facebook answered the message without its id")
        return SentReply(external_id=message_id, url=INBOX, published_at=dt.datetime.now(dt.UTC))

    return sends.once(
        connector,
        "message",
        key,
        recorded=lambda row: SentReply(row.external_id, row.url, row.published_at),
        find=lambda since: find(api, page_id, target, text, since),
        send=send,
        record=lambda row, r: sends.save(row, r.external_id, r.url, r.published_at),
    )


def find(
    api: graph.Api, page_id: str, target: ReplyTarget, text: str, since: dt.datetime
) -> SentReply | None:
    conversation = target.root_external_id.strip()
    if not conversation:
        return None
    try:
        body = api.get(conversation, {"fields": MESSAGES}, "message")
    except graph.Gone:
        return None
    for message in graph.as_list(graph.as_dict(body.get("messages")).get("data")):
        message = graph.as_dict(message)
        if graph.as_dict(message.get("from")).get("id") != page_id:
            continue
        published = graph_time(message.get("created_time"))
        if published is not None and not posted_since(published, since):
            continue
        if same_text(str(message.get("message") or ""), text):
            return SentReply(str(message.get("id")), INBOX, published)
    return None
