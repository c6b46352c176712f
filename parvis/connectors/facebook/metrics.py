"""Figures of the Page and its posts (read_insights, pages_read_engagement).

The counts of the Page's own posts (`read_posts`, for Connector.post_metrics), in multiple-ids
reads, GET /?ids=<id>,<id>,...&fields=... (Graph API, Advanced: "Multiple ID Read Requests"),
MAX_IDS (50) ids a request, answered {"<id>": {the object's fields}, ...}:
- a Page post ("<page-id>_<post-id>"): reactions and comments as edge summaries
  (`reactions.summary(total_count).limit(0)`, `comments.summary(total_count).limit(0)`: top-level
  comments), `shares.count` (absent when nobody shared), and its reach in the same request by
  field expansion of its insights edge, `insights.metric(post_total_media_view_unique)
  .period(lifetime)` (the metric Meta names in place of the deprecated
  `post_impressions_unique`). A metric Meta retired fails the whole request with error 100: the
  posts are then read again without it, their views None;
- a thread's next part (the Page's comment, "<post-id>_<comment-id>") or a photo: reactions and
  replies only; a comment has no shares nor insights (asking for them is error 100), so its
  reposts and views are None.
A post Facebook no longer has, or that the Page cannot see, fails the whole request (error 100
subcode 33, or 803), the message naming it: it is answered gone and the others asked again; when
the message names none of them the batch is halved until the gone posts are found. An id missing
from a successful answer is gone too. Reading stops once the Page's calls are nearly spent
(X-Business-Use-Case-Usage / X-App-Usage): the posts not read stay due for the next run.

The Page's daily figures come from /{page-id}/insights: `page_follows` and
`page_total_media_view_unique` (in place of the deprecated page_fans and
page_impressions_unique). Meta keeps 2 years and serves 90 days at a time; most metrics update
once a day; Pages under 100 likes have none. A page metric that Facebook calls invalid (error
100) gives None, not an error.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from parvis.connectors.base import PostMetrics, metric
from parvis.connectors.facebook import graph
from parvis.connectors.facebook.mapping import count, graph_time

COUNTS = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
POST_REACH = "post_total_media_view_unique"
POST_FIELDS = f"{COUNTS},shares"
POST_FIELDS_REACH = f"{POST_FIELDS},insights.metric({POST_REACH}).period(lifetime)"
PAGE_METRICS = ("page_follows", "page_total_media_view_unique")
MAX_DAYS = 90
# Where Facebook's error names the object it cannot give: "Object with ID '123_456' does not
# exist" (100/33), "Some of the aliases you requested do not exist: 123_456,789" (803).
NAMED = re.compile(r"ID '([0-9_]{1,70})'|do not exist: ([0-9_, ]{1,2000})")


def summary_total(body: dict[str, Any], edge: str) -> int | None:
    summary = graph.as_dict(graph.as_dict(body.get(edge)).get("summary"))
    return metric(summary.get("total_count"))


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
            return metric(graph.as_dict(values[-1]).get("value"))
    return None


def usable(external_id: Any) -> bool:
    return isinstance(external_id, str) and graph.OBJECT_ID.fullmatch(external_id) is not None


def from_object(external_id: str, body: dict[str, Any], page_post: bool) -> PostMetrics:
    reposts: int | None = None
    views: int | None = None
    if page_post:
        shares = graph.as_dict(body.get("shares"))
        reposts = metric(shares.get("count", 0))  # no `shares` at all: nobody shared
        if "insights" in body:
            views = insight_value(graph.as_dict(body.get("insights")), POST_REACH)
    return PostMetrics(
        external_id=external_id,
        likes=summary_total(body, "reactions"),
        replies=summary_total(body, "comments"),
        reposts=reposts,
        views=views,
    )


def named(message: str, batch: list[str]) -> list[str]:
    """The ids of `batch` that Facebook's error message says it cannot give."""
    found: set[str] = set()
    for match in NAMED.finditer(message):
        for token in re.split(r"[ ,]+", match.group(1) or match.group(2) or ""):
            if token in batch:
                found.add(token)
    return [i for i in batch if i in found]


class Reader:
    """One post_metrics call: the Page's posts asked with their reach until a request says
    the reach metric is retired, the requests stopped once the Page's calls are nearly spent."""

    def __init__(self, api: graph.Api, ceiling: float) -> None:
        self.api, self.ceiling = api, ceiling
        self.reach = True
        self.found: dict[str, PostMetrics] = {}

    @property
    def spent(self) -> bool:
        return self.api.usage >= self.ceiling

    def read(self, ids: list[str], page_post: bool) -> None:
        pending = [ids[i : i + graph.MAX_IDS] for i in range(0, len(ids), graph.MAX_IDS)]
        while pending and not self.spent:
            batch = pending.pop(0)
            try:
                body = self.ask(batch, page_post)
            except graph.Gone as exc:
                gone = batch if len(batch) == 1 else named(str(exc), batch)
                for external_id in gone:
                    self.found[external_id] = PostMetrics(external_id, gone=True)
                if gone:
                    rest = [i for i in batch if i not in gone]
                    pending[:0] = [rest] if rest else []
                else:  # which one Facebook cannot give is not said: halve the batch
                    half = len(batch) // 2
                    pending[:0] = [batch[:half], batch[half:]]
                continue
            for external_id in batch:
                answer = body.get(external_id)
                if isinstance(answer, dict):
                    self.found[external_id] = from_object(external_id, answer, page_post)
                else:  # left out of the answer: Facebook does not have it any more
                    self.found[external_id] = PostMetrics(external_id, gone=True)

    def ask(self, batch: list[str], page_post: bool) -> dict[str, Any]:
        if not page_post:
            return self.api.get_ids(batch, {"fields": COUNTS}, "metrics")
        if self.reach:
            try:
                return self.api.get_ids(batch, {"fields": POST_FIELDS_REACH}, "metrics")
            except graph.InvalidParameter:
                self.reach = False  # a metric Meta retired: the counts without the reach
        return self.api.get_ids(batch, {"fields": POST_FIELDS}, "metrics")


def read_posts(
    api: graph.Api, page_id: str, external_ids: list[str], ceiling: float = 100.0
) -> list[PostMetrics]:
    """The counts of the Page's posts and thread parts `external_ids`, in their order; ids
    that are not Facebook object ids are left out, and so are those not read before the
    Page's calls passed `ceiling` percent of a limit."""
    wanted = [i for i in dict.fromkeys(external_ids) if usable(i)]
    own = f"{page_id}_"
    reader = Reader(api, ceiling)
    reader.read([i for i in wanted if i.startswith(own)], page_post=True)
    reader.read([i for i in wanted if not i.startswith(own)], page_post=False)
    return [reader.found[i] for i in wanted if i in reader.found]


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
