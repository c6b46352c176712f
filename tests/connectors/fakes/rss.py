"""A blog's RSS 2.0 feed, as a web server serves it (ETag, 304, Retry-After, 410 Gone)."""

from __future__ import annotations

import email.utils
import html
from xml.sax.saxutils import escape

import httpx

from tests.connectors.contract.harness import NUL, SURROGATE, FakeNetwork, Post

FEED_URL = "https://blog.example/feed.xml"


class Fake(FakeNetwork):
    kind = "rss"
    page_size = None  # a feed has no pages
    # A surrogate's character reference is read as U+FFFD, as HTML reads it (tests/connectors/
    # test_rss.py), not quarantined.
    hostile_kinds = ("date", "nul")

    def spoil(self, body: bytes) -> bytes:
        """In XML, character references: a surrogate's is not a character at all."""
        return body.replace(SURROGATE.encode(), b"&#xD800;").replace(NUL.encode(), b"&#0;")

    def source_config(self) -> dict:
        return {"url": FEED_URL}

    def external_id(self, post: Post) -> str:
        return f"https://blog.example/?p={post.key}"

    def item(self, post: Post) -> str:
        date = email.utils.format_datetime(post.created_at)
        # The description is HTML: the post's text is escaped as HTML, then as XML.
        guid = "" if post.malformed else f"<guid>{self.external_id(post)}</guid>"
        return (
            f"<item><title>Billet {post.key}</title>{guid}<pubDate>{date}</pubDate>"
            f"<author>{post.author}@blog.example</author>"
            f"<description>{escape('<p>' + html.escape(post.text) + '</p>')}</description></item>"
        )

    def respond(self, request: httpx.Request) -> httpx.Response:
        items = "".join(self.item(p) for p in self.visible() if not p.deleted)
        body = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Le blog</title><link>https://blog.example/</link><language>fr</language>"
            f"{items}</channel></rss>"
        )
        return httpx.Response(
            200, content=body.encode(), headers={"Content-Type": "application/rss+xml"}
        )

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": str(seconds)}, text="Too Many Requests")

    def refused(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(410, text="Gone")
