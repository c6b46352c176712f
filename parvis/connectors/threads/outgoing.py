"""What the Threads connector sends: replies, posts (text, image, video, carousel) through
media containers, hiding replies, and reading the posts' insights.

From Meta's Threads documentation (posts, reply-management, insights, troubleshooting):
- a post is a container, POST /{user-id}/threads with media_type TEXT | IMAGE | VIDEO |
  CAROUSEL (text, image_url / video_url, alt_text; reply_to_id makes it a reply; a carousel
  has is_carousel_item=true children, then children=<ids>), answering {"id"}; then POST
  /{user-id}/threads_publish with creation_id, answering {"id": <media id>};
- GET /{container-id}?fields=status,error_message says FINISHED, IN_PROGRESS, ERROR, EXPIRED
  or PUBLISHED; Meta advises waiting for FINISHED before publishing;
- Threads fetches images and videos itself from a public URL: Parvis gives it the signed,
  expiring address Instagram uses (instagram/media_url.py, under PARVIS_PUBLIC_URL); the
  older PARVIS_THREADS_MEDIA_URL (a reverse proxy serving the media folder) is used only
  when PARVIS_PUBLIC_URL is not set; without either, media are refused;
- POST /{reply-id}/manage_reply with hide=true|false hides or unhides a reply to the
  profile's own posts (threads_manage_replies); Threads lets nobody delete others' replies;
- GET /{media-id}/insights?metric=views,likes,replies,reposts,quotes, each metric as
  {"name", "period", "values": [{"value"}], "title", "description", "id"};
- GET /{user-id}/threads_publishing_limit?fields=quota_usage,config: 250 posts per 24 h.

No idempotency key exists: exactly once is kept by the Facebook connector's send table
(parvis.connectors.facebook.sends, one row per key written before the call), and the read
back (find_reply / find_post) looks for the profile's own post with this text.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from parvis.connectors.base import (
    ConnectorError,
    MediaFile,
    ModerationAction,
    ModerationResult,
    OutgoingPost,
    PermanentError,
    PostMetrics,
    PublishedPost,
    PublishLimits,
    ReplyTarget,
    RetryLater,
    SentReply,
    metric,
    not_allowed,
    posted_since,
    same_text,
)
from parvis.connectors.facebook import sends
from parvis.connectors.threads import api as th
from parvis.connectors.threads.mapping import POST_FIELDS, graph_time

MB = 1024 * 1024
IMAGE_TYPES = ("image/jpeg", "image/png")
VIDEO_TYPES = ("video/mp4", "video/quicktime")
# The limits Meta documents (the same as parvis/connectors/counting.py's rule for threads).
MAX_CHARACTERS = 500
MAX_MEDIA = 10
DEFAULT_LIMITS = PublishLimits(
    max_characters=MAX_CHARACTERS,
    max_media=MAX_MEDIA,
    image_size_limit=8 * MB,
    video_size_limit=1024 * MB,
    media_types=IMAGE_TYPES + VIDEO_TYPES,
)
MEDIA_URL_SETTING = "PARVIS_THREADS_MEDIA_URL"
# Waits between two readings of a container's status, in seconds: about half a minute in all,
# then the attempt is retried later (a video still processing).
POLL_WAITS = (0.5, 1, 2, 4, 8, 15)
READ_BACK_PAGES = 2  # pages of 25 read back by find_post / find_reply
INSIGHTS = ("views", "likes", "replies", "reposts", "quotes")

sleep = time.sleep  # tests replace it


# --- containers ---------------------------------------------------------------------------


def media_base() -> str:
    base = str(settings.THREADS_MEDIA_URL)
    return base.strip().rstrip("/")


def media_url(item: MediaFile) -> str:
    """The public address at which Threads fetches the file: Parvis's own signed address
    under PARVIS_PUBLIC_URL (the one Instagram fetches from), else the older reverse-proxy
    folder PARVIS_THREADS_MEDIA_URL."""
    from parvis.connectors.instagram import media_url as signed

    if signed.public_base():
        return signed.address(item)
    base = media_base()
    if not base.startswith("https://"):
        raise PermanentError(
            "Threads fetches images and videos from a public address, and this server has "
            "none: set PARVIS_PUBLIC_URL to Parvis's https:// address as seen from the "
            "Internet (see docs/connectors.md), or publish without media"
        )
    # The publishing app keeps media under DATA_DIR/publishing/media/ (by SHA-256); connectors
    # may not import it (layers), so the folder is named here.
    root = Path(settings.DATA_DIR) / "publishing" / "media"
    try:
        relative = Path(item.path).resolve().relative_to(root.resolve())
    except ValueError:
        raise PermanentError("the media file is not in Parvis's media folder") from None
    return f"{base}/{relative.as_posix()}"


def check_media(media: tuple[MediaFile, ...]) -> None:
    if len(media) > MAX_MEDIA:
        raise PermanentError(f"Threads takes at most {MAX_MEDIA} images or videos: remove some")
    for item in media:
        if item.mime_type in IMAGE_TYPES:
            if item.size > (DEFAULT_LIMITS.image_size_limit or 0):
                raise PermanentError("an image is larger than the 8 MB Threads accepts: reduce it")
        elif item.mime_type in VIDEO_TYPES:
            if item.size > (DEFAULT_LIMITS.video_size_limit or 0):
                raise PermanentError("a video is larger than the 1 GB Threads accepts")
        else:
            raise PermanentError(
                f"Threads takes JPEG or PNG images and MP4 or MOV videos, not {item.mime_type}"
            )


def media_fields(item: MediaFile) -> dict[str, str]:
    if item.mime_type in VIDEO_TYPES:
        fields = {"media_type": "VIDEO", "video_url": media_url(item)}
    else:
        fields = {"media_type": "IMAGE", "image_url": media_url(item)}
    if item.alt_text:
        fields["alt_text"] = item.alt_text[:1000]
    return fields


def need_id(body: dict[str, Any], what: str) -> str:
    value = body.get("id")
    if not isinstance(value, str) or not th.MEDIA_ID.fullmatch(value):
        raise RetryLater(f"Threads answered without the id of the {what}")
    return value


def container(api: th.Api, user_id: str, fields: dict[str, str], doing: str) -> str:
    return need_id(api.post(f"{user_id}/threads", fields, doing), "container")


def wait_ready(api: th.Api, container_id: str, doing: str) -> None:
    for wait in (*POLL_WAITS, None):
        body = api.get(container_id, {"fields": "status,error_message"}, doing)
        status = body.get("status")
        if status in ("FINISHED", "PUBLISHED"):
            return
        if status in ("ERROR", "EXPIRED"):
            said = str(body.get("error_message") or status)[:200]
            raise PermanentError(f"Threads could not prepare the post ({said}): check the media")
        if wait is None:
            break
        sleep(wait)
    raise RetryLater("Threads is still processing the media: trying again later", 60.0)


def build(api: th.Api, user_id: str, post: OutgoingPost, doing: str) -> str:
    """The container of the post (its children made and ready first)."""
    check_media(post.media)
    fields: dict[str, str] = {}
    if post.text:
        fields["text"] = post.text
    if post.reply_to is not None:
        parent = post.reply_to.external_id.strip()
        if not th.MEDIA_ID.fullmatch(parent):
            raise PermanentError("cannot answer on Threads: the post answered has no Threads id")
        fields["reply_to_id"] = parent
    if len(post.media) > 1:
        children = []
        for item in post.media:
            fields_of_child = {**media_fields(item), "is_carousel_item": "true"}
            child = container(api, user_id, fields_of_child, doing)
            wait_ready(api, child, doing)
            children.append(child)
        fields.update(media_type="CAROUSEL", children=",".join(children))
    elif post.media:
        fields.update(media_fields(post.media[0]))
    else:
        fields["media_type"] = "TEXT"
    made = container(api, user_id, fields, doing)
    wait_ready(api, made, doing)
    return made


def publish_container(api: th.Api, user_id: str, container_id: str, doing: str) -> str:
    body = api.post(f"{user_id}/threads_publish", {"creation_id": container_id}, doing)
    return need_id(body, "post")


def published(body: dict[str, Any], fallback_id: str) -> PublishedPost:
    url = body.get("permalink")
    return PublishedPost(
        external_id=fallback_id,
        url=url if isinstance(url, str) and url.startswith("https://") else th.WWW,
        published_at=graph_time(body.get("timestamp")),
        raw={"id": fallback_id},
    )


def read_back(api: th.Api, media_id: str, doing: str) -> PublishedPost:
    try:
        body = api.get(media_id, {"fields": "id,permalink,timestamp"}, doing)
    except ConnectorError:
        # Published, but not readable now: what we know is enough to record it.
        return PublishedPost(media_id, th.WWW, dt.datetime.now(dt.UTC), raw={"id": media_id})
    post = published(body, media_id)
    if post.published_at is None:
        post = PublishedPost(post.external_id, post.url, dt.datetime.now(dt.UTC), post.raw)
    return post


def send(api: th.Api, user_id: str, post: OutgoingPost, doing: str) -> PublishedPost:
    made = build(api, user_id, post, doing)
    return read_back(api, publish_container(api, user_id, made, doing), doing)


# --- publishing -----------------------------------------------------------------------------


def as_published(row: Any) -> PublishedPost:
    return PublishedPost(row.external_id, row.url, row.published_at, raw={"id": row.external_id})


def create(
    connector: Any, api: th.Api, user_id: str, username: str, post: OutgoingPost, key: str
) -> PublishedPost:
    return sends.once(
        connector,
        "post",
        key,
        recorded=as_published,
        find=lambda since: find_post(api, user_id, username, post, since),
        send=lambda: send(api, user_id, post, "publish"),
        record=lambda row, p: sends.save(row, p.external_id, p.url, p.published_at),
    )


def own_items(
    api: th.Api, path: str, username: str, since: dt.datetime, doing: str
) -> list[dict[str, Any]]:
    """The profile's own items of a list read newest first, down to `since`."""
    params = {"fields": POST_FIELDS, "limit": "25"}
    found: list[dict[str, Any]] = []
    for _page in range(READ_BACK_PAGES):
        try:
            body = api.get(path, params, doing)
        except th.Gone:
            return found  # the post answered is gone, and its replies with it
        for item in th.as_list(body.get("data")):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            when = graph_time(item.get("timestamp"))
            if when is not None and not posted_since(when, since):
                return found  # newest first: the rest is older
            if item.get("username") == username:
                found.append(item)
        after = th.after_cursor(body)
        if not after:
            break
        params = {**params, "after": after}
    return found


