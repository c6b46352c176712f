"""Figures of the Page and its posts (read_insights, pages_read_engagement).

- A post's public counts come with the post object: reactions and comments as edge summaries
  (`reactions.summary(total_count).limit(0)`, `comments.summary(total_count).limit(0)`) and
  `shares.count` (absent when nobody shared);
- its reach from the post's insights, `post_total_media_view_unique` (lifetime), the metric
  Meta names in place of the deprecated `post_impressions_unique`;
- the Page's, per day, from /{page-id}/insights: `page_follows` and
  `page_total_media_view_unique` (in place of the deprecated page_fans and
  page_impressions_unique). Meta keeps 2 years and serves 90 days at a time; most metrics
  update once a day; Pages under 100 likes have none.

Meta deprecates insight metrics every few months: one that Facebook calls invalid (error 100)
gives None, not an error, so the counts still arrive.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from parvis.connectors.base import PermanentError
from parvis.connectors.facebook import graph
from parvis.connectors.facebook.mapping import count, graph_time

POST_FIELDS = (
    "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
)
POST_REACH = "post_total_media_view_unique"
PAGE_METRICS = ("page_follows", "page_total_media_view_unique")
MAX_DAYS = 90


def summary_total(body: dict[str, Any], edge: str) -> int | None:
    summary = graph.as_dict(graph.as_dict(body.get(edge)).get("summary"))
    value = summary.get("total_count")
    return safe_count(value) if value is not None else None


MAX_COUNT = 2**53  # larger is not a count a Page has


def safe_count(value: Any) -> int | None:
    try:
        number = count(value)
    except ValueError:
        return None
    return number if number <= MAX_COUNT else None


def insight_value(body: dict[str, Any], name: str) -> int | None:
    for entry in graph.as_list(body.get("data")):
        entry = graph.as_dict(entry)
        if entry.get("name") != name:
            continue
        values = graph.as_list(entry.get("values"))
        if values:
            return safe_count(graph.as_dict(values[-1]).get("value"))
    return None


def post_counts(api: graph.Api, post_id: str) -> dict[str, int | None]:
    """{"likes", "replies", "reposts", "views"}: None where Facebook gives no figure."""
    if not post_id or "/" in post_id or "?" in post_id:
        raise PermanentError("no usable Facebook post id")
    body = api.get(post_id, {"fields": POST_FIELDS}, "metrics")
    shares = graph.as_dict(body.get("shares"))
    views: int | None = None
    try:
        insights = api.get(
            f"{post_id}/insights", {"metric": POST_REACH, "period": "lifetime"}, "metrics"
        )
        views = insight_value(insights, POST_REACH)
    except (graph.InvalidParameter, graph.Gone):
        views = None  # a metric Meta retired, or no insights for this post
    return {
        "likes": summary_total(body, "reactions"),
        "replies": summary_total(body, "comments"),
        "reposts": safe_count(shares.get("count", 0)),
        "views": views,
    }


def page_days(
    api: graph.Api, page_id: str, since: dt.date, until: dt.date
) -> dict[str, list[tuple[dt.date, int]]]:
    """Each metric's daily values from `since` to `until` (90 days at most, as Meta serves)."""
    if until < since:
        raise ValueError("the period ends before it starts")
    if (until - since).days > MAX_DAYS:
        since = until - dt.timedelta(days=MAX_DAYS)
    body = api.get(
        f"{page_id}/insights",
        {
            "metric": ",".join(PAGE_METRICS),
            "period": "day",
            "since": since.isoformat(),
            "until": until.isoformat(),
        },
        "metrics",
    )
    found: dict[str, list[tuple[dt.date, int]]] = {name: [] for name in PAGE_METRICS}
    for entry in graph.as_list(body.get("data")):
        entry = graph.as_dict(entry)
        name = entry.get("name")
        if name not in found or entry.get("period") != "day":
            continue
        for value in graph.as_list(entry.get("values")):
            value = graph.as_dict(value)
            when = graph_time(value.get("end_time"))
            number = safe_count(value.get("value"))
            if when is not None and number is not None:
                found[str(name)].append((when.date(), number))
    return found
