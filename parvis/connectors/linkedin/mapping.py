"""LinkedIn objects (a comment on one of the organization's posts) as normalized mentions.

A comment as the Comments API gives it: {"actor": "urn:li:person:…", "commentUrn":
"urn:li:comment:(urn:li:activity:…,…)", "created": {"actor", "time"} (epoch milliseconds),
"id", "message": {"text", "attributes"}, "object": the activity commented on, "parentComment"
for a reply to a comment, "likesSummary": {"totalLikes"}, "commentsSummary":
{"totalFirstLevelComments", "aggregatedTotalComments"}}. The API does not give a member's name
to a page's app, so a commenter is known by their member URN.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from parvis.connectors.linkedin.api import as_dict, is_comment, post_url

# The last millisecond of year 9999: a later time is not a date at all (a larger one is left
# to the pipeline's validation, which quarantines it as « in the future »).
LAST_MS = 253402300799999


class Malformed(ValueError):
    """The comment lacks what identifies or dates it: quarantined with this reason."""


def count(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Malformed(f"not a count: {str(value)[:20]!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise Malformed(f"not a finite count: {value!r}")
    return max(0, int(value))


def created_at(comment: dict[str, Any]) -> str:
    ms = as_dict(comment.get("created")).get("time")
    if isinstance(ms, bool) or not isinstance(ms, int) or not 0 < ms <= LAST_MS:
        raise Malformed("missing field: created.time")
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
    return moment.isoformat()


def comment_urn(comment: dict[str, Any]) -> str:
    urn = comment.get("commentUrn") or comment.get("$URN")
    if not is_comment(urn):
        raise Malformed("missing field: commentUrn")
    return str(urn)


def actor(comment: dict[str, Any]) -> str:
    who = comment.get("actor")
    if not isinstance(who, str) or not who.startswith("urn:li:") or len(who) > 200:
        raise Malformed("missing field: actor")
    return who


def comment_mention(comment: Any, post_urn: str) -> dict[str, Any]:
    if not isinstance(comment, dict):
        raise Malformed("a comment is not an object")
    urn = comment_urn(comment)
    who = actor(comment)
    message = as_dict(comment.get("message"))
    text = message.get("text", "")
    if not isinstance(text, str):
        raise Malformed("missing field: message.text")
    parent = comment.get("parentComment")
    organization = who.startswith("urn:li:organization:")
    return {
        "network": "linkedin",
        "external_id": urn,
        "url": post_url(post_urn) if post_urn else "",
        "text": text,
        "created_at": created_at(comment),
        "author": {
            "handle": who,
            "name": "" if not organization else who.rsplit(":", 1)[1],
            "url": "",
            "followers": 0,
        },
        "parent_id": parent if is_comment(parent) else post_urn,
        "root_id": post_urn,
        "metrics": {
            "likes": count(as_dict(comment.get("likesSummary")).get("totalLikes")),
            "reposts": 0,
            "replies": count(
                as_dict(comment.get("commentsSummary")).get("aggregatedTotalComments")
            ),
        },
    }


def replies_waiting(comment: Any) -> bool:
    """Whether a comment has replies of its own to read (one level: LinkedIn nests once)."""
    summary = as_dict(as_dict(comment).get("commentsSummary"))
    total = summary.get("aggregatedTotalComments", summary.get("totalFirstLevelComments"))
    return isinstance(total, int) and not isinstance(total, bool) and total > 0


# --- LinkedIn's « little text format » (posts' commentary) ------------------------------------

# Characters that the commentary gives a meaning to (mentions, hashtags, formatting): a plain
# one is written with a backslash before it, or LinkedIn cuts the text there.
RESERVED = set("\\|{}@[]()<>#*_~")


def hashtag_at(text: str, index: int) -> int:
    """The end of a hashtag starting at `index` (a '#' followed by word characters), else -1."""
    end = index + 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return end if end > index + 1 and (index == 0 or not text[index - 1].isalnum()) else -1


def little_text(text: str) -> str:
    """Our text as a post's commentary: reserved characters escaped, #words as hashtags."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "#":
            end = hashtag_at(text, index)
            if end > 0:
                word = "".join("\\" + c if c in RESERVED else c for c in text[index + 1 : end])
                out.append("{hashtag|\\#|" + word + "}")
                index = end
                continue
        out.append("\\" + char if char in RESERVED else char)
        index += 1
    return "".join(out)
