"""Each objective of the strategy against its target: which KPI measures it, its value over the
objective's period, its trend, and whether it is on track. The definitions are in
docs/analytics.md; the rules are these.

**The window.** An objective runs from the start of `period_start` to the end of `period_end`
in the workspace's time zone. Its KPI is measured over the part that has passed: from the
start to now (or to the period's end, once over). Before its start the objective has not
begun: « no data ». The *previous window* is the same length just before the start; the trend
compares the KPI there with the KPI now (`up` / `down` / `flat`, and whether that is better).
Dates before 1990 read as 1990 (nothing Parvis stores is older).

**Which KPI** (by the objective's business goal, and its unit where one goal has two KPIs):
- audience growth: followers of the connected accounts (of the objective's network when it
  names one), summed over the accounts, from their daily snapshots;
- awareness: with a unit of « % », the share of voice (mentions matched by the brand's
  queries over those matched by the brand's or the competitors' queries); otherwise the
  number of mentions in the window;
- image change: the share of positive mentions among those whose sentiment was analysed;
- customer care: with a unit of « % », the response rate (mentions of the window that reached
  the inbox and were answered, over those that reached it); otherwise the median time to the
  first answer, in hours (or in minutes when the unit starts with « min »), counted on the
  clock, not in business hours;
- community engagement: the engagement rate of the posts published in the window: their
  interactions (likes, reposts, replies, quotes) over their views, for the posts whose network
  gives views; where none does, interactions per post over the followers;
- traffic and conversions: « no data » (link clicks are not collected yet).

**The status.**
- A *level* (a share, a rate, a median time): « on track » when the value meets the target
  (at least the target; at most for a time), « behind » otherwise; once the period is over
  and the target is met: « met ».
- A *count that builds up* (followers, mentions): « met » as soon as it reaches the target;
  otherwise « on track » when its pace so far, kept to the end of the period, reaches it (for
  followers: the gain since the start, extrapolated over the whole period, added to the
  count at the start), « behind » when it does not. Followers need two readings on two
  different days to have a pace. A followers target at or below the count at the start is
  read as followers to gain over the period.
- « no data » whenever the value cannot be computed: the reason is said in words (no
  connected account, no snapshot yet, no analysed mention, no competitor query, nothing in
  the inbox…). A period with no mentions is « no data », never a division by zero.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from parvis.analytics.models import AccountSnapshot
from parvis.connectors.models import ConnectedAccount
from parvis.core.networks import NETWORK_CHOICES
from parvis.listening import extensions, stats
from parvis.workspaces.models import Objective, ObjectiveKind, Workspace
from parvis.workspaces.zones import zone_of

EARLIEST = dt.date(1990, 1, 1)


class Status(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_DATA = "no_data"


STATUS_LABELS: dict[Status, Promise] = {
    Status.MET: _("target met"),
    Status.ON_TRACK: _("on track"),
    Status.BEHIND: _("behind"),
    Status.NO_DATA: _("no data"),
}


class Metric(StrEnum):
    FOLLOWERS = "followers"
    MENTIONS = "mentions"
    SHARE_OF_VOICE = "share_of_voice"
    POSITIVE_SHARE = "positive_share"
    RESPONSE_RATE = "response_rate"
    FIRST_RESPONSE = "first_response"
    ENGAGEMENT_RATE = "engagement_rate"
    LINK_CLICKS = "link_clicks"


METRIC_LABELS: dict[Metric, Promise] = {
    Metric.FOLLOWERS: _("Followers"),
    Metric.MENTIONS: _("Mentions"),
    Metric.SHARE_OF_VOICE: _("Share of voice"),
    Metric.POSITIVE_SHARE: _("Share of positive mentions"),
    Metric.RESPONSE_RATE: _("Response rate"),
    Metric.FIRST_RESPONSE: _("Median first response time"),
    Metric.ENGAGEMENT_RATE: _("Engagement rate"),
    Metric.LINK_CLICKS: _("Link clicks"),
}


class Unit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    HOURS = "hours"
    MINUTES = "minutes"


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime  # now, or the period's end once over
    period_end: dt.datetime
    over: bool

    @property
    def fraction(self) -> float:
        """The share of the whole period that has passed (0 … 1)."""
        whole = (self.period_end - self.start).total_seconds()
        return min(1.0, (self.end - self.start).total_seconds() / whole) if whole > 0 else 1.0

    def previous(self) -> tuple[dt.datetime, dt.datetime]:
        return self.start - (self.end - self.start), self.start


@dataclass(frozen=True)
class Measure:
    """A KPI's value in a window: None with `why` when it cannot be computed; `detail` says
    what it stands on (« 12 of 36 analysed mentions »)."""

    value: float | None
    why: str | Promise = ""
    detail: str | Promise = ""
    start_value: float | None = None  # followers: the count at the window's start
    # followers: whether some account's two readings are on different days (a pace is known)
    spread: bool = True


@dataclass(frozen=True)
class Kpi:
    objective: Objective
    metric: Metric
    unit: Unit
    higher_is_better: bool
    cumulative: bool
    target: Decimal
    window: Window | None
    current: Measure
    previous: Measure | None
    status: Status
    reason: str | Promise  # why the status (no data: what is missing)
    # What the trend compares with the previous window's value: the value itself, or for
    # followers what was gained in the window.
    compare: float | None = None

    @property
    def label(self) -> Promise:
        return METRIC_LABELS[self.metric]

    @property
    def status_label(self) -> Promise:
        return STATUS_LABELS[self.status]

    @property
    def trend(self) -> str:
        """up / down / flat, or "" without a previous value."""
        if self.previous is None or self.previous.value is None or self.compare is None:
            return ""
        delta = self.compare - self.previous.value
        if abs(delta) < 1e-9:
            return "flat"
        return "up" if delta > 0 else "down"

    @property
    def trend_is_good(self) -> bool:
        return (self.trend == "up") == self.higher_is_better and self.trend != "flat"

    @property
    def delta(self) -> float | None:
        if self.trend == "":
            return None
        assert self.compare is not None and self.previous and self.previous.value is not None
        return self.compare - self.previous.value


# --- the window --------------------------------------------------------------------------


def window_of(objective: Objective, workspace: Workspace, now: dt.datetime) -> Window | None:
    """The passed part of the objective's period; None before it starts."""
    zone = zone_of(workspace)
    today = now.astimezone(zone).date()
    first = max(objective.period_start, EARLIEST)
    if first > today:
        return None
    last = max(objective.period_end, first)
    over = last < today
    start = dt.datetime.combine(first, dt.time(), zone)
    # The start of the day after the last one (a year-9999 end stops a day short of the
    # calendar's end: its fraction passed is tiny either way).
    after = min(last, dt.date(9998, 12, 30)) + dt.timedelta(days=1)
    period_end = dt.datetime.combine(after, dt.time(), zone)
    end = period_end if over else now
    return Window(start=start, end=end, period_end=period_end, over=over)


