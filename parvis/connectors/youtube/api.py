"""Calls to the YouTube Data API v3 and what its error bodies mean for the scheduler.

Errors come as {"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}};
the reason, not the status, says what to do: a spent quota is a 403 that only the next
Pacific midnight cures, a 403 "forbidden" is a permission a person must fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from parvis.connectors import http
from parvis.connectors.base import PermanentError, RetryLater
from parvis.connectors.youtube import oauth, quota

API = "https://www.googleapis.com/youtube/v3"

# Reasons that mean "no quota left today" (Google's docs list quotaExceeded; the older
# usageLimits domain answers dailyLimitExceeded / rateLimitExceeded for the same thing).
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded"})
# Short-term limits: back off as for a 429.
BACKOFF_REASONS = frozenset({"userRateLimitExceeded", "backendError", "internalError"})
# What a person must do, by reason. The key never appears in a message.
PERMANENT_REASONS = {
    "forbidden": "access is forbidden: check that the key may read this channel",
    "authError": "the credentials were refused: reconnect the YouTube account",
    "keyInvalid": "the API key is not valid: paste a new key in the connected account",
    "keyExpired": "the API key has expired: paste a new key in the connected account",
    "accessNotConfigured": "the YouTube Data API v3 is not enabled for the key's Google Cloud "
    "project: enable it in the Google Cloud console",
    "ipRefererBlocked": "the key's restrictions refuse this server: allow its IP address "
    "or remove the restriction",
    "channelNotFound": "the YouTube channel was not found: check the channel id (UC…)",
    "channelClosed": "the YouTube channel is closed",
    "channelSuspended": "the YouTube channel is suspended",
}


class PageTokenRefused(RetryLater):
    """A stored page token is no longer accepted: start the pass again from the newest."""


class ItemUnavailable(PermanentError):
    """This one video cannot be read (comments disabled, video gone): skip it, not the source."""


def reasons(response: httpx.Response) -> list[str]:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return []
    if not isinstance(error, dict):
        return []
    found = [e.get("reason", "") for e in error.get("errors") or [] if isinstance(e, dict)]
    # Newer Google front ends also say it in details[].reason (API_KEY_INVALID …).
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and detail.get("reason") == "API_KEY_INVALID":
            found.append("keyInvalid")
    return [r for r in found if r]


def check(response: httpx.Response) -> httpx.Response:
    """Return a 2xx response, or raise the typed error the reason calls for."""
    status = response.status_code
    if status < 400:
        return response
    why = reasons(response)
    if QUOTA_REASONS.intersection(why):
        raise RetryLater(
            "the YouTube API quota of this key is spent for today; it resets at midnight "
            "Pacific time",
            quota.seconds_until_reset(),
        )
    if BACKOFF_REASONS.intersection(why) or status == 429 or status >= 500:
        raise RetryLater(
            f"HTTP {status} from YouTube ({', '.join(why)})", http.retry_after(response)
        )
    if "invalidPageToken" in why:
        raise PageTokenRefused("YouTube refused the stored page token")
    if "commentsDisabled" in why:
        raise ItemUnavailable("comments are disabled on this video")
    if {"videoNotFound", "commentThreadNotFound", "commentNotFound"}.intersection(why):
        raise ItemUnavailable("the video or comment is gone")
    for reason in why:
        if reason in PERMANENT_REASONS:
            raise PermanentError(f"YouTube: {PERMANENT_REASONS[reason]}")
    http.check(response)  # the generic words for the status
    raise PermanentError(f"HTTP {status} from YouTube")  # pragma: no cover (check raised)


# comments.insert's own refusals (developers.google.com/youtube/v3/docs/comments/insert):
# what a person should do about each.
INSERT_REASONS = {
    "commentsDisabled": "comments are disabled on this video: reply on YouTube itself, or turn "
    "comments on",
    "forbidden": "YouTube does not let the channel reply there (the comment may be held, or "
    "the video private): check it on YouTube",
    "ineligibleAccount": "the Google account has no YouTube channel that can comment: sign in "
    "with the channel's account",
    "insufficientPermissions": "the YouTube account was connected without permission to reply: "
    "reconnect it (Google sign-in) and allow managing comments",
    "ACCESS_TOKEN_SCOPE_INSUFFICIENT": "the YouTube account was connected without permission to "
    "reply: reconnect it (Google sign-in) and allow managing comments",
    "parentCommentIsPrivate": "the comment answered is private: it cannot be replied to",
    "parentCommentNotFound": "the comment answered was deleted",
    "commentNotFound": "the comment answered was deleted",
    "commentThreadNotFound": "the comment answered was deleted",
    "videoNotFound": "the video was deleted",
    "commentTextTooLong": "the reply is too long: shorten it",
    "commentTextRequired": "the reply is empty",
    "invalidCommentMetadata": "YouTube refused the reply's text: change it",
    "operationNotSupported": "YouTube does not allow replying to this comment",
    "processingFailure": "YouTube could not process the reply: change its text",
}


def check_insert(response: httpx.Response) -> httpx.Response:
    """comments.insert's refusals with what to do; quota and backoff as for any call."""
    if response.status_code < 400:
        return response
    why = reasons(response)
    detail = ""
    try:
        error = response.json().get("error") or {}
        details = error.get("details") if isinstance(error, dict) else None
        for item in details or []:
            if isinstance(item, dict) and isinstance(item.get("reason"), str):
                why.append(item["reason"])
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            detail = error["message"][:200]
    except (ValueError, AttributeError):
        pass
    if QUOTA_REASONS.intersection(why) or BACKOFF_REASONS.intersection(why):
        return check(response)
    for reason in why:
        if reason in INSERT_REASONS:
            raise PermanentError(f"YouTube refused the reply: {INSERT_REASONS[reason]}")
    if response.status_code == 403:
        raise PermanentError(
            f"YouTube refused the reply (HTTP 403{': ' + detail if detail else ''}): reconnect "
            "the YouTube account (Google sign-in) and allow managing comments"
        )
    return check(response)


