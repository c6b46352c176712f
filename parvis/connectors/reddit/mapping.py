"""Reddit things (t1 comment, t3 post, t4 private message) as normalized mentions."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from parvis.connectors.base import Incoming

WWW = "https://www.reddit.com"
GONE = {"[deleted]", "[removed]"}
# An inbox comment (reply, username mention) links to its thread through `context`:
# /r/{sub}/comments/{link id}/{slug}/{comment id}/?context=3
CONTEXT_LINK = re.compile(r"/comments/([a-z0-9]+)/")


def is_deleted(kind: str, data: dict[str, Any]) -> bool:
    """Deleted by its author or removed by moderators: Reddit keeps a husk, we keep nothing."""
    if data.get("author") in GONE or data.get("body") in GONE or data.get("selftext") in GONE:
        return True
    if kind == "t3" and data.get("removed_by_category"):
        return True
    # A private message from a subreddit (mod mail) has no author but a subreddit.
    return not data.get("author") and not (kind == "t4" and data.get("subreddit"))


def created_at(data: dict[str, Any]) -> str:
    seconds = data.get("created_utc")
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat()
    return ""  # the pipeline quarantines the item: "missing field: created_at"


def author(data: dict[str, Any]) -> dict[str, Any]:
    name = data.get("author")
    if not name:
        sub = str(data["subreddit"])
        return {"handle": f"r/{sub}", "name": f"r/{sub}", "followers": 0, "url": f"{WWW}/r/{sub}/"}
    return {
        "handle": f"u/{name}",
        "name": str(name),
        # Listings do not say how many followers a user has (another call per author).
        "followers": 0,
        "url": f"{WWW}/user/{name}/",
    }


def count(value: Any) -> int:
    # Scores can be negative (downvotes): the mention's likes are a non-negative count.
    return (
        max(int(value), 0) if isinstance(value, int | float) and not isinstance(value, bool) else 0
    )


def permalink(path: Any) -> str:
    path = str(path or "").split("?", 1)[0]
    return f"{WWW}{path}" if path.startswith("/") else path


def to_mention(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    mention: dict[str, Any] = {
        "network": "reddit",
        "external_id": str(data["name"]),
        "author": author(data),
        "created_at": created_at(data),
        "metrics": {"likes": count(data.get("score"))},
    }
    if kind == "t3":
        mention.update(
            url=permalink(data.get("permalink")),
            title=str(data.get("title") or ""),
            # Markdown is what the author typed: kept as plain text, not rendered.
            text=str(data.get("selftext") or ""),
        )
        mention["metrics"]["replies"] = count(data.get("num_comments"))
    elif kind == "t1":
        mention.update(
            url=permalink(data.get("permalink") or data.get("context")),
            text=str(data.get("body") or ""),
            parent_id=str(data.get("parent_id") or ""),
            root_id=str(data.get("link_id") or thread_of(data.get("context"))),
        )
    else:  # t4, a private message
        mention.update(
            url=f"{WWW}/message/messages/{data.get('id', '')}",
            title=str(data.get("subject") or ""),
            text=str(data.get("body") or ""),
            parent_id=str(data.get("parent_id") or ""),
            root_id=str(data.get("first_message_name") or ""),
        )
    return mention


def thread_of(context: Any) -> str:
    found = CONTEXT_LINK.search(str(context or ""))
    return f"t3_{found.group(1)}" if found else ""


def incoming(child: Any) -> Incoming | None:
    """A listing child as an item for the pipeline; None when it was deleted (not an error)."""
    raw_text = json.dumps(child, ensure_ascii=False)
    if not isinstance(child, dict) or not isinstance(child.get("data"), dict):
        return Incoming(None, raw_text, error="Reddit listing child without data")
    kind, data = str(child.get("kind", "")), child["data"]
    if kind not in {"t1", "t3", "t4"}:
        return Incoming(None, raw_text, error=f"unexpected Reddit thing kind {kind[:20]!r}")
    if not data.get("name"):
        return Incoming(None, raw_text, error="Reddit item without fullname (name)")
    if is_deleted(kind, data):
        return None
    try:
        mention = to_mention(kind, data)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:  # Infinity as a count, a time
        return Incoming(None, raw_text, error=f"unreadable Reddit item: {exc}")
    return Incoming(mention, raw_text, payload=child)
