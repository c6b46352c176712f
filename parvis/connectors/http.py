"""HTTP for connectors: one client configuration and one mapping of responses to errors."""

from __future__ import annotations

import datetime as dt
import email.utils
import random

import httpx

from parvis import __version__
from parvis.connectors.base import PermanentError, RetryLater

USER_AGENT = f"Parvis/{__version__} (self-hosted social listening)"
TIMEOUT = httpx.Timeout(20.0, connect=10.0)
PERMANENT = {
    400: "the request was refused as malformed",
    401: "the credentials were refused: reconnect the account",
    403: "access is forbidden: check the account's permissions",
    404: "the address does not exist (anymore)",
    410: "the resource is gone for good",
}


def client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The connectors' client; without a transport given (tests give fakes), connections to
    private addresses are refused unless the operator allows them (connectors/netguard.py)."""
    from parvis.connectors import netguard

    return httpx.Client(
        timeout=TIMEOUT,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
        transport=transport or netguard.guarded_transport(),
    )


def retry_after(response: httpx.Response, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def check(response: httpx.Response) -> httpx.Response:
    """Return a usable response, or raise the typed error the scheduler acts on."""
    status = response.status_code
    if status < 400 or status == 304:
        return response
    if status == 429 or status >= 500:
        raise RetryLater(f"HTTP {status} from {response.url.host}", retry_after(response))
    reason = PERMANENT.get(status, "the request was refused")
    raise PermanentError(f"HTTP {status} from {response.url.host}: {reason}")


def get(http: httpx.Client, url: str, **kwargs: object) -> httpx.Response:
    try:
        return check(http.get(url, **kwargs))
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching {httpx.URL(url).host}") from exc


def backoff(
    failures: int,
    retry_after_s: float | None = None,
    *,
    base: float = 60.0,
    cap: float = 6 * 3600.0,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with full jitter, never sooner than the server asked."""
    rng = rng or random.Random()  # noqa: S311  (jitter, not security)
    ceiling = min(cap, base * (2 ** max(failures - 1, 0)))
    delay = rng.uniform(ceiling / 2, ceiling)
    return max(delay, retry_after_s or 0.0)
