"""Best time to post, per account: a weekday x hour heat map and the next best slot.

Pure Python, no Django and no models: the account's published posts and the audience's
activity come in as dataclasses, the heat map goes out as one.

How a cell's score is made (1.0 = the account's average; every step is in `docs/publishing.md`):

1. Each post gets a value: its engagement (likes + reposts + replies) per person reached when
   the reach is known for at least half of the posts, else per follower (followers at the
   time) when that is known for at least half, else the raw engagement. Posts without the
   chosen base are left out (counted in `left_out`).
2. Its lift is its value over the median value of all the posts kept (the mean when the
   median is 0), capped at `LIFT_CAP`: a post that went viral says something about that post,
   not about Tuesday 18:00, and must not make every other post look poor.
3. A post counts fully in its own cell (weekday and hour in the workspace's time zone, from
   `zoneinfo`, so a post at 9:00 in Paris is in the 9:00 cell in winter and in summer) and
   for `NEIGHBOUR_WEIGHT` in the hours just before and after (midnight wraps to the
   neighbouring day): an hour apart is nearly the same audience, and it makes sparse data
   go further.
4. Shrinkage: score = (weight x mean lift of the cell + PRIOR_POSTS x 1.0) / (weight +
   PRIOR_POSTS). A cell with one lucky post stays close to 1.0; a cell needs about
   PRIOR_POSTS posts before its own figure counts for half.
5. With the audience's activity (the times of the mentions listening saw), each cell also
   has an activity index: (its mentions + PRIOR_MENTIONS) / (an even share of the mentions
   + PRIOR_MENTIONS), 1.0 on average, and the score is AUDIENCE_SHARE of it plus the rest of
   the posts' score; with activity only, the score is the activity index.

The confidence label says how much this stands on (see `confidence`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parvis.publishing.reasons import Reason, gettext_noop

__all__ = [
    "HOURS",
    "WEEKDAYS",
    "Cell",
    "HeatMap",
    "PostStats",
    "Slot",
    "confidence",
    "heat_map",
    "next_best_slot",
]

WEEKDAYS = 7  # 0 = Monday, as datetime.weekday()
HOURS = 24
LIFT_CAP = 3.0
NEIGHBOUR_WEIGHT = 0.5
PRIOR_POSTS = 5.0
PRIOR_MENTIONS = 5.0  # per cell
AUDIENCE_SHARE = 0.3
# Dates outside these years are typos or sentinels (the listening app's EARLIEST is 1990).
YEARS = (1990, 9000)
# A count above this is a broken figure, not an audience (the listening app's MAX_COUNT).
MAX_COUNT = 10**12

# Confidence thresholds. 168 cells: with fewer than 20 posts the average cell has 0.1 post
# and, after shrinkage, no cell can move more than about a fifth of the way from 1.0, so the
# map would show noise; fewer than 4 distinct weeks and one week's news (a launch, a
# holiday) is the whole sample. From 50 posts over 8 weeks each weekday has about 7 posts
# (its hours, with their neighbours, begin to separate); from 150 over 12 weeks about 20.
ENOUGH = (20, 4)
MEDIUM = (50, 8)
HIGH = (150, 12)


@dataclass(frozen=True)
class PostStats:
    published_at: datetime
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    reach: int | None = None
    followers: int | None = None

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies


@dataclass(frozen=True)
class Cell:
    weekday: int
    hour: int
    posts: float  # weighted: neighbours count NEIGHBOUR_WEIGHT
    mean_lift: float | None  # before shrinkage; None without posts
    mentions: int
    score: float


@dataclass(frozen=True)
class HeatMap:
    time_zone: str
    cells: tuple[tuple[Cell, ...], ...]  # [weekday][hour]
    basis: str  # "reach", "followers", "engagement" or "" (no posts)
    posts: int  # posts used
    left_out: int  # posts without the basis, in the future, or with broken figures
    weeks: int  # distinct weeks (Monday to Sunday, local) with at least one post
    mentions: int
    confidence: str  # "not_enough", "low", "medium", "high"

    def cell(self, weekday: int, hour: int) -> Cell:
        return self.cells[weekday][hour]

    def best(self, count: int = 3) -> list[Cell]:
        """The best cells, highest score first (ties: earlier in the week)."""
        flat = [c for row in self.cells for c in row]
        return sorted(flat, key=lambda c: (-c.score, c.weekday, c.hour))[:count]

    def summary(self) -> Reason:
        return confidence_reason(self)


CONFIDENCE_TEXT = {
    # posts and weeks can be 0 or 1 here: no count noun next to them (no plural forms).
    "not_enough": gettext_noop(
        "Not enough data (posts: %(posts)s, weeks with posts: %(weeks)s; at least "
        "%(min_posts)s posts over %(min_weeks)s weeks are needed). The map shows mostly the "
        "average."
    ),
    # From here on, at least 20 posts over 4 weeks: plurals always.
    "low": gettext_noop("Low confidence: based on %(posts)s posts over %(weeks)s weeks."),
    "medium": gettext_noop("Medium confidence: based on %(posts)s posts over %(weeks)s weeks."),
    "high": gettext_noop("High confidence: based on %(posts)s posts over %(weeks)s weeks."),
}


def confidence(posts: int, weeks: int) -> str:
    """The label for so many posts over so many distinct weeks (thresholds above)."""
    if posts < ENOUGH[0] or weeks < ENOUGH[1]:
        return "not_enough"
    if posts < MEDIUM[0] or weeks < MEDIUM[1]:
        return "low"
    if posts < HIGH[0] or weeks < HIGH[1]:
        return "medium"
    return "high"


def confidence_reason(heat: HeatMap) -> Reason:
    params = {"posts": heat.posts, "weeks": heat.weeks}
    if heat.confidence == "not_enough":
        params |= {"min_posts": ENOUGH[0], "min_weeks": ENOUGH[1]}
    return Reason(heat.confidence, CONFIDENCE_TEXT[heat.confidence], params)


def zone(name: str) -> ZoneInfo:
    """The time zone by its IANA name; ValueError for a name zoneinfo does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {str(name)[:60]!r}") from None


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a date without a time zone")
    return moment


