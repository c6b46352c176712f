"""A streaming spike detector: one instance per series, fed one bucket at a time.

Pure Python (no Django, no numpy): the alerts app keeps one detector per monitored series,
feeds it each new one-minute bucket and stores `to_state()` between batches; `parvis
detect-spikes` and `benchmarks/crisis.py` run the very same class over CSV files. Every update
is O(1): no history is rescanned (a few dozen histogram bins are summed).

What it scores, for each row:

* **Level novelty** (0..1) — how far the value lies outside every value seen so far, relative
  to the range seen so far (a level the series has never reached: a bad buzz on a quiet query).
* **Rarity of the prediction error** — two seasonal predictions: the value usual at this time
  of the day, and at this time of the week once a week has been seen (exponentially weighted
  profiles). The smaller error counts, so a Monday-morning peak seen last Monday is expected.
  Its rarity is -log10 of the share of past errors at least as large (a histogram of log2
  errors in half-octaves, older rows fading), plus `beyond_gain` per octave when the error is
  larger than every error remembered: an "anomaly likelihood" on the same scale for every
  series, whatever its unit or its noise. The same rarity is taken of the errors' recent
  mean (`smooth_rows`), for a shift that no single row makes rare; the larger one counts.

The score is 1 - exp(-(rarity + novelty_weight * novelty) / surprise_scale): a record that the
rhythm predicted is little news, a record that nothing predicted is big news.

Then **suppression**: a row keeps its score only when it beats every raw score of the recent
past (a maximum that halves every `suppress_halflife` rows); the rows after a detection would
only repeat it (NAB counts the earliest detection of a window and penalises every other one;
the product opens one episode per detection).

Causal by construction: `update()` only sees the rows given so far.

Time: the seasonal bins come from the timestamps (time of day, day of week, as given: the
product passes UTC). A row whose timestamp goes back (a clock change) is scored as the next row.

Gaps: the detector does not invent buckets. A row whose timestamp jumps ahead is simply the next
observation, at its own time of day. For count series (mentions per minute) an empty minute is
a real zero, and the caller feeds it: `fill_gaps()` yields the missing bucket timestamps to
feed zeros for (a day of one-minute zeros costs about 10 ms).

Series that start from nothing: nothing is scored during the first day (`warmup_seconds`) nor
the first `warmup` rows; while the series has been flat (a range of zero), a first departure
teaches the range instead of being a level novelty.

Count series (mentions, reach): `COUNT_SETTINGS` measures errors in Poisson units, and a new
record is a level novelty only beyond its Poisson noise (sqrt(record + 1) above the old one);
`rises_only` scores only rows above their prediction. `expected` is the prediction the last
row was compared with (which side of it a detection is).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta

STATE_VERSION = 3

DAY = 86400
WEEK = 7 * DAY
NO_ERROR = -(10**6)  # histogram key of a zero error
# Values beyond this are refused: differences and sums of two values then stay finite.
MAX_ABS_VALUE = 1e150


@dataclass(frozen=True)
class DetectorSettings:
    """Defaults are the product's settings (chosen on NAB, see docs/benchmarks.md)."""

    # Rows seen, and seconds since the first row, before any score above 0.
    warmup: int = 50
    warmup_seconds: float = 86400.0
    # Level novelty (0..1) = 1 - exp(-novelty_gain * excess / range seen so far).
    novelty_gain: float = 100.0
    # Rarity added by a full level novelty (rarity: -log10 of a share of rows).
    novelty_weight: float = 4.0
    # Seasonal profiles: bins per day (time of day) and per week (time of week).
    day_bins: int = 144
    week_bins: int = 336
    # Weight of a new value in its seasonal bin (1 = "same as last time").
    profile_rate: float = 0.2
    # Rows the error histograms remember (a row's weight fades by 1/e over this many rows).
    error_memory: float = 500.0
    # Rows with a prediction before anything is scored.
    error_warmup: int = 30
    # An error beyond every remembered one adds this much rarity per octave beyond.
    beyond_gain: float = 1.0
    # The rarity of the errors' mean over about this many recent rows (EW) counts too (0: off),
    # against the means of about smooth_memory rows.
    smooth_rows: float = 12.0
    smooth_memory: float = 2000.0
    # Score = 1 - exp(-(rarity + novelty_weight * novelty) / surprise_scale).
    surprise_scale: float = 4.0
    # The recent maximum a row must beat halves in this many rows.
    suppress_halflife: float = 150.0
    # Count series (mentions, reach): their noise grows with their level (Poisson), so an error
    # is measured in sqrt(prediction + 1) units: a Monday peak's usual noise is not news.
    counts: bool = False
    # Only rows above their prediction are scored (a drop of mentions is no bad buzz); the
    # errors of the others are learnt all the same.
    rises_only: bool = False


