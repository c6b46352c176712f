"""Replying on Reddit: POST /api/comment (thing_id, text, api_type=json) answers a post (t3),
a comment (t1) or a private message (t4) alike (reddit.com/dev/api#POST_api_comment).

The answer is {"json": {"errors": [[CODE, message, field], ...], "data": {"things": [...]}}},
with HTTP 200 even when Reddit refuses: RATELIMIT ("…try again in 5 minutes") waits that long,
the other codes (THREAD_LOCKED, DELETED_COMMENT, TOO_OLD …) are permanent.

Reddit has no idempotency key: a retry after an answer that never came may post twice, so the
caller reconciles with find_reply first (the account's recent comments, or its sent messages).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from parvis.connectors.base import (
    PermanentError,
    ReplyTarget,
    RetryLater,
    SentReply,
    posted_since,
    same_text,
)
from parvis.connectors.options import plausible_seconds
from parvis.connectors.reddit.mapping import WWW, permalink

KINDS = ("t1_", "t3_", "t4_")
WAIT = re.compile(r"(\d+)\s*(second|minute|hour|millisecond)s?", re.IGNORECASE)
UNIT_SECONDS = {"millisecond": 0.001, "second": 1, "minute": 60, "hour": 3600}
DEFAULT_WAIT = 600.0
# What a person should do, by Reddit's error code.
PERMANENT = {
    "THREAD_LOCKED": "the thread is locked: nobody can reply to it any more",
    "DELETED_COMMENT": "the comment answered was deleted",
    "DELETED_LINK": "the post answered was deleted",
    "TOO_OLD": "the post is archived (too old to reply to)",
    "NO_TEXT": "the reply is empty",
    "TOO_LONG": "the reply is too long (10,000 characters at most)",
    "USER_BLOCKED": "the author blocked the account, or the account blocked them",
    "USER_BLOCKED_MESSAGE": "the author does not accept messages from the account",
    "NOT_WHITELISTED_BY_USER_MESSAGE": "the author accepts messages from approved users only",
    "SUBREDDIT_NOTALLOWED": "the account may not comment in this subreddit (banned or private)",
    "BANNED_FROM_SUBREDDIT": "the account is banned from this subreddit",
    "INVALID_USER": "the account cannot reply (suspended?)",
}
PAGES = 3  # listing pages of 100 read back by find_reply


def is_message(raw: dict[str, Any]) -> bool:
    if not isinstance(raw, dict):
        return False
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    return raw.get("kind") == "t4" or str(data.get("name") or "").startswith("t4_")


def thing_id(target: ReplyTarget) -> str:
    fullname = target.external_id.strip()
    if not fullname.startswith(KINDS):
        raise PermanentError(
            f"cannot reply to {fullname[:60]!r} on Reddit: not a post, comment or message"
        )
    return fullname


def wait_seconds(message: str, said: Any = None) -> float:
    """The wait a RATELIMIT error asks for: json.ratelimit (seconds) when given, else the
    "try again in 5 minutes" of its message."""
    if isinstance(said, int | float) and not isinstance(said, bool) and said > 0:
        return float(said)
    found = WAIT.search(message or "")
    if not found:
        return DEFAULT_WAIT
    return max(1.0, int(found.group(1)) * UNIT_SECONDS[found.group(2).lower()])


def raise_errors(body: dict[str, Any]) -> None:
    payload = body.get("json") if isinstance(body.get("json"), dict) else {}
    errors = [e for e in payload.get("errors") or [] if isinstance(e, list | tuple) and e]
    for error in errors:
        code = str(error[0])
        message = str(error[1]) if len(error) > 1 else ""
        if code == "RATELIMIT":
            raise RetryLater(
                f"Reddit asks to wait before replying again ({message[:200]})",
                wait_seconds(message, payload.get("ratelimit")),
            )
    if errors:
        code = str(errors[0][0])
        message = str(errors[0][1]) if len(errors[0]) > 1 else ""
        what = PERMANENT.get(code, "check the message answered and the account")
        raise PermanentError(f"Reddit refused the reply ({code}: {message[:200]}): {what}")


def created_at(data: dict[str, Any]) -> dt.datetime | None:
    """The thing's created_utc as a time; None for a missing or forged one (2**64, NaN)."""
    seconds = plausible_seconds(data.get("created_utc"))
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def sent_from(thing: dict[str, Any]) -> SentReply:
    data = thing.get("data") if isinstance(thing.get("data"), dict) else {}
    name = str(data.get("name") or "")
    if not name:
        raise RetryLater("Reddit answered the reply without its fullname")
    if name.startswith("t4_"):
        url = f"{WWW}/message/messages/{data.get('id') or name[3:]}"
    else:
        url = permalink(data.get("permalink") or data.get("context"))
    return SentReply(external_id=name, url=url, published_at=created_at(data))


def answered(body: Any) -> SentReply:
    """The posted thing of an /api/comment answer, or the typed error it says."""
    if not isinstance(body, dict):
        raise RetryLater("Reddit answered the reply with something that is not an object")
    raise_errors(body)
    payload = body.get("json") if isinstance(body.get("json"), dict) else {}
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    things = [t for t in data.get("things") or [] if isinstance(t, dict)]
    if not things:
        raise RetryLater("Reddit answered the reply without the comment it posted")
    return sent_from(things[0])


def matches(thing: Any, parent: str, text: str, since: dt.datetime) -> bool:
    data = thing.get("data") if isinstance(thing, dict) else None
    if not isinstance(data, dict):
        return False
    if not posted_since(created_at(data), since):
        return False
    return str(data.get("parent_id") or "") == parent and same_text(
        str(data.get("body") or ""), text
    )