class Client:
    """One source's calls: each charged to the key's daily budget before it is sent."""

    def __init__(
        self,
        http_client: httpx.Client,
        credentials: dict[str, str],
        *,
        workspace_id: int | None,
        budget: quota.Budget,
        on_refresh: Callable[[dict[str, str]], None] | None = None,
    ) -> None:
        self.http = http_client
        self.credentials = dict(credentials)
        self.workspace_id = workspace_id
        self.budget = budget
        self.project = quota.project_key(credentials)
        self.on_refresh = on_refresh  # keeps renewed OAuth tokens (encrypted, on the account)

    @property
    def signed_in(self) -> bool:
        return bool(self.credentials.get("access_token"))

    def renew(self) -> None:
        changes = oauth.refresh(self.http, self.credentials)
        self.credentials.update(changes)
        if self.on_refresh is not None:
            self.on_refresh(changes)

    def headers(self) -> dict[str, str]:
        # In a header, not in the URL: URLs end up in logs and error messages.
        if self.credentials.get("access_token"):
            return {"Authorization": f"Bearer {self.credentials['access_token']}"}
        return {"X-Goog-Api-Key": self.credentials.get("api_key", "")}

    def can_afford(self, cost: quota.Cost) -> bool:
        if self.workspace_id is None:
            return True
        return quota.can_afford(self.workspace_id, self.project, cost, self.budget)

    def send(
        self,
        resource: str,
        params: dict[str, Any],
        cost: quota.Cost,
        body: dict[str, Any] | None = None,
        method: str = "",
    ) -> httpx.Response:
        """GET, or POST `body` (an insert); charged before it is sent."""
        if self.workspace_id is not None:
            quota.charge(self.workspace_id, self.project, cost, self.budget)
        method = method or ("GET" if body is None else "POST")
        try:
            return self.http.request(
                method, f"{API}/{resource}", params=params, json=body, headers=self.headers()
            )
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise RetryLater(f"{type(exc).__name__} reaching YouTube") from exc

    def exchange(
        self,
        resource: str,
        params: dict[str, Any],
        cost: quota.Cost,
        body: dict[str, Any] | None = None,
        method: str = "",
    ) -> httpx.Response:
        """One call, its token renewed when expired or refused once; the answer unchecked."""
        if self.signed_in and oauth.expired(self.credentials):
            self.renew()
        response = self.send(resource, params, cost, body, method)
        if response.status_code == 401 and self.signed_in:
            self.renew()  # revoked early, or our clock is behind Google's: once more
            response = self.send(resource, params, cost, body, method)
        return response

    def call(
        self,
        resource: str,
        params: dict[str, Any],
        cost: quota.Cost,
        body: dict[str, Any] | None = None,
        checker: Callable[[httpx.Response], httpx.Response] | None = None,
    ) -> dict[str, Any]:
        response = self.exchange(resource, params, cost, body)
        (checker or check)(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise RetryLater("YouTube answered something that is not JSON") from exc
        if not isinstance(body, dict):
            raise RetryLater("YouTube answered an unexpected JSON document")
        return body

    # --- the methods the connector uses ---------------------------------------------

    def comment_threads(
        self, channel_id: str = "", page_token: str = "", *, video_id: str = ""
    ) -> dict[str, Any]:
        """Threads of one video, or of every video of the channel, newest first."""
        target = {"videoId": video_id} if video_id else {"allThreadsRelatedToChannelId": channel_id}
        params = {
            "part": "snippet,replies",
            **target,
            "order": "time",
            "maxResults": 100,
            "textFormat": "plainText",
        }
        if page_token:
            params["pageToken"] = page_token
        return self.call("commentThreads", params, quota.LIST)

    def replies(self, parent_id: str, page_token: str = "") -> dict[str, Any]:
        params = {
            "part": "snippet",
            "parentId": parent_id,
            "maxResults": 100,
            "textFormat": "plainText",
        }
        if page_token:
            params["pageToken"] = page_token
        return self.call("comments", params, quota.LIST)

    def insert_reply(self, parent_id: str, text: str) -> dict[str, Any]:
        """comments.insert: a reply to a top-level comment (50 units)."""
        body = {"snippet": {"parentId": parent_id, "textOriginal": text}}
        return self.call("comments", {"part": "snippet"}, quota.INSERT, body, check_insert)

    def set_moderation_status(self, comment_id: str, status: str) -> httpx.Response:
        """comments.setModerationStatus (50 units): a POST without a body, 204 when done. The
        answer is returned unchecked but for the quota and backoff reasons: what a refusal
        means depends on the action (moderation.py)."""
        params = {"id": comment_id, "moderationStatus": status, "banAuthor": "false"}
        response = self.exchange(
            "comments/setModerationStatus", params, quota.MODERATE, method="POST"
        )
        why = reasons(response)
        if response.status_code >= 400 and (
            QUOTA_REASONS.intersection(why)
            or BACKOFF_REASONS.intersection(why)
            or response.status_code == 429
            or response.status_code >= 500
        ):
            check(response)
        return response

    def search(self, term: str, published_after: str = "", page_token: str = "") -> dict[str, Any]:
        params = {"part": "snippet", "q": term, "type": "video", "order": "date", "maxResults": 50}
        if published_after:
            params["publishedAfter"] = published_after
        if page_token:
            params["pageToken"] = page_token
        return self.call("search", params, quota.SEARCH)

    def videos(self, ids: list[str]) -> dict[str, Any]:
        # Up to 50 ids for one unit; ids of deleted or private videos are left out of items.
        # (maxResults does not go with id: the API refuses the pair.)
        params = {"part": "snippet,statistics", "id": ",".join(ids)}
        return self.call("videos", params, quota.LIST)

    def channel_statistics(self, ids: list[str]) -> dict[str, Any]:
        return self.call("channels", {"part": "statistics", "id": ",".join(ids)}, quota.LIST)

    def channel(self, channel_id: str = "", *, handle: str = "") -> dict[str, Any]:
        """A channel by id, by handle (@name), or the signed-in person's own (mine=true)."""
        if channel_id:
            target = {"id": channel_id}
        else:
            target = {"forHandle": handle} if handle else {"mine": "true"}
        return self.call("channels", {"part": "snippet", **target}, quota.LIST)
