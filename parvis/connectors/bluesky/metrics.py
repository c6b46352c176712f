"""The counts of the account's own posts: app.bsky.feed.getPosts, 25 at:// URIs a call (the
lexicon's maxLength), answering a postView per post the AppView still has, in no promised
order: likeCount, repostCount, replyCount, quoteCount. A post it leaves out was deleted, taken
down, or is hidden from the account: gone. Bluesky gives no view counts."""

from __future__ import annotations

from typing import Any

from parvis.connectors.base import (
    AccountMetrics,
    PostMetrics,
    ProfileInfo,
    RetryLater,
    links_in,
    metric,
    profile_links,
    profile_text,
)
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


def pinned_address(value: Any) -> str:
    """The web address of a pinned post (a strongRef to at://DID/app.bsky.feed.post/RKEY),
    "" when none is pinned or the reference is not a post's."""
    uri = value.get("uri") if isinstance(value, dict) else None
    if not isinstance(uri, str) or not post_uri(uri):
        return ""
    did, _, rkey = uri.removeprefix("at://").partition("/app.bsky.feed.post/")
    return f"https://bsky.app/profile/{did}/post/{rkey}"


def profile(reader: Reader, actor: str) -> ProfileInfo:
    """The account's profile from its profileViewDetailed (app.bsky.actor.getProfile):
    displayName, description, avatar, banner, pinnedPost — each optional in the lexicon, so
    a missing one is « none set ». Bluesky has no link field: the links are the bio's."""
    body = reader.query(GET_PROFILE, {"actor": actor})
    if not isinstance(body, dict) or not body.get("did"):
        raise RetryLater(f"{GET_PROFILE} answered without a profile")
    bio = profile_text(body.get("description", "")) or ""
    return ProfileInfo(
        name=profile_text(body.get("displayName", ""), 640) or "",
        bio=bio,
        avatar=profile_text(body.get("avatar", ""), 2_000) or "",
        banner=profile_text(body.get("banner", ""), 2_000) or "",
        links=profile_links(links_in(bio)),
        pinned=pinned_address(body.get("pinnedPost")),
    )
