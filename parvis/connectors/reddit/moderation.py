"""Moderating on Reddit: POST /api/remove (id = fullname, spam=false) takes a post or comment
out of the subreddit, POST /api/approve puts it back (reddit.com/dev/api#POST_api_remove,
#POST_api_approve). Both answer 200 with an empty object, again and again: removing what is
removed, or approving what is visible, is harmless.

Only a moderator of the subreddit may do either: anyone else gets a 403, and a person must act
(report it, or ask the subreddit's moderators). Both need the OAuth scope `modposts`; an account
connected before Parvis asked for it gets a 403 saying `insufficient_scope`, and must be
connected again. Reddit has no way for a moderator to delete someone else's item for good.
"""

from __future__ import annotations

from typing import Any

import httpx

from parvis.connectors.base import (
    ModerationAction,
    ModerationResult,
    PermanentError,
    ReplyTarget,
    not_allowed,
)
from parvis.connectors.reddit.mapping import WWW, permalink

PATHS = {ModerationAction.HIDE: "/api/remove", ModerationAction.RESTORE: "/api/approve"}
DONE = {
    ModerationAction.HIDE: "removed from the subreddit (a moderator can approve it again)",
    ModerationAction.RESTORE: "approved: visible in the subreddit again",
}


def data_of(target: ReplyTarget) -> dict[str, Any]:
    raw = target.raw if isinstance(target.raw, dict) else {}
    data = raw.get("data") if isinstance(raw.get("data"), dict) else raw
    return data if isinstance(data, dict) else {}


def subreddit(target: ReplyTarget) -> str:
    name = str(data_of(target).get("subreddit") or "").strip()
    return f"r/{name}" if name else "the subreddit"


def item_url(target: ReplyTarget) -> str:
    data = data_of(target)
    url = permalink(data.get("permalink") or data.get("context") or "")
    if url:
        return url
    fullname = target.external_id
    if fullname.startswith("t3_"):
        return f"{WWW}/comments/{fullname[3:]}/"
    return ""


def fullname(target: ReplyTarget) -> str | None:
    name = target.external_id.strip()
    return name if name.startswith(("t1_", "t3_")) else None


def form(action: ModerationAction, name: str) -> dict[str, Any]:
    if action == ModerationAction.HIDE:
        return {"id": name, "spam": "false"}
    return {"id": name}


def insufficient_scope(response: httpx.Response) -> bool:
    return "insufficient_scope" in response.headers.get("www-authenticate", "")


def answered(
    response: httpx.Response, action: ModerationAction, target: ReplyTarget
) -> ModerationResult:
    """A 403 from /api/remove or /api/approve: a missing permission, or not a moderator."""
    url = item_url(target)
    if insufficient_scope(response):
        raise PermanentError(
            "the Reddit account was connected without the permission to moderate (modposts): "
            "connect the Reddit account again"
        )
    where = subreddit(target)
    verb = "remove" if action == ModerationAction.HIDE else "approve"
    return not_allowed(
        action,
        f"only a moderator of {where} can {verb} it on Reddit: report it there, or ask the "
        "subreddit's moderators",
        url,
    )


def done(action: ModerationAction, target: ReplyTarget) -> ModerationResult:
    return ModerationResult(str(action), message=f"Reddit: {DONE[action]}", url=item_url(target))
