"""Moderating on YouTube (the Google sign-in connector): comments.setModerationStatus
(developers.google.com/youtube/v3/docs/comments/setModerationStatus), a POST without a body
that answers 204, 50 units of the daily quota charged before the call. Only the owner of the
channel or video may call it.

HIDE is heldForReview (out of public view, in YouTube Studio's « held for review »), RESTORE
is published, DELETE is rejected: « unfit for display », which also hides its replies, and
cannot be published again. banAuthor is always false: banning is a person's decision.

Setting the status a comment already has is harmless: the same 204.
"""

from __future__ import annotations

import httpx

from parvis.connectors.base import (
    ModerationAction,
    ModerationResult,
    PermanentError,
    ReplyTarget,
    not_allowed,
)
from parvis.connectors.youtube import api
from parvis.connectors.youtube.mapping import CHANNEL, WATCH

STUDIO = "https://studio.youtube.com/"  # where the owner moderates by hand

STATUS = {
    ModerationAction.HIDE: "heldForReview",
    ModerationAction.RESTORE: "published",
    ModerationAction.DELETE: "rejected",
}
DONE = {
    ModerationAction.HIDE: "held for review: out of public view until published again",
    ModerationAction.RESTORE: "published: visible under the video again",
    ModerationAction.DELETE: "rejected: removed from the video for good, replies included",
}


def comment_url(target: ReplyTarget) -> str:
    raw = target.raw if isinstance(target.raw, dict) else {}
    snippet = raw.get("snippet") if isinstance(raw.get("snippet"), dict) else {}
    video, channel = snippet.get("videoId"), snippet.get("channelId")
    if video:
        return f"{WATCH}{video}&lc={target.external_id}"
    if channel:
        return f"{CHANNEL}{channel}?lc={target.external_id}"
    return STUDIO


def moderate(client: api.Client, target: ReplyTarget, action: ModerationAction) -> ModerationResult:
    comment_id = target.external_id.strip()
    if not comment_id:
        raise PermanentError("cannot moderate on YouTube: the comment has no id")
    url = comment_url(target)
    response = client.set_moderation_status(comment_id, STATUS[action])
    if response.status_code < 400:
        return ModerationResult(str(action), message=f"YouTube: {DONE[action]}", url=url)
    return refusal(response, action, url)


def refusal(response: httpx.Response, action: ModerationAction, url: str) -> ModerationResult:
    """setModerationStatus's documented refusals: what they mean for this action."""
    why = api.reasons(response)
    if "commentNotFound" in why:
        # Deleted by its author, or already rejected and gone from the API: nothing to hide.
        message = "YouTube no longer has this comment (deleted): nothing left to do"
        if action == ModerationAction.RESTORE:
            return not_allowed(action, message + "; it cannot be published again", url)
        return ModerationResult(str(action), message=message, url=url)
    if {"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}.intersection(why):
        raise PermanentError(
            "the YouTube account was connected without permission to moderate comments: "
            "reconnect it (Google sign-in) and allow managing comments"
        )
    if "forbidden" in why or response.status_code == 403:
        return not_allowed(
            action,
            "YouTube lets only the owner of the channel or video moderate this comment (or "
            "the comment was deleted): do it in YouTube Studio with the owner's account",
            url,
        )
    if "processingFailure" in why:
        return not_allowed(
            action,
            "YouTube could not process it (the comment may have been deleted by its author, "
            "or rejected already: a rejected comment cannot be published again): check it in "
            "YouTube Studio",
            url,
        )
    if "operationNotSupported" in why:
        return not_allowed(
            action, "YouTube does not allow moderating this comment through its API", url
        )
    api.check(response)  # anything else: the generic meaning of the status
    raise PermanentError(f"HTTP {response.status_code} from YouTube")  # pragma: no cover
