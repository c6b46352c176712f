"""Bluesky posts (app.bsky.feed.defs#postView, or a bare app.bsky.feed.post record from the
firehose) as items shaped as normalized mentions (parvis.listening.normalize checks them)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from parvis.connectors.base import Incoming

NETWORK = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
# A BCP 47 tag as Parvis keeps it (12 characters at most); anything else is ignored.
LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
MAX_NAME = 300  # what Parvis keeps of a display name


@dataclass(frozen=True)
class Profile:
    """Who wrote a post, as far as we know it (a DID alone when the AppView could not say)."""

    did: str
    handle: str = ""
    display_name: str = ""
    followers: int = 0

    @property
    def name_in_urls(self) -> str:
        # bsky.app accepts a DID where a handle is unknown or invalid.
        return self.handle if self.handle and self.handle != "handle.invalid" else self.did

    @classmethod
    def from_view(cls, view: dict[str, Any]) -> Profile:
        """From a profileView(Basic/Detailed); followersCount only in the detailed one."""
        followers = view.get("followersCount")
        return cls(
            did=str(view.get("did", "")),
            handle=str(view.get("handle", "") or ""),
            display_name=str(view.get("displayName", "") or ""),
            followers=followers if isinstance(followers, int) and followers >= 0 else 0,
        )


def split_uri(uri: str) -> tuple[str, str, str]:
    """at://did/collection/rkey → (did, collection, rkey); ValueError otherwise."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        raise ValueError("not an at:// URI")
    parts = uri[len("at://") :].split("/")
    if len(parts) != 3 or not all(parts):
        raise ValueError("not an at://did/collection/rkey URI")
    return parts[0], parts[1], parts[2]


def post_url(profile: Profile, rkey: str) -> str:
    return f"https://bsky.app/profile/{profile.name_in_urls}/post/{rkey}"


def profile_url(profile: Profile) -> str:
    return f"https://bsky.app/profile/{profile.name_in_urls}"


def record_lang(record: dict[str, Any]) -> str:
    langs = record.get("langs")
    if not isinstance(langs, list) or not langs or not isinstance(langs[0], str):
        return ""
    lang = langs[0].strip().lower().replace("_", "-")
    return lang if len(lang) <= 12 and LANG.match(lang) else ""


def reply_refs(record: dict[str, Any]) -> tuple[str, str]:
    reply = record.get("reply")
    if not isinstance(reply, dict):
        return "", ""

    def uri(ref: Any) -> str:
        value = ref.get("uri") if isinstance(ref, dict) else None
        return value if isinstance(value, str) else ""

    return uri(reply.get("parent")), uri(reply.get("root"))


def count(view: dict[str, Any], name: str) -> int:
    value = view.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def first_time(*values: Any) -> str:
    """The first value that reads as an ISO 8601 time: a client may write a broken createdAt,
    and the post is no less a post (the AppView's or the stream's time stands in)."""
    for value in values:
        if not isinstance(value, str) or not value:
            continue
        try:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            continue
        return value
    return ""


def to_mention(
    uri: str,
    record: dict[str, Any],
    profile: Profile,
    view: dict[str, Any] | None = None,
    seen_at: str = "",
) -> dict[str, Any]:
    """The normalized mention of one post; `view` (a postView) adds its counts."""
    did, collection, rkey = split_uri(uri)
    if collection != POST_COLLECTION:
        raise ValueError(f"not a post: {collection}")
    if not isinstance(record, dict):
        raise ValueError("the post has no record")
    text = record.get("text", "")
    if not isinstance(text, str):
        raise ValueError("the post's text is not a string")
    created_at = first_time(record.get("createdAt"), (view or {}).get("indexedAt"), seen_at)
    if not created_at:
        raise ValueError("the post has no createdAt")
    if not profile.did:
        profile = Profile(did=did)
    parent_id, root_id = reply_refs(record)
    mention: dict[str, Any] = {
        "network": NETWORK,
        "external_id": uri,
        "url": post_url(profile, rkey),
        "author": {
            "handle": profile.handle or profile.did,
            "name": profile.display_name[:MAX_NAME],
            "followers": profile.followers,
            "url": profile_url(profile),
        },
        "text": text,
        "created_at": created_at,
        "lang": record_lang(record),
        "parent_id": parent_id,
        "root_id": root_id,
    }
    if view is not None:
        mention["metrics"] = {
            "likes": count(view, "likeCount"),
            # A quote spreads the post as a repost does.
            "reposts": count(view, "repostCount") + count(view, "quoteCount"),
            "replies": count(view, "replyCount"),
        }
    return mention


def dumps(raw: Any) -> str:
    return json.dumps(raw, ensure_ascii=False, default=str)


def from_post_view(view: Any, profiles: dict[str, Profile] | None = None) -> Incoming:
    """A postView as an Incoming; one that cannot be mapped is quarantined with the reason."""
    if not isinstance(view, dict):
        return Incoming(None, dumps(view), error="a post that is not a JSON object")
    uri, record, author = view.get("uri"), view.get("record"), view.get("author")
    if not isinstance(uri, str) or not uri:
        return Incoming(None, dumps(view), error="a post without uri")
    if not isinstance(record, dict):
        return Incoming(None, dumps(view), error="a post without record")
    profile = Profile.from_view(author) if isinstance(author, dict) else Profile(did="")
    known = (profiles or {}).get(profile.did)
    if known is not None:
        profile = merge(profile, known)
    try:
        data = to_mention(uri, record, profile, view)
    except ValueError as exc:
        return Incoming(None, dumps(view), error=f"unreadable post: {exc}")
    return Incoming(data, dumps(view), payload=view)


def merge(seen: Profile, detailed: Profile) -> Profile:
    """The post's own author view, completed by the detailed profile (followers)."""
    return Profile(
        did=seen.did or detailed.did,
        handle=detailed.handle or seen.handle,
        display_name=detailed.display_name or seen.display_name,
        followers=detailed.followers or seen.followers,
    )


def from_record(
    uri: str, record: Any, profile: Profile, raw: dict[str, Any], seen_at: str = ""
) -> Incoming:
    """A firehose record (no counts, no author view) as an Incoming."""
    try:
        data = to_mention(uri, record, profile, seen_at=seen_at)
    except ValueError as exc:
        return Incoming(None, dumps(raw), error=f"unreadable post: {exc}")
    return Incoming(data, dumps(raw), payload=raw)
