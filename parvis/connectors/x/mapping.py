"""X posts (API v2 Tweet objects, with the `includes.users` expansion) → normalized mentions.

External ids are X's post ids (decimal snowflakes, global to X); a reply's parent is the post
named by its `referenced_tweets` entry of type `replied_to`.
"""

from __future__ import annotations

import json
from typing import Any

from parvis.connectors.base import Incoming
from parvis.connectors.x.api import as_dict, as_list, is_id

NETWORK = "x"
TWEET_FIELDS = (
    "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics,lang"
)
USER_FIELDS = "username,name,public_metrics"
EXPANSIONS = "author_id"


class Unreadable(ValueError):
    """The post lacks what a mention needs; the message is the quarantine's reason."""


def post_url(username: str, post_id: str) -> str:
    return f"https://x.com/{username}/status/{post_id}"


def parent_of(tweet: dict[str, Any]) -> str:
    for ref in as_list(tweet.get("referenced_tweets")):
        if isinstance(ref, dict) and ref.get("type") == "replied_to" and is_id(ref.get("id")):
            return str(ref["id"])
    return ""


def to_mention(tweet: dict[str, Any], users: dict[str, dict[str, Any]]) -> dict[str, Any]:
    if not is_id(tweet.get("id")):
        raise Unreadable("post without an id")
    if not isinstance(tweet.get("text"), str):
        raise Unreadable("post without text")
    if not tweet.get("created_at"):
        raise Unreadable("post without created_at")
    author = users.get(str(tweet.get("author_id")))
    if author is None or not isinstance(author.get("username"), str):
        raise Unreadable("post whose author is not in includes.users")
    username = author["username"]
    counts = as_dict(tweet.get("public_metrics"))
    people = as_dict(author.get("public_metrics"))
    data: dict[str, Any] = {
        "network": NETWORK,
        "external_id": tweet["id"],
        "url": post_url(username, tweet["id"]),
        "author": {
            "handle": f"@{username}",
            "name": author.get("name") or username,
            "followers": people.get("followers_count", 0),
            "url": f"https://x.com/{username}",
        },
        "text": tweet["text"],
        "created_at": tweet["created_at"],
        "metrics": {
            "likes": counts.get("like_count", 0),
            "reposts": counts.get("retweet_count", 0),
            "replies": counts.get("reply_count", 0),
        },
    }
    if isinstance(tweet.get("lang"), str) and tweet["lang"] not in {"und", "zxx", "qme", "qht"}:
        data["lang"] = tweet["lang"]
    parent = parent_of(tweet)
    if parent:
        data["parent_id"] = parent
    return data


def users_of(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for user in as_list(as_dict(body.get("includes")).get("users")):
        if isinstance(user, dict) and is_id(user.get("id")):
            found[user["id"]] = user
    return found


def incoming(tweet: Any, users: dict[str, dict[str, Any]]) -> Incoming:
    """One Incoming for a post as received: mapped, or kept with the reason it cannot be."""
    raw = json.dumps(tweet, ensure_ascii=False)
    if not isinstance(tweet, dict):
        return Incoming(None, raw, error="not a post object")
    try:
        data = to_mention(tweet, users)
    except Unreadable as exc:
        return Incoming(None, raw, error=str(exc))
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        return Incoming(None, raw, error=f"unreadable post: {exc}")
    author = users.get(str(tweet.get("author_id")), {})
    return Incoming(data, raw, payload={**tweet, "author": author})