# --- the rules ---------------------------------------------------------------------------


def level_status(value: float, target: float, higher_is_better: bool, over: bool) -> Status:
    meets = value >= target if higher_is_better else value <= target
    if not meets:
        return Status.BEHIND
    return Status.MET if over else Status.ON_TRACK


def count_status(value: float, target: float, fraction: float, start_value: float = 0.0) -> Status:
    """A count that builds up (see the module docstring): met, else on track by its pace."""
    if value >= target:
        return Status.MET
    if fraction <= 0:
        return Status.BEHIND
    projected = start_value + (value - start_value) / fraction
    return Status.ON_TRACK if projected >= target else Status.BEHIND


def percent(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


# --- the measures ------------------------------------------------------------------------


Span = tuple[dt.datetime, dt.datetime]


class Readings:
    """What the KPIs of one page read, read once: the workspace's accounts and snapshots
    (one query each), the mentions' sentiment and share of voice over every window the
    page's objectives need (one query each, `plan` says which windows), the inbox's answers
    and the posts' results per window (memoized). The page's query count does not grow with
    its objectives (tests/test_views.py)."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.planned: set[Span] = set()
        self._accounts: list[tuple[int, str]] | None = None
        self._snapshots: dict[int, list[tuple[dt.date, int]]] | None = None
        self._sentiment: dict[Span, stats.SentimentCounts] = {}
        self._voice: dict[Span, stats.VoiceCounts] | None = None
        self._has_voice = True
        self._answers: dict[Span, extensions.AnswerStats | None] = {}
        self._posts: dict[tuple[Span, str], extensions.PostTotals | None] = {}

    def plan(self, *spans: Span) -> None:
        self.planned.update(spans)

    def accounts(self, network: str) -> list[int]:
        if self._accounts is None:
            rows = ConnectedAccount.objects.filter(workspace=self.workspace)
            self._accounts = list(rows.values_list("pk", "network"))
        return [pk for pk, net in self._accounts if not network or net == network]

    def snapshots(self) -> dict[int, list[tuple[dt.date, int]]]:
        if self._snapshots is None:
            rows = AccountSnapshot.objects.filter(
                workspace=self.workspace, followers__isnull=False
            ).order_by("account_id", "day")
            self._snapshots = {}
            for account_id, day, followers in rows.values_list("account_id", "day", "followers"):
                if followers is not None:
                    self._snapshots.setdefault(account_id, []).append((day, followers))
        return self._snapshots

    def sentiment(self, span: Span) -> stats.SentimentCounts:
        if span not in self._sentiment:
            wanted = sorted((self.planned | {span}) - set(self._sentiment))
            found = stats.sentiment_counts_many(self.workspace, wanted)
            self._sentiment.update(zip(wanted, found, strict=True))
        return self._sentiment[span]

    def voice(self, span: Span) -> stats.VoiceCounts | None:
        if self._voice is None or (self._has_voice and span not in self._voice):
            wanted = sorted((self.planned | {span}) - set(self._voice or {}))
            found = stats.share_of_voice_many(self.workspace, wanted)
            self._has_voice = found is not None
            self._voice = {**(self._voice or {}), **dict(zip(wanted, found or [], strict=False))}
        return self._voice.get(span) if self._has_voice else None

    def answers(self, span: Span) -> extensions.AnswerStats | None:
        if span not in self._answers:
            ids = stats.mention_ids(self.workspace, *span)
            self._answers[span] = extensions.answer_stats(self.workspace, ids)
        return self._answers[span]

    def posts(self, span: Span, network: str) -> extensions.PostTotals | None:
        if (span, network) not in self._posts:
            found = extensions.post_totals(self.workspace, span[0], span[1], network)
            self._posts[(span, network)] = found
        return self._posts[(span, network)]


def followers_between(
    readings: Readings, network: str, since: dt.datetime, until: dt.datetime
) -> Measure:
    """Followers at `until` (each account's last reading up to then) and at `since` (its
    last reading before that day, else its first from then on), summed over the accounts
    read by then."""
    accounts = readings.accounts(network)
    if not accounts:
        if network:
            name = dict(NETWORK_CHOICES).get(network, network)
            return Measure(None, _("No %(network)s account is connected.") % {"network": name})
        return Measure(None, _("No account is connected."))
    first_day, last_day = since.astimezone(dt.UTC).date(), until.astimezone(dt.UTC).date()
    snapshots = readings.snapshots()
    start_total = end_total = 0
    days: list[tuple[dt.date, dt.date]] = []
    for account_id in accounts:
        series = [r for r in snapshots.get(account_id, ()) if r[0] <= last_day]
        if not series:
            continue
        before = [r for r in series if r[0] <= first_day]
        inside = [r for r in series if r[0] > first_day]
        # The count when the window began: the last reading up to its first day, else (an
        # account first read later) its first reading inside.
        begin = before[-1] if before else inside[0]
        end = series[-1]
        start_total += begin[1]
        end_total += end[1]
        days.append((begin[0], end[0]))
    if not days:
        return Measure(None, _("No follower count collected yet (they are read daily)."))
    return Measure(
        float(end_total),
        start_value=float(start_total),
        detail=_("accounts: %(accounts)s") % {"accounts": len(days)},
        spread=any(begin != end for begin, end in days),
    )


def mentions_between(readings: Readings, since: dt.datetime, until: dt.datetime) -> Measure:
    counts = readings.sentiment((since, until))
    return Measure(float(counts.analysed + counts.unknown))


def positive_share(readings: Readings, since: dt.datetime, until: dt.datetime) -> Measure:
    counts = readings.sentiment((since, until))
    value = percent(counts.positive, counts.analysed)
    if value is None:
        return Measure(None, _("No mention with an analysed sentiment in the period."))
    return Measure(
        value,
        detail=_("%(positive)s positive of %(analysed)s analysed mentions")
        % {"positive": counts.positive, "analysed": counts.analysed},
    )


def share_of_voice(readings: Readings, since: dt.datetime, until: dt.datetime) -> Measure:
    voice = readings.voice((since, until))
    if voice is None:
        return Measure(None, _("No competitor query in listening: add one to compare."))
    value = percent(voice.brand, voice.brand + voice.competitors)
    if value is None:
        return Measure(None, _("No mention of the brand or its competitors in the period."))
    return Measure(
        value,
        detail=_("%(brand)s mentions of the brand, %(competitors)s of its competitors")
        % {"brand": voice.brand, "competitors": voice.competitors},
    )


def answers(
    readings: Readings, since: dt.datetime, until: dt.datetime, metric: Metric, unit: Unit
) -> Measure:
    found = readings.answers((since, until))
    if found is None:
        return Measure(None, _("No inbox is installed."))
    if not found.in_inbox:
        return Measure(None, _("No mention of the period reached the inbox."))
    if metric is Metric.RESPONSE_RATE:
        return Measure(
            percent(found.answered, found.in_inbox),
            detail=_("%(answered)s answered of %(received)s")
            % {"answered": found.answered, "received": found.in_inbox},
        )
    if not found.response_minutes:
        return Measure(
            None,
            _("None of the %(received)s messages was answered yet.") % {"received": found.in_inbox},
        )
    minutes = statistics.median(found.response_minutes)
    return Measure(
        minutes if unit is Unit.MINUTES else minutes / 60,
        detail=_("%(answered)s answered of %(received)s")
        % {"answered": found.answered, "received": found.in_inbox},
    )


def engagement_rate(
    readings: Readings, network: str, since: dt.datetime, until: dt.datetime
) -> Measure:
    totals = readings.posts((since, until), network)
    if totals is None:
        return Measure(None, _("No publishing is installed."))
    if not totals.posts:
        return Measure(None, _("No post published in the period."))
    if totals.viewed and totals.views:
        return Measure(
            100.0 * totals.viewed_interactions / totals.views,
            detail=_("%(posts)s posts with their views") % {"posts": totals.viewed},
        )
    followers = followers_between(readings, network, since, until)
    if not followers.value:
        return Measure(
            None, _("Neither views nor a follower count to compare the interactions with.")
        )
    return Measure(
        100.0 * totals.interactions / totals.posts / followers.value,
        detail=_("%(posts)s posts, per follower") % {"posts": totals.posts},
    )


# --- an objective ------------------------------------------------------------------------


def metric_of(objective: Objective) -> tuple[Metric, Unit, bool, bool]:
    """(metric, unit, higher is better, cumulative) for the objective's goal and unit."""
    unit_text = objective.unit.strip().lower()
    is_percent = unit_text.startswith("%") or "pour" in unit_text or "percent" in unit_text
    kind = objective.kind
    if kind == ObjectiveKind.AUDIENCE_GROWTH:
        return Metric.FOLLOWERS, Unit.COUNT, True, True
    if kind == ObjectiveKind.AWARENESS:
        if is_percent:
            return Metric.SHARE_OF_VOICE, Unit.PERCENT, True, False
        return Metric.MENTIONS, Unit.COUNT, True, True
    if kind == ObjectiveKind.IMAGE_CHANGE:
        return Metric.POSITIVE_SHARE, Unit.PERCENT, True, False
    if kind == ObjectiveKind.CUSTOMER_CARE:
        if is_percent:
            return Metric.RESPONSE_RATE, Unit.PERCENT, True, False
        unit = Unit.MINUTES if unit_text.startswith("min") else Unit.HOURS
        return Metric.FIRST_RESPONSE, unit, False, False
    if kind == ObjectiveKind.ENGAGEMENT:
        return Metric.ENGAGEMENT_RATE, Unit.PERCENT, True, False
    return Metric.LINK_CLICKS, Unit.COUNT, True, True


def measure(
    objective: Objective,
    readings: Readings,
    metric: Metric,
    unit: Unit,
    since: dt.datetime,
    until: dt.datetime,
) -> Measure:
    if metric is Metric.FOLLOWERS:
        return followers_between(readings, objective.network, since, until)
    if metric is Metric.MENTIONS:
        return mentions_between(readings, since, until)
    if metric is Metric.SHARE_OF_VOICE:
        return share_of_voice(readings, since, until)
    if metric is Metric.POSITIVE_SHARE:
        return positive_share(readings, since, until)
    if metric in (Metric.RESPONSE_RATE, Metric.FIRST_RESPONSE):
        return answers(readings, since, until, metric, unit)
    if metric is Metric.ENGAGEMENT_RATE:
        return engagement_rate(readings, objective.network, since, until)
    return Measure(None, _("Link clicks are not collected yet."))


def evaluate(
    objective: Objective,
    workspace: Workspace,
    now: dt.datetime,
    readings: Readings | None = None,
) -> Kpi:
    metric, unit, higher, cumulative = metric_of(objective)
    target = objective.target_value
    window = window_of(objective, workspace, now)
    readings = readings or Readings(workspace)

    def kpi(
        current: Measure,
        previous: Measure | None,
        status: Status,
        reason: str | Promise,
        compare: float | None = None,
    ) -> Kpi:
        if compare is None:
            compare = current.value
        return Kpi(
            objective,
            metric,
            unit,
            higher,
            cumulative,
            target,
            window,
            current,
            previous,
            status,
            reason,
            compare,
        )

    if window is None:
        begins = formats.date_format(objective.period_start, "SHORT_DATE_FORMAT")
        reason = _("The period starts on %(date)s.") % {"date": begins}
        return kpi(Measure(None, reason), None, Status.NO_DATA, reason)
    current = measure(objective, readings, metric, unit, window.start, window.end)
    try:
        before_start, before_end = window.previous()
        previous: Measure | None = measure(
            objective, readings, metric, unit, before_start, before_end
        )
    except OverflowError:
        previous = None
    if metric is Metric.FOLLOWERS and previous is not None and previous.value is not None:
        # The trend of an audience is what it gained in each window, not its size.
        assert previous.start_value is not None
        previous = Measure(previous.value - previous.start_value, detail=previous.detail)
    if current.value is None:
        return kpi(current, previous, Status.NO_DATA, current.why)
    goal = float(target)
    if metric is Metric.FOLLOWERS:
        start = current.start_value or 0.0
        gained = current.value - start
        shown_previous = previous
        if goal <= start:  # a target at or below the start: followers to gain
            status = count_status(gained, goal, window.fraction)
        elif current.value >= goal:
            status = Status.MET
        elif not current.spread and not window.over:
            return kpi(
                current,
                shown_previous,
                Status.NO_DATA,
                _("Two days of follower counts are needed to know the pace."),
                compare=gained,
            )
        else:
            status = count_status(current.value, goal, window.fraction, start)
        return kpi(current, shown_previous, status, "", compare=gained)
    if cumulative:
        return kpi(current, previous, count_status(current.value, goal, window.fraction), "")
    return kpi(current, previous, level_status(current.value, goal, higher, window.over), "")


def evaluate_all(objectives: list[Objective], workspace: Workspace, now: dt.datetime) -> list[Kpi]:
    """The KPIs of these objectives, their readings shared (see `Readings`)."""
    readings = Readings(workspace)
    for objective in objectives:
        window = window_of(objective, workspace, now)
        if window is not None:
            readings.plan((window.start, window.end))
            with contextlib.suppress(OverflowError):
                readings.plan(window.previous())
    return [evaluate(o, workspace, now, readings) for o in objectives]


def objective_kpis(workspace: Workspace, now: dt.datetime) -> list[Kpi]:
    """The KPI of each objective of the workspace's strategy, in the strategy's order."""
    return evaluate_all(list(Objective.objects.filter(workspace=workspace)), workspace, now)
