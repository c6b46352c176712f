"""When the audience is active: the workspace's mentions counted per hour, for the apps above
listening (publishing's best time to post) that may not read listening's models themselves.

Counted on the database, one row per UTC hour with mentions (at most 24 a day whatever the
volume), copy-paste repeats once (group heads). The hours are UTC instants: the reader puts
them in its own time zone, where an hour of the week depends on the date (summer time)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

from django.db.models import Count
from django.db.models.functions import TruncHour

from parvis.listening.models import Mention
from parvis.workspaces.models import Workspace

__all__ = ["HourCount", "expand", "mention_times"]

HourCount = tuple[dt.datetime, int]
# Past this many mentions the hours are scaled down to it: the map needs their shares, not
# each of a million instants converted to a time zone.
EXPAND_CAP = 50_000


def mention_times(
    workspace: Workspace, since: dt.datetime, until: dt.datetime, network: str = ""
) -> list[HourCount]:
    """(UTC hour, mentions published in it) for the workspace's mentions in [since, until),
    of one network when `network` is given, oldest hour first."""
    rows = Mention.objects.filter(
        workspace=workspace, group_head=True, published_at__gte=since, published_at__lt=until
    )
    if network:
        rows = rows.filter(network=network)
    hours = (
        rows.annotate(hour=TruncHour("published_at", tzinfo=dt.UTC))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by("hour")
    )
    return [(row["hour"], row["n"]) for row in hours if row["hour"] is not None]


def total(hours: list[HourCount]) -> int:
    return sum(n for _hour, n in hours)


def expand(hours: list[HourCount], cap: int = EXPAND_CAP) -> Iterator[dt.datetime]:
    """Each hour repeated as many times as it has mentions (scaled down past `cap` in all,
    shares kept): the instants best-time's heat map takes."""
    whole = total(hours)
    scale = cap / whole if whole > cap else 1.0
    return itertools.chain.from_iterable(
        itertools.repeat(hour, round(n * scale)) for hour, n in hours
    )
