"""Calls to the X API v2 as the connected user (OAuth 2.0 user context) and the one mapping of
its answers to the connector errors.

From X's documentation (docs.x.com: x-api/fundamentals/rate-limits, response-codes-and-errors):
- every answer carries `x-rate-limit-limit`, `x-rate-limit-remaining` and `x-rate-limit-reset`
  (the end of the 15-minute window, in epoch seconds); a 429 means the window is spent (or,
  with title `UsageCapExceeded`, the tier's monthly cap of posts read);
- errors are problem objects, `{"title", "detail", "type", "status"}`, some with `errors[]`
  (400 `invalid-request`), `reason` (403 `client-not-enrolled`: the app's project has no
  access to this endpoint at its tier), or `errors[]` next to `data` in a 200 when some of the
  asked ids are not found (`resource-not-found`);
- 401 is an access token that expired or was revoked; 403 a forbidden action (the tier, a
  missing scope, a duplicate post, a reply the author does not allow).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from parvis.connectors.base import PermanentError, RetryLater

API = "https://api.x.com/2/"
RECONNECT = "reconnect the X account (Parvis → Accounts → Connect an account → X)"
# When X gives no reset time: the length of its rate-limit windows.
WINDOW = 15 * 60
# A monthly cap spent: looking again once a day is enough.
CAPPED_WAIT = 24 * 3600
DUPLICATE = "duplicate content"


class Duplicate(PermanentError):
    """X refuses a post whose text the account posted recently: it may be ours, sent once
    already (X keeps no idempotency key, so the caller looks for it)."""


class Forbidden(PermanentError):
    """X forbids this action on this item (not the tier, not the token)."""


class NotFound(PermanentError):
    """The post or user is not there (deleted, or not visible to the account)."""


@dataclass
class Budget:
    """The rate-limit window as the last answer gave it."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None  # epoch seconds

    def wait(self, now: float) -> float:
        """Seconds until the window resets (at least one)."""
        if self.reset is None:
            return float(WINDOW)
        return max(1.0, self.reset - now)


def header_int(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 19 else None


def budget(response: httpx.Response) -> Budget:
    reset = header_int(response, "x-rate-limit-reset")
    return Budget(
        limit=header_int(response, "x-rate-limit-limit"),
        remaining=header_int(response, "x-rate-limit-remaining"),
        reset=float(reset) if reset is not None else None,
    )


def body_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def text(value: Any, limit: int = 300) -> str:
    """A piece of X's error as text we can show: bounded, no control characters."""
    if not isinstance(value, str):
        return ""
    return "".join(c for c in value if c.isprintable())[:limit]


def problem(body: dict[str, Any]) -> str:
    """What X said, in one line: its detail, or the first error's message."""
    detail = text(body.get("detail")) or text(body.get("title"))
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = text(errors[0].get("message")) or text(errors[0].get("detail"))
        if first and first not in detail:
            detail = f"{detail}: {first}" if detail else first
    return detail


# The tier an endpoint needs (docs.x.com/x-api/getting-started/about-x-api, access levels).
# Free writes only (posting, deleting, /2/users/me); reading posts, mentions, counts and
# searching the last 7 days need Basic; full-archive search and the filtered stream Pro.
BASIC, PRO = "Basic", "Pro"


def refusal(response: httpx.Response, *, needs: str = BASIC, now: float | None = None) -> Exception:
    """The typed error for an X error answer."""
    import time

    status = response.status_code
    body = body_of(response)
    said = problem(body)
    if status == 429:
        window = budget(response)
        moment = time.time() if now is None else now
        if body.get("title") == "UsageCapExceeded" or "usage-capped" in str(body.get("type")):
            return RetryLater(
                f"X: the monthly cap of your access tier is spent ({said}); Parvis tries "
                "again tomorrow, or raise your tier in the X developer portal",
                float(CAPPED_WAIT),
            )
        return RetryLater(
            "X: rate limit reached, waiting for the window to reset", window.wait(moment)
        )
    if status >= 500:
        return RetryLater(f"HTTP {status} from X: {said or 'server error'}", None)
    if status == 401:
        return PermanentError(f"X refused the access token ({said or 'Unauthorized'}): {RECONNECT}")
    if status == 403:
        if DUPLICATE in said.lower():
            return Duplicate(f"X refused a duplicate post: {said}")
        if body.get("reason") == "client-not-enrolled" or "client-forbidden" in str(
            body.get("type")
        ):
            return PermanentError(
                f"X: your access tier does not allow this ({said}); it needs the "
                f"{needs.capitalize()} tier or above: change the tier of your app's project "
                "in the X developer portal, then declare it on the account in Parvis"
            )
        if "scope" in said.lower() or "permission" in said.lower():
            return PermanentError(f"X: the account did not grant this ({said}): {RECONNECT}")
        return Forbidden(
            f"X forbids this ({said or 'Forbidden'}); if it is a feature of a higher tier, "
            f"it needs {needs.capitalize()} or above"
        )
    if status == 404:
        return NotFound(f"X: not found ({said or 'Not Found'})")
    return PermanentError(f"X refused the request (HTTP {status}: {said or 'no detail'})")


@dataclass
class Api:
    """The X API with one access token. `budget` is the window of the last answer."""

    http: httpx.Client
    token: str
    budget: Budget = field(default_factory=Budget)

    def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        files: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        needs: str = BASIC,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        content = None
        if body is not None:
            try:
                content = json.dumps(body, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError as exc:  # a lone surrogate: no network takes it
                raise PermanentError(
                    "the text holds a character that cannot be sent (a lone surrogate): "
                    "edit the text"
                ) from exc
            headers["Content-Type"] = "application/json"
        try:
            response = self.http.request(
                method,
                API + path,
                params=params,
                content=content,
                files=files,
                data=data,
                headers=headers,
            )
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise RetryLater(f"{type(exc).__name__} reaching api.x.com") from exc
        self.budget = budget(response)
        if response.status_code >= 400:
            raise refusal(response, needs=needs)
        parsed = body_of(response)
        if not parsed and response.status_code != 204:
            raise RetryLater(f"X answered {path.split('/')[0]} with a body that is not JSON")
        return parsed

    def get(self, path: str, params: dict[str, str], needs: str = BASIC) -> dict[str, Any]:
        return self.call("GET", path, params=params, needs=needs)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def tweet_time(value: Any) -> dt.datetime | None:
    from parvis.connectors.base import parse_time

    return parse_time(value)


def is_id(value: Any) -> bool:
    """A post or user id as X writes it: decimal digits (64-bit snowflakes)."""
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19
