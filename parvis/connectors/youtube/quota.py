"""The YouTube Data API's daily quota: what each call costs, what is left, when it resets.

Google gives a project 10,000 units a day for most methods (a list call costs 1) and, since
search.list got its own bucket, 100 search calls a day; both reset at midnight Pacific time.
Every call is charged *before* it is sent (Google charges invalid requests too), with a
conditional UPDATE so that two workers sharing a key never spend past the budget together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from parvis.connectors.base import RetryLater, SourceSettings

if TYPE_CHECKING:
    from parvis.connectors.models import ConnectedAccount
    from parvis.workspaces.models import Workspace

PACIFIC = ZoneInfo("America/Los_Angeles")
DEFAULT_UNITS = 10_000
DEFAULT_SEARCHES = 100
# Retry a little after Google's reset rather than on the stroke of midnight: clocks differ,
# and every key in the world retries then.
RESET_MARGIN = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Cost:
    units: int = 0
    searches: int = 0


# Google's table (developers.google.com/youtube/v3/determine_quota_cost).
LIST = Cost(units=1)  # commentThreads.list, videos.list (up to 50 ids), channels.list
SEARCH = Cost(searches=1)  # search.list, in its own bucket
INSERT = Cost(units=50)  # comments.insert (a reply)
MODERATE = Cost(units=50)  # comments.setModerationStatus (hide, restore, reject)


@dataclass(frozen=True)
class Budget:
    units: int = DEFAULT_UNITS
    searches: int = DEFAULT_SEARCHES


class QuotaExhausted(RetryLater):
    """Our own count says the next call would pass the daily budget: wait for the reset."""


def pacific_day(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(PACIFIC).date()


def next_reset(now: dt.datetime | None = None) -> dt.datetime:
    """The next midnight in Pacific time (daylight saving included), in UTC."""
    now = now or timezone.now()
    tomorrow = pacific_day(now) + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=PACIFIC).astimezone(dt.UTC)


def seconds_until_reset(now: dt.datetime | None = None) -> float:
    now = now or timezone.now()
    return (next_reset(now) + RESET_MARGIN - now).total_seconds()


def budget_for(config: dict[str, Any] | None = None) -> Budget:
    """The source's own budget if it sets one, else the server's (PARVIS_YOUTUBE_DAILY_QUOTA
    and PARVIS_YOUTUBE_DAILY_SEARCHES, checked at start by parvis.config), else Google's."""
    config = config or {}
    server = getattr(settings, "PARVIS_YOUTUBE", {})
    return Budget(
        units=int(config.get("daily_quota") or server.get("DAILY_QUOTA") or DEFAULT_UNITS),
        searches=int(
            config.get("daily_searches") or server.get("DAILY_SEARCHES") or DEFAULT_SEARCHES
        ),
    )


def project_key(credentials: dict[str, str]) -> str:
    """Which Google Cloud project pays: a fingerprint of the API key, or of the OAuth client."""
    if credentials.get("api_key"):
        return "key:" + hashlib.sha256(credentials["api_key"].encode()).hexdigest()[:16]
    client = credentials.get("client_id", "")
    return "client:" + hashlib.sha256(client.encode()).hexdigest()[:16]


def _row(workspace_id: int, project: str, day: dt.date):
    from parvis.connectors.youtube.models import YouTubeQuotaUsage

    rows = YouTubeQuotaUsage.objects.filter(workspace_id=workspace_id, project=project, day=day)
    if not rows.exists():
        try:
            with transaction.atomic():
                YouTubeQuotaUsage.objects.create(
                    workspace_id=workspace_id, project=project, day=day
                )
        except IntegrityError:
            pass  # another worker created today's row first
    return rows


