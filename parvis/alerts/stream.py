"""Folding new mentions into the alerts, batch by batch, with no recomputation.

The workspace's mentions are read in id order from `AlertCursor`, under a lock of that row
(the pipeline's workspace write lock makes a workspace's ids commit in order): each mention is
counted once however many workers run this (the `mentions_stored` signal, and the catch-up
every minute for a signal lost in a crash). Every write to the workspace's series happens under
the same lock, so two workers never read-modify-write one series at once.

Series (docs/alerts.md, « Detection »):
- one per metric (volume, negative volume, reach) for the whole workspace, and one per metric
  per active monitored query; buckets of one minute by publication time; and the same again
  in buckets of one hour for volume and negative volume (`Series.resolution`): a bad buzz that
  builds over hours never makes one minute unusual;
- the open bucket takes each batch's counts; when a later bucket arrives (or the minute tick
  passes its end), the open bucket is closed: fed to the detector, then every empty bucket in
  between as a zero, up to a week of them (a longer silence feeds its last week);
- a mention published before the open minute counts in the open minute if it is at most
  `LATENESS` late (the detector cannot go back), otherwise only in the figures, not the
  detector; one dated in the future counts in the current minute;
- a series starts from nothing at its first mention of the last `HISTORY` (8 days) and learns
  from there (the detector scores a time of day only once it has seen it);
- an edited query resets its series: the old counts describe another set of mentions. The
  workspace's series go on.

An episode opens when the detector's score reaches FIRE_THRESHOLD on a minute above the
series' usual level and above `MIN_VALUE` (two mentions are not a bad buzz), on the open minute
already (a partial count that is already anomalous will not get less so), for recent minutes
only (a backfill teaches the detector, it alerts no one). It closes after `CALM_BUCKETS`
closed buckets in a row that score below the threshold and are back near the usual level.
The minute and hourly series of one (query, metric) share one episode (`on_fire`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from parvis.alerts import raising
from parvis.alerts.detector import (
    COUNT_SETTINGS,
    FIRE_THRESHOLD,
    DetectorSettings,
    SpikeDetector,
)
from parvis.alerts.models import (
    AlertCursor,
    AlertRule,
    Episode,
    EpisodeKind,
    Metric,
    Resolution,
    RuleKind,
    Series,
)
from parvis.listening.models import Mention, MentionMatch, MonitoredQuery
from parvis.listening.text import fold
from parvis.workspaces.models import Workspace

log = logging.getLogger(__name__)

CHUNK = 1000
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
STEP = {Resolution.MINUTE: MINUTE, Resolution.HOUR: HOUR}
LATENESS = dt.timedelta(minutes=10)
MAX_SILENCE = dt.timedelta(days=7)  # silence fed as zeros: one week, the longest rhythm
RECENT = dt.timedelta(minutes=15)
# How far back a new series starts: a week and a day teaches the detector both rhythms, and an
# import of years of mentions does not hold the workspace's lock while it replays them.
HISTORY = dt.timedelta(days=8)
# Closed buckets in a row back near the usual level before an episode ends.
CALM_BUCKETS = {Resolution.MINUTE: 15, Resolution.HOUR: 2}
CALM_MINUTES = CALM_BUCKETS[Resolution.MINUTE]
# The least a bucket must hold to open an episode (two mentions are not a bad buzz). The
# hourly series watch volume and negative mentions (reach bursts with one post: minutes).
MIN_VALUE: dict[Resolution, dict[Metric, int]] = {
    Resolution.MINUTE: {Metric.VOLUME: 5, Metric.NEGATIVE: 3, Metric.REACH: 10_000},
    Resolution.HOUR: {Metric.VOLUME: 20, Metric.NEGATIVE: 5},
}
METRICS = {
    Resolution.MINUTE: list(Metric),
    Resolution.HOUR: [Metric.VOLUME, Metric.NEGATIVE],
}
BASELINE_WEIGHT = 0.02
SAMPLES = 20
# The product's detector: every series here is a count (mentions, negative mentions, reach),
# whose noise grows with its level. A new series learns for its first day before it scores.
SETTINGS = COUNT_SETTINGS
# The hourly series: one seasonal bin per hour of the day and of the week; the rest, and the
# threshold, chosen by leave-one-file-out cross-validation on the NAB validation corpus's
# hourly files (`python benchmarks/crisis.py --hourly`, docs/alerts.md).
HOURLY_SETTINGS = DetectorSettings(
    counts=True,
    day_bins=24,
    week_bins=168,
    warmup=24,
    error_warmup=24,
    profile_rate=0.2,
    error_memory=500.0,
    smooth_rows=0.0,
    suppress_halflife=150.0,
)
HOURLY_FIRE_THRESHOLD = 0.41


def minute_of(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def bucket_of(moment: dt.datetime, resolution: Resolution) -> dt.datetime:
    if resolution == Resolution.HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(second=0, microsecond=0)


@dataclass
class Summary:
    seen: int = 0
    opened: list[int] = field(default_factory=list)
    alerts: list[int] = field(default_factory=list)


# --- reading new mentions -------------------------------------------------------------------


@dataclass
class Row:
    id: int
    published_at: dt.datetime
    negative: bool
    reach: int
    followers: int
    network: str
    text: str
    queries: set[int]


def read_rows(workspace: Workspace, after: int) -> list[Row]:
    mentions = list(
        Mention.objects.filter(workspace=workspace, id__gt=after)
        .order_by("id")
        .values_list(
            "id",
            "published_at",
            "sentiment",
            "reach",
            "author__followers",
            "network",
            "title",
            "text",
        )[:CHUNK]
    )
    if not mentions:
        return []
    matches: dict[int, set[int]] = defaultdict(set)
    first, last = mentions[0][0], mentions[-1][0]
    for mention_id, query_id in MentionMatch.objects.filter(
        workspace=workspace, mention_id__gte=first, mention_id__lte=last
    ).values_list("mention_id", "query_id"):
        matches[mention_id].add(query_id)
    return [
        Row(
            id=m[0],
            published_at=m[1],
            negative=m[2] == "negative",
            reach=int(m[3] or 0),
            followers=int(m[4] or 0),
            network=m[5],
            text=fold(f"{m[6] or ''}\n{m[7] or ''}"),
            queries=matches.get(m[0], set()),
        )
        for m in mentions
    ]


def value_of(metric: str, row: Row) -> int:
    if metric == Metric.VOLUME:
        return 1
    if metric == Metric.NEGATIVE:
        return 1 if row.negative else 0
    return row.reach


# --- the series -----------------------------------------------------------------------------


def lock_cursor(workspace: Workspace) -> AlertCursor:
    AlertCursor.objects.get_or_create(workspace=workspace)
    return AlertCursor.objects.select_for_update().get(workspace=workspace)


Group = tuple[int | None, str]  # (query id or None for the workspace, metric)


def group_of(series: Series) -> Group:
    return (series.query_id, series.metric)


class SeriesSet:
    """The workspace's series, read once per transaction (the cursor's lock is held)."""

    def __init__(self, workspace: Workspace, now: dt.datetime) -> None:
        self.workspace = workspace
        self.now = now
        self.queries = {
            q.pk: q for q in MonitoredQuery.objects.filter(workspace=workspace, is_active=True)
        }
        self.rows: dict[tuple[int | None, str, str], Series] = {}
        for series in Series.objects.filter(workspace=workspace).select_related("query"):
            self.rows[(series.query_id, series.metric, series.resolution)] = series
        # The open spike episode of each (query, metric), whichever resolution holds it: the
        # minute and the hourly series of one measure tell about one episode.
        self.open: dict[Group, Episode] = {}
        for e in Episode.objects.filter(
            workspace=workspace, series__isnull=False, closed_at__isnull=True
        ).select_related("series"):
            assert e.series is not None
            self.open[group_of(e.series)] = e
        self.summary = Summary()

    def get(self, query_id: int | None, metric: str, resolution: str = Resolution.MINUTE) -> Series:
        series = self.rows.get((query_id, metric, resolution))
        expression = self.queries[query_id].expression if query_id else ""
        if series is None:
            series = Series.objects.create(
                workspace=self.workspace,
                query_id=query_id,
                metric=metric,
                resolution=resolution,
                expression=expression,
            )
            self.rows[(query_id, metric, resolution)] = series
        elif query_id and series.expression != expression:
            reset(series, expression)
            episode = self.open.pop((query_id, metric), None)
            if episode is not None:
                close_episode(episode, self.now)
        return series


def reset(series: Series, expression: str) -> None:
    series.expression = expression
    series.bucket_start = None
    series.bucket_value = 0
    series.state = {}
    series.baseline = 0.0
    series.minutes = 0
    series.last_score = 0.0
    series.calm_minutes = 0


def settings_of(series: Series) -> DetectorSettings:
    return HOURLY_SETTINGS if series.resolution == Resolution.HOUR else SETTINGS


def detector_of(series: Series) -> SpikeDetector:
    if series.state:
        try:
            return SpikeDetector.from_state(series.state)
        except (ValueError, KeyError, TypeError):
            # A state of an older detector: start learning again rather than fail each batch.
            log.warning("alerts: series %s had an unreadable detector state, reset", series.pk)
    return SpikeDetector(settings_of(series))


def fold_value(series_set: SeriesSet, series: Series, bucket: dt.datetime, value: int) -> None:
    """Add `value` at `bucket` to the series, closing the buckets before it if it is later."""
    resolution = Resolution(series.resolution)
    now_bucket = bucket_of(series_set.now, resolution)
    bucket = min(bucket, now_bucket)
    if series.bucket_start is None:
        if bucket < now_bucket - HISTORY:
            return
        series.bucket_start = bucket
    elif bucket > series.bucket_start:
        advance(series_set, series, bucket)
    elif bucket < series.bucket_start - max(LATENESS, STEP[resolution]):
        return
    series.bucket_value += value


def advance(series_set: SeriesSet, series: Series, until: dt.datetime) -> None:
    """Close the open bucket and every empty one before `until`; `until` becomes open."""
    assert series.bucket_start is not None
    step = STEP[Resolution(series.resolution)]
    detector = detector_of(series)
    close_bucket(series_set, series, detector, series.bucket_start, series.bucket_value)
    gap = int((until - series.bucket_start) / step) - 1
    start = series.bucket_start + step
    longest = int(MAX_SILENCE / step)
    if gap > longest:
        start = until - longest * step
    t = start
    while t < until:
        close_bucket(series_set, series, detector, t, 0)
        t += step
    series.state = detector.to_state()
    series.bucket_start = until
    series.bucket_value = 0


def close_bucket(
    series_set: SeriesSet, series: Series, detector: SpikeDetector, t: dt.datetime, value: int
) -> None:
    resolution = Resolution(series.resolution)
    score = detector.update(t, value)
    series.minutes += 1
    series.last_score = score
    episode = series_set.open.get(group_of(series))
    if episode is not None and episode.series_id == series.pk:
        if value > episode.peak_value:
            episode.peak_value, episode.peak_at = value, t
        calm = score < threshold_of(series) and value <= calm_level(series)
        series.calm_minutes = series.calm_minutes + 1 if calm else 0
        if not calm:
            episode.last_event_at = t
        if series.calm_minutes >= CALM_BUCKETS[resolution]:
            close_episode(episode, t + STEP[resolution])
            del series_set.open[group_of(series)]
            series.calm_minutes = 0
        else:
            episode.save(update_fields=["peak_value", "peak_at", "last_event_at"])
        return
    if fires(series_set, series, t, value, score):
        on_fire(series_set, series, t, value, score)
    elif episode is None:
        # The usual level learns from the buckets outside every episode of the measure.
        series.baseline += BASELINE_WEIGHT * (value - series.baseline)
        if series.minutes == 1:
            series.baseline = float(value)


def calm_level(series: Series) -> float:
    return max(2 * series.baseline, series.baseline + 1)


def threshold_of(series: Series) -> float:
    return HOURLY_FIRE_THRESHOLD if series.resolution == Resolution.HOUR else FIRE_THRESHOLD


def fires(series_set: SeriesSet, series: Series, t: dt.datetime, value: int, score: float) -> bool:
    resolution = Resolution(series.resolution)
    minimum = MIN_VALUE[resolution].get(Metric(series.metric))
    return (
        minimum is not None
        and score >= threshold_of(series)
        and value > calm_level(series)
        and value >= minimum
        # A bucket that ended within RECENT (or is still open): a backfill alerts no one.
        and t + STEP[resolution] - MINUTE >= series_set.now - RECENT
    )


def peek(series_set: SeriesSet, series: Series) -> None:
    """Score the open bucket as it stands, on a copy of the detector: a spike is told as soon
    as its partial bucket is anomalous (a minute's, or an hour's so far), not when it ends."""
    episode = series_set.open.get(group_of(series))
    if series.bucket_start is None or (episode is not None and episode.series_id == series.pk):
        return
    minimum = MIN_VALUE[Resolution(series.resolution)].get(Metric(series.metric))
    if minimum is None or series.bucket_value < minimum:
        return
    score = detector_of(series).update(series.bucket_start, series.bucket_value)
    if fires(series_set, series, series.bucket_start, series.bucket_value, score):
        on_fire(series_set, series, series.bucket_start, series.bucket_value, score)


def on_fire(
    series_set: SeriesSet, series: Series, t: dt.datetime, value: int, score: float
) -> None:
    """The series fired at bucket `t`. One episode per measure for the user: an episode of the
    other resolution that is open — or, for the hourly series, that was open during this hour —
    is this one too. The hourly series then holds it (it closes when the hours are back to
    normal); its rules were told already (one alert per rule and episode)."""
    group = group_of(series)
    episode = series_set.open.get(group)
    if episode is None and series.resolution == Resolution.HOUR:
        episode = (
            Episode.objects.filter(
                workspace=series_set.workspace,
                series__query_id=series.query_id,
                series__metric=series.metric,
                closed_at__gt=t,
            )
            .order_by("-closed_at")
            .first()
        )
        if episode is not None:
            episode.closed_at = None
            series_set.open[group] = episode
    if episode is None:
        open_episode(series_set, series, t, value, score)
        return
    if series.resolution != Resolution.HOUR or episode.series_id == series.pk:
        return  # a minute burst within an episode the hours hold: part of it
    episode.series = series
    episode.resolution = Resolution.HOUR
    episode.baseline = series.baseline
    episode.peak_value, episode.peak_at = value, t
    episode.score = max(episode.score, score)
    episode.last_event_at = max(episode.last_event_at, t)
    episode.save(
        update_fields=[
            "series",
            "resolution",
            "baseline",
            "peak_value",
            "peak_at",
            "score",
            "last_event_at",
            "closed_at",
        ]
    )
    series.calm_minutes = 0


def open_episode(
    series_set: SeriesSet, series: Series, t: dt.datetime, value: int, score: float
) -> None:
    query = series_set.queries.get(series.query_id) if series.query_id else None
    episode = Episode.objects.create(
        workspace=series_set.workspace,
        kind=EpisodeKind(series.metric),
        series=series,
        resolution=series.resolution,
        query=query,
        query_name=query.name if query else "",
        opened_at=t,
        fired_at=timezone.now(),
        last_event_at=t,
        baseline=series.baseline,
        peak_value=value,
        peak_at=t,
        score=score,
    )
    series.calm_minutes = 0
    series_set.open[group_of(series)] = episode
    series_set.summary.opened.append(episode.pk)
    rules = AlertRule.objects.filter(
        workspace=series_set.workspace,
        is_active=True,
        kind=RuleKind.SPIKE,
        metric=series.metric,
        query_id=series.query_id,
    )
    for rule in rules:
        alert = raising.raise_alert(rule, episode, series_set.now)
        if alert is not None:
            series_set.summary.alerts.append(alert.pk)


def close_episode(episode: Episode, at: dt.datetime) -> None:
    episode.closed_at = at
    episode.save(update_fields=["closed_at", "peak_value", "peak_at", "last_event_at"])


SERIES_FIELDS = [
    "expression",
    "bucket_start",
    "bucket_value",
    "state",
    "baseline",
    "minutes",
    "last_score",
    "calm_minutes",
    "updated_at",
]


def save_series(series_set: SeriesSet, touched: Iterable[Series]) -> None:
    for series in touched:
        series.updated_at = series_set.now
        series.save(update_fields=SERIES_FIELDS)


def fold_rows(series_set: SeriesSet, rows: list[Row]) -> None:
    """Each row's contribution to its series, bucket by bucket in time order."""
    buckets: dict[tuple[int | None, str, str], dict[dt.datetime, int]] = defaultdict(
        lambda: defaultdict(int)
    )
    for row in rows:
        keys: list[int | None] = [None]
        keys += [q for q in row.queries if q in series_set.queries]
        for resolution in Resolution:
            bucket = bucket_of(row.published_at, resolution)
            for query_id in keys:
                for metric in METRICS[resolution]:
                    buckets[(query_id, metric.value, resolution.value)][bucket] += value_of(
                        metric, row
                    )
    touched = []
    # The minute series first: a burst they tell opens the episode the hours may then hold.
    for (query_id, name, res), values in sorted(
        buckets.items(), key=lambda kv: kv[0][2] != Resolution.MINUTE
    ):
        series = series_set.get(query_id, name, res)
        for bucket in sorted(values):
            fold_value(series_set, series, bucket, values[bucket])
        peek(series_set, series)
        touched.append(series)
    save_series(series_set, touched)


