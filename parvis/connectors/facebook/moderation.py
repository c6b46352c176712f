"""Moderating comments on the Page's posts (pages_manage_engagement):

- HIDE / RESTORE: POST /{comment-id} with is_hidden=true / false, answering {"success": true}.
  A hidden comment stays visible to its author and their friends. Before hiding, the comment's
  `can_hide` and `is_hidden` are read: hiding what is hidden already is done; what the Page
  cannot hide (its own comments, some comments on ads) is for a person;
- DELETE: DELETE /{comment-id} when `can_remove`, for good.

A comment already gone (error 100, subcode 33) needs nothing more, except to be restored.
"""

from __future__ import annotations

import contextlib

from parvis.connectors.base import (
    ModerationAction,
    ModerationResult,
    PermanentError,
    ReplyTarget,
    not_allowed,
)
from parvis.connectors.facebook import graph

GONE = "Facebook no longer has this comment (deleted): nothing left to do"


def comment_url(target: ReplyTarget) -> str:
    raw = target.raw if isinstance(target.raw, dict) else {}
    url = raw.get("permalink_url")
    if isinstance(url, str) and url.startswith("https://"):
        return url
    return f"{graph.WWW}{target.external_id}"


def moderate(api: graph.Api, target: ReplyTarget, action: ModerationAction) -> ModerationResult:
    comment_id = target.external_id.strip()
    if not comment_id or "/" in comment_id or "?" in comment_id:
        raise PermanentError("cannot moderate on Facebook: the comment has no usable id")
    url = comment_url(target)
    try:
        state = api.get(comment_id, {"fields": "is_hidden,can_hide,can_remove"}, "moderate")
    except graph.Gone:
        if action == ModerationAction.RESTORE:
            return not_allowed(action, GONE + "; it cannot be restored", url)
        return ModerationResult(str(action), message=GONE, url=url)
    if action == ModerationAction.DELETE:
        if state.get("can_remove") is False:
            return not_allowed(
                action,
                "Facebook does not let the Page delete this comment: delete it on Facebook "
                "with an account that may",
                url,
            )
        with contextlib.suppress(graph.Gone):  # deleted meanwhile: the same outcome
            api.delete(comment_id, "moderate")
        return ModerationResult(str(action), message="Facebook: deleted for good", url=url)
    hide = action == ModerationAction.HIDE
    if state.get("is_hidden") is hide:
        done = "hidden already" if hide else "visible already"
        return ModerationResult(str(action), message=f"Facebook: {done}", url=url)
    if hide and state.get("can_hide") is False:
        return not_allowed(
            action,
            "Facebook does not let the Page hide this comment (the Page's own, or one it "
            "cannot moderate): act on it on Facebook",
            url,
        )
    body = api.post(comment_id, {"is_hidden": "true" if hide else "false"}, doing="moderate")
    if body.get("success") is not True:
        raise PermanentError("Facebook did not confirm the change: check the comment on Facebook")
    message = (
        "hidden: seen only by its author and their friends" if hide else "visible to all again"
    )
    return ModerationResult(str(action), message=f"Facebook: {message}", url=url)
