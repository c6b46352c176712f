"""A streaming spike detector: one instance per series, fed one bucket at a time.

Pure Python (no Django): the alerts app keeps one detector per monitored series, feeds it each
new one-minute bucket and stores `to_state()` between batches; `parvis detect-spikes` and
`benchmarks/crisis.py` run the very same class over CSV files.

Causal by construction: `update()` only sees the rows given so far.

Gaps: the detector does not invent buckets. A row whose timestamp jumps ahead is simply the next
observation. For count series (mentions per minute) an empty minute is a real zero and the
caller must feed it (`fill_gaps()` yields the missing bucket timestamps).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

STATE_VERSION = 1


@dataclass(frozen=True)
class DetectorSettings:
    """Defaults are the product's settings."""

    # Weight of a new value in the exponentially weighted mean and variance.
    alpha: float = 0.01
    # |z| at which the score reaches 1.
    z_full: float = 6.0
    # Rows seen before any score above 0 (the statistics are meaningless before).
    warmup: int = 30


FIRE_THRESHOLD = 0.5


class SpikeDetector:
    """Baseline: an exponentially weighted running z-score, |z| / z_full clipped to 1."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = settings or DetectorSettings()
        self.n = 0
        self.mean = 0.0
        self.var = 0.0
        self.last: datetime | None = None

    def update(self, timestamp: datetime, value: float) -> float:
        value = float(value)
        if not math.isfinite(value):
            raise ValueError("value must be a finite number")
        if self.last is not None and timestamp < self.last:
            raise ValueError("timestamps must not go back")
        s = self.settings
        self.last = timestamp
        self.n += 1
        if self.n == 1:
            self.mean = value
            return 0.0
        diff = value - self.mean
        sd = math.sqrt(self.var)
        score = 0.0
        if self.n > s.warmup:
            z = abs(diff) / sd if sd > 0 else (0.0 if diff == 0 else math.inf)
            score = min(1.0, z / s.z_full)
        incr = s.alpha * diff
        self.mean += incr
        self.var = (1.0 - s.alpha) * (self.var + diff * incr)
        return score

    def to_state(self) -> dict:
        return {
            "version": STATE_VERSION,
            "settings": asdict(self.settings),
            "n": self.n,
            "mean": self.mean,
            "var": self.var,
            "last": self.last.isoformat() if self.last else None,
        }

    @classmethod
    def from_state(cls, state: dict) -> SpikeDetector:
        if state.get("version") != STATE_VERSION:
            raise ValueError("detector state of another version")
        det = cls(DetectorSettings(**state["settings"]))
        det.n = int(state["n"])
        det.mean = float(state["mean"])
        det.var = float(state["var"])
        det.last = datetime.fromisoformat(state["last"]) if state["last"] else None
        return det


def fill_gaps(previous: datetime, current: datetime, step: timedelta) -> Iterator[datetime]:
    """The bucket timestamps strictly between `previous` and `current`, `step` apart."""
    t = previous + step
    while t < current:
        yield t
        t += step
