"""Bluesky rich text: the links, @mentions and #hashtags of a post's text as
app.bsky.richtext.facet objects, whose `index` counts UTF-8 bytes of the text (byteStart
inclusive, byteEnd exclusive), not characters: « é » is 2 bytes, « 🕯️ » 6, a family emoji
with zero-width joiners 25.

What is detected, as Bluesky's own app does it:
- links: http:// and https:// addresses, up to the next whitespace, trailing punctuation
  (.,;:!?'") and an unbalanced closing parenthesis left out. A bare domain (example.com) is
  not turned into a link: the text says what the reader sees, and a wrong guess is worse;
- mentions: @handle where the handle is a domain name (letters, digits, hyphens, at least one
  dot), resolved to the account's DID with com.atproto.identity.resolveHandle; a handle that
  does not resolve stays plain text (no facet), as in Bluesky's app;
- hashtags: # (or the full-width U+FF03) after a space or at the start, then anything up to the
  next whitespace, trailing punctuation left out, not only digits, 64 characters at most;
  the facet's `tag` is the text without the #.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"
TAG = "app.bsky.richtext.facet#tag"
MAX_TAG = 64  # characters, the lexicon's maxGraphemes for a tag
MAX_TAG_BYTES = 640

URL = re.compile(r"(?:(?<=\s)|(?<=^)|(?<=\())(https?://[^\s]+)", re.IGNORECASE)
HANDLE = re.compile(
    r"(?:(?<=\s)|(?<=^)|(?<=\())@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?![a-zA-Z0-9-]|\.[a-zA-Z0-9])"
)
HASH = re.compile("(?:(?<=\\s)|(?<=^))[#\uff03](\\S+)")
TRAILING = ".,;:!?'\"»…"
# Invisible characters that end a hashtag (soft hyphen, word joiner, zero-width spaces and
# joiners, the keycap combining mark).
TAG_BREAKS = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"

Resolver = Callable[[str], str | None]


def byte_index(text: str, start: int, end: int) -> dict[str, int]:
    """The facet index of text[start:end]: byte offsets in the UTF-8 encoding of `text`."""
    head = len(text[:start].encode("utf-8"))
    return {"byteStart": head, "byteEnd": head + len(text[start:end].encode("utf-8"))}


def trim_url(url: str) -> str:
    url = url.rstrip(TRAILING)
    # « (voir https://exemple.fr/a) »: the closing parenthesis is the sentence's.
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1].rstrip(TRAILING)
    return url


def is_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def clean_tag(raw: str) -> str:
    """The hashtag's text as Bluesky keeps it, or '' when it is not one."""
    for i, char in enumerate(raw):
        if char in TAG_BREAKS:
            raw = raw[:i]
            break
    if not raw or raw[0] == "\ufe0f" or unicodedata.combining(raw[0]):
        return ""  # « #️⃣ » is the keycap emoji, not a tag
    while raw and is_punctuation(raw[-1]):
        raw = raw[:-1]
    if not raw or len(raw) > MAX_TAG or len(raw.encode("utf-8")) > MAX_TAG_BYTES:
        return ""
    if all(c.isdigit() or is_punctuation(c) for c in raw):
        return ""  # « #1 » is a number
    return raw


def links(text: str) -> list[tuple[int, int, str]]:
    found = []
    for match in URL.finditer(text):
        url = trim_url(match.group(1))
        if len(url) > len("https://") and "." in url.split("//", 1)[1].split("/", 1)[0]:
            found.append((match.start(1), match.start(1) + len(url), url))
    return found


def mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, handle) of each @handle, the @ included in the span."""
    return [(m.start(), m.end(), m.group(1).lower()) for m in HANDLE.finditer(text)]


def tags(text: str) -> list[tuple[int, int, str]]:
    found = []
    for match in HASH.finditer(text):
        tag = clean_tag(match.group(1))
        if tag:
            found.append((match.start(), match.start(1) + len(tag), tag))
    return found


def overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def detect(text: str, resolve: Resolver) -> list[dict[str, Any]]:
    """The facets of `text`, in text order. `resolve` turns a handle into its DID (None when
    it does not resolve); a lookup that fails for another reason raises, so that the post is
    retried rather than published with a mention that links nowhere."""
    facets: list[tuple[int, dict[str, Any]]] = []
    taken: list[tuple[int, int]] = []
    for start, end, url in links(text):
        taken.append((start, end))
        facets.append((start, facet(text, start, end, {"$type": LINK, "uri": url})))
    for start, end, handle in mentions(text):
        if overlaps((start, end), taken):
            continue  # an @ inside a URL
        did = resolve(handle)
        if did:
            taken.append((start, end))
            facets.append((start, facet(text, start, end, {"$type": MENTION, "did": did})))
    for start, end, tag in tags(text):
        if overlaps((start, end), taken):
            continue  # a #fragment inside a URL
        taken.append((start, end))
        facets.append((start, facet(text, start, end, {"$type": TAG, "tag": tag})))
    return [f for _start, f in sorted(facets, key=lambda pair: pair[0])]


def facet(text: str, start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    return {
        "$type": "app.bsky.richtext.facet",
        "index": byte_index(text, start, end),
        "features": [feature],
    }


def handle_resolver(query: Callable[[str, dict[str, Any]], dict[str, Any]]) -> Resolver:
    """A resolver asking com.atproto.identity.resolveHandle through `query` (the account's
    PDS), each handle once."""
    from parvis.connectors.bluesky.xrpc import BadRequest

    cache: dict[str, str | None] = {}

    def resolve(handle: str) -> str | None:
        if handle not in cache:
            try:
                body = query("com.atproto.identity.resolveHandle", {"handle": handle})
            except BadRequest:  # « Unable to resolve handle »: no such account
                cache[handle] = None
            else:
                did = body.get("did")
                cache[handle] = did if isinstance(did, str) and did.startswith("did:") else None
        return cache[handle]

    return resolve
