"""The hourly series: a bad buzz that builds over hours (a few negative mentions an hour, never
3 in a minute) is caught by the hourly buckets, told once, and is one episode with the minute
series' own; ordinary days and a Monday-morning peak are not crises."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from parvis.alerts import stream
from parvis.alerts.detector import SpikeDetector
from parvis.alerts.models import Alert, Episode, Series
from parvis.alerts.services import do_save_rule
from tests.alerts.helpers import add_mentions

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
# Monday 30 Nov 2026, 00:00 UTC: two weeks of history, then the buzz on Monday 14 Dec.
START = dt.datetime(2026, 11, 30, 0, 0, tzinfo=dt.UTC)
# Negative mentions per hour of the day: quiet nights, about 1 an hour in the day.
DAY = [0, 0, 0, 0, 0, 0, 1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 1, 0, 0, 0]


def usual(hour: dt.datetime) -> int:
    n = DAY[hour.hour]
    # A little day-to-day variation, the same every run.
    if n and (hour.day + hour.hour) % 5 == 0:
        n += 1
    return n


def store_hour(workspace, hour: dt.datetime, negative: int, neutral: int = 1) -> list[int]:
    """One hour stored in batches every ten minutes, each batch folded by the stream as the
    `mentions_stored` signal would have it; the alerts raised."""
    alerts: list[int] = []
    per_batch = [0] * 6
    for k in range(negative):
        per_batch[(k * 6) // max(negative, 1)] += 1
    for b in range(6):
        at = hour + (10 * b + 3) * M
        if per_batch[b]:
            add_mentions(workspace, at, per_batch[b], negative=True)
        if b == 0 and neutral:
            add_mentions(workspace, at, neutral)
        alerts += stream.take_pending(workspace, now=at + M).alerts
    alerts += stream.tick(workspace, now=hour + H).alerts
    return alerts


def history(workspace, hours: int, start=START, extra=None) -> list[int]:
    alerts = []
    for i in range(hours):
        hour = start + i * H
        n = usual(hour) + (extra(hour) if extra else 0)
        alerts += store_hour(workspace, hour, n)
    return alerts


def hourly(workspace, metric="negative") -> Series:
    return Series.objects.get(workspace=workspace, metric=metric, query=None, resolution="hour")


@pytest.fixture
def rule(workspace, owner):
    rule, _ = do_save_rule(
        workspace,
        owner,
        {
            "name": "Bad buzz",
            "kind": "spike",
            "metric": "negative",
            "severity": "crisis",
            "channels": ["app"],
            "roles": ["owner"],
        },
    )
    return rule


def test_a_slow_buzz_is_caught_by_the_hourly_series_within_two_hours_and_told_once(workspace, rule):
    assert not history(workspace, 14 * 24)
    assert not Episode.objects.exists()
    buzz = START + 14 * 24 * H + 10 * H  # Monday 14 Dec, 10:00
    assert not history(workspace, 10, start=START + 14 * 24 * H)
    told_at = None
    for k, extra in enumerate([4, 6, 8, 5, 3, 2]):
        hour = buzz + k * H
        alerts = store_hour(workspace, hour, usual(hour) + extra)
        if alerts and told_at is None:
            told_at = Alert.objects.get(pk=alerts[0]).created_at
    history(workspace, 6, start=buzz + 6 * H)
    episode = Episode.objects.get()
    assert (episode.kind, episode.resolution) == ("negative", "hour")
    assert buzz <= episode.opened_at < buzz + 2 * H
    assert told_at is not None and told_at < buzz + 2 * H
    alert = Alert.objects.get()
    assert alert.rule == rule and alert.state == "sent"
    # The figure the hour had when it fired (at least the hourly minimum), and the usual level.
    figure = re.search(r":\s(\d+)\s", alert.title)  # \s: French puts no-break spaces
    assert figure and stream.MIN_VALUE["hour"]["negative"] <= int(figure[1]) <= episode.peak_value
    assert "0,8" in alert.title or "0.8" in alert.title
    assert "over one hour" in alert.title or "sur une heure" in alert.title
    # Back to normal: the hourly series closed it.
    assert episode.closed_at is not None and episode.closed_at > buzz + 3 * H
    # The minute series never saw 3 negative mentions in a minute: no episode of theirs.
    minute = Series.objects.get(workspace=workspace, metric="negative", resolution="minute")
    assert not minute.episodes.exists()


def test_the_same_mentions_spread_over_a_normal_day_are_no_buzz(workspace, rule):
    history(workspace, 14 * 24)
    day = START + 14 * 24 * H
    # The buzz's 28 extra complaints, spread evenly over the day (one or two an hour).
    spread = {h: 1 + (h % 6 == 0) for h in range(24)}
    assert sum(spread.values()) == 28
    assert not history(workspace, 24, start=day, extra=lambda hour: spread[hour.hour])
    assert not Episode.objects.exists()


def test_a_monday_morning_peak_is_not_a_crisis(workspace, rule):
    def monday_morning(hour: dt.datetime) -> int:
        return 9 if hour.weekday() == 0 and 8 <= hour.hour < 11 else 0

    # Three weeks: the first Monday is learnt (the first day scores nothing), the next two
    # are expected by the weekly profile.
    assert not history(workspace, 21 * 24 + 12, extra=monday_morning)
    assert not Episode.objects.exists()
    assert hourly(workspace).minutes >= 21 * 24


def test_the_hourly_state_survives_a_restart_mid_hour(workspace):
    # Each batch is folded by a fresh read of the series (as another worker, or after a
    # restart): the open hour and the detector's state are in the database.
    history(workspace, 30)
    hour = START + 30 * H
    add_mentions(workspace, hour + 5 * M, 2, negative=True)
    stream.take_pending(workspace, now=hour + 6 * M)
    s = hourly(workspace)
    assert (s.bucket_start, s.bucket_value) == (hour, 2)
    add_mentions(workspace, hour + 40 * M, 3, negative=True)
    stream.take_pending(workspace, now=hour + 41 * M)
    s = hourly(workspace)
    assert (s.bucket_start, s.bucket_value) == (hour, 5)
    # The state is exactly a detector fed the 30 closed hours.
    expected = SpikeDetector(stream.HOURLY_SETTINGS)
    for i in range(30):
        at = START + i * H
        expected.update(at, usual(at))
    assert s.state == expected.to_state()
    assert s.minutes == 30
    # Volume is counted per hour too; reach only per minute.
    assert hourly(workspace, "volume").bucket_value == 5
    assert not Series.objects.filter(metric="reach", resolution="hour").exists()


def test_a_minute_burst_inside_an_hourly_episode_is_the_same_episode(workspace, rule):
    history(workspace, 14 * 24)
    buzz = START + 14 * 24 * H + 10 * H
    history(workspace, 10, start=START + 14 * 24 * H)
    for k, extra in enumerate([6, 8]):
        store_hour(workspace, buzz + k * H, extra)
    episode = Episode.objects.get()
    assert episode.resolution == "hour" and episode.closed_at is None
    # A burst of 30 complaints in one minute while the buzz goes on: no second episode.
    at = buzz + 2 * H + 5 * M
    add_mentions(workspace, at, 30, negative=True)
    stream.take_pending(workspace, now=at + 10 * dt.timedelta(seconds=1))
    assert Episode.objects.filter(kind="negative").count() == 1
    assert Alert.objects.count() == 1
    episode.refresh_from_db()
    assert episode.resolution == "hour" and episode.closed_at is None


def test_an_edited_query_restarts_its_hourly_series_too(workspace):
    from tests.alerts.helpers import brand_query

    query = brand_query(workspace)
    add_mentions(workspace, START, 2, negative=True, query=query)
    stream.take_pending(workspace, now=START + M)
    stream.tick(workspace, now=START + 3 * H)
    s = Series.objects.get(query=query, metric="negative", resolution="hour")
    assert s.minutes == 3
    query.expression = "lumiere OR bougie"
    query.save(update_fields=["expression"])
    add_mentions(workspace, START + 3 * H + M, 1, negative=True, query=query)
    stream.take_pending(workspace, now=START + 3 * H + 2 * M)
    s.refresh_from_db()
    assert (s.minutes, s.state, s.bucket_value) == (0, {}, 1)


def test_an_hour_that_fires_after_a_minute_episode_of_that_hour_closed_reopens_it(workspace, rule):
    history(workspace, 14 * 24)
    hour = START + 14 * 24 * H + 10 * H
    history(workspace, 10, start=START + 14 * 24 * H)
    # 4 complaints in one minute: the minute series' episode (the hour is still below 5).
    add_mentions(workspace, hour + 2 * M, 4, negative=True)
    stream.take_pending(workspace, now=hour + 2 * M + 30 * dt.timedelta(seconds=1))
    episode = Episode.objects.get(kind="negative", query=None)
    assert episode.resolution == "minute"
    for minute in range(3, 30):
        stream.tick(workspace, now=hour + minute * M)
    episode.refresh_from_db()
    assert episode.closed_at is not None and episode.closed_at < hour + 30 * M
    # Later in the same hour, three more: the hour (7) fires. It is the same episode, told once.
    add_mentions(workspace, hour + 35 * M, 3, negative=True)
    stream.take_pending(workspace, now=hour + 36 * M)
    episode.refresh_from_db()
    assert Episode.objects.filter(kind="negative", query=None).count() == 1
    assert (episode.resolution, episode.closed_at, episode.peak_value) == ("hour", None, 7)
    assert Alert.objects.filter(rule=rule).count() == 1


def test_quiet_hours_are_fed_as_zeros(workspace):
    add_mentions(workspace, START + 20 * M, 3, negative=True)
    stream.take_pending(workspace, now=START + 21 * M)
    s = hourly(workspace)
    assert (s.bucket_start, s.bucket_value, s.state) == (START, 3, {})
    # Nothing for four hours, then one mention: hour 0 (3) and four empty hours were closed.
    add_mentions(workspace, START + 5 * H + 2 * M, 1, negative=True)
    stream.take_pending(workspace, now=START + 5 * H + 3 * M)
    s = hourly(workspace)
    assert (s.minutes, s.state["n"], s.bucket_start, s.bucket_value) == (5, 5, START + 5 * H, 1)
    # Without a mention, the minute tick closes the hours that passed.
    stream.tick(workspace, now=START + 8 * H + 1 * M)
    s = hourly(workspace)
    assert (s.minutes, s.bucket_start, s.bucket_value) == (8, START + 8 * H, 0)
