"""Instagram Graph API objects (a comment or reply on the account's media, a media the account
is tagged in) as normalized mentions. Times are ISO 8601 as the Graph API writes them
("2026-11-20T09:01:00+0000")."""

from __future__ import annotations

from typing import Any

from parvis.connectors.facebook.graph import as_dict
from parvis.connectors.facebook.mapping import Malformed, count, need

WWW = "https://www.instagram.com/"
REPLY_FIELDS = "id,text,timestamp,username,from{id,username},like_count,hidden,parent_id"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies{{{REPLY_FIELDS}}}"
MEDIA_FIELDS = "id,caption,media_type,permalink,timestamp,comments_count,like_count"
TAGGED_FIELDS = "id,caption,media_type,permalink,timestamp,username,comments_count,like_count"

__all__ = ["Malformed", "comment_mention", "tagged_mention"]


def author(obj: dict[str, Any]) -> dict[str, Any]:
    who = as_dict(obj.get("from"))
    username = obj.get("username") or who.get("username")
    if not isinstance(username, str) or not username.strip():
        raise Malformed("missing field: username")
    username = username.strip()[:100]
    return {"handle": username, "name": username, "url": f"{WWW}{username}/", "followers": 0}


def permalink(value: Any) -> str:
    return value if isinstance(value, str) and value.startswith("https://") else ""


def comment_mention(comment: Any, media: dict[str, Any]) -> dict[str, Any]:
    """A comment (or a reply: `parent_id` set) on the account's media `media` ({"id",
    "permalink"}). Instagram gives comments no address of their own: the media's is used."""
    comment_id = need(comment, "id")
    created = need(comment, "timestamp")
    text = comment.get("text", "")
    if not isinstance(text, str):
        raise Malformed("missing field: text")
    media_id = need(media, "id")
    parent = comment.get("parent_id")
    parent_id = parent if isinstance(parent, str) and parent else media_id
    replies = as_dict(comment.get("replies")).get("data")
    return {
        "network": "instagram",
        "external_id": comment_id,
        "url": permalink(media.get("permalink")) or f"{WWW}",
        "text": text,
        "created_at": created,
        "author": author(comment),
        "parent_id": parent_id,
        "root_id": media_id,
        "metrics": {
            "likes": count(comment.get("like_count")),
            "reposts": 0,
            "replies": len(replies) if isinstance(replies, list) else 0,
        },
    }


def tagged_mention(media: Any) -> dict[str, Any]:
    """A media where someone tagged the account (/{ig-user-id}/tags)."""
    media_id = need(media, "id")
    created = need(media, "timestamp")
    caption = media.get("caption", "")
    if not isinstance(caption, str):
        raise Malformed("missing field: caption")
    return {
        "network": "instagram",
        "external_id": media_id,
        "url": permalink(media.get("permalink")) or f"{WWW}",
        "text": caption,
        "created_at": created,
        "author": author(media),
        "root_id": media_id,
        "metrics": {
            "likes": count(media.get("like_count")),
            "reposts": 0,
            "replies": count(media.get("comments_count")),
        },
    }