# --- keyword and influencer rules -----------------------------------------------------------


def words_of(rule: AlertRule) -> list[str]:
    raw = rule.words.replace("\n", ",")
    return [fold(w.strip()) for w in raw.split(",") if w.strip()]


def rule_takes(rule: AlertRule, row: Row, words: list[str]) -> bool:
    if rule.query_id and rule.query_id not in row.queries:
        return False
    if words and not any(contains_word(row.text, w) for w in words):
        return False
    if rule.only_negative and not row.negative:
        return False
    if rule.network and row.network != rule.network:
        return False
    threshold = rule.min_followers or 0
    if rule.kind == RuleKind.INFLUENCER and not threshold:
        threshold = 10_000
    return not (threshold and row.followers < threshold)


def contains_word(text: str, word: str) -> bool:
    """`word` in `text` (both folded) standing alone: « lumière » takes « Lumière ! », not
    « lumièrement »."""
    start = 0
    while True:
        at = text.find(word, start)
        if at < 0:
            return False
        end = at + len(word)
        before = text[at - 1] if at else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        start = at + 1


def match_rules(series_set: SeriesSet, rows: list[Row]) -> None:
    rules = list(
        AlertRule.objects.filter(
            workspace=series_set.workspace,
            is_active=True,
            kind__in=[RuleKind.KEYWORD, RuleKind.INFLUENCER],
        )
    )
    if not rules:
        return
    open_episodes = {
        e.rule_id: e
        for e in Episode.objects.filter(
            workspace=series_set.workspace, rule__in=rules, closed_at__isnull=True
        )
    }
    for rule in rules:
        words = words_of(rule)
        taken = [row for row in rows if rule_takes(rule, row, words)]
        if not taken:
            continue
        episode = open_episodes.get(rule.pk)
        if episode is None:
            first = taken[0]
            episode = Episode.objects.create(
                workspace=series_set.workspace,
                kind=EpisodeKind(rule.kind),
                rule=rule,
                query_id=rule.query_id,
                query_name=rule.query.name if rule.query_id and rule.query else "",
                opened_at=series_set.now,
                fired_at=timezone.now(),
                last_event_at=series_set.now,
                first_mention_id=first.id,
                mention_count=0,
            )
            series_set.summary.opened.append(episode.pk)
            alert = raising.raise_alert(rule, episode, series_set.now, taken)
            if alert is not None:
                series_set.summary.alerts.append(alert.pk)
        episode.mention_count += len(taken)
        episode.last_event_at = series_set.now
        episode.sample_mention_ids = (list(episode.sample_mention_ids) + [r.id for r in taken])[
            :SAMPLES
        ]
        episode.peak_value = max(episode.peak_value, max(r.followers for r in taken))
        episode.save(
            update_fields=["mention_count", "last_event_at", "sample_mention_ids", "peak_value"]
        )


