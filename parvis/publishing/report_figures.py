"""The publications section of the analytics app's client report (through
`listening.reporting`: the apps side by side do not import each other): the variants
published in the period, their counts summed by the database, and the best of them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from parvis.listening.reporting import NetworkPosts, PostResult, Publications
from parvis.publishing.models import Status, Variant

TOP = 5


def publications(workspace: Any, since: dt.datetime, until: dt.datetime) -> Publications:
    rows = Variant.objects.filter(
        workspace=workspace,
        status=Status.PUBLISHED,
        published_at__gte=since,
        published_at__lt=until,
    )
    zero = Value(0)
    interactions = (
        Coalesce(F("likes"), zero)
        + Coalesce(F("reposts"), zero)
        + Coalesce(F("replies"), zero)
        + Coalesce(F("quotes"), zero)
    )
    # Aliases differ from the fields: an aggregate named like a field hides it from the next.
    totals = rows.aggregate(
        total_posts=Count("id"),
        total_likes=Coalesce(Sum("likes"), zero),
        total_reposts=Coalesce(Sum("reposts"), zero),
        total_replies=Coalesce(Sum("replies"), zero),
        total_quotes=Coalesce(Sum("quotes"), zero),
        total_views=Coalesce(Sum("views", filter=Q(views__isnull=False)), zero),
        total_viewed=Count("id", filter=Q(views__isnull=False)),
    )
    by_network = [
        NetworkPosts(r["account__network"], r["n"], int(r["i"]), int(r["v"]))
        for r in rows.values("account__network")
        .annotate(
            n=Count("id"), i=Coalesce(Sum(interactions), zero), v=Coalesce(Sum("views"), zero)
        )
        .order_by("-n", "account__network")
    ]
    best = (
        rows.annotate(score=interactions)
        .order_by("-score", "-published_at", "id")
        .values(
            "text",
            "post__text",
            "account__network",
            "account__handle",
            "published_at",
            "likes",
            "reposts",
            "replies",
            "views",
            "url",
        )[:TOP]
    )
    top = tuple(
        PostResult(
            text=r["text"] or r["post__text"],
            network=r["account__network"],
            handle=r["account__handle"],
            published_at=r["published_at"],
            likes=r["likes"],
            reposts=r["reposts"],
            replies=r["replies"],
            views=r["views"],
            url=r["url"],
        )
        for r in best
    )
    return Publications(
        **{name.removeprefix("total_"): int(value) for name, value in totals.items()},
        by_network=tuple(by_network),
        top=top,
    )
