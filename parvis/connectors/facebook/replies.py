"""Replying as the Page: a comment under the comment answered (Graph API: POST
/{comment-id}/comments with `message`, answering {"id"}; pages_manage_engagement).

Facebook threads are two levels deep: an answer to a reply goes under that reply's parent
(its `parent.id`, kept in the stored payload). Exactly once through sends.py; find_reply reads
the parent's comments (filter=stream, newest first) for the Page's own comment with this text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from parvis.connectors.base import (
    PermanentError,
    ReplyTarget,
    RetryLater,
    SentReply,
    posted_since,
    same_text,
)
from parvis.connectors.facebook import graph, sends
from parvis.connectors.facebook.mapping import graph_time

READ_BACK_PAGES = 4  # pages of 100 comments read back by find_reply
FIELDS = "id,message,created_time,from{id},permalink_url"


def thread_of(target: ReplyTarget) -> str:
    raw = target.raw if isinstance(target.raw, dict) else {}
    parent = graph.as_dict(raw.get("parent"))
    parent_id = parent.get("id")
    if isinstance(parent_id, str) and parent_id:
        return parent_id
    comment_id = target.external_id.strip()
    if not comment_id:
        raise PermanentError("cannot reply on Facebook: the comment answered has no id")
    return comment_id


def sent(comment_id: str, url: str = "", published: Any = None) -> SentReply:
    return SentReply(
        external_id=comment_id,
        url=url if url.startswith("https://") else f"{graph.WWW}{comment_id}",
        published_at=graph_time(published) or dt.datetime.now(dt.UTC),
    )


def create(
    connector: Any, api: graph.Api, page_id: str, target: ReplyTarget, text: str, key: str
) -> SentReply:
    parent = thread_of(target)

    def send() -> SentReply:
        body = api.post(f"{parent}/comments", {"message": text}, doing="reply")
        comment_id = body.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise RetryLater("Facebook answered the reply without its comment id")
        return sent(comment_id)

    return sends.once(
        connector,
        "reply",
        key,
        recorded=lambda row: SentReply(row.external_id, row.url, row.published_at),
        find=lambda since: find(api, page_id, target, text, since),
        send=send,
        record=lambda row, r: sends.save(row, r.external_id, r.url, r.published_at),
    )


def find(
    api: graph.Api, page_id: str, target: ReplyTarget, text: str, since: dt.datetime
) -> SentReply | None:
    parent = thread_of(target)
    params = {"filter": "stream", "order": "reverse_chronological", "fields": FIELDS}
    params["limit"] = "100"
    for _page in range(READ_BACK_PAGES):
        try:
            body = api.get(f"{parent}/comments", params, doing="reply")
        except graph.Gone:
            return None  # the comment answered is gone, and the reply with it
        for comment in body.get("data") or []:
            if not isinstance(comment, dict):
                continue
            who = graph.as_dict(comment.get("from"))
            if who.get("id") != page_id:
                continue
            published = graph_time(comment.get("created_time"))
            if published is not None and not posted_since(published, since):
                return None  # newest first: the rest is older still
            if same_text(str(comment.get("message") or ""), text):
                return sent(
                    str(comment["id"]),
                    str(comment.get("permalink_url") or ""),
                    comment.get("created_time"),
                )
        after = graph.after_cursor(body)
        if not after:
            break
        params = {**params, "after": after}
    return None