def find_post(
    api: th.Api, user_id: str, username: str, post: OutgoingPost, since: dt.datetime
) -> PublishedPost | None:
    if post.reply_to is not None:
        parent = post.reply_to.external_id.strip()
        if not th.MEDIA_ID.fullmatch(parent):
            return None
        items = own_items(api, f"{parent}/replies", username, since, "publish")
    else:
        items = own_items(api, f"{user_id}/threads", username, since, "publish")
        items = [i for i in items if i.get("is_reply") is not True]
    for item in items:
        if same_text(str(item.get("text") or ""), post.text):
            return published(item, item["id"])
    return None


# --- replying -------------------------------------------------------------------------------


def reply_target(target: ReplyTarget) -> str:
    answered = target.external_id.strip()
    if not th.MEDIA_ID.fullmatch(answered):
        raise PermanentError("cannot reply on Threads: the reply answered has no Threads id")
    return answered


def as_sent(post: PublishedPost) -> SentReply:
    return SentReply(post.external_id, post.url, post.published_at)


def reply(
    connector: Any,
    api: th.Api,
    user_id: str,
    username: str,
    target: ReplyTarget,
    text: str,
    key: str,
) -> SentReply:
    answered = reply_target(target)
    parent = ReplyTarget(network="threads", external_id=answered)
    outgoing = OutgoingPost(text=text, reply_to=parent)
    return sends.once(
        connector,
        "reply",
        key,
        recorded=lambda row: SentReply(row.external_id, row.url, row.published_at),
        find=lambda since: find_reply(api, username, target, text, since),
        send=lambda: as_sent(send(api, user_id, outgoing, "reply")),
        record=lambda row, r: sends.save(row, r.external_id, r.url, r.published_at),
    )


