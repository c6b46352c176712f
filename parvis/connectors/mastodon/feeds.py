"""Reading a Mastodon list newest first, one page per call, with a crash-safe position.

Every list (a search, a hashtag or public timeline, the notifications, the conversations) is read
in sweeps: from the newest entry down to what the previous sweep already covered. The state of a
list is {"newest": id covered by finished sweeps, "sweep": {"top", "max_id" | "offset"}}. The
position stored with a page only describes entries on that page or before it; "newest" moves to
the sweep's top only once the sweep reached known ground, so a crash mid-sweep resumes where it
stopped and loses nothing.

A page shorter than asked is not the end: Mastodon removes filtered statuses after the query, so
a sweep ends on an empty page, on an entry at or below the known floor, or past the backfill
window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from parvis.connectors.base import RetryLater
from parvis.connectors.mastodon.api import Api, link_param, lowered, newer, newest_of, parse_time
from parvis.connectors.options import latest_plausible

Position = Callable[[Any], str | None]
Created = Callable[[Any], dt.datetime | None]


@dataclass
class Page:
    entries: list[Any]  # entries to ingest (newer than the floor, inside the window)
    state: dict[str, Any]  # the list's state once they are stored
    done: bool  # the sweep is over


def status_position(status: Any) -> str | None:
    """The status's id as a list position; None for one dated past tomorrow: an instance
    derives a remote status's id from its date, so a forged year 9999 would move the mark
    above every id to come. The pipeline quarantines it."""
    if not isinstance(status, dict) or not status.get("id"):
        return None
    created = status_created(status)
    return None if created is not None and created > latest_plausible() else str(status["id"])


def status_created(status: Any) -> dt.datetime | None:
    return parse_time(status.get("created_at")) if isinstance(status, dict) else None


def oldest_of(ids: list[str]) -> str | None:
    best = None
    for value in ids:
        if best is None or newer(best, value):
            best = value
    return best


def decode(response: httpx.Response, host: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise RetryLater(f"{host} answered something that is not JSON") from None


def judge(
    entries: list[Any],
    *,
    floor: str | None,
    cutoff: dt.datetime | None,
    position: Position,
    created: Created,
) -> tuple[list[Any], bool]:
    """The entries above the floor and inside the window, and whether the sweep reached either
    (lists are newest first, so everything after such an entry is older still)."""
    kept: list[Any] = []
    reached = False
    for entry in entries:
        pos = position(entry)
        when = created(entry)
        known = bool(floor and pos and not newer(pos, floor))
        if known or bool(cutoff and when and when < cutoff):
            reached = True
        else:
            kept.append(entry)  # entries without an id are kept: the pipeline quarantines them
    return kept, reached


def finished(state: dict[str, Any], top: str | None) -> dict[str, Any]:
    return {"newest": newest_of(state.get("newest"), top)}


def timeline_page(
    api: Api,
    path: str,
    params: list[tuple[str, Any]],
    state: dict[str, Any],
    *,
    limit: int,
    lookback: float = 0,
    cutoff: dt.datetime | None = None,
    position: Position = status_position,
    created: Created = status_created,
    missing_ok: bool = False,
) -> Page:
    """One page of a list paginated by max_id and Link headers (timelines, notifications,
    conversations, where the position is not always the entry's own id)."""
    sweep = state.get("sweep") or {}
    query = [*params, ("limit", limit)]
    if sweep.get("max_id"):
        query.append(("max_id", sweep["max_id"]))
    response = api.get(path, query, missing_ok=missing_ok)
    entries = [] if response.status_code == 404 else decode(response, api.host)
    if not isinstance(entries, list):
        raise RetryLater(f"{api.host} answered {path} with something other than a list")
    positions = [p for p in map(position, entries) if p]
    top = sweep.get("top") or newest_of(*positions)
    floor = lowered(state.get("newest"), lookback)
    kept, reached = judge(entries, floor=floor, cutoff=cutoff, position=position, created=created)
    next_max = link_param(response, "next", "max_id") or oldest_of(positions)
    if reached or not entries or not next_max:
        return Page(kept, finished(state, top), True)
    return Page(kept, {**state, "sweep": {"top": top, "max_id": next_max}}, False)


def search_page(
    api: Api,
    term: str,
    state: dict[str, Any],
    *,
    limit: int,
    lookback: float = 0,
    cutoff: dt.datetime | None = None,
) -> Page:
    """One page of GET /api/v2/search?type=statuses (newest first by id). Pages go by `offset`
    (user token only): the instance turns max_id/min_id into whole-second before:/after: dates,
    which would skip statuses posted in the same second as a page boundary. Statuses posted
    during a sweep push the others down: they are read twice, never skipped."""
    sweep = state.get("sweep") or {}
    offset = int(sweep.get("offset") or 0)
    params: dict[str, Any] = {"q": term, "type": "statuses", "limit": limit, "resolve": "false"}
    if offset:
        params["offset"] = offset
    body = decode(api.get("/api/v2/search", params), api.host)
    statuses = body.get("statuses") if isinstance(body, dict) else None
    if not isinstance(statuses, list):
        raise RetryLater(f"{api.host} answered a search without a list of statuses")
    positions = [p for p in map(status_position, statuses) if p]
    top = sweep.get("top") or newest_of(*positions)
    floor = lowered(state.get("newest"), lookback)
    kept, reached = judge(
        statuses, floor=floor, cutoff=cutoff, position=status_position, created=status_created
    )
    if reached or not statuses:
        return Page(kept, finished(state, top), True)
    return Page(kept, {**state, "sweep": {"top": top, "offset": offset + len(statuses)}}, False)
