"""Threads API objects (a reply in a post's conversation) as normalized mentions. Times are
ISO 8601 as the Graph API writes them ("2026-11-20T09:01:00+0000")."""

from __future__ import annotations

from typing import Any

from parvis.connectors.facebook.mapping import Malformed, graph_time, need
from parvis.connectors.threads.api import WWW, as_dict

REPLY_FIELDS = (
    "id,text,username,permalink,timestamp,media_type,media_url,shortcode,is_reply,"
    "root_post,replied_to,hide_status,has_replies"
)
POST_FIELDS = "id,text,username,permalink,timestamp,media_type,is_reply,replied_to"

__all__ = ["POST_FIELDS", "REPLY_FIELDS", "Malformed", "graph_time", "reply_mention"]


def object_id(value: Any) -> str:
    found = as_dict(value).get("id")
    return found if isinstance(found, str) else ""


def reply_mention(reply: Any, post_id: str) -> dict[str, Any]:
    reply_id = need(reply, "id")
    created = need(reply, "timestamp")
    # Text is optional on image, video and carousel replies.
    text = reply.get("text", "")
    if not isinstance(text, str):
        raise Malformed("missing field: text")
    username = reply.get("username")
    handle = username if isinstance(username, str) and username.strip() else ""
    if not handle:
        raise Malformed("missing field: username")
    url = reply.get("permalink")
    parent = object_id(reply.get("replied_to")) or post_id
    return {
        "network": "threads",
        "external_id": reply_id,
        "url": url if isinstance(url, str) and url.startswith("https://") else "",
        "text": text,
        "created_at": created,
        "author": {
            "handle": handle[:200],
            "name": handle[:200],
            "url": f"{WWW}@{handle[:200]}",
            "followers": 0,
        },
        "parent_id": parent,
        "root_id": object_id(reply.get("root_post")) or post_id,
    }
