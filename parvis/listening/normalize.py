"""Validation of normalized mentions, the one shape every source produces.

{"network", "external_id", "url", "author": {"handle", "name", "followers", "url"?}, "text",
 "created_at" (ISO 8601), "lang"?, "parent_id"?, "root_id"?, "title"?,
 "metrics": {"likes", "reposts", "replies"}?}
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from parvis.connectors.options import FUTURE_MARGIN
from parvis.connectors.storable import storable_json
from parvis.core.networks import NETWORKS
from parvis.listening.query import fold

MAX_ID = 300
MAX_TEXT = 100_000
# No network Parvis reads existed before 1990 (the web dates from 1991, RSS from 1999, the
# oldest connected network from 2005); a date past tomorrow (a day covers any time zone
# mistake) is a wrong clock or a forged item. Both would also break date arithmetic.
EARLIEST = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
# More likes, followers… than anyone has (the largest audiences are near 10^9); it keeps each
# count, their sum (engagement) and sums over a million mentions inside a 64-bit integer.
MAX_COUNT = 10**12
# Shorter texts ("merci !", "+1") are too common to mean a copy-paste campaign.
MIN_GROUP_CHARS = 25


class InvalidMention(ValueError):
    """The item cannot be stored; the message says why, for the quarantine."""


@dataclass(slots=True)
class AuthorData:
    handle: str
    name: str = ""
    followers: int = 0
    url: str = ""


@dataclass(slots=True)
class Candidate:
    """A valid incoming mention on its way through the pipeline."""

    network: str
    external_id: str
    url: str
    author: AuthorData
    text: str
    title: str
    lang: str
    published_at: dt.datetime
    parent_id: str
    likes: int
    reposts: int
    replies: int
    raw: dict[str, Any]
    content_hash: str = ""
    root_id: str = ""
    raw_json: str = ""  # `raw` as the JSON text stored
    matched: list[int] = field(default_factory=list)
    match_done: bool = False
    analysis: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.network, self.external_id)

    @property
    def engagement(self) -> int:
        return self.likes + self.reposts + self.replies


def check_storable(name: str, value: str) -> None:
    """PostgreSQL refuses NUL and lone surrogates (which UTF-8 cannot encode) in text."""
    if "\x00" in value:
        raise InvalidMention(f"field {name} contains a NUL character (U+0000)")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            code = ord(value[exc.start])
            raise InvalidMention(f"field {name} contains a lone surrogate (U+{code:04X})") from None


def storable(text: str) -> str:
    """`text` with NUL and lone surrogates written as escapes ("\\u0000", "\\ud800"), which
    PostgreSQL accepts: what the quarantine keeps of an item it could not store."""
    if "\x00" in text:
        text = text.replace("\x00", "\\u0000")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def required_str(data: dict, name: str, *, limit: int = MAX_ID, allow_empty: bool = False) -> str:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip() and not allow_empty):
        raise InvalidMention(f"missing field: {name}")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # numeric ids (Hacker News, Reddit) are fine as text
    if not isinstance(value, str):
        raise InvalidMention(f"field {name} must be a string")
    if len(value) > limit:
        raise InvalidMention(f"field {name} is longer than {limit} characters")
    check_storable(name, value)
    return value.strip() if not allow_empty else value


def optional_str(data: dict, name: str, limit: int = MAX_TEXT) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InvalidMention(f"field {name} must be a string")
    if len(value) > limit:
        raise InvalidMention(f"field {name} is longer than {limit} characters")
    check_storable(name, value)
    return value


def count(data: dict, name: str) -> int:
    value = data.get(name, 0)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidMention(f"{name} must be a non-negative integer")
    if value > MAX_COUNT:
        raise InvalidMention(f"{name} is larger than {MAX_COUNT:,}: {str(value)[:40]}")
    return value


def parse_time(value: Any, now: dt.datetime | None = None) -> dt.datetime:
    """An aware UTC datetime between EARLIEST and tomorrow (`now` + FUTURE_MARGIN)."""
    if not isinstance(value, str) or not value:
        raise InvalidMention("missing field: created_at")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            # A feed that forgets its time zone is almost always UTC; we keep the item.
            parsed = parsed.replace(tzinfo=dt.UTC)
        parsed = parsed.astimezone(dt.UTC)
    except ValueError as exc:
        raise InvalidMention(f"created_at is not an ISO 8601 date: {value[:40]!r}") from exc
    except OverflowError:  # year 1 east of Greenwich, year 9999 west of it
        raise InvalidMention(f"created_at is out of range: {value[:40]!r}") from None
    latest = (now or dt.datetime.now(dt.UTC)) + FUTURE_MARGIN
    if parsed < EARLIEST:
        raise InvalidMention(f"created_at is before 1990: {value[:40]!r}")
    if parsed > latest:
        raise InvalidMention(f"created_at is more than a day in the future: {value[:40]!r}")
    return parsed


def raw_json(raw: Any) -> str:
    """The payload as the JSON text stored with the mention (as Django's JSONField writes
    it), or InvalidMention saying why it cannot be stored."""
    text, problem = storable_json(raw)
    if problem:
        raise InvalidMention(problem)
    return text


def parse_author(value: Any) -> AuthorData:
    if not isinstance(value, dict):
        raise InvalidMention("missing field: author")
    return AuthorData(
        handle=required_str(value, "handle"),
        name=optional_str(value, "name", 300),
        followers=count(value, "followers"),
        url=optional_str(value, "url", 2000),
    )


WHITESPACE = re.compile(r"\s+")
URLS = re.compile(r"https?://\S+")


def group_hash(text: str) -> str:
    """Same text once case, accents, links and spacing are ignored: a repost or a campaign."""
    core = WHITESPACE.sub(" ", URLS.sub(" ", fold(text))).strip()
    if len(core) < MIN_GROUP_CHARS:
        return ""
    return hashlib.blake2b(core.encode(), digest_size=16).hexdigest()


def validate(data: Any, payload: Any = None, now: dt.datetime | None = None) -> Candidate:
    """The mention in `data`, stored with `payload` (the network's own, default `data`) as
    its raw JSON; InvalidMention says why it cannot be stored."""
    if not isinstance(data, dict):
        raise InvalidMention("not a JSON object")
    network = required_str(data, "network", limit=30)
    if network not in NETWORKS:
        raise InvalidMention(f"unknown network: {network[:30]!r}")
    metrics = data.get("metrics") or {}
    if not isinstance(metrics, dict):
        raise InvalidMention("metrics must be an object")
    text = required_str(data, "text", limit=MAX_TEXT, allow_empty=True)
    raw = data if payload is None else payload
    candidate = Candidate(
        network=network,
        external_id=required_str(data, "external_id"),
        url=optional_str(data, "url", 2000),
        author=parse_author(data.get("author")),
        text=text,
        title=optional_str(data, "title", 1000),
        lang=optional_str(data, "lang", 12).lower(),
        published_at=parse_time(data.get("created_at"), now),
        parent_id=optional_str(data, "parent_id", MAX_ID),
        likes=count(metrics, "likes"),
        reposts=count(metrics, "reposts"),
        replies=count(metrics, "replies"),
        raw=raw,
        content_hash=group_hash(text),
        root_id=optional_str(data, "root_id", MAX_ID),
    )
    candidate.raw_json = raw_json(raw)
    return candidate
