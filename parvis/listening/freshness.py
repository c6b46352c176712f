"""Figures computed from a whole period of mentions (the overview), cached and invalidated
when the workspace's mentions change.

Each workspace has a version number in the database (MentionsVersion), bumped in the write
transaction of every batch that stores mentions (pipeline.mark_changed), and when a query is
saved, deleted or re-matched. A cached figure is stored with the version read before it was
computed, and recomputed once the version has moved: a batch committed during the
computation has also moved the version, so its mentions are never missing under the new
version. Because the version lives in the database, every web process and worker sees the
same invalidation, whatever the cache (per process by default).

While an import stores a batch every second, recomputing on each would mean recomputing on
nearly every view: a figure computed less than MIN_AGE seconds ago (or COST_FACTOR times
its computation time, for a workspace where it is slow) is kept, and only one request per
process recomputes a key at a time (the others keep the previous figure meanwhile). So the
figures shown are at most that long (plus one computation) behind the stored mentions.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone, translation

from parvis.listening.models import MentionsVersion

T = TypeVar("T")
log = logging.getLogger(__name__)

MIN_AGE = 10.0  # seconds a figure is kept after its mentions changed
# ... or this many times what it cost to compute, if longer: while mentions keep arriving,
# recomputing takes at most about 1/(1 + COST_FACTOR) of a core, whatever the data size.
COST_FACTOR = 5.0
TTL = 600  # seconds a figure is kept at most (a bump lost to a crash heals by then)
WAIT = 120.0  # seconds a request waits for another thread's first computation of a figure
# Out-of-date figures are recomputed in a thread while the request shows the previous one
# (the first computation of a figure is always waited for). Tests run them in the request:
# a thread would not see the test's transaction.
BACKGROUND = True
_refreshing: dict[str, threading.Event] = {}
_refreshing_lock = threading.Lock()


def version(workspace_id: int) -> int:
    row = MentionsVersion.objects.filter(workspace_id=workspace_id).values_list("version")
    found = row.first()
    return found[0] if found else 0


def bump(workspace_id: int) -> None:
    """The workspace's mentions changed: figures cached before are out of date."""
    updated = MentionsVersion.objects.filter(workspace_id=workspace_id).update(
        version=F("version") + 1
    )
    if not updated:
        # The first change: from no row (version 0) to 1. A concurrent first bump that
        # loses the insert still moved the version away from 0, which is all that counts.
        MentionsVersion.objects.bulk_create(
            [MentionsVersion(workspace_id=workspace_id, version=1)], ignore_conflicts=True
        )


@dataclass
class Cached:
    version: int
    computed_at: float  # time.time() when the computation started
    seconds: float  # what the computation took
    value: Any

    def kept(self, now: float) -> bool:
        """Whether to keep showing it although the mentions changed since."""
        return now - self.computed_at < max(MIN_AGE, COST_FACTOR * self.seconds)


def cache_key(workspace_id: int, name: str, args: tuple[Hashable, ...]) -> str:
    # Figures hold localized labels and local days: the language and time zone are part of
    # what was computed.
    parts = (name, translation.get_language(), str(timezone.get_current_timezone()), *args)
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"parvis:fig:{workspace_id}:{digest}"


def cached(
    workspace_id: int, name: str, args: tuple[Hashable, ...], compute: Callable[[], T]
) -> tuple[T, float]:
    """(value, time it was computed) of `compute()` for these arguments, from the cache when
    it is still valid (see the module's docstring)."""
    current = version(workspace_id)
    key = cache_key(workspace_id, name, args)
    entry: Cached | None = cache.get(key)
    if entry is None and not _claim(key):
        # Another thread computes it: wait for its figure rather than compute it again
        # (eight users opening a slow overview at once ran eight computations).
        _wait(key, WAIT)
        entry = cache.get(key)
        if entry is not None:
            return entry.value, entry.computed_at
        _claim(key)
    now = time.time()
    if entry is not None and (entry.version == current or entry.kept(now) or not _claim(key)):
        return entry.value, entry.computed_at
    if entry is not None and BACKGROUND:
        # Out of date: this request shows the figure it has, a thread computes the new one
        # (at a million mentions an overview takes 2 s: during an import, one request in
        # ten or so waited for it).
        thread = threading.Thread(
            target=_refresh,
            args=(
                key,
                current,
                now,
                compute,
                translation.get_language(),
                timezone.get_current_timezone(),
            ),
            daemon=True,
        )
        thread.start()
        return entry.value, entry.computed_at
    try:
        value = _compute(key, current, now, compute)
    finally:
        _release(key)
    return value, now


def _compute(key: str, current: int, now: float, compute: Callable[[], T]) -> T:
    started = time.perf_counter()
    value = compute()
    cache.set(key, Cached(current, now, time.perf_counter() - started, value), TTL)
    return value


def _refresh(
    key: str, current: int, now: float, compute: Callable[[], Any], language: str | None, zone: Any
) -> None:
    """In a thread of its own: compute a figure in the request's language and time zone."""
    from django.db import connection

    try:
        with translation.override(language), timezone.override(zone):
            _compute(key, current, now, compute)
    except Exception:
        log.exception("refreshing the cached figure %s failed", key)
    finally:
        _release(key)
        connection.close()  # this thread's own connection


def _claim(key: str) -> bool:
    """Whether this thread may compute `key` (no other thread of this process is)."""
    with _refreshing_lock:
        if key in _refreshing:
            return False
        _refreshing[key] = threading.Event()
        return True


def _wait(key: str, seconds: float) -> None:
    with _refreshing_lock:
        done = _refreshing.get(key)
    if done is not None:
        done.wait(seconds)


def _release(key: str) -> None:
    with _refreshing_lock:
        done = _refreshing.pop(key, None)
    if done is not None:
        done.set()
