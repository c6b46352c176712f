"""RSS and Atom feeds: blogs, news sites, forums, alert feeds (feedparser, conditional GET)."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from typing import Any
from urllib.parse import urlsplit

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

# A numeric character reference: feedparser raises on one that names no character (a
# surrogate, past U+10FFFF), which would fail the whole feed at every run.
CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,24}));")


def character(found: re.Match[bytes]) -> bytes:
    code = int(found.group(1), 16) if found.group(1) else int(found.group(2))
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return b"&#xFFFD;"  # what HTML does with them: the replacement character
    return found.group()


def readable(content: bytes) -> bytes:
    return CHAR_REF.sub(character, content) if b"&#" in content else content


def entry_time(entry: Any) -> str | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC).isoformat()


def entry_text(entry: Any) -> str:
    content = entry.get("content") or []
    markup = content[0].get("value", "") if content else entry.get("summary", "")
    return to_text(markup or "")


def to_mention(entry: Any, feed: Any, feed_url: str, fetched_at: dt.datetime) -> dict[str, Any]:
    link = entry.get("link", "")
    site = urlsplit(link or feed_url).hostname or urlsplit(feed_url).hostname or feed_url
    return {
        "network": "rss",
        "external_id": entry.get("id") or link,
        "url": link,
        "title": to_text(entry.get("title", "")),
        "text": entry_text(entry),
        # An entry without a date is dated when we first saw it.
        "created_at": entry_time(entry) or fetched_at.isoformat(),
        "lang": (entry.get("language") or feed.get("language") or "")[:2].lower(),
        "author": {
            "handle": site,
            "name": entry.get("author") or feed.get("title") or site,
            "url": feed.get("link") or f"https://{site}/",
            "followers": 0,
        },
    }


def serialisable(entry: Any) -> dict[str, Any]:
    """The entry as received, minus feedparser's time tuples (kept as raw for inspection)."""
    return json.loads(json.dumps(entry, default=str))


@register
class RSSConnector(Connector):
    kind = "rss"
    label = _("RSS / Atom feed")
    capabilities = frozenset({Capability.LISTEN})
    keep_unmatched = False
    max_body_mb = 16  # a podcast's feed with years of episodes passes 8 MB
    settings_fields = (
        SettingField(
            "url",
            _("Feed address"),
            _("The RSS or Atom address."),
            required=True,
            kind="url",
        ),
        SettingField(
            "keep_all",
            _("Keep every entry"),
            _("Otherwise only entries that match a monitored query are kept."),
            kind="bool",
            default=False,
        ),
    )

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        url = str(config.get("url", "")).strip()
        if urlsplit(url).scheme not in {"http", "https"}:
            raise ValueError(_("A feed address starts with http:// or https://"))
        return {"url": url, "keep_all": bool(config.get("keep_all", False))}

    def conditional_headers(self, cursor: dict[str, Any]) -> dict[str, str]:
        headers = {}
        if cursor.get("etag"):
            headers["If-None-Match"] = cursor["etag"]
        if cursor.get("modified"):
            headers["If-Modified-Since"] = cursor["modified"]
        return headers

    def fetch(self, cursor: dict[str, Any], context: FetchContext) -> FetchResult:
        import feedparser

        url = self.source.config["url"]
        response = http.get(self.http, url, headers=self.conditional_headers(cursor))
        if response.status_code == 304:
            return FetchResult(items=[], cursor=cursor, notes={"not_modified": True})
        feed = feedparser.parse(readable(response.content), response_headers=dict(response.headers))
        if feed.bozo and not feed.entries:
            reason = getattr(feed, "bozo_exception", None)
            raise RetryLater(f"the feed could not be read: {reason}")
        fetched_at = dt.datetime.now(dt.UTC)
        items = [self.incoming(entry, feed.feed, url, fetched_at) for entry in feed.entries]
        new_cursor = {
            "etag": response.headers.get("ETag", ""),
            "modified": response.headers.get("Last-Modified", ""),
        }
        return FetchResult(items=items, cursor=new_cursor)

    def incoming(self, entry: Any, feed: Any, url: str, fetched_at: dt.datetime) -> Incoming:
        raw = serialisable(entry)
        try:
            data = to_mention(entry, feed, url, fetched_at)
        except (TypeError, ValueError, AttributeError) as exc:
            return Incoming(None, json.dumps(raw), error=f"unreadable entry: {exc}")
        if not data["external_id"]:
            return Incoming(None, json.dumps(raw), error="entry without id nor link")
        return Incoming(data, json.dumps(raw, ensure_ascii=False), payload=raw)


__all__ = ["PermanentError", "RSSConnector"]
