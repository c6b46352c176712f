"""The counts of published posts (likes, reposts, replies, quotes, views), read back from the
networks, and what the best-time map is made of.

When a variant is read (`is_due`, the same rule as the query of `due_variants`):
- never read yet: now;
- under 48 hours old: every hour (most of a post's engagement comes in its first day);
- up to 30 days: once a day;
- past 30 days: one last time, if the last reading was before its 30th day, then never.

`refresh_metrics` reads the due variants account by account, in the batches the account's
connector takes, and saves the counts with `update_fields`. One account failing (rate limit,
revoked token, a network down, a bug) is logged and left for the next run; the others go on.
A post the network no longer has keeps its last counts (it was published at that time and
was seen so much). The Huey task `refresh_metrics_task` runs it every hour.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass, field, replace

from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet

from parvis.connectors import base
from parvis.connectors.models import ConnectedAccount
from parvis.listening import activity
from parvis.publishing import engine
from parvis.publishing.besttime import (
    HOURS,
    WEEKDAYS,
    HeatMap,
    PostStats,
    Slot,
    heat_map,
    next_best_slot,
)
from parvis.publishing.models import Status, Variant
from parvis.workspaces.models import Workspace
from parvis.workspaces.zones import zone_of

logger = logging.getLogger(__name__)

HOURLY_UNTIL = dt.timedelta(hours=48)
DAILY_UNTIL = dt.timedelta(days=30)
HOURLY = dt.timedelta(hours=1)
DAILY = dt.timedelta(days=1)
# The hourly task does not start on the second: a reading 59 minutes ago is due.
SLACK = dt.timedelta(minutes=5)
# Posts read per account and run: a Mastodon server before 4.3 takes one request a post, and
# the account's sources share its rate limit (300 requests per 5 minutes).
PER_ACCOUNT = 200
# The window the best-time map looks back over.
DAYS = 90


def is_due(published_at: dt.datetime, metrics_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a variant published at `published_at` and last read at `metrics_at` is read
    now (see the module docstring)."""
    if published_at > now:
        return False
    if metrics_at is None:
        return True
    age = now - published_at
    if age >= DAILY_UNTIL:
        return metrics_at < published_at + DAILY_UNTIL
    step = HOURLY if age < HOURLY_UNTIL else DAILY
    return now - metrics_at >= step - SLACK


def due_variants(
    now: dt.datetime,
    workspace: Workspace | None = None,
    account: ConnectedAccount | None = None,
) -> QuerySet[Variant]:
    """The published variants whose counts are read now (`is_due` as a query)."""
    rows = Variant.objects.filter(
        status=Status.PUBLISHED, published_at__isnull=False, published_at__lte=now
    ).exclude(external_id="")
    if workspace is not None:
        rows = rows.filter(workspace=workspace)
    if account is not None:
        rows = rows.filter(account=account)
    thirtieth = ExpressionWrapper(F("published_at") + DAILY_UNTIL, output_field=DateTimeField())
    young = Q(published_at__gt=now - HOURLY_UNTIL, metrics_at__lte=now - HOURLY + SLACK)
    month = Q(
        published_at__lte=now - HOURLY_UNTIL,
        published_at__gt=now - DAILY_UNTIL,
        metrics_at__lte=now - DAILY + SLACK,
    )
    old = Q(published_at__lte=now - DAILY_UNTIL, metrics_at__lt=thirtieth)
    return rows.filter(Q(metrics_at__isnull=True) | young | month | old)


@dataclass
class Outcome:
    """What a run did: variants read, accounts that failed (their id and why)."""

    read: int = 0
    gone: int = 0
    accounts: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    unsupported: list[int] = field(default_factory=list)


def metrics_class(account: ConnectedAccount) -> type[base.Connector] | None:
    """The connector that published as the account, when it can read counts."""
    cls = engine.connector_class(account)
    if cls is None or base.Capability.METRICS not in cls.capabilities:
        return None
    return cls


def save_answers(variants: list[Variant], answers: list[base.PostMetrics], now: dt.datetime) -> int:
    """Store the counts the network gave; a variant it did not answer for stays due."""
    by_id = {a.external_id: a for a in answers}
    saved = 0
    for variant in variants:
        answer = by_id.get(variant.external_id)
        if answer is None:
            continue
        fields = ["metrics_at"]
        if not answer.gone:
            for name in ("likes", "reposts", "replies", "quotes", "views"):
                value = base.metric(getattr(answer, name))
                if value is not None:  # a figure the network does not give stays as it was
                    setattr(variant, name, value)
                    fields.append(name)
        variant.metrics_at = now
        variant.save(update_fields=fields)
        saved += 1
    return saved


def refresh_account(
    account: ConnectedAccount,
    variants: list[Variant],
    now: dt.datetime,
    connector: base.Connector | None = None,
) -> tuple[int, int]:
    """Read the counts of `variants` (all of `account`); returns (read, gone). Raises the
    connector's errors."""
    if connector is None:
        cls = metrics_class(account)
        if cls is None:
            return 0, 0
        connector = cls.for_account(account, http=engine.http_client(cls))
    read = gone = 0
    size = max(1, type(connector).metrics_batch)
    context = base.MetricsContext(workspace_id=account.workspace_id)
    for start in range(0, len(variants), size):
        batch = variants[start : start + size]
        answers = connector.post_metrics([v.external_id for v in batch], context)
        read += save_answers(batch, answers, now)
        gone += sum(1 for a in answers if a.gone)
    return read, gone


