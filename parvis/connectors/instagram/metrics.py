"""Counts of the account's own media (instagram_basic, instagram_manage_insights):

- likes and comments from the media object (like_count, comments_count; like_count is left
  out when the owner hid likes);
- reach, views and shares from its insights (GET /{ig-media-id}/insights?metric=reach,views,
  shares): `views` replaced `impressions` (deprecated in 2025); a metric Instagram calls
  invalid for this media (error 100) gives None, not an error.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from parvis.connectors.base import PostMetrics, metric
from parvis.connectors.facebook import graph
from parvis.connectors.facebook.mapping import graph_time
from parvis.connectors.instagram.api import Api

INSIGHTS = ("reach", "views", "shares")


def usable(media_id: Any) -> bool:
    return (
        isinstance(media_id, str)
        and media_id.isascii()
        and media_id.isdigit()
        and len(media_id) <= 40
    )


def insight(body: dict[str, Any], name: str) -> int | None:
    for entry in graph.as_list(body.get("data")):
        entry = graph.as_dict(entry)
        if entry.get("name") != name:
            continue
        values = graph.as_list(entry.get("values"))
        if values:
            return metric(graph.as_dict(values[-1]).get("value"))
        total = graph.as_dict(entry.get("total_value")).get("value")
        return metric(total)
    return None


def counts(api: Api, media_id: str) -> PostMetrics:
    try:
        body = api.get(media_id, {"fields": "id,like_count,comments_count"}, "metrics")
    except graph.Gone:
        return PostMetrics(media_id, gone=True)
    figures: dict[str, int | None] = {name: None for name in INSIGHTS}
    try:
        found = api.get(f"{media_id}/insights", {"metric": ",".join(INSIGHTS)}, "metrics")
        figures = {name: insight(found, name) for name in INSIGHTS}
    except (graph.InvalidParameter, graph.Gone):
        pass  # a metric this media type lacks, or one Meta retired
    return PostMetrics(
        media_id,
        likes=metric(body.get("like_count")),
        replies=metric(body.get("comments_count")),
        reposts=figures["shares"],
        views=figures["views"] if figures["views"] is not None else figures["reach"],
    )


def post_metrics(api: Api, external_ids: list[str]) -> list[PostMetrics]:
    return [counts(api, media_id) for media_id in external_ids if usable(media_id)]


ACCOUNT_METRICS = ("reach", "follower_count")
MAX_DAYS = 30  # what one call of /{ig-user-id}/insights with period=day covers


def account_days(
    api: Api, user_id: str, since: dt.date, until: dt.date
) -> dict[str, list[tuple[dt.date, int]]]:
    """The account's daily reach and follower count from `since` to `until` (the last 30
    days of the period at most)."""
    if until < since:
        raise ValueError("the period ends before it starts")
    if (until - since).days > MAX_DAYS:
        since = until - dt.timedelta(days=MAX_DAYS)
    body = api.get(
        f"{user_id}/insights",
        {
            "metric": ",".join(ACCOUNT_METRICS),
            "period": "day",
            "since": since.isoformat(),
            "until": until.isoformat(),
        },
        "metrics",
    )
    found: dict[str, list[tuple[dt.date, int]]] = {name: [] for name in ACCOUNT_METRICS}
    for entry in graph.as_list(body.get("data")):
        entry = graph.as_dict(entry)
        name = entry.get("name")
        if name not in found or entry.get("period") != "day":
            continue
        for value in graph.as_list(entry.get("values")):
            value = graph.as_dict(value)
            when = graph_time(value.get("end_time"))
            number = metric(value.get("value"))
            if when is not None and number is not None:
                found[str(name)].append((when.date(), number))
    return found
