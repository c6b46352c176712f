"""Hacker News search as hn.algolia.com/api/v1/search_by_date answers it.

Documented at https://hn.algolia.com/api (and Algolia's search parameters): hits newest first,
`tags` ANDed with (a,b) for OR, `numericFilters` on created_at_i with < <= = > >=, `page` and
`hitsPerPage`, the envelope {hits, nbHits, page, nbPages, hitsPerPage, ...}; quoted phrases
are phrase queries with advancedSyntax; at most 1,000 hits can be paged through (Algolia's
paginationLimitedTo). Errors are Algolia's {"message", "status"} bodies. Comment text is HN's
HTML: the first paragraph bare, the next ones opened by <p>, characters escaped as HN does.
"""

from __future__ import annotations

import html
import math
import re

import httpx

from parvis.listening.text import fold
from tests.connectors.contract.harness import FakeNetwork, Post

PAGINATION_LIMIT = 1000
STORY_ID = 46100000
FILTER = re.compile(r"^(created_at_i|points|num_comments)(<=|>=|<|>|=)(\d+)$")


def hn_html(text: str) -> str:
    """HN stores comments as HTML: & < > " ' / escaped, paragraphs opened with <p>."""
    paragraphs = [
        html.escape(p, quote=True).replace("'", "&#x27;").replace("/", "&#x2F;")
        for p in text.split("\n\n")
    ]
    return "<p>".join(paragraphs)


def matches(query: str, text: str) -> bool:
    """Every word (prefix for the last, as Algolia's prefixLast) and every quoted phrase."""
    folded = fold(text)
    words = re.findall(r"\w+", folded)
    phrases = re.findall(r'"([^"]*)"', query)
    rest = re.sub(r'"[^"]*"', " ", query)
    for phrase in phrases:
        tokens = re.findall(r"\w+", fold(phrase))
        if tokens and " ".join(tokens) not in " ".join(words):
            return False
    terms = re.findall(r"\w+", fold(rest))
    for i, term in enumerate(terms):
        last = i == len(terms) - 1 and not query.rstrip().endswith('"')
        if not any(w == term or (last and w.startswith(term)) for w in words):
            return False
    return True


class Fake(FakeNetwork):
    kind = "hackernews"
    page_size = 10  # hitsPerPage is honoured up to this, so that paging is exercised

    def source_config(self) -> dict:
        return {"since": "2026-11-01"}

    def external_id(self, post: Post) -> str:
        return str(STORY_ID + post.key)

    def hit(self, post: Post) -> dict:
        created = int(post.created_at.timestamp())
        object_id = self.external_id(post)
        deleted = post.deleted
        return {
            "_highlightResult": {
                "author": {"matchLevel": "none", "matchedWords": [], "value": post.author},
                "comment_text": {
                    "fullyHighlighted": False,
                    "matchLevel": "full",
                    "matchedWords": ["maison", "lumiere"],
                    "value": hn_html(post.text),
                },
            },
            "_tags": ["comment", f"author_{post.author}", f"story_{STORY_ID}"],
            "author": None if deleted else post.author,
            "comment_text": None if deleted else hn_html(post.text),
            "created_at": post.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "created_at_i": created,
            "objectID": None if post.malformed else object_id,
            "parent_id": STORY_ID,
            "points": self.count(post, None),  # null for comments, as Algolia serves them
            "story_id": STORY_ID,
            "story_title": "Ask HN: Candles that do not smell of paraffin?",
            "story_url": None,
            "updated_at": post.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def numeric_ok(self, post: Post, filters: str) -> bool:
        created = int(post.created_at.timestamp())
        for clause in filter(None, filters.split(",")):
            found = FILTER.match(clause.strip())
            if not found:
                raise ValueError(clause)
            field, op, value = found.group(1), found.group(2), int(found.group(3))
            actual = created if field == "created_at_i" else 0
            ok = {
                "<": actual < value,
                "<=": actual <= value,
                "=": actual == value,
                ">": actual > value,
                ">=": actual >= value,
            }[op]
            if not ok:
                return False
        return True

    def respond(self, request: httpx.Request) -> httpx.Response:
        if request.url.host != "hn.algolia.com" or request.url.path != "/api/v1/search_by_date":
            return httpx.Response(404, json={"message": "Not Found", "status": 404})
        params = request.url.params
        query = params.get("query", "")
        tags = params.get("tags", "")
        if tags not in {"", "comment", "(story,comment)", "(comment,story)"}:
            hits_source = []  # the fake only has comments
        else:
            hits_source = self.visible()
        try:
            candidates = [
                p
                for p in hits_source
                if self.numeric_ok(p, params.get("numericFilters", ""))
                and (p.deleted or matches(query, p.text))
            ]
            per_page = min(int(params.get("hitsPerPage", 20)), self.page_size)
            page = int(params.get("page", 0))
        except ValueError as exc:
            return httpx.Response(
                400, json={"message": f"invalid numeric filter or parameter: {exc}", "status": 400}
            )
        reachable = candidates[:PAGINATION_LIMIT]
        hits = [self.hit(p) for p in reachable[page * per_page : (page + 1) * per_page]]
        body = {
            "exhaustive": {"nbHits": True, "typo": True},
            "exhaustiveNbHits": True,
            "exhaustiveTypo": True,
            "hits": hits,
            "hitsPerPage": per_page,
            "nbHits": len(candidates),
            "nbPages": math.ceil(len(reachable) / per_page) if per_page else 0,
            "page": page,
            "params": request.url.query.decode("ascii"),
            "processingTimeMS": 1,
            "query": query,
            "serverTimeMS": 2,
        }
        return httpx.Response(200, json=body)

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        return httpx.Response(
            429,
            headers={"Retry-After": str(seconds)},
            json={"message": "Too many requests", "status": 429},
        )

    def refused(self, request: httpx.Request) -> httpx.Response:
        # The documented permanent refusal: an address blocked for abusing the rate limit.
        return httpx.Response(
            403,
            json={
                "message": "Your IP has been blocked, contact support@algolia.com",
                "status": 403,
            },
        )
