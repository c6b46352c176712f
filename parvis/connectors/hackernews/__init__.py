"""Hacker News through Algolia's public search API (hn.algolia.com/api/v1, no account).

Each search term of the workspace (FetchContext.search_terms) is searched on its own with
`search_by_date`, newest first. A term's cursor is a high-water mark in seconds (`since`) and,
while a run is reading older pages, an open window: the upper bound `until` (the oldest second
read so far) plus the ids already read at that second. Paging narrows the upper bound instead of
counting pages, so items that arrive or vanish meanwhile cannot shift a page onto unread items,
and Algolia's 1,000-hit pagination cap is never reached. Bounds are inclusive (>= and <=):
items sharing a second are all read, the repeats are dropped by objectID here and by the
pipeline. The high-water mark moves only once the term's window is complete, in the same
transaction as the window's last page, so a crash at any point re-reads and never loses.

Algolia indexes seconds to minutes after HN, so every new window starts OVERLAP seconds
below the mark: late-indexed items are read, the others are dropped as known by the pipeline.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
from typing import Any

import httpx
from django.utils.translation import gettext_lazy as _

from parvis.connectors import http
from parvis.connectors.base import (
    Capability,
    Connector,
    FetchContext,
    FetchResult,
    Incoming,
    PermanentError,
    RetryLater,
    SettingField,
    register,
)
from parvis.connectors.html import to_text
from parvis.connectors.options import parse_since, plausible_seconds, start_time

API = "https://hn.algolia.com/api/v1/search_by_date"
ITEM_URL = "https://news.ycombinator.com/item?id={}"
USER_URL = "https://news.ycombinator.com/user?id={}"
HITS_PER_PAGE = 100
OVERLAP = 300  # seconds re-read below the mark: Algolia's indexing lag (usually < 1 min)
BACKFILL = dt.timedelta(days=1)  # how far back a new term starts without a `since` setting
TAGS = {
    "all": "(story,comment)",
    "story": "story",
    "comment": "comment",
}
# The Algolia response fields we do not keep in the stored raw payload (highlighting only).
DROPPED_FIELDS = ("_highlightResult", "_snippetResult", "_rankingInfo")


def is_deleted(hit: dict[str, Any]) -> bool:
    """Deleted or dead items come back without author or without any text: nothing to keep."""
    if not hit.get("author"):
        return True
    tags = hit.get("_tags") or []
    if "comment" in tags:
        return not to_text(hit.get("comment_text") or "")
    return not (hit.get("title") or hit.get("story_text"))


def created_at(hit: dict[str, Any]) -> str:
    seconds = hit.get("created_at_i")
    if isinstance(seconds, int) and not isinstance(seconds, bool):
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).isoformat()
    return hit.get("created_at") or ""  # validated (and quarantined if absent) by the pipeline


def to_mention(hit: dict[str, Any]) -> dict[str, Any]:
    item_id = str(hit["objectID"])
    author = str(hit["author"])
    is_comment = "comment" in (hit.get("_tags") or [])
    data: dict[str, Any] = {
        "network": "hackernews",
        "external_id": item_id,
        "url": ITEM_URL.format(item_id),
        "author": {
            "handle": author,
            "name": author,
            # HN shows karma, not followers: there is no audience size to report.
            "followers": 0,
            "url": USER_URL.format(author),
        },
        "created_at": created_at(hit),
        "metrics": {
            "likes": max(int(hit.get("points") or 0), 0),
            "replies": max(int(hit.get("num_comments") or 0), 0),
        },
    }
    if is_comment:
        data["text"] = to_text(hit.get("comment_text") or "")
        if hit.get("parent_id") is not None:
            data["parent_id"] = str(hit["parent_id"])
        if hit.get("story_id") is not None:
            data["root_id"] = str(hit["story_id"])
    else:
        data["title"] = to_text(hit.get("title") or "")
        data["text"] = to_text(hit.get("story_text") or "")
    return data


def incoming(hit: dict[str, Any]) -> Incoming | None:
    """The hit as an item for the pipeline, None when it was deleted (skipped, not an error)."""
    raw = {k: v for k, v in hit.items() if k not in DROPPED_FIELDS}
    raw_text = json.dumps(raw, ensure_ascii=False)
    if not hit.get("objectID"):
        return Incoming(None, raw_text, error="Hacker News hit without objectID")
    if is_deleted(hit):
        return None
    try:
        data = to_mention(hit)
    except (TypeError, ValueError, OverflowError) as exc:  # Infinity where a count goes
        return Incoming(None, raw_text, error=f"unreadable Hacker News hit: {exc}")
    return Incoming(data, raw_text, payload=raw)


def hit_second(hit: dict[str, Any]) -> int | None:
    """The hit's time for the term's window and mark; None for a forged one (year 9999), which
    the pipeline quarantines and which must not move the mark past what is published next."""
    value = hit.get("created_at_i")
    if not isinstance(value, int) or plausible_seconds(value) is None:
        return None
    return value


@register
class HackerNewsConnector(Connector):
    kind = "hackernews"
    label = _("Hacker News (search)")
    network = "hackernews"
    capabilities = frozenset({Capability.LISTEN})
    keep_unmatched = False
    settings_fields = (
        SettingField(
            "since",
            _("Read from"),
            help_text=_(
                "Date of the oldest items to read for a new search term (default: the last day)."
            ),
        ),
        SettingField(
            "tags",
            _("Items"),
            kind="choice",
            choices=(
                ("all", _("Stories and comments")),
                ("story", _("Stories only")),
                ("comment", _("Comments only")),
            ),
            default="all",
        ),
    )

    def __init__(self, source: Any, http: httpx.Client | None = None) -> None:
        super().__init__(source, http)
        self.finished: set[str] = set()  # terms whose window completed during this run

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        tags = str(config.get("tags") or "all")
        if tags not in TAGS:
            raise ValueError(_("“Items” must be one of: all, story, comment."))
        cleaned: dict[str, Any] = {"tags": tags}
        if parse_since(config.get("since")) is not None:
            cleaned["since"] = str(config["since"]).strip()
        return cleaned

    # --- cursor ----------------------------------------------------------------------

    def start(self) -> int:
        return start_time(self.source.config, BACKFILL)

    def next_term(self, terms: list[str], states: dict[str, Any]) -> str | None:
        """Open windows first (finish what a crash or the page cap interrupted), then the
        terms read longest ago, so that every term gets its turn when a run is cut short."""
        pending = [t for t in terms if t not in self.finished]
        if not pending:
            return None
        return min(
            pending,
            key=lambda t: (
                "window" not in states.get(t, {}),
                states.get(t, {}).get("done_at", 0),
                terms.index(t),
            ),
        )

    # --- fetching --------------------------------------------------------------------

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        terms = context.search_terms()
        # Terms no longer searched are forgotten: the cursor stays the size of the term list.
        states = {t: s for t, s in copy.deepcopy(cursor.get("terms", {})).items() if t in terms}
        term = self.next_term(terms, states)
        if term is None:
            return FetchResult(items=[], cursor={"terms": states}, notes={"terms": len(terms)})
        state = states.setdefault(term, {"since": self.start()})
        items = self.read_page(term, state)
        more = "window" in state or self.next_term(terms, states) is not None
        return FetchResult(items=items, cursor={"terms": states}, more=more)

    def params(self, term: str, state: dict[str, Any]) -> dict[str, Any]:
        window = state.get("window", {})
        filters = [f"created_at_i>={max(int(state['since']) - OVERLAP, 0)}"]
        if window.get("until") is not None:
            filters.append(f"created_at_i<={int(window['until'])}")
        return {
            "query": term,
            # Quoted phrases are phrase queries only with the advanced syntax; without it the
            # quotes are ignored and the words match anywhere (still safe, just wider).
            "advancedSyntax": "true",
            "tags": TAGS[self.source.config.get("tags", "all")],
            "numericFilters": ",".join(filters),
            "hitsPerPage": HITS_PER_PAGE,
            "page": int(window.get("page", 0)),
        }

    def search(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.http.get(API, params=params)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise RetryLater(f"{type(exc).__name__} reaching hn.algolia.com") from exc
        if response.status_code == 403:
            raise PermanentError(
                "HTTP 403 from hn.algolia.com: this server's address is refused, usually after "
                "going over 10,000 requests an hour; lower the number of Hacker News sources or "
                "search terms, and write to support@algolia.com if it lasts"
            )
        if response.status_code == 400:
            reason = algolia_message(response)
            raise PermanentError(
                f"HTTP 400 from hn.algolia.com: the search was refused ({reason}); "
                "simplify the monitored query and resume the source"
            )
        http.check(response)
        try:
            body = response.json()
        except ValueError as exc:
            raise RetryLater("hn.algolia.com answered something that is not JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("hits"), list):
            raise RetryLater("hn.algolia.com answered without a list of hits")
        return body

    def read_page(self, term: str, state: dict[str, Any]) -> list[Incoming]:
        """One request for the term; moves its window (or closes it) in `state`."""
        window = state.setdefault("window", {"page": 0})
        body = self.search(self.params(term, state))
        hits = [h for h in body["hits"] if isinstance(h, dict)]
        edge = set(window.get("edge", []))
        fresh = [h for h in hits if str(h.get("objectID") or "") not in edge]
        items = [item for item in (incoming(h) for h in fresh) if item is not None]
        seconds = [s for s in (hit_second(h) for h in hits) if s is not None]
        if seconds:
            window["top"] = max([window.get("top", 0), *seconds])
        page, pages = int(body.get("page", 0)), int(body.get("nbPages", 0))
        if not hits or page + 1 >= pages or not seconds:
            self.close_window(term, state)
            return items
        oldest = min(seconds)
        at_oldest = [
            str(h["objectID"]) for h in hits if h.get("objectID") and hit_second(h) == oldest
        ]
        if window.get("until") == oldest:
            # A whole page inside one second: only the page number can move on.
            window["page"] = page + 1
            window["edge"] = sorted(edge | set(at_oldest))
        else:
            window.update(until=oldest, page=0, edge=sorted(at_oldest))
        return items

    def close_window(self, term: str, state: dict[str, Any]) -> None:
        window = state.pop("window", {})
        state["since"] = max(int(state["since"]), int(window.get("top", 0)))
        state["done_at"] = int(time.time())
        self.finished.add(term)


def algolia_message(response: httpx.Response) -> str:
    """Algolia's error bodies are {"message": ..., "status": ...}."""
    try:
        return str(response.json().get("message", ""))[:200]
    except (ValueError, AttributeError):
        return response.text[:200]
