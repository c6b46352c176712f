"""Mastodon's streaming API over HTTP server-sent events, read for a bounded window.

The stream has no resume position: whatever is posted while nobody listens is only found again
through the timelines, which is why the stream mode always catches up through the timeline first
(parvis.connectors.mastodon.MastodonConnector.fetch_stream).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from parvis.connectors.base import RetryLater
from parvis.connectors.http import BodyTooLarge
from parvis.connectors.mastodon.api import Api


def sse_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream; comments (":thump" heartbeats) are skipped
    and an event is complete at its blank line, as the SSE format says."""
    event, data = "", []
    for line in lines:
        if not line:
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)


def until(lines: Iterable[str], deadline: float, clock: Callable[[], float]) -> Iterator[str]:
    """Lines until the deadline; heartbeats arrive often enough to let a quiet stream end."""
    for line in lines:
        yield line
        if clock() >= deadline:
            return


def streaming_base(api: Api) -> str:
    """The streaming server may live on another host: the instance says where
    (configuration.urls.streaming, a wss:// address); older instances serve it themselves."""
    response = api.get("/api/v2/instance", missing_ok=True)
    if response.status_code == 404:
        return api.base
    try:
        url = response.json()["configuration"]["urls"]["streaming"]
    except (ValueError, KeyError, TypeError):
        return api.base
    parts = urlsplit(str(url))
    scheme = {"wss": "https", "ws": "http"}.get(parts.scheme, parts.scheme)
    if scheme not in {"http", "https"} or not parts.netloc:
        return api.base
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def listen(
    api: Api,
    base: str,
    path: str,
    params: dict[str, str],
    *,
    window: float,
    max_events: int,
    clock: Callable[[], float] = time.monotonic,
) -> list[Any]:
    """The statuses of the `update` events received within `window` seconds (or the first
    `max_events`). Edits and deletions are left out: an edit repeats a stored status, and a
    deleted one is simply not ingested if it was not yet."""
    deadline = clock() + window
    statuses: list[Any] = []
    headers = {**api.headers(), "Accept": "text/event-stream"}
    timeout = httpx.Timeout(10.0, read=max(1.0, window))
    try:
        with api.client.stream(
            "GET", f"{base}{path}", params=params, headers=headers, timeout=timeout
        ) as response:
            api.note_budget(response)
            if response.status_code >= 400:
                response.read()
                api.check(response)
            for event, data in sse_events(until(response.iter_lines(), deadline, clock)):
                if event == "update":
                    statuses.append(parse(data))
                if len(statuses) >= max_events:
                    break
    except httpx.ReadTimeout:
        pass  # nothing said for the whole window: it is over
    except BodyTooLarge:
        # The window's events passed the cap: like a dropped stream, what came is kept (a
        # single event larger than the cap, with nothing before it, pauses the source).
        if not statuses:
            raise
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        if not statuses:
            raise RetryLater(f"{type(exc).__name__} on the stream of {api.host}") from exc
        # A dropped stream keeps what it delivered; the next catch-up reads the rest.
    return statuses


def parse(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return {"unparsed_event": data[:5000]}  # quarantined with its text