def find_reply(
    api: th.Api, username: str, target: ReplyTarget, text: str, since: dt.datetime
) -> SentReply | None:
    answered = reply_target(target)
    for item in own_items(api, f"{answered}/replies", username, since, "reply"):
        if same_text(str(item.get("text") or ""), text):
            return as_sent(published(item, item["id"]))
    return None


# --- moderating -----------------------------------------------------------------------------


def moderate(api: th.Api, target: ReplyTarget, action: ModerationAction) -> ModerationResult:
    if action == ModerationAction.DELETE:
        return not_allowed(
            action,
            "Threads lets a profile hide the replies to its posts, not delete them: hide it, "
            "or report it on Threads",
            target.raw.get("permalink", "") if isinstance(target.raw, dict) else "",
        )
    reply_id = target.external_id.strip()
    if not th.MEDIA_ID.fullmatch(reply_id):
        raise PermanentError("cannot moderate on Threads: the reply has no Threads id")
    hide = "true" if action == ModerationAction.HIDE else "false"
    try:
        body = api.post(f"{reply_id}/manage_reply", {"hide": hide}, "moderate")
    except th.Gone:
        if action == ModerationAction.HIDE:
            return ModerationResult(action=str(action), message="the reply is already gone")
        raise
    if body.get("success") is not True:
        raise RetryLater("Threads did not confirm the change: trying again")
    return ModerationResult(action=str(action))


