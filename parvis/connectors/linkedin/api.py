"""Calls to LinkedIn's versioned REST API (https://api.linkedin.com/rest/) as the member who
connected the organization, and the one mapping of its answers to the connector errors.

From LinkedIn's documentation (learn.microsoft.com/linkedin: marketing/versioning,
shared/api-guide/concepts/rate-limits, error-handling, protocol-version):
- every call carries `LinkedIn-Version: YYYYMM` (a version lives about a year; an inactive
  one answers 426 NONEXISTENT_VERSION) and `X-Restli-Protocol-Version: 2.0.0`, under which
  URNs in a path or a query are percent-encoded and lists are written `List(a,b)`;
- errors are {"status", "serviceErrorCode", "code", "message"}; 401 is an expired or revoked
  token (EXPIRED_ACCESS_TOKEN, REVOKED_ACCESS_TOKEN), 403 a missing permission or page role
  (ACCESS_DENIED), 404 NOT_FOUND, 422 a refused body (a post whose content duplicates one of
  the organization's recent posts: « Content is a duplicate of urn:li:share:… »,
  DUPLICATE_POST), 429 a throttle (« Resource level throttle APPLICATION DAY limit … »):
  the limits are per day and reset at midnight UTC, and LinkedIn documents no Retry-After,
  so one given is honoured and otherwise the wait runs to the next midnight UTC;
- a created entity's id comes in the `x-restli-id` header of the 201 answer.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from parvis.connectors.base import PermanentError, RetryLater

REST = "https://api.linkedin.com/rest/"
WWW = "https://www.linkedin.com/"
# The version Parvis was written against; PARVIS_LINKEDIN_VERSION (settings.LINKEDIN_VERSION)
# moves it when LinkedIn sunsets this one.
VERSION = "202611"
RECONNECT = "reconnect the LinkedIn page (Parvis → Accounts → Connect an account → LinkedIn page)"
# A 5xx or a transport error: LinkedIn's own advice is to retry with a backoff.
URN = re.compile(r"urn:li:[A-Za-z]+:[^\s\"'<>]{1,300}")
ORGANIZATION = re.compile(r"urn:li:organization:(\d{1,19})")
POST_URN = re.compile(r"urn:li:(?:share|ugcPost):\d{1,19}")
COMMENT_URN = re.compile(
    r"urn:li:comment:\((urn:li:(?:activity|share|ugcPost):\d{1,19}),(\d{1,19})\)"
)
DUPLICATE = re.compile(r"duplicate of (urn:li:(?:share|ugcPost):\d{1,19})")


class Duplicate(PermanentError):
    """LinkedIn refuses a post whose content the organization posted recently; the urn of
    that post is in the message when LinkedIn gives it (it may be ours, sent once already)."""

    def __init__(self, message: str, urn: str = "") -> None:
        super().__init__(message)
        self.urn = urn


class NotFound(PermanentError):
    """The post or comment is not there (deleted, or not visible to the organization)."""


class Forbidden(PermanentError):
    """The member's role or the app's permissions do not allow this on this item."""


def version() -> str:
    from django.conf import settings

    chosen = str(getattr(settings, "LINKEDIN_VERSION", "") or "").strip()
    return chosen if re.fullmatch(r"20\d{4}", chosen) else VERSION


def encode(urn: str) -> str:
    """A URN as Rest.li 2.0 wants it in a path or a query value: every reserved character
    percent-encoded (`:` `(` `)` `,` included)."""
    return quote(urn, safe="")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def text(value: Any, limit: int = 300) -> str:
    """A piece of LinkedIn's answer as text we can show: bounded, printable."""
    if not isinstance(value, str):
        return ""
    return "".join(c for c in value if c.isprintable())[:limit]


def body_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def until_midnight(now: dt.datetime) -> float:
    """Seconds to the next midnight UTC, when LinkedIn's daily limits reset."""
    tomorrow = (now.astimezone(dt.UTC) + dt.timedelta(days=1)).date()
    midnight = dt.datetime.combine(tomorrow, dt.time(), tzinfo=dt.UTC)
    return max(60.0, (midnight - now).total_seconds())


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit() and len(value) < 9:
        return max(1.0, float(value))
    return None


