"""Talking to one Mastodon instance: addresses, the bearer token, rate limits, typed errors.

Mastodon answers errors as {"error": "..."} and limits every account (or address, without a
token) to 300 requests per 5 minutes by default; each response says where the budget stands in
X-RateLimit-Limit / -Remaining / -Reset (an ISO 8601 time), and a 429 carries the same headers
without a Retry-After (docs.joinmastodon.org/api/rate-limits).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from parvis.connectors import http
from parvis.connectors.base import PermanentError, RetryLater

# The default window: 300 requests per 5 minutes. Used when a 429 says nothing about its reset.
DEFAULT_WINDOW_SECONDS = 300.0
# Requests left for the other sources reading through the same account (own activity, stream):
# a listening source stops paging when only this many remain in the window.
RESERVE = 5
SNOWFLAKE_SHIFT = 16


def normalize_instance(value: str) -> str:
    """'mastodon.social', 'https://mastodon.social/', '@me@mastodon.social' → https://host.
    Plain http is only accepted for a development instance on this machine."""
    text = str(value or "").strip()
    if text.startswith("@") or (text.count("@") == 1 and "://" not in text):
        text = text.rsplit("@", 1)[-1]  # a handle: the instance is after the last @
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password or " " in text:
        raise ValueError("not an instance address")
    if parts.scheme not in {"http", "https"}:
        raise ValueError("an instance address starts with https://")
    if parts.scheme == "http" and not is_local(host):
        raise ValueError("an instance address starts with https://")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return f"{parts.scheme}://{netloc}"


def is_local(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(instance_url: str) -> str:
    return urlsplit(instance_url).netloc.lower()


def newer(a: str, b: str) -> bool:
    """Mastodon ids are strings that sort by length, then lexically (numeric snowflakes)."""
    return (len(a), a) > (len(b), b)


def newest_of(*ids: str | None) -> str | None:
    best = None
    for value in ids:
        if value and (best is None or newer(value, best)):
            best = value
    return best


def lowered(status_id: str | None, seconds: float) -> str | None:
    """The id `seconds` earlier than a status id. Status ids are snowflakes (milliseconds << 16)
    and a remote status gets the id of its publication time, so a post that federates late sorts
    below posts already read: re-reading a few minutes below the newest seen id catches it (the
    pipeline drops the repeats). Ids that are not snowflakes are returned unchanged."""
    if not status_id or not seconds or not status_id.isdigit():
        return status_id
    value = int(status_id)
    millis = value >> SNOWFLAKE_SHIFT
    if not 1_400_000_000_000 < millis < 4_000_000_000_000:  # 2014 to 2096: a snowflake
        return status_id
    return str(max(0, value - (int(seconds * 1000) << SNOWFLAKE_SHIFT)))


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def error_text(response: httpx.Response) -> str:
    """The {"error": "..."} of a Mastodon error body, short, or ''."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        message = body.get("error_description") or body.get("error") or ""
        return str(message)[:200]
    return ""


def link_param(response: httpx.Response, rel: str, name: str) -> str | None:
    """A query parameter of the Link header's `rel` URL (Mastodon's pagination)."""
    url = response.links.get(rel, {}).get("url")
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None


class Api:
    """One instance, optionally with a user token. Tokens only ever go to their own instance."""

    def __init__(
        self,
        client: httpx.Client,
        instance_url: str,
        token: str = "",
        *,
        who: str = "",
    ) -> None:
        self.client = client
        self.base = instance_url.rstrip("/")
        self.host = host_of(self.base)
        self.token = token
        self.who = who or self.host
        self.remaining: int | None = None
        self.reset_at: dt.datetime | None = None

    @property
    def exhausted(self) -> bool:
        """The last answer said the window's budget is (nearly) spent: stop paging."""
        return self.remaining is not None and self.remaining <= RESERVE

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def get(self, path: str, params: Any = None, *, missing_ok: bool = False) -> httpx.Response:
        return self.request("GET", path, params=params, missing_ok=missing_ok)

    def post(
        self,
        path: str,
        data: dict[str, Any],
        *,
        raw: bool = False,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.request("POST", path, data=data, raw=raw, headers=headers)

    def request(
        self,
        method: str,
        path: str,
        *,
        missing_ok: bool = False,
        raw: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        sent = {**self.headers(), **(headers or {})}
        try:
            response = self.client.request(method, self.url(path), headers=sent, **kwargs)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise RetryLater(f"{type(exc).__name__} reaching {self.host}") from exc
        self.note_budget(response)
        if raw or (missing_ok and response.status_code == 404):
            return response
        return self.check(response)

    def note_budget(self, response: httpx.Response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining", "").strip()
        if remaining.isdigit():
            self.remaining = int(remaining)
        reset = parse_time(response.headers.get("X-RateLimit-Reset"))
        if reset is not None:
            self.reset_at = reset

    def wait_seconds(self, response: httpx.Response, now: dt.datetime | None = None) -> float:
        """Until the window resets (X-RateLimit-Reset), else Retry-After, else one window."""
        now = now or dt.datetime.now(dt.UTC)
        reset = parse_time(response.headers.get("X-RateLimit-Reset"))
        if reset is not None:
            return max(1.0, (reset - now).total_seconds())
        return http.retry_after(response, now) or DEFAULT_WINDOW_SECONDS

    def check(self, response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status < 400:
            return response
        detail = error_text(response)
        said = f" ({detail})" if detail else ""
        if status == 429:
            raise RetryLater(
                f"{self.host} rate limit reached{said}: waiting for the window to reset",
                self.wait_seconds(response),
            )
        if status >= 500:
            raise RetryLater(f"HTTP {status} from {self.host}{said}", http.retry_after(response))
        if status == 401:
            raise PermanentError(
                f"{self.host} refused the access token of {self.who}{said}: "
                "reconnect the Mastodon account, then resume the source"
            )
        if status == 403:
            raise PermanentError(
                f"{self.host} forbids this request for {self.who}{said}: reconnect the account "
                "with the read permission, or check that the instance allows it"
            )
        if status in {404, 410}:
            raise PermanentError(
                f"HTTP {status} from {self.host}{said}: the account or address no longer exists "
                "there; check the instance address or reconnect the account"
            )
        if status == 422:
            raise PermanentError(
                f"{self.host} refused the request{said}: check the source settings"
            )
        raise PermanentError(f"HTTP {status} from {self.host}{said}")
