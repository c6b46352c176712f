"""Replying on YouTube (the Google sign-in connector): comments.insert with the top-level
comment as parentId (developers.google.com/youtube/v3/docs/comments/insert), 50 units of the
daily quota, charged through the quota bookkeeping before the call.

YouTube has no idempotency key: a retry after a lost answer may post twice, so the caller
reconciles with find_reply first (comments.list parentId: the thread's replies, matched on
the account's channel and the text).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from parvis.connectors.base import (
    PermanentError,
    ReplyTarget,
    RetryLater,
    SentReply,
    parse_time,
    posted_since,
    same_text,
)
from parvis.connectors.youtube import api
from parvis.connectors.youtube.mapping import CHANNEL, WATCH

PAGES = 5  # comments.list pages of 100 replies read back by find_reply


def top_level_id(target: ReplyTarget) -> str:
    """The thread's top-level comment: YouTube threads are one level deep, so a reply to a
    reply goes to its parent (snippet.parentId; a reply's id is "<parent>.<suffix>")."""
    raw = target.raw if isinstance(target.raw, dict) else {}
    snippet = raw.get("snippet") if isinstance(raw.get("snippet"), dict) else {}
    parent = snippet.get("parentId")
    if isinstance(parent, str) and parent:
        return parent
    comment_id = target.external_id.strip()
    if not comment_id:
        raise PermanentError("cannot reply on YouTube: the comment answered has no id")
    return comment_id.split(".", 1)[0]


def sent(comment: dict[str, Any]) -> SentReply:
    comment_id = comment.get("id")
    if not isinstance(comment_id, str) or not comment_id:
        raise RetryLater("YouTube answered the reply without its comment id")
    snippet = comment.get("snippet") if isinstance(comment.get("snippet"), dict) else {}
    video, channel = snippet.get("videoId"), snippet.get("channelId")
    if video:
        url = f"{WATCH}{video}&lc={comment_id}"
    else:
        url = f"{CHANNEL}{channel}?lc={comment_id}" if channel else ""
    return SentReply(
        external_id=comment_id, url=url, published_at=parse_time(snippet.get("publishedAt"))
    )


def create(client: api.Client, target: ReplyTarget, text: str) -> SentReply:
    return sent(client.insert_reply(top_level_id(target), text))


def find(
    client: api.Client, channel_id: str, target: ReplyTarget, text: str, since: dt.datetime
) -> SentReply | None:
    parent = top_level_id(target)
    token = ""
    for _page in range(PAGES):
        try:
            body = client.replies(parent, token)
        except api.ItemUnavailable:
            return None  # the thread is gone: the reply with it
        items = body.get("items")
        for comment in items if isinstance(items, list) else []:
            snippet = comment.get("snippet") if isinstance(comment, dict) else None
            if not isinstance(snippet, dict):
                continue
            channel = snippet.get("authorChannelId")
            author = channel.get("value") if isinstance(channel, dict) else None
            if author != channel_id:
                continue
            if not posted_since(parse_time(snippet.get("publishedAt")), since):
                continue
            if same_text(str(snippet.get("textOriginal") or ""), text):
                return sent(comment)
        token = body.get("nextPageToken")
        if not isinstance(token, str) or not token:
            break
    return None