def _sane(value: int | None) -> bool:
    return value is None or (type(value) is int and 0 <= value <= MAX_COUNT)


def _basis(posts: Sequence[PostStats]) -> str:
    if not posts:
        return ""
    for name in ("reach", "followers"):
        known = sum(1 for p in posts if (getattr(p, name) or 0) > 0)
        if 2 * known >= len(posts):
            return name
    return "engagement"


def _value(post: PostStats, basis: str) -> float | None:
    if basis == "engagement":
        return float(post.engagement)
    base = getattr(post, basis)
    if not base:
        return None
    return post.engagement / base


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def heat_map(
    posts: Iterable[PostStats],
    time_zone: str,
    audience: Iterable[datetime] = (),
    now: datetime | None = None,
) -> HeatMap:
    """The account's weekday x hour map in `time_zone` (an IANA name, e.g. Europe/Paris).

    `posts`: the account's published posts with their engagement; `audience`: when the
    audience was active (the mentions' times). Posts after `now` (default: the current time)
    and posts with impossible figures are left out. Raises ValueError on an unknown time
    zone or a date without a time zone.
    """
    tz = zone(time_zone)
    now = _aware(now) if now is not None else datetime.now(UTC)
    usable: list[PostStats] = []
    left_out = 0
    for post in posts:
        figures = (post.likes, post.reposts, post.replies, post.reach, post.followers)
        published = _aware(post.published_at)
        if (
            published.astimezone(UTC) > now.astimezone(UTC)
            or published.year < YEARS[0]
            or not all(_sane(v) for v in figures)
        ):
            left_out += 1
            continue
        usable.append(post)
    basis = _basis(usable)
    valued: list[tuple[datetime, float]] = []
    for post in usable:
        value = _value(post, basis)
        if value is None:
            left_out += 1
        else:
            valued.append((post.published_at.astimezone(tz), value))
    # Sums in one order whatever the order of the posts: the same map for the same posts.
    valued.sort(key=lambda item: (item[0].timestamp(), item[1]))
    values = sorted(v for _, v in valued)
    reference = 0.0
    if values:
        middle = len(values) // 2
        reference = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
        if reference <= 0:
            reference = math.fsum(values) / len(values)

    weight = [[0.0] * HOURS for _ in range(WEEKDAYS)]
    lift_sum = [[0.0] * HOURS for _ in range(WEEKDAYS)]
    weeks: set[date] = set()
    for local, value in valued:
        lift = min(value / reference, LIFT_CAP) if reference > 0 else 1.0
        weeks.add(_week(local.date()))
        slot = local.weekday() * HOURS + local.hour
        for offset, share in ((-1, NEIGHBOUR_WEIGHT), (0, 1.0), (1, NEIGHBOUR_WEIGHT)):
            day, hour = divmod((slot + offset) % (WEEKDAYS * HOURS), HOURS)
            weight[day][hour] += share
            lift_sum[day][hour] += share * lift

    activity = [[0] * HOURS for _ in range(WEEKDAYS)]
    mentions = 0
    for moment in audience:
        if not YEARS[0] <= _aware(moment).year <= YEARS[1]:
            continue
        local = moment.astimezone(tz)
        activity[local.weekday()][local.hour] += 1
        mentions += 1
    even = mentions / (WEEKDAYS * HOURS)

    rows = []
    for day in range(WEEKDAYS):
        row = []
        for hour in range(HOURS):
            w = weight[day][hour]
            post_score = (lift_sum[day][hour] + PRIOR_POSTS) / (w + PRIOR_POSTS)
            count = activity[day][hour]
            audience_index = 1.0
            if mentions:
                # Activity against an even share, both with PRIOR_MENTIONS more mentions: a
                # cell with 3 mentions out of 10 is not 50 times as good as the rest.
                audience_index = (count + PRIOR_MENTIONS) / (even + PRIOR_MENTIONS)
            if valued and mentions:
                score = (1 - AUDIENCE_SHARE) * post_score + AUDIENCE_SHARE * audience_index
            elif mentions:
                score = audience_index
            else:
                score = post_score
            row.append(
                Cell(
                    weekday=day,
                    hour=hour,
                    posts=w,
                    mean_lift=lift_sum[day][hour] / w if w else None,
                    mentions=count,
                    score=score,
                )
            )
        rows.append(tuple(row))
    return HeatMap(
        time_zone=time_zone,
        cells=tuple(rows),
        basis=basis if valued else "",
        posts=len(valued),
        left_out=left_out,
        weeks=len(weeks),
        mentions=mentions,
        confidence=confidence(len(valued), len(weeks)),
    )