def charge(
    workspace_id: int,
    project: str,
    cost: Cost,
    budget: Budget,
    now: dt.datetime | None = None,
) -> None:
    """Count a call against today's budget, or raise QuotaExhausted if it would pass it."""
    now = now or timezone.now()
    rows = _row(workspace_id, project, pacific_day(now))
    spent = rows.filter(
        units__lte=budget.units - cost.units, searches__lte=budget.searches - cost.searches
    ).update(
        units=F("units") + cost.units,
        searches=F("searches") + cost.searches,
        calls=F("calls") + 1,
        updated_at=now,
    )
    if not spent:
        what = "search calls" if cost.searches else "units"
        raise QuotaExhausted(
            f"the YouTube daily quota of this key is spent ({what}); it resets at midnight "
            "Pacific time",
            seconds_until_reset(now),
        )


def can_afford(
    workspace_id: int, project: str, cost: Cost, budget: Budget, now: dt.datetime | None = None
) -> bool:
    used = usage(workspace_id, project, now)
    return (
        used["units"] + cost.units <= budget.units
        and used["searches"] + cost.searches <= budget.searches
    )


def usage(workspace_id: int, project: str, now: dt.datetime | None = None) -> dict[str, int]:
    from parvis.connectors.youtube.models import YouTubeQuotaUsage

    row = (
        YouTubeQuotaUsage.objects.filter(
            workspace_id=workspace_id, project=project, day=pacific_day(now)
        )
        .values("units", "searches", "calls")
        .first()
    )
    return row or {"units": 0, "searches": 0, "calls": 0}


@dataclass(frozen=True)
class QuotaStatus:
    """Today's quota of one key, for the page that shows it (connectors/youtube_quota.html)."""

    account: str  # the connected channel's handle
    day: dt.date
    units_used: int
    units_limit: int
    searches_used: int
    searches_limit: int
    calls: int
    resets_at: dt.datetime

    @property
    def units_left(self) -> int:
        return max(0, self.units_limit - self.units_used)

    @property
    def searches_left(self) -> int:
        return max(0, self.searches_limit - self.searches_used)

    @property
    def exhausted(self) -> bool:
        return self.units_left == 0 or self.searches_left == 0


def status(
    workspace_id: int,
    account_label: str,
    project: str,
    budget: Budget,
    now: dt.datetime | None = None,
) -> QuotaStatus:
    now = now or timezone.now()
    used = usage(workspace_id, project, now)
    return QuotaStatus(
        account=account_label,
        day=pacific_day(now),
        units_used=used["units"],
        units_limit=budget.units,
        searches_used=used["searches"],
        searches_limit=budget.searches,
        calls=used["calls"],
        resets_at=next_reset(now),
    )


def account_budget(account: ConnectedAccount) -> Budget:
    """The strictest budget among the account's sources (they share the key), else the default."""
    sources = account.sources.filter(kind__in=["youtube", "youtube_oauth"])
    budgets = [budget_for(s.config) for s in sources]
    if not budgets:
        return budget_for()
    return Budget(min(b.units for b in budgets), min(b.searches for b in budgets))


def quota_for_source(source: SourceSettings, now: dt.datetime | None = None) -> QuotaStatus | None:
    """Today's quota of the key a YouTube source reads through; None without an account."""
    if source.account_id is None:
        return None
    account = source.account
    project = project_key(account.credentials())
    return status(source.workspace_id, account.handle, project, account_budget(account), now)


def quota_for_workspace(workspace: Workspace, now: dt.datetime | None = None) -> list[QuotaStatus]:
    """Today's quota of each YouTube account of the workspace, one entry per key."""
    from parvis.connectors.models import ConnectedAccount

    result: dict[str, QuotaStatus] = {}
    accounts = ConnectedAccount.objects.filter(workspace=workspace, network="youtube")
    for account in accounts.order_by("handle"):
        project = project_key(account.credentials())
        if project not in result:  # two channels on one key share one budget: shown once
            budget = account_budget(account)
            result[project] = status(workspace.pk, account.handle, project, budget, now)
    return list(result.values())
