"""Answering and moderating comments on the account's media (instagram_manage_comments):

- reply: POST /{ig-comment-id}/replies with `message`, answering {"id"}. Instagram threads are
  one level deep: an answer to a reply goes under its top-level comment (`parent_id`);
- find_reply reads that comment's replies (GET /{ig-comment-id}/replies) for the account's
  own reply with this text, posted since the attempt began;
- hide / unhide: POST /{ig-comment-id} with hide=true / false, answering {"success": true}
  (a hidden comment stays visible to its author); delete: DELETE /{ig-comment-id}, for good.
  Instagram does not let an account hide its own comments, nor hide or delete comments on
  media it does not own.

Exactly once through the Facebook connector's sends.py (the Graph API has no idempotency key).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from parvis.connectors.base import (
    ModerationAction,
    ModerationResult,
    PermanentError,
    ReplyTarget,
    RetryLater,
    SentReply,
    not_allowed,
    posted_since,
    same_text,
)
from parvis.connectors.facebook import graph, sends
from parvis.connectors.facebook.mapping import graph_time
from parvis.connectors.instagram.api import Api
from parvis.connectors.instagram.mapping import REPLY_FIELDS, WWW

READ_BACK_PAGES = 4
GONE = "Instagram no longer has this comment (deleted): nothing left to do"


def comment_id_of(target: ReplyTarget) -> str:
    comment_id = target.external_id.strip()
    if not comment_id or not graph.GRAPH_PATH.fullmatch(comment_id) or "/" in comment_id:
        raise PermanentError("the Instagram comment has no usable id")
    return comment_id


def thread_of(target: ReplyTarget) -> str:
    """The top-level comment a reply goes under."""
    raw = target.raw if isinstance(target.raw, dict) else {}
    parent, root = raw.get("parent_id"), raw.get("root_id")
    media = graph.as_dict(raw.get("media"))
    if isinstance(parent, str) and parent and parent not in (root, media.get("id")):
        return parent
    return comment_id_of(target)


def url_of(target: ReplyTarget) -> str:
    raw = target.raw if isinstance(target.raw, dict) else {}
    media = graph.as_dict(raw.get("media"))
    url = raw.get("url") or raw.get("permalink") or media.get("permalink")
    return url if isinstance(url, str) and url.startswith("https://") else WWW


def is_own(comment: dict[str, Any], user_id: str, username: str) -> bool:
    who = graph.as_dict(comment.get("from"))
    if who.get("id") == user_id:
        return True
    return bool(username) and comment.get("username") == username


def own_comment(
    api: Api,
    user_id: str,
    edge: str,
    text: str,
    since: dt.datetime,
    username: str = "",
) -> dict[str, Any] | None:
    """The account's own comment with this text under `edge` (…/comments or …/replies),
    posted at or after `since`. The order of these edges is not documented: every page read
    is searched (up to READ_BACK_PAGES)."""
    params = {"fields": REPLY_FIELDS, "limit": "50"}
    for _page in range(READ_BACK_PAGES):
        try:
            body = api.get(edge, params, doing="reply")
        except graph.Gone:
            return None  # the comment answered is gone, and the reply with it
        for comment in graph.as_list(body.get("data")):
            if not isinstance(comment, dict) or not isinstance(comment.get("id"), str):
                continue
            if not is_own(comment, user_id, username):
                continue
            if not posted_since(graph_time(comment.get("timestamp")), since):
                continue
            if same_text(str(comment.get("text") or ""), text):
                return comment
        after = graph.after_cursor(body)
        if not after:
            break
        params = {**params, "after": after}
    return None


def sent(comment: dict[str, Any], target: ReplyTarget) -> SentReply:
    return SentReply(
        external_id=str(comment["id"]),
        url=url_of(target),
        published_at=graph_time(comment.get("timestamp")) or dt.datetime.now(dt.UTC),
    )


def create(
    connector: Any, api: Api, user_id: str, username: str, target: ReplyTarget, text: str, key: str
) -> SentReply:
    parent = thread_of(target)

    def send() -> SentReply:
        body = api.post(f"{parent}/replies", {"message": text}, doing="reply")
        reply_id = body.get("id")
        if not isinstance(reply_id, str) or not reply_id:
            raise RetryLater("Instagram answered the reply without its id")
        return sent({"id": reply_id}, target)

    return sends.once(
        connector,
        "reply",
        key,
        recorded=lambda row: SentReply(row.external_id, row.url, row.published_at),
        find=lambda since: find(api, user_id, username, target, text, since),
        send=send,
        record=lambda row, r: sends.save(row, r.external_id, r.url, r.published_at),
    )


def find(
    api: Api, user_id: str, username: str, target: ReplyTarget, text: str, since: dt.datetime
) -> SentReply | None:
    edge = f"{thread_of(target)}/replies"
    found = own_comment(api, user_id, edge, text, since, username)
    return sent(found, target) if found is not None else None


def moderate(
    api: Api, user_id: str, target: ReplyTarget, action: ModerationAction
) -> ModerationResult:
    comment_id = comment_id_of(target)
    url = url_of(target)
    try:
        state = api.get(comment_id, {"fields": "id,hidden,from{id},username"}, "moderate")
    except graph.Gone:
        if action == ModerationAction.RESTORE:
            return not_allowed(action, GONE + "; it cannot be restored", url)
        return ModerationResult(str(action), message=GONE, url=url)
    if action == ModerationAction.DELETE:
        with contextlib.suppress(graph.Gone):  # deleted meanwhile: the same outcome
            api.delete(comment_id, "moderate")
        return ModerationResult(str(action), message="Instagram: deleted for good", url=url)
    hide = action == ModerationAction.HIDE
    if state.get("hidden") is hide:
        done = "hidden already" if hide else "visible already"
        return ModerationResult(str(action), message=f"Instagram: {done}", url=url)
    if hide and graph.as_dict(state.get("from")).get("id") == user_id:
        return not_allowed(
            action, "Instagram does not let an account hide its own comment: delete it", url
        )
    body = api.post(comment_id, {"hide": "true" if hide else "false"}, doing="moderate")
    if body.get("success") is not True:
        raise PermanentError("Instagram did not confirm the change: check the comment there")
    message = "hidden: seen only by its author" if hide else "visible to all again"
    return ModerationResult(str(action), message=f"Instagram: {message}", url=url)