def close_quiet_rule_episodes(workspace: Workspace, now: dt.datetime) -> int:
    """A keyword/influencer episode ends after its rule's cool-down without a new mention;
    one whose series or rule was deleted (with its query) ends at its last event."""
    closed = Episode.objects.filter(
        workspace=workspace, rule__isnull=True, series__isnull=True, closed_at__isnull=True
    ).update(closed_at=F("last_event_at"))
    for episode in Episode.objects.filter(
        workspace=workspace, rule__isnull=False, series__isnull=True, closed_at__isnull=True
    ).select_related("rule"):
        quiet = dt.timedelta(minutes=max(episode.rule.cooldown_minutes, 1))  # type: ignore[union-attr]
        if episode.last_event_at <= now - quiet:
            episode.closed_at = episode.last_event_at + quiet
            episode.save(update_fields=["closed_at"])
            closed += 1
    return closed


# --- entry points ---------------------------------------------------------------------------


def take_pending(
    workspace: Workspace, *, limit: int = 50 * CHUNK, now: dt.datetime | None = None
) -> Summary:
    """Fold every mention of the workspace not folded yet (up to `limit`)."""
    total = Summary()
    while total.seen < limit:
        summary, done = take_chunk(workspace, now)
        total.seen += summary.seen
        total.opened += summary.opened
        total.alerts += summary.alerts
        if done:
            break
    return total


