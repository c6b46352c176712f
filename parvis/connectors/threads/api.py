"""Talking to the Threads API (graph.threads.net, pinned version) as one Threads profile.

Facts from Meta's Threads documentation (developers.facebook.com/docs/threads):
- the API is a Graph API: objects by id, edges (`/{user-id}/threads`, `/{media-id}/replies`),
  cursor paging ({"data", "paging": {"cursors": {"before", "after"}, "next"?}}), and the
  Graph error object {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}};
  the codes mean what they mean on the Graph API (190 token, 10 / 200-299 permission, 4 / 17
  / 32 / 613 throttling, 1 / 2 temporary, 100 an invalid parameter or an object gone), so the
  Facebook connector's reading of the error object and of the usage headers is reused here;
- calls count against the app and user pair over a rolling 24 hours;
- long-lived tokens live 60 days and are refreshed, once at least 24 hours old and not
  expired, with GET /refresh_access_token?grant_type=th_refresh_token (oauth.py).

The token travels in the Authorization header, never in a URL that a log could keep.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from parvis.connectors.base import PermanentError, RetryLater
from parvis.connectors.facebook import graph as fb

# Pinned: move it on purpose, with the fake's fixtures.
THREADS_VERSION = "v1.0"
HOST = "https://graph.threads.net/"
API = f"{HOST}{THREADS_VERSION}/"
WWW = "https://www.threads.net/"
RECONNECT = "reconnect the Threads account (Connected accounts → Connect → Threads)"

PERMISSION_FOR = {
    "read": "threads_basic, threads_read_replies",
    "reply": "threads_manage_replies",
    "moderate": "threads_manage_replies",
    "publish": "threads_content_publish",
    "metrics": "threads_manage_insights",
}
# A Threads object id (digits), optionally followed by an edge: nothing else reaches a URL.
PATH = re.compile(r"(?:me|[0-9]{1,30})(?:/[a-z_]{1,40})?")
MEDIA_ID = re.compile(r"[0-9]{1,30}")


class Gone(PermanentError):
    """The object asked for is gone (deleted post or reply), or the profile cannot see it."""


def refusal(response: httpx.Response, doing: str = "read") -> Exception:
    """The typed error for a Threads API answer that is not a success."""
    status = response.status_code
    error = fb.error_object(response)
    code = fb.as_int(error.get("code"))
    subcode = fb.as_int(error.get("error_subcode"))
    said = str(error.get("message") or "")[:300]
    detail = f" ({said})" if said else ""
    if code in fb.THROTTLED or fb.is_buc(code):
        return RetryLater(
            f"Threads is limiting this account's calls (code {code}){detail}",
            fb.throttle_wait(response, code),
        )
    if code in fb.TRANSIENT or error.get("is_transient") is True or status >= 500 or status == 429:
        retry = response.headers.get("Retry-After", "")
        wait = float(retry) if retry.isdigit() and int(retry) <= 86400 else None
        return RetryLater(f"Threads had a temporary problem (HTTP {status}){detail}", wait)
    if code in (190, 102) or (status == 401 and not code):
        why = fb.TOKEN_SUBCODES.get(subcode, "the token was refused (expired or revoked)")
        why = why.replace("the Page", "the account")
        return PermanentError(f"Threads refused the access token: {why}; {RECONNECT}")
    if code in fb.PERMISSION_CODES:
        needed = PERMISSION_FOR.get(doing, PERMISSION_FOR["read"])
        return PermanentError(
            f"Threads refused: the account was connected without a permission this needs "
            f"({needed}){detail}; {RECONNECT} and grant every permission asked"
        )
    if (code == 100 and subcode == 33) or status == 404:
        return Gone(f"Threads no longer has this item, or the account cannot see it{detail}")
    return PermanentError(f"Threads refused the request (HTTP {status}, code {code}){detail}")


class Api:
    """Calls as one Threads profile (its long-lived access token)."""

    def __init__(self, http: httpx.Client, token: str) -> None:
        if not token:
            raise PermanentError(f"no Threads access token is stored: {RECONNECT}")
        self.http, self.token = http, token
        self.usage = 0.0  # the highest share of a limit the last answer said was used

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        doing: str = "read",
    ) -> dict[str, Any]:
        if not PATH.fullmatch(path):
            raise PermanentError(f"not a Threads object id: {path[:60]!r}")
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            response = self.http.request(
                method, API + path, params=params, data=data, headers=headers
            )
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise RetryLater(f"{type(exc).__name__} reaching graph.threads.net") from exc
        self.usage = fb.usage_percent(response)
        if response.status_code >= 400:
            raise refusal(response, doing)
        try:
            body = response.json()
        except ValueError as exc:
            raise RetryLater("Threads answered with something that is not JSON") from exc
        if not isinstance(body, dict):
            raise RetryLater("Threads answered with an unexpected shape")
        return body

    def get(self, path: str, params: dict[str, Any] | None = None, doing: str = "read") -> dict:
        return self.call("GET", path, params=params, doing=doing)

    def post(self, path: str, data: dict[str, Any] | None = None, doing: str = "publish") -> dict:
        return self.call("POST", path, data=data, doing=doing)


after_cursor = fb.after_cursor
as_dict = fb.as_dict
as_list = fb.as_list
