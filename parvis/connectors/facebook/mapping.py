"""Graph API objects (a Page post's comment, a post the Page is tagged in) as normalized
mentions. Times are ISO 8601 as the Graph API writes them ("2026-11-20T09:01:00+0000")."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from parvis.connectors.facebook.graph import WWW, as_dict

COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},permalink_url,like_count,"
    "comment_count,is_hidden,can_hide,can_remove"
)
TAGGED_FIELDS = "id,message,created_time,from{id,name},permalink_url"


class Malformed(ValueError):
    """The object lacks what identifies or dates it: quarantined with this reason."""


def need(obj: Any, name: str) -> str:
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise Malformed(f"missing field: {name}")
    return value


def count(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"not a count: {str(value)[:20]!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise Malformed(f"not a finite count: {value!r}")
    return max(0, int(value))


def graph_time(value: Any) -> dt.datetime | None:
    """A Graph API time ("+0000" offset, or "Z"), aware; None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def author(obj: dict[str, Any]) -> dict[str, Any]:
    # `from` is the commenter's Page-scoped id and name; Meta omits it for people who have not
    # allowed apps to see them, so such comments share one anonymous author.
    who = as_dict(obj.get("from"))
    handle = who.get("id") if isinstance(who.get("id"), str) and who.get("id") else "anonymous"
    return {
        "handle": handle,
        "name": str(who.get("name") or "")[:300],
        "url": f"{WWW}{handle}" if handle != "anonymous" else "",
        "followers": 0,
    }


def comment_mention(comment: Any, post_id: str) -> dict[str, Any]:
    comment_id = need(comment, "id")
    created = need(comment, "created_time")
    text = comment.get("message", "")
    if not isinstance(text, str):
        raise Malformed("missing field: message")
    parent = as_dict(comment.get("parent"))
    parent_id = parent.get("id") if isinstance(parent.get("id"), str) else ""
    url = comment.get("permalink_url")
    return {
        "network": "facebook",
        "external_id": comment_id,
        "url": url if isinstance(url, str) and url.startswith("https://") else WWW + comment_id,
        "text": text,
        "created_at": created,
        "author": author(comment),
        "parent_id": parent_id or post_id,
        "root_id": post_id,
        "metrics": {
            "likes": count(comment.get("like_count")),
            "reposts": 0,
            "replies": count(comment.get("comment_count")),
        },
    }


def tagged_mention(post: Any) -> dict[str, Any]:
    post_id = need(post, "id")
    created = need(post, "created_time")
    text = post.get("message", "")
    if not isinstance(text, str):
        raise Malformed("missing field: message")
    url = post.get("permalink_url")
    return {
        "network": "facebook",
        "external_id": post_id,
        "url": url if isinstance(url, str) and url.startswith("https://") else WWW + post_id,
        "text": text,
        "created_at": created,
        "author": author(post),
        "root_id": post_id,
        "metrics": {"likes": 0, "reposts": 0, "replies": 0},
    }