# The settings of the alerts' count series (mention volume, negative volume, reach), which
# `parvis detect-spikes --counts` uses too. (The alerts keep drops from opening an episode
# themselves; `rises_only=True` would stop them from scoring at all.)
COUNT_SETTINGS = DetectorSettings(counts=True)

# Score at and above which the product opens an episode: the threshold NAB's sweep chose for the
# standard profile with these settings on the validation corpus (docs/benchmarks.md).
FIRE_THRESHOLD = 0.447


class FadingHistogram:
    """Weights of past errors per half-octave, older rows fading: the share of remembered
    errors at least as large as a new one. Rather than fading every weight at each row, the new
    row's weight grows (and everything is renormalised now and then)."""

    def __init__(self, memory: float) -> None:
        self.growth = 1.0 / (1.0 - 1.0 / memory) if memory > 1 else 1.0
        self.bins: dict[int, float] = {}
        self.weight = 1.0
        self.total = 0.0

    def rarity(self, err: float, beyond_gain: float = 0.0) -> float:
        """-log10 of the share of remembered errors at least as large as `err` (this one
        included), plus `beyond_gain` per octave above the largest one still remembered; then
        `err` is remembered."""
        key = int(2.0 * math.log2(err)) if err > 0.0 else NO_ERROR
        bins = self.bins
        weight = self.weight = self.weight * self.growth
        above = weight
        alive = self.total * 1e-4
        top = NO_ERROR
        for k, c in bins.items():
            if k >= key:
                above += c
            if k > top and c > alive:
                top = k
        total = self.total = self.total + weight
        bins[key] = bins.get(key, 0.0) + weight
        if weight > 1e100:
            # Renormalise, and forget the bins that have faded out.
            self.bins = {k: c / weight for k, c in bins.items() if c > weight * 1e-12}
            self.total /= weight
            self.weight = 1.0
        rarity = -math.log10(above / total)
        if key > top != NO_ERROR:
            rarity += beyond_gain * (key - top) / 2.0
        return rarity

    def to_state(self) -> dict:
        return {"bins": [[k, c] for k, c in self.bins.items()], "w": self.weight, "t": self.total}

    def load(self, state: dict) -> None:
        self.bins = {int(k): float(c) for k, c in state["bins"]}
        self.weight = float(state["w"])
        self.total = float(state["t"])


