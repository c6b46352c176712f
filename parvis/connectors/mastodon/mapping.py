"""Mastodon Status entities → normalized mentions.

External ids are "<instance host>:<status id>", the id on the instance we read through. Mastodon
status ids are local to each instance, and so is `in_reply_to_id`: with the same scheme the
parent_id of a reply is exact (the status URI would be unique across instances, but a reply only
names its parent by local id, so threads could not be joined without one lookup per reply), and
replying or moderating later acts on that same local id. The status URI stays in the raw payload.
The same post read through two instances is two mentions; their copy-paste group joins them.
"""

from __future__ import annotations

import json
from typing import Any

from parvis.connectors.base import Incoming
from parvis.connectors.html import to_text

NETWORK = "mastodon"


def external_id(host: str, status_id: str) -> str:
    return f"{host}:{status_id}"


def handle(account: dict[str, Any], host: str) -> str:
    """@user@instance for everyone: a local account's `acct` has no domain."""
    acct = str(account.get("acct") or account.get("username") or "").lstrip("@")
    if not acct:
        raise ValueError("status without an author")
    return f"@{acct}" if "@" in acct else f"@{acct}@{host}"


class Unreadable(ValueError):
    """The item lacks what a mention needs; the message is the quarantine's reason."""


def original(status: dict[str, Any]) -> dict[str, Any]:
    """A reblog (boost) is about the reblogged status: that is what was said, and by whom."""
    reblog = status.get("reblog")
    return reblog if isinstance(reblog, dict) else status


def to_mention(status: dict[str, Any], host: str) -> dict[str, Any]:
    post = original(status)
    if not post.get("id") or not post.get("uri"):
        raise Unreadable("status without id or uri")
    account = post.get("account")
    if not isinstance(account, dict):
        raise Unreadable("status without an account")
    if not post.get("created_at"):
        raise Unreadable("status without created_at")
    data: dict[str, Any] = {
        "network": NETWORK,
        "external_id": external_id(host, str(post["id"])),
        "url": post.get("url") or post["uri"],
        "author": {
            "handle": handle(account, host),
            "name": account.get("display_name") or account.get("username") or "",
            "followers": max(0, int(account.get("followers_count") or 0)),
            "url": account.get("url") or "",
        },
        # `content` is HTML written by the instance; only its text is kept (inert).
        "text": to_text(post.get("content") or ""),
        "created_at": post["created_at"],
        "metrics": {
            "likes": max(0, int(post.get("favourites_count") or 0)),
            "reposts": max(0, int(post.get("reblogs_count") or 0)),
            "replies": max(0, int(post.get("replies_count") or 0)),
        },
    }
    if post.get("spoiler_text"):
        data["title"] = to_text(post["spoiler_text"])  # the content warning
    if post.get("language"):
        data["lang"] = str(post["language"])
    if post.get("in_reply_to_id"):
        data["parent_id"] = external_id(host, str(post["in_reply_to_id"]))
    return data


def incoming(status: Any, host: str) -> Incoming:
    """One Incoming for a status as received: mapped, or kept with the reason it cannot be."""
    raw = json.dumps(status, ensure_ascii=False)
    if not isinstance(status, dict):
        return Incoming(None, raw, error="not a status object")
    try:
        data = to_mention(status, host)
    except Unreadable as exc:
        return Incoming(None, raw, error=str(exc))
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:  # Infinity as a count
        return Incoming(None, raw, error=f"unreadable status: {exc}")
    return Incoming(data, raw, payload=status)
