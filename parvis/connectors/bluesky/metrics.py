"""The counts of the account's own posts: app.bsky.feed.getPosts, 25 at:// URIs a call (the
lexicon's maxLength), answering a postView per post the AppView still has, in no promised
order: likeCount, repostCount, replyCount, quoteCount. A post it leaves out was deleted, taken
down, or is hidden from the account: gone. Bluesky gives no view counts."""

from __future__ import annotations

from typing import Any

from parvis.connectors.base import AccountMetrics, PostMetrics, RetryLater, metric
from parvis.connectors.bluesky import mapping
from parvis.connectors.bluesky.profiles import Reader

GET_POSTS = "app.bsky.feed.getPosts"
BATCH = 25  # app.bsky.feed.getPosts: uris maxLength 25


def post_uri(value: str) -> bool:
    try:
        _did, collection, _rkey = mapping.split_uri(value)
    except ValueError:
        return False
    return collection == mapping.POST_COLLECTION


def from_view(uri: str, view: dict[str, Any]) -> PostMetrics:
    return PostMetrics(
        external_id=uri,
        likes=metric(view.get("likeCount")),
        reposts=metric(view.get("repostCount")),
        replies=metric(view.get("replyCount")),
        quotes=metric(view.get("quoteCount")),
    )


def read(reader: Reader, external_ids: list[str]) -> list[PostMetrics]:
    """PostMetrics for every at:// URI of a post among `external_ids` (others left out)."""
    wanted = [uri for uri in dict.fromkeys(external_ids) if post_uri(uri)]
    found: list[PostMetrics] = []
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        body = reader.query(GET_POSTS, {"uris": batch})
        views = body.get("posts")
        if not isinstance(views, list):
            raise RetryLater(f"{GET_POSTS} answered without its list of posts")
        answered: dict[str, PostMetrics] = {}
        for view in views:
            uri = view.get("uri") if isinstance(view, dict) else None
            if isinstance(uri, str) and uri in batch:
                answered[uri] = from_view(uri, view)
        found += [answered.get(uri) or PostMetrics(uri, gone=True) for uri in batch]
    return found


GET_PROFILE = "app.bsky.actor.getProfile"


def account(reader: Reader, actor: str) -> AccountMetrics:
    """The account's counts from its profileViewDetailed (app.bsky.actor.getProfile):
    followersCount, followsCount, postsCount (each optional in the lexicon)."""
    body = reader.query(GET_PROFILE, {"actor": actor})
    if not isinstance(body, dict) or not body.get("did"):
        raise RetryLater(f"{GET_PROFILE} answered without a profile")
    return AccountMetrics(
        followers=metric(body.get("followersCount")),
        following=metric(body.get("followsCount")),
        posts=metric(body.get("postsCount")),
    )