def take_chunk(workspace: Workspace, now: dt.datetime | None = None) -> tuple[Summary, bool]:
    with transaction.atomic():
        cursor = lock_cursor(workspace)
        rows = read_rows(workspace, cursor.last_mention_id)
        if not rows:
            return Summary(), True
        series_set = SeriesSet(workspace, now or timezone.now())
        fold_rows(series_set, rows)
        match_rules(series_set, rows)
        series_set.summary.seen = len(rows)
        cursor.last_mention_id = rows[-1].id
        cursor.save(update_fields=["last_mention_id"])
        raising.send_after_commit(series_set.summary.alerts)
    return series_set.summary, len(rows) < CHUNK


def tick(workspace: Workspace, now: dt.datetime | None = None) -> Summary:
    """Every minute: close the buckets that have passed without a mention (a quiet minute or
    hour is a zero the detector must see, and how an episode learns it is over)."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_cursor(workspace)
        series_set = SeriesSet(workspace, now)
        touched = []
        for series in series_set.rows.values():
            if series.query_id and series.query_id not in series_set.queries:
                continue  # paused or deleted query: frozen until it comes back
            current = bucket_of(now, Resolution(series.resolution))
            if series.bucket_start is not None and series.bucket_start < current:
                advance(series_set, series, current)
                touched.append(series)
        save_series(series_set, touched)
        close_quiet_rule_episodes(workspace, now)
        raising.send_after_commit(series_set.summary.alerts)
    return series_set.summary