def refusal(response: httpx.Response, *, now: dt.datetime | None = None) -> Exception:
    """The typed error for a LinkedIn error answer."""
    status = response.status_code
    body = body_of(response)
    code = text(body.get("code"), 80)
    said = text(body.get("message")) or code or f"HTTP {status}"
    if status == 429:
        wait = retry_after(response)
        if wait is None:
            wait = until_midnight(now or dt.datetime.now(dt.UTC))
        return RetryLater(f"LinkedIn: daily call limit reached ({said}); Parvis waits", wait)
    if status >= 500:
        return RetryLater(f"HTTP {status} from LinkedIn: {said}", None)
    if status == 401:
        return PermanentError(f"LinkedIn refused the access token ({said}): {RECONNECT}")
    if status == 426:
        return PermanentError(
            f"LinkedIn no longer serves API version {version()} ({said}): set "
            "PARVIS_LINKEDIN_VERSION to a current version (YYYYMM) or update Parvis"
        )
    if status == 403:
        lowered = said.lower()
        if "permission" in lowered or "scope" in lowered or code == "ACCESS_DENIED":
            return PermanentError(
                f"LinkedIn: the app or the member lacks the permission for this ({said}). "
                "The member must be an administrator of the page, and the app approved for "
                f"the Community Management API: {RECONNECT}"
            )
        return Forbidden(f"LinkedIn forbids this ({said})")
    if status == 404:
        return NotFound(f"LinkedIn: not found ({said})")
    if status in (409, 422):
        found = DUPLICATE.search(said)
        details = json.dumps(body.get("errorDetails", ""))[:2000]
        if found or "DUPLICATE_POST" in details or "duplicate" in said.lower():
            return Duplicate(
                f"LinkedIn refused a duplicate post: {said}", found.group(1) if found else ""
            )
    return PermanentError(f"LinkedIn refused the request (HTTP {status}: {said})")


@dataclass
class Answer:
    body: dict[str, Any]
    created_id: str = ""  # the x-restli-id header of a 201


@dataclass
class Api:
    """LinkedIn's REST API with one access token."""

    http: httpx.Client
    token: str

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "LinkedIn-Version": version(),
            "X-Restli-Protocol-Version": "2.0.0",
        }

    def call(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """`query` is written by the caller, its URN values already encoded (Rest.li wants
        its own escaping, which httpx's params would undo)."""
        sent = {**self.headers(), **(headers or {})}
        content = None
        if body is not None:
            try:
                content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as exc:
                raise PermanentError(
                    "the text holds a character that cannot be sent (a lone surrogate): "
                    "edit the text"
                ) from exc
            sent["Content-Type"] = "application/json"
        url = REST + path + (f"?{query}" if query else "")
        try:
            response = self.http.request(method, url, content=content, headers=sent)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise RetryLater(f"{type(exc).__name__} reaching api.linkedin.com") from exc
        if response.status_code >= 400:
            raise refusal(response)
        created = text(response.headers.get("x-restli-id", ""), 400)
        if response.status_code in (201, 204) or method != "GET":
            # Actions (finalizeUpload) and deletes may answer 200 with no body.
            return Answer(body_of(response), created)
        parsed = body_of(response)
        if not parsed:
            raise RetryLater(f"LinkedIn answered {path.split('/')[0]} with a body that is not JSON")
        return Answer(parsed, created)

    def get(self, path: str, query: str = "") -> dict[str, Any]:
        return self.call("GET", path, query=query).body

    def upload(self, url: str, data: bytes, content_type: str) -> str:
        """PUT a file's bytes to the upload address LinkedIn gave (initializeUpload); the
        part's ETag (a video's parts are named by it when the upload is finalized)."""
        if not url.startswith("https://") or ".linkedin.com/" not in url.split("?")[0] + "/":
            raise PermanentError("LinkedIn gave an upload address that is not LinkedIn's")
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": content_type}
        try:
            response = self.http.put(url, content=data, headers=headers)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise RetryLater(f"{type(exc).__name__} uploading a file to LinkedIn") from exc
        if response.status_code >= 400:
            raise refusal(response)
        return text(response.headers.get("etag", ""), 200)


def ms_time(value: Any) -> dt.datetime | None:
    """A LinkedIn time (epoch milliseconds) as an aware datetime; None if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**14:
        return None
    try:
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def organization_id(urn: str) -> str:
    found = ORGANIZATION.fullmatch(urn or "")
    return found.group(1) if found else ""


def is_post(value: Any) -> bool:
    return isinstance(value, str) and POST_URN.fullmatch(value) is not None


def is_comment(value: Any) -> bool:
    return isinstance(value, str) and COMMENT_URN.fullmatch(value) is not None


def comment_parts(urn: str) -> tuple[str, str]:
    """(the activity or post the comment is on, the comment's id) of a comment URN."""
    found = COMMENT_URN.fullmatch(urn)
    return (found.group(1), found.group(2)) if found else ("", "")


def post_url(urn: str) -> str:
    return f"{WWW}feed/update/{urn}/"