@dataclass(frozen=True)
class Slot:
    at: datetime  # aware, in the workspace's time zone
    weekday: int
    hour: int
    score: float


def _local_hours(tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Every local whole hour between start and end that exists in `tz`, once per real
    moment: a spring-forward hour that never happens is skipped, a fall-back hour that
    happens twice is there twice (an hour apart)."""
    moments: dict[datetime, datetime] = {}
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    while day <= last:
        for hour in range(HOURS):
            for fold in (0, 1):
                local = datetime(day.year, day.month, day.day, hour, fold=fold, tzinfo=tz)
                instant = local.astimezone(UTC)
                back = instant.astimezone(tz)
                if back.replace(tzinfo=None) != local.replace(tzinfo=None, fold=0):
                    continue  # in the gap: this wall-clock time does not exist that day
                if start < instant <= end:
                    moments.setdefault(instant, back)
        day += timedelta(days=1)
    return [moments[k] for k in sorted(moments)]


def next_best_slot(
    heat: HeatMap,
    after: datetime,
    scheduled: Iterable[datetime] = (),
    min_gap: timedelta = timedelta(hours=2),
    horizon: timedelta = timedelta(days=7),
) -> Slot | None:
    """The best whole hour after `after` and within `horizon`, at least `min_gap` away from
    every already scheduled post (highest score; the earliest on a tie). None when every
    hour in the horizon is too close to a scheduled post."""
    tz = zone(heat.time_zone)
    after = _aware(after)
    if not YEARS[0] <= after.year <= YEARS[1]:
        raise ValueError(f"after is out of range ({YEARS[0]} to {YEARS[1]})")
    if min_gap < timedelta(0) or horizon <= timedelta(0) or horizon > timedelta(days=366):
        raise ValueError("min_gap must be 0 or more and horizon between 0 and a year")
    try:
        end = after + horizon
    except OverflowError:
        raise ValueError("the horizon goes past the last date there is") from None
    # In UTC: between two times of one zone Python subtracts wall clocks, and the two 2:00
    # of the night the clocks go back would be 0 minutes apart.
    taken = sorted(_aware(s).astimezone(UTC) for s in scheduled)
    best: Slot | None = None
    for moment in _local_hours(tz, after, end):
        instant = moment.astimezone(UTC)
        if any(abs(instant - s) < min_gap for s in taken):
            continue
        cell = heat.cell(moment.weekday(), moment.hour)
        if best is None or cell.score > best.score:
            best = Slot(at=moment, weekday=moment.weekday(), hour=moment.hour, score=cell.score)
    return best
