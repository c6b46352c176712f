"""Counts of the account's own media (instagram_basic, instagram_manage_insights):

- likes and comments from the media object (like_count, comments_count; like_count is left
  out when the owner hid likes);
- reach, views and shares from its insights (GET /{ig-media-id}/insights?metric=reach,views,
  shares): `views` replaced `impressions` (deprecated in 2025); a metric Instagram calls
  invalid for this media (error 100) gives None, not an error.
"""

from __future__ import annotations

from typing import Any

from parvis.connectors.base import PostMetrics, metric
from parvis.connectors.facebook import graph
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
