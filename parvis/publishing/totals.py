"""The results of the workspace's published posts over a period, for the analytics app's
engagement rate (through `listening.extensions.post_totals`: the apps side by side do not
import each other). Counted by the database over the published variants (one post on one
account), by their time of publication."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from parvis.listening.extensions import PostTotals
from parvis.publishing.models import Status, Variant


def post_totals(workspace: Any, since: dt.datetime, until: dt.datetime, network: str) -> PostTotals:
    rows = Variant.objects.filter(
        workspace=workspace,
        status=Status.PUBLISHED,
        published_at__gte=since,
        published_at__lt=until,
    )
    if network:
        rows = rows.filter(account__network=network)
    zero = Value(0)
    interactions = (
        Coalesce(F("likes"), zero)
        + Coalesce(F("reposts"), zero)
        + Coalesce(F("replies"), zero)
        + Coalesce(F("quotes"), zero)
    )
    viewed = Q(views__gt=0)
    found = rows.aggregate(
        posts=Count("id"),
        interactions=Coalesce(Sum(interactions), zero),
        viewed=Count("id", filter=viewed),
        viewed_interactions=Coalesce(Sum(interactions, filter=viewed), zero),
        views=Coalesce(Sum("views", filter=viewed), zero),
    )
    return PostTotals(**{name: int(value) for name, value in found.items()})