# --- limits and metrics ---------------------------------------------------------------------


def limits(api: th.Api, user_id: str) -> PublishLimits:
    """The documented limits, with the publishing quota as Threads says it now."""
    body = api.get(
        f"{user_id}/threads_publishing_limit", {"fields": "quota_usage,config"}, "publish"
    )
    rows = th.as_list(body.get("data"))
    row = rows[0] if rows and isinstance(rows[0], dict) else {}
    config = th.as_dict(row.get("config"))
    total, used = metric(config.get("quota_total")), metric(row.get("quota_usage"))
    duration = metric(config.get("quota_duration"))
    return PublishLimits(
        max_characters=DEFAULT_LIMITS.max_characters,
        max_media=DEFAULT_LIMITS.max_media,
        image_size_limit=DEFAULT_LIMITS.image_size_limit,
        video_size_limit=DEFAULT_LIMITS.video_size_limit,
        media_types=DEFAULT_LIMITS.media_types,
        posts_per_window=total,
        posts_left=max(total - used, 0) if total is not None and used is not None else None,
        window_seconds=duration,
    )


def post_metrics(api: th.Api, external_ids: list[str]) -> list[PostMetrics]:
    found: list[PostMetrics] = []
    for external_id in external_ids:
        if not isinstance(external_id, str) or not th.MEDIA_ID.fullmatch(external_id):
            continue  # not a Threads post id: left out
        try:
            body = api.get(f"{external_id}/insights", {"metric": ",".join(INSIGHTS)}, "metrics")
        except th.Gone:
            found.append(PostMetrics(external_id, gone=True))
            continue
        values: dict[str, int | None] = {}
        for entry in th.as_list(body.get("data")):
            entry = th.as_dict(entry)
            name = entry.get("name")
            if name not in INSIGHTS:
                continue
            points = th.as_list(entry.get("values"))
            total = th.as_dict(entry.get("total_value"))
            if points:
                values[str(name)] = metric(th.as_dict(points[0]).get("value"))
            elif total:
                values[str(name)] = metric(total.get("value"))
        found.append(
            PostMetrics(
                external_id,
                likes=values.get("likes"),
                reposts=values.get("reposts"),
                replies=values.get("replies"),
                quotes=values.get("quotes"),
                views=values.get("views"),
            )
        )
    return found