class SpikeDetector:
    """Streaming anomaly score of one series; see the module's docstring."""

    def __init__(self, settings: DetectorSettings | None = None) -> None:
        self.settings = s = settings or DetectorSettings()
        self._decay = 0.5 ** (1.0 / s.suppress_halflife) if s.suppress_halflife > 0 else 0.0
        self.n = 0
        self.start: datetime | None = None
        self.lo = 0.0
        self.hi = 0.0
        self.day: list[float | None] = [None] * s.day_bins
        self.week: list[float | None] = [None] * s.week_bins
        self.predicted = 0  # rows with a prediction
        self.errors = FadingHistogram(s.error_memory)
        self.err_smooth = 0.0
        self.smooth_errors = FadingHistogram(s.smooth_memory)
        self.recent_max = 0.0
        # The prediction the last row was compared with (None before there is one): above or
        # below it, the direction of a detection.
        self.expected: float | None = None

    def update(self, timestamp: datetime, value: float) -> float:
        """The anomaly score (0..1) of this row, given every row before it."""
        x = float(value)
        if not -MAX_ABS_VALUE <= x <= MAX_ABS_VALUE:  # NaN included
            raise ValueError(f"value must be a finite number within ±{MAX_ABS_VALUE:g}")
        s = self.settings
        n = self.n = self.n + 1
        if self.start is None:
            self.lo = self.hi = x
            self.start = timestamp
        lo, hi = self.lo, self.hi
        scored = n > s.warmup and (
            not s.warmup_seconds or (timestamp - self.start).total_seconds() >= s.warmup_seconds
        )

        # Level novelty, against the values before this one.
        novelty = 0.0
        if x > hi:
            # A count's new record by less than its Poisson noise is no news (a Monday peak
            # one mention above last Monday's).
            excess = x - hi - (math.sqrt(abs(hi) + 1.0) if s.counts else 0.0)
            if hi > lo and excess > 0:
                novelty = 1.0 - math.exp(-s.novelty_gain * excess / (hi - lo))
            self.hi = x
        elif x < lo:
            if hi > lo:
                novelty = 1.0 - math.exp(-s.novelty_gain * (lo - x) / (hi - lo))
            self.lo = x

        # The smaller error of the two seasonal predictions, and its rarity.
        seconds = timestamp.hour * 3600 + timestamp.minute * 60 + timestamp.second
        d = seconds * s.day_bins // DAY
        w = (timestamp.weekday() * DAY + seconds) * s.week_bins // WEEK
        day, week = self.day, self.week
        p_day, p_week = day[d], week[w]
        raw = 0.0
        if p_day is not None:
            err = abs(x - p_day)
            if s.counts:
                err /= math.sqrt(abs(p_day) + 1.0)
            expected = p_day
            if p_week is not None:
                e_week = abs(x - p_week)
                if s.counts:
                    e_week /= math.sqrt(abs(p_week) + 1.0)
                if e_week < err:
                    err, expected = e_week, p_week
            self.expected = expected
            self.predicted += 1
            rarity = self.errors.rarity(err, s.beyond_gain)
            if s.smooth_rows > 0:
                self.err_smooth += (err - self.err_smooth) / s.smooth_rows
                rarity = max(rarity, self.smooth_errors.rarity(self.err_smooth))
            if scored and self.predicted > s.error_warmup and (x > expected or not s.rises_only):
                raw = 1.0 - math.exp(-(rarity + s.novelty_weight * novelty) / s.surprise_scale)
        rate = s.profile_rate
        day[d] = x if p_day is None else p_day + rate * (x - p_day)
        week[w] = x if p_week is None else p_week + rate * (x - p_week)

        # Suppression: only a row that beats the recent (decaying) maximum keeps its score.
        previous = self.recent_max * self._decay
        self.recent_max = raw if raw > previous else previous
        return raw if raw > previous else 0.0

    # --- state ----------------------------------------------------------------------------

    _FLOATS = ("lo", "hi", "err_smooth", "recent_max")

    def to_state(self) -> dict:
        """JSON-serialisable state: the seasonal profiles (480 numbers with the default
        settings), two histograms of a few dozen bins, and a few numbers."""
        state: dict = {"version": STATE_VERSION, "settings": asdict(self.settings)}
        state["n"] = self.n
        state["start"] = self.start.isoformat() if self.start else None
        state["predicted"] = self.predicted
        for name in self._FLOATS:
            state[name] = getattr(self, name)
        state["day"] = self.day
        state["week"] = self.week
        state["errors"] = self.errors.to_state()
        state["smooth_errors"] = self.smooth_errors.to_state()
        return state

    @classmethod
    def from_state(cls, state: dict) -> SpikeDetector:
        """The detector that `to_state()` described; ValueError (or KeyError) when the state
        is of another version or does not fit its settings."""
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError("detector state of another version")
        known = {f.name for f in fields(DetectorSettings)}
        settings = DetectorSettings(**{k: v for k, v in state["settings"].items() if k in known})
        det = cls(settings)
        det.n = int(state["n"])
        det.start = datetime.fromisoformat(state["start"]) if state["start"] else None
        det.predicted = int(state["predicted"])
        for name in cls._FLOATS:
            setattr(det, name, float(state[name]))
        day, week = list(state["day"]), list(state["week"])
        if len(day) != settings.day_bins or len(week) != settings.week_bins:
            raise ValueError("detector state with profiles of another size")
        det.day = [None if v is None else float(v) for v in day]
        det.week = [None if v is None else float(v) for v in week]
        det.errors.load(state["errors"])
        det.smooth_errors.load(state["smooth_errors"])
        return det


def fill_gaps(previous: datetime, current: datetime, step: timedelta) -> Iterator[datetime]:
    """The bucket timestamps strictly between `previous` and `current`, `step` apart."""
    t = previous + step
    while t < current:
        yield t
        t += step
