"""Publishing as the Instagram account (instagram_content_publish), through containers:

- an image: POST /{ig-user-id}/media with image_url (JPEG), caption and alt_text; a reel:
  media_type=REELS with video_url; a carousel (2 to 10): one container per item with
  is_carousel_item=true (media_type=VIDEO for a video), then media_type=CAROUSEL with
  children=<ids> and the caption. Each answers {"id": <container id>};
- the container is read (GET /{container-id}?fields=status_code) until FINISHED (IN_PROGRESS
  while Instagram fetches and processes; ERROR, EXPIRED);
- POST /{ig-user-id}/media_publish with creation_id publishes, answering {"id": <media id>},
  read back for its permalink and timestamp;
- a thread's next part is a comment of the account under the previous media.

Instagram fetches the files from Parvis's public address (media_url.py). No text-only post
exists on Instagram. No idempotency key exists: the Facebook connector's sends.py keeps exactly
once, find_post reads the account's recent media for its own caption, and the pending row keeps
the container (Memo) so that a retry reuses it.
The limit: GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config (posts
published through the API in the last 24 hours; config.quota_total, 100 today).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from parvis.connectors.base import (
    ConnectorError,
    MediaFile,
    OutgoingPost,
    PermanentError,
    PublishedPost,
    PublishLimits,
    ReplyTarget,
    RetryLater,
    posted_since,
    same_text,
)
from parvis.connectors.facebook import graph, sends
from parvis.connectors.facebook.graph import after_cursor, as_dict, as_int, as_list
from parvis.connectors.facebook.mapping import graph_time
from parvis.connectors.facebook.models import FacebookSend
from parvis.connectors.instagram import media_url
from parvis.connectors.instagram.api import LIMIT_WAIT, Api
from parvis.connectors.instagram.mapping import WWW

MB = 1024 * 1024
IMAGE_TYPES = ("image/jpeg",)
VIDEO_TYPES = ("video/mp4", "video/quicktime")
MAX_CAPTION = 2200
MAX_ITEMS = 10
LIMITS = PublishLimits(
    max_characters=MAX_CAPTION,
    max_media=MAX_ITEMS,
    image_size_limit=8 * MB,
    video_size_limit=300 * MB,
    media_types=IMAGE_TYPES + VIDEO_TYPES,
)
# How long a container is watched before the attempt is left to a retry (images take seconds,
# reels up to minutes).
POLLS = {"image": (10, 2.0), "video": (36, 5.0)}
READ_BACK = "id,caption,permalink,timestamp,media_type"
FEED_PAGES = 2
DEFAULT_QUOTA = 100


def kind_of(item: MediaFile) -> str:
    if item.mime_type in IMAGE_TYPES:
        return "image"
    if item.mime_type in VIDEO_TYPES:
        return "video"
    raise PermanentError(
        f"Instagram publishes JPEG images and MP4 or MOV videos, not {item.mime_type}: convert it"
    )


def check(post: OutgoingPost) -> None:
    if not post.media:
        raise PermanentError(
            "Instagram has no text-only posts: add an image or a video to this post"
        )
    if len(post.media) > MAX_ITEMS:
        raise PermanentError("Instagram takes at most 10 images or videos in a carousel")
    for item in post.media:
        kind = kind_of(item)
        if kind == "image" and item.size > (LIMITS.image_size_limit or 0):
            raise PermanentError("an image is larger than the 8 MB Instagram accepts: reduce it")
        if kind == "video" and item.size > (LIMITS.video_size_limit or 0):
            raise PermanentError("a video is larger than the 300 MB Instagram accepts")


def need_id(body: dict[str, Any], what: str) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not value:
        raise RetryLater(f"Instagram answered without the id of the {what}")
    return value


def container(api: Api, user_id: str, item: MediaFile, data: dict[str, str]) -> str:
    kind = kind_of(item)
    fields = dict(data)
    if kind == "image":
        fields["image_url"] = media_url.address(item)
        if item.alt_text and "is_carousel_item" not in fields:
            fields["alt_text"] = item.alt_text[:1000]
    else:
        fields["video_url"] = media_url.address(item)
        fields["media_type"] = "VIDEO" if "is_carousel_item" in fields else "REELS"
    return need_id(api.post(f"{user_id}/media", fields, doing="publish"), "container")


class Expired(RetryLater):
    """The container was not published within 24 hours: a new one is needed."""


class Memo:
    """The container an earlier attempt with the same idempotency key made, kept in the
    FacebookSend row's `url` while the post is pending ("container:<id>"): a reel still being
    processed when an attempt gave up is waited for on the next attempt, not made again (which
    would start the processing over, and never end for a long video)."""

    PREFIX = "container:"

    def __init__(self, connector: Any, key: str) -> None:
        account = getattr(connector, "account", None)
        self.account_id = account.pk if account is not None and key else None
        self.key = key[:200]

    def row(self) -> FacebookSend | None:
        if self.account_id is None:
            return None
        rows = FacebookSend.objects.filter(account_id=self.account_id, kind="post", key=self.key)
        return rows.filter(external_id="").first()

    def get(self) -> str:
        row = self.row()
        if row is None or not row.url.startswith(self.PREFIX):
            return ""
        found = row.url[len(self.PREFIX) :]
        return found if found.isascii() and found.isdigit() else ""

    def put(self, container_id: str) -> None:
        row = self.row()
        if row is not None:
            row.url = f"{self.PREFIX}{container_id}"[:500]
            row.save(update_fields=["url"])


def reusable(api: Api, memo: Memo, kind: str, sleep: Callable[[float], None]) -> str:
    """The container of an earlier attempt, once FINISHED; "" when there is none to reuse."""
    creation = memo.get()
    if not creation:
        return ""
    try:
        body = api.get(creation, {"fields": "status_code"}, "publish")
    except graph.Gone:
        return ""
    if body.get("status_code") == "PUBLISHED":
        # Published, but not yet in the account's media for find_post: wait, never again.
        raise RetryLater("Instagram published the post; waiting to read it back", 60)
    try:
        wait_ready(api, creation, kind, sleep)
    except Expired:
        return ""
    return creation


def wait_ready(
    api: Api, container_id: str, kind: str, sleep: Callable[[float], None] = time.sleep
) -> None:
    tries, pause = POLLS[kind]
    for attempt in range(tries):
        body = api.get(container_id, {"fields": "status_code,status"}, "publish")
        status = body.get("status_code")
        if status in ("FINISHED", "PUBLISHED"):
            return
        if status == "ERROR":
            said = str(body.get("status") or "")[:300]
            raise PermanentError(
                f"Instagram could not process the media ({said or 'no reason given'}): check "
                "its format and size"
            )
        if status == "EXPIRED":
            raise Expired("the Instagram container expired before publishing", 0)
        if attempt + 1 < tries:
            sleep(pause)
    raise RetryLater("Instagram is still processing the media", 60)


def send(
    api: Api,
    user_id: str,
    post: OutgoingPost,
    sleep: Callable[[float], None],
    memo: Memo | None = None,
) -> PublishedPost:
    if post.reply_to is not None:
        body = api.post(
            f"{post.reply_to.external_id}/comments", {"message": post.text}, doing="publish"
        )
        return comment_post(need_id(body, "comment"), post.reply_to, None)
    check(post)
    if limits(api, user_id).posts_left == 0:
        # Checked before any container: no processing spent on a post that cannot go out.
        raise RetryLater(
            "the Instagram account reached its publishing limit for 24 hours", LIMIT_WAIT
        )
    caption = {"caption": post.text}
    kind = kind_of(post.media[0]) if len(post.media) == 1 else "image"
    creation = reusable(api, memo, kind, sleep) if memo is not None else ""
    if creation:
        pass  # made and processed by an earlier attempt
    elif len(post.media) == 1:
        creation = container(api, user_id, post.media[0], caption)
        if memo is not None:
            memo.put(creation)
        wait_ready(api, creation, kind, sleep)
    else:
        children = []
        for item in post.media:
            child = container(api, user_id, item, {"is_carousel_item": "true"})
            wait_ready(api, child, kind_of(item), sleep)
            children.append(child)
        data = {**caption, "media_type": "CAROUSEL", "children": ",".join(children)}
        creation = need_id(api.post(f"{user_id}/media", data, doing="publish"), "container")
        if memo is not None:
            memo.put(creation)
        wait_ready(api, creation, "image", sleep)
    body = api.post(f"{user_id}/media_publish", {"creation_id": creation}, doing="publish")
    return read_back(api, need_id(body, "published media"))


def published(body: dict[str, Any], fallback_id: str) -> PublishedPost:
    found = body.get("id")
    media_id = found if isinstance(found, str) and found else fallback_id
    url = body.get("permalink")
    return PublishedPost(
        external_id=media_id,
        url=url if isinstance(url, str) and url.startswith("https://") else WWW,
        published_at=graph_time(body.get("timestamp")),
        raw={"id": media_id},
    )


def read_back(api: Api, media_id: str) -> PublishedPost:
    try:
        body = api.get(media_id, {"fields": READ_BACK}, "publish")
    except ConnectorError:
        return PublishedPost(media_id, WWW, dt.datetime.now(dt.UTC), raw={"id": media_id})
    return published(body, media_id)


def comment_post(comment_id: str, parent: ReplyTarget, when: Any) -> PublishedPost:
    raw = parent.raw if isinstance(parent.raw, dict) else {}
    url = raw.get("url")
    url = url if isinstance(url, str) else ""
    return PublishedPost(
        external_id=comment_id,
        url=url if url.startswith("https://") else WWW,
        published_at=graph_time(when) or dt.datetime.now(dt.UTC).replace(microsecond=0),
        raw={"id": comment_id, "parent": parent.external_id},
    )


def create(
    connector: Any,
    api: Api,
    user_id: str,
    post: OutgoingPost,
    key: str,
    sleep: Callable[[float], None] = time.sleep,
) -> PublishedPost:
    def recorded(row: Any) -> PublishedPost:
        raw = {"id": row.external_id}
        if post.reply_to is not None:
            raw["parent"] = post.reply_to.external_id
        return PublishedPost(row.external_id, row.url, row.published_at, raw=raw)

    return sends.once(
        connector,
        "post",
        key,
        recorded=recorded,
        find=lambda since: find(api, user_id, post, since),
        send=lambda: send(api, user_id, post, sleep, Memo(connector, key)),
        record=lambda row, p: sends.save(row, p.external_id, p.url, p.published_at),
    )


def find(api: Api, user_id: str, post: OutgoingPost, since: dt.datetime) -> PublishedPost | None:
    if post.reply_to is not None:
        return find_comment(api, user_id, post, since)
    params = {"fields": READ_BACK, "limit": "25"}
    for _page in range(FEED_PAGES):
        body = api.get(f"{user_id}/media", params, "publish")
        for item in as_list(body.get("data")):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            when = graph_time(item.get("timestamp"))
            if when is not None and not posted_since(when, since):
                return None  # newest first: the rest is older
            if same_text(str(item.get("caption") or ""), post.text):
                return published(item, item["id"])
        after = after_cursor(body)
        if not after:
            break
        params = {**params, "after": after}
    return None


def find_comment(
    api: Api, user_id: str, post: OutgoingPost, since: dt.datetime
) -> PublishedPost | None:
    from parvis.connectors.instagram import replies

    parent = post.reply_to
    assert parent is not None
    found = replies.own_comment(api, user_id, f"{parent.external_id}/comments", post.text, since)
    if found is None:
        return None
    return comment_post(found["id"], parent, found.get("timestamp"))


def limits(api: Api, user_id: str) -> PublishLimits:
    """The documented limits, with the posts left in the rolling 24 hours."""
    body = api.get(
        f"{user_id}/content_publishing_limit", {"fields": "quota_usage,config"}, "publish"
    )
    entry = as_dict((as_list(body.get("data")) or [{}])[0])
    used = as_int(entry.get("quota_usage"))
    total = as_int(as_dict(entry.get("config")).get("quota_total")) or DEFAULT_QUOTA
    return PublishLimits(
        max_characters=LIMITS.max_characters,
        max_media=LIMITS.max_media,
        image_size_limit=LIMITS.image_size_limit,
        video_size_limit=LIMITS.video_size_limit,
        media_types=LIMITS.media_types,
        posts_per_window=total,
        window_seconds=86_400,
        posts_left=max(total - used, 0),
    )
