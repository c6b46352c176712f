"""Publishing as the Page (pages_manage_posts), Graph API:

- text, and a link: POST /{page-id}/feed with `message` (and `link`, the text's first web
  address, for Facebook's preview), answering {"id": "<page-id>_<post-id>"};
- one photo: POST /{page-id}/photos, multipart `source` and `message`, answering {"id",
  "post_id"}; several: each uploaded with published=false, then POST /{page-id}/feed with
  attached_media[i]={"media_fbid": id};
- a thread's next part: a comment of the Page under the previous post (POST
  /{post-id}/comments);
- then the post is read back (GET /{id}?fields=id,created_time,permalink_url) for its address
  and time, which find_post gives identically.

No idempotency key exists: sends.py keeps exactly once, and find_post reads the Page's feed
(or the previous part's comments) for the Page's own post with this text.
Videos are not published by this connector yet: the message says so.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from parvis.connectors.base import (
    ConnectorError,
    MediaFile,
    OutgoingPost,
    PermanentError,
    PublishedPost,
    PublishLimits,
    RetryLater,
    posted_since,
    same_text,
)
from parvis.connectors.facebook import graph, replies, sends
from parvis.connectors.facebook.mapping import graph_time

MB = 1024 * 1024
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff")
# The limits Meta documents for Page posts and photos (as parvis/connectors/counting.py).
LIMITS = PublishLimits(
    max_characters=63_206,
    max_media=10,
    image_size_limit=10 * MB,
    media_types=IMAGE_TYPES,
)
URL = re.compile(r"https?://[^\s<>\"]+")
READ_BACK = "id,message,created_time,permalink_url,from{id}"
FEED_PAGES = 2  # pages of 25 posts read back by find_post


def published(body: dict[str, Any], fallback_id: str) -> PublishedPost:
    found = body.get("id")
    post_id = found if isinstance(found, str) and found else fallback_id
    url = body.get("permalink_url")
    url = url if isinstance(url, str) and url.startswith("https://") else f"{graph.WWW}{post_id}"
    return PublishedPost(
        external_id=post_id,
        url=url,
        published_at=graph_time(body.get("created_time")),
        raw={"id": post_id},
    )


def read_back(api: graph.Api, object_id: str) -> PublishedPost:
    try:
        body = api.get(object_id, {"fields": "id,created_time,permalink_url"}, "publish")
    except ConnectorError:
        # Published, but not readable now: what we know is enough to record it.
        return PublishedPost(
            external_id=object_id,
            url=f"{graph.WWW}{object_id}",
            published_at=dt.datetime.now(dt.UTC),
            raw={"id": object_id},
        )
    return published(body, object_id)


def check_media(media: tuple[MediaFile, ...]) -> None:
    for item in media:
        if item.mime_type not in IMAGE_TYPES:
            raise PermanentError(
                f"Parvis publishes photos on Facebook, not {item.mime_type}: post the video on "
                "Facebook itself"
            )
        if item.size > (LIMITS.image_size_limit or 10 * MB):
            raise PermanentError("a photo is larger than the 10 MB Facebook accepts: reduce it")
    if len(media) > (LIMITS.max_media or 10):
        raise PermanentError("Facebook takes at most 10 photos in a post: remove some")


def upload(api: graph.Api, page_id: str, item: MediaFile, data: dict[str, str]) -> dict[str, Any]:
    try:
        content = Path(item.path).read_bytes()
    except OSError as exc:
        raise PermanentError(f"the photo file cannot be read ({type(exc).__name__})") from exc
    files = {"source": (Path(item.path).name, content, item.mime_type)}
    return api.post(f"{page_id}/photos", data, files=files, doing="publish")


def send(api: graph.Api, page_id: str, post: OutgoingPost) -> PublishedPost:
    if post.reply_to is not None:
        body = api.post(
            f"{post.reply_to.external_id}/comments", {"message": post.text}, doing="publish"
        )
        return read_back(api, need_id(body))
    check_media(post.media)
    if len(post.media) == 1:
        body = upload(api, page_id, post.media[0], {"message": post.text})
        post_id = body.get("post_id")
        return read_back(api, post_id if isinstance(post_id, str) and post_id else need_id(body))
    data: dict[str, str] = {"message": post.text}
    if post.media:
        for index, item in enumerate(post.media):
            photo = upload(api, page_id, item, {"published": "false"})
            data[f"attached_media[{index}]"] = json.dumps({"media_fbid": need_id(photo)})
    elif link := URL.search(post.text):
        data["link"] = link.group(0)
    body = api.post(f"{page_id}/feed", data, doing="publish")
    return read_back(api, need_id(body))


def need_id(body: dict[str, Any]) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not value:
        raise RetryLater("Facebook answered without the id of what it published")
    return value


def create(
    connector: Any, api: graph.Api, page_id: str, post: OutgoingPost, key: str
) -> PublishedPost:
    return sends.once(
        connector,
        "post",
        key,
        recorded=lambda row: PublishedPost(
            row.external_id, row.url, row.published_at, raw={"id": row.external_id}
        ),
        find=lambda since: find(api, page_id, post, since),
        send=lambda: send(api, page_id, post),
        record=lambda row, p: sends.save(row, p.external_id, p.url, p.published_at),
    )


def find(
    api: graph.Api, page_id: str, post: OutgoingPost, since: dt.datetime
) -> PublishedPost | None:
    if post.reply_to is not None:
        from parvis.connectors.base import ReplyTarget

        parent = ReplyTarget(network="facebook", external_id=post.reply_to.external_id)
        found = replies.find(api, page_id, parent, post.text, since)
        if found is None:
            return None
        return read_back(api, found.external_id)
    params = {"fields": READ_BACK, "limit": "25"}
    for _page in range(FEED_PAGES):
        body = api.get(f"{page_id}/feed", params, "publish")
        for item in body.get("data") or []:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            who = graph.as_dict(item.get("from"))
            if who.get("id") not in (None, page_id):
                continue  # a visitor's post on the Page
            when = graph_time(item.get("created_time"))
            if when is not None and not posted_since(when, since):
                return None  # newest first: the rest is older
            if same_text(str(item.get("message") or ""), post.text):
                return published(item, item["id"])
        after = graph.after_cursor(body)
        if not after:
            break
        params = {**params, "after": after}
    return None
