"""The streaming spike detector (parvis.alerts.detector): bounded, causal, restartable; it
knows the daily and weekly rhythm, and sees a spike that its history does not explain."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from parvis.alerts.detector import (
    COUNT_SETTINGS,
    FIRE_THRESHOLD,
    DetectorSettings,
    SpikeDetector,
    fill_gaps,
)

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
MINUTE = timedelta(minutes=1)
DAY_ROWS = 1440
COUNTS = COUNT_SETTINGS


def level(t: datetime) -> float:
    """Mentions per minute: a daily rhythm, and a peak on Monday mornings."""
    hour = t.hour + t.minute / 60
    base = 20 + 10 * math.sin(2 * math.pi * (hour - 6) / 24)
    if t.weekday() == 0 and 8 <= hour < 11:
        base += 80
    return base


def mentions(days: int, seed: int = 1, extra=lambda t, i: 0.0):
    rng = random.Random(seed)
    rows = []
    for i in range(days * DAY_ROWS):
        t = START + i * MINUTE
        mean = level(t) + extra(t, i)
        rows.append((t, max(0.0, round(rng.gauss(mean, math.sqrt(mean))))))
    return rows


def run(rows, detector=None):
    detector = detector or SpikeDetector()
    return [detector.update(t, v) for t, v in rows]


@pytest.mark.parametrize("settings", [DetectorSettings(), COUNTS])
def test_scores_are_between_0_and_1(settings):
    rows = mentions(3)
    rows[2500] = (rows[2500][0], 10_000.0)
    rows[2600] = (rows[2600][0], -5.0)
    scores = run(rows, SpikeDetector(settings))
    assert len(scores) == len(rows)
    assert all(0.0 <= s <= 1.0 for s in scores)


@pytest.mark.parametrize("settings", [DetectorSettings(), COUNTS])
def test_a_bad_buzz_fires_at_once(settings):
    onset = 2 * DAY_ROWS + 900  # Wednesday 15:00

    def buzz(t, i):
        return 200.0 if onset <= i < onset + 60 else 0.0

    scores = run(mentions(3, extra=buzz), SpikeDetector(settings))
    first = next(i for i in range(onset, onset + 60) if scores[i] >= FIRE_THRESHOLD)
    assert first <= onset + 2
    # The next minutes do not repeat it (later, a new record may fire again: the alerts' episode
    # is still open then).
    assert max(scores[first + 1 : first + 10]) < FIRE_THRESHOLD


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_monday_morning_peak_seen_before_is_not_a_crisis(seed):
    # The same jump (+80 mentions a minute at 8:00) on the third Monday, when the weekly
    # rhythm has seen it twice, and on a Thursday, where it has never happened.
    def thursday(t, i):
        return 80.0 if t.weekday() == 3 and 8 <= t.hour < 11 and i > 14 * DAY_ROWS else 0.0

    scores = run(mentions(21, seed=seed, extra=thursday), SpikeDetector(COUNTS))
    monday_8am = 14 * DAY_ROWS + 8 * 60
    thursday_8am = 17 * DAY_ROWS + 8 * 60
    assert max(scores[monday_8am : monday_8am + 10]) < FIRE_THRESHOLD
    assert max(scores[thursday_8am : thursday_8am + 10]) >= FIRE_THRESHOLD


def test_rises_only_scores_rises_not_drops():
    onset = 2 * DAY_ROWS + 900

    def jump(size):
        return lambda t, i: size if onset <= i < onset + 60 else 0.0

    rows = mentions(3, extra=jump(60.0))
    drop = [(t, max(0.0, 2 * level(t) - v)) for t, v in rows]  # the mirror image: a collapse
    rises_only = DetectorSettings(counts=True, rises_only=True)
    rise = run(rows, SpikeDetector(rises_only))
    falls = run(drop, SpikeDetector(rises_only))
    assert max(rise[onset : onset + 3]) >= FIRE_THRESHOLD
    assert max(falls[onset : onset + 60]) == 0.0
    # `expected` tells which side of its prediction the last row was.
    detector = SpikeDetector(rises_only)
    assert detector.expected is None
    run(drop[: onset + 1], detector)
    assert detector.expected is not None and drop[onset][1] < detector.expected - 20
    # Without rises_only, the collapse is news too.
    both = run(drop, SpikeDetector(COUNTS))
    assert max(both[onset : onset + 3]) >= FIRE_THRESHOLD


def test_the_first_day_only_learns():
    # A new query: nothing for hours, then a trickle, then its ordinary rhythm. Nothing fires
    # during the first day, whatever the first mentions look like.
    rows = [(START + i * MINUTE, 0.0) for i in range(300)]
    rows += mentions(2)[300:]
    scores = run(rows, SpikeDetector(COUNTS))
    assert max(scores[:DAY_ROWS]) == 0.0
    assert max(scores[DAY_ROWS:]) < 1.0


def test_truncating_the_input_never_changes_earlier_scores():
    rows = mentions(3, seed=3)
    rows[3000] = (rows[3000][0], 500.0)
    full = run(rows)
    for cut in (1, 2, 50, 1500, 2999, 3001, 4000):
        assert run(rows[:cut]) == full[:cut]


@pytest.mark.parametrize("settings", [DetectorSettings(), COUNTS])
def test_state_round_trip_gives_identical_later_scores(settings):
    rows = mentions(9, seed=11)
    rows[11_000] = (rows[11_000][0], 400.0)
    full = run(rows, SpikeDetector(settings))
    for cut in (0, 1, 700, 1500, 10_999):
        first = SpikeDetector(settings)
        run(rows[:cut], first)
        # The state goes through JSON, as in the database.
        state = json.loads(json.dumps(first.to_state()))
        second = SpikeDetector.from_state(state)
        assert run(rows[cut:], second) == full[cut:]


def test_state_is_small():
    detector = SpikeDetector()
    run(mentions(8, seed=5), detector)
    assert len(json.dumps(detector.to_state())) < 32_000


def test_state_keeps_settings():
    state = SpikeDetector(COUNTS).to_state()
    assert SpikeDetector.from_state(state).settings == COUNTS


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s.update(version=-1),
        lambda s: s.update(day=s["day"][:-1]),
        lambda s: s.pop("errors"),
    ],
)
def test_a_state_that_does_not_fit_is_refused(change):
    state = SpikeDetector().to_state()
    change(state)
    with pytest.raises((ValueError, KeyError)):
        SpikeDetector.from_state(state)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "1e400", 1e151, -1e200])
def test_non_finite_or_huge_values_are_refused(bad):
    detector = SpikeDetector()
    detector.update(START, 1.0)
    with pytest.raises(ValueError):
        detector.update(START + MINUTE, bad)


@pytest.mark.parametrize("settings", [DetectorSettings(), COUNTS])
def test_extreme_values_give_scores_not_errors(settings):
    detector = SpikeDetector(settings)
    values = [1e150, -1e150, 0.0, 5e-324, -5e-324, 1e150, 1e-300]
    scores = [
        detector.update(START + i * MINUTE, values[i % len(values)]) for i in range(3 * DAY_ROWS)
    ]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_a_row_back_in_time_is_the_next_row():
    # NAB's machine_temperature file steps back 55 minutes once (a clock change): not an error.
    detector = SpikeDetector()
    scores = [detector.update(START + i * MINUTE, 1.0) for i in range(100)]
    scores.append(detector.update(START + 40 * MINUTE, 1.0))
    assert 0.0 <= scores[-1] <= 1.0


def test_a_gap_is_taken_at_its_own_time_of_day():
    # Rows that jump ahead (a collector down for hours) are scored against the rhythm of
    # their own time of day, not the time they would have had without the gap.
    rows = mentions(4, seed=8)
    kept = rows[: 2 * DAY_ROWS] + rows[2 * DAY_ROWS + 6 * 60 :]
    scores = run(kept, SpikeDetector(COUNTS))
    after = 2 * DAY_ROWS
    assert max(scores[after : after + 30]) < FIRE_THRESHOLD


def test_fill_gaps_yields_the_missing_buckets():
    a = START
    b = START + 4 * MINUTE
    assert list(fill_gaps(a, b, MINUTE)) == [a + MINUTE, a + 2 * MINUTE, a + 3 * MINUTE]
    assert list(fill_gaps(a, a + MINUTE, MINUTE)) == []