def refresh_metrics(
    now: dt.datetime,
    workspace: Workspace | None = None,
    account: ConnectedAccount | None = None,
) -> Outcome:
    """Read the counts of every due variant (of a workspace, of an account), account by
    account; one account's failure is logged and the others go on."""
    outcome = Outcome()
    due = due_variants(now, workspace, account)
    account_ids = sorted(set(due.values_list("account_id", flat=True)))
    for account_id in account_ids:
        acting = ConnectedAccount.objects.filter(pk=account_id).first()
        if acting is None:
            continue
        if metrics_class(acting) is None:
            outcome.unsupported.append(account_id)
            continue
        variants = list(
            due.filter(account_id=account_id).order_by(
                F("metrics_at").asc(nulls_first=True), "published_at", "pk"
            )[:PER_ACCOUNT]
        )
        outcome.accounts += 1
        try:
            read, gone = refresh_account(acting, variants, now)
        except base.RetryLater as exc:
            logger.info("counts of %s: later (%s)", acting, exc)
            outcome.failed[account_id] = str(exc)
        except base.PermanentError as exc:
            logger.warning("counts of %s refused: %s", acting, exc)
            outcome.failed[account_id] = str(exc)
        except Exception as exc:  # one broken connector must not stop the other accounts
            logger.exception("counts of %s failed", acting)
            outcome.failed[account_id] = f"{type(exc).__name__}: {exc}"
        else:
            outcome.read += read
            outcome.gone += gone
    return outcome


# --- what the best-time map stands on ---------------------------------------------------------


@dataclass(frozen=True)
class AccountMap:
    """An account's heat map and what it stands on."""

    account: ConnectedAccount
    heat: HeatMap
    days: int
    since: dt.datetime
    mentions: int  # the mentions counted (the map may hold a scaled-down share of them)


def post_stats(account: ConnectedAccount, since: dt.datetime, now: dt.datetime) -> list[PostStats]:
    """The account's published posts since `since` whose counts were read."""
    rows = Variant.objects.filter(
        account=account,
        status=Status.PUBLISHED,
        published_at__gte=since,
        published_at__lte=now,
        metrics_at__isnull=False,
    ).values_list("published_at", "likes", "reposts", "replies", "views")
    return [
        PostStats(
            published_at=published,
            likes=likes or 0,
            reposts=reposts or 0,
            replies=replies or 0,
            reach=views if views else None,
        )
        for published, likes, reposts, replies, views in rows
        if published is not None
    ]


def account_map(account: ConnectedAccount, now: dt.datetime, days: int = DAYS) -> AccountMap:
    """The account's map over the last `days`: its posts, and its network's mentions in the
    workspace (the audience's activity, from listening)."""
    since = now - dt.timedelta(days=days)
    audience = activity.mention_times(account.workspace, since, now, network=account.network)
    heat = heat_map(
        post_stats(account, since, now),
        zone_of(account.workspace).key,
        audience=activity.expand(audience),
        now=now,
    )
    return AccountMap(
        account=account, heat=heat, days=days, since=since, mentions=activity.total(audience)
    )


# --- the next best slot (the composer's button) -----------------------------------------------

# A suggestion is at least this far ahead: time to finish, approve and schedule the post.
MIN_LEAD = dt.timedelta(minutes=30)
# Two posts of one account closer than this compete for the same audience.
MIN_GAP = dt.timedelta(hours=2)
# Planned posts: they hold their time on the account.
PLANNED = (Status.AWAITING_APPROVAL, Status.APPROVED, Status.SCHEDULED, Status.PUBLISHING)


@dataclass(frozen=True)
class Suggestion:
    slot: Slot | None  # None: every hour of the coming week is too close to a planned post
    maps: list[AccountMap]

    @property
    def posts(self) -> int:
        return sum(m.heat.posts for m in self.maps)

    @property
    def mentions(self) -> int:
        return sum(m.mentions for m in self.maps)

    @property
    def days(self) -> int:
        return self.maps[0].days if self.maps else DAYS

    @property
    def confidence(self) -> str:
        """The weakest of the accounts' labels."""
        order = ("not_enough", "low", "medium", "high")
        return min((m.heat.confidence for m in self.maps), key=order.index, default="not_enough")


def combined(maps: list[AccountMap]) -> HeatMap:
    """One map for several accounts: each cell's score is the mean of theirs."""
    first = maps[0].heat
    if len(maps) == 1:
        return first
    rows = []
    for day in range(WEEKDAYS):
        row = []
        for hour in range(HOURS):
            cells = [m.heat.cell(day, hour) for m in maps]
            score = math.fsum(c.score for c in cells) / len(cells)
            row.append(replace(cells[0], score=score))
        rows.append(tuple(row))
    return replace(first, cells=tuple(rows))


def planned_times(
    accounts: list[ConnectedAccount], now: dt.datetime, exclude_post: int | None = None
) -> list[dt.datetime]:
    """When the accounts' planned posts go out (from a little before now on)."""
    rows = Variant.objects.filter(
        account__in=accounts,
        status__in=PLANNED,
        post__scheduled_at__isnull=False,
        post__scheduled_at__gte=now - MIN_GAP,
    )
    if exclude_post is not None:
        rows = rows.exclude(post_id=exclude_post).exclude(post__thread_parent_id=exclude_post)
    return sorted({at for at in rows.values_list("post__scheduled_at", flat=True) if at})


def suggest_slot(
    accounts: list[ConnectedAccount], now: dt.datetime, exclude_post: int | None = None
) -> Suggestion:
    """The best hour in the coming week for a post on all these accounts (their maps
    averaged), at least MIN_LEAD from now and MIN_GAP from their planned posts."""
    maps = [account_map(a, now) for a in accounts]
    if not maps:
        return Suggestion(slot=None, maps=[])
    slot = next_best_slot(
        combined(maps),
        now + MIN_LEAD,
        scheduled=planned_times(accounts, now, exclude_post),
        min_gap=MIN_GAP,
    )
    return Suggestion(slot=slot, maps=maps)
