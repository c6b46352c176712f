"""Time this process spent in each pipeline stage, summed until drained: the ops app writes the
sums to the database for /metrics (parvis/ops/heartbeat.py), without listening knowing it."""

from __future__ import annotations

import threading

_lock = threading.Lock()
_totals: dict[str, tuple[int, float]] = {}


def add(stage: str, seconds: float) -> None:
    with _lock:
        runs, total = _totals.get(stage, (0, 0.0))
        _totals[stage] = (runs + 1, total + seconds)


def drain() -> dict[str, tuple[int, float]]:
    """(batches, seconds) by stage since the last drain."""
    with _lock:
        found = dict(_totals)
        _totals.clear()
    return found
