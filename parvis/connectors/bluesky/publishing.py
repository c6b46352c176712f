"""Publishing on Bluesky: an app.bsky.feed.post record written to the account's repository
with com.atproto.repo.createRecord: text, createdAt, langs, facets (links, mentions, hashtags:
parvis.connectors.bluesky.facets), images uploaded with com.atproto.repo.uploadBlob and
embedded as app.bsky.embed.images (alt text, aspectRatio) or one MP4 video as
app.bsky.embed.video, and in a thread the reply refs (root, parent) of the post it follows.

Exactly once without bookkeeping, as replies (parvis.connectors.bluesky.replies): the record
key is derived from the post's idempotency key, so every attempt writes the same at:// URI;
the reference PDS refuses a second write at a key already used (a 500: its repository will not
hold two values at one key), and getRecord of that key then finds the first attempt's post.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from parvis.connectors.base import (
    ConnectorError,
    MediaFile,
    OutgoingPost,
    PermanentError,
    PublishedPost,
    ReplyTarget,
    RetryLater,
    parse_time,
    posted_since,
    same_text,
)
from parvis.connectors.bluesky import facets, mapping, replies, xrpc
from parvis.connectors.bluesky.profiles import Reader

UPLOAD = "com.atproto.repo.uploadBlob"
IMAGES = "app.bsky.embed.images"
MAX_IMAGES = 4  # app.bsky.embed.images: maxLength 4
MAX_IMAGE_BYTES = 1_000_000  # the lexicon's maxSize for an image blob
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
VIDEO = "app.bsky.embed.video"
VIDEO_TYPES = ("video/mp4",)  # app.bsky.embed.video: accept video/mp4
MAX_VIDEO_BYTES = 100_000_000  # the lexicon's maxSize for the video blob
MAX_TEXT_BYTES = 3000  # app.bsky.feed.post text: maxLength 3000 (bytes), maxGraphemes 300
# Bytes of an alt text: the video's lexicon says maxLength 10,000 (and 1,000 graphemes, which
# the PDS checks); the images' says nothing, and Parvis holds them to the same.
MAX_ALT_BYTES = 10_000
FEED_PAGES = 4


def obj(value: Any) -> dict[str, Any]:
    """A JSON object of an answer, or an empty one for anything else."""
    return value if isinstance(value, dict) else {}


def parent_refs(reader: Reader, target: ReplyTarget) -> tuple[dict[str, str], dict[str, str]]:
    """(root, parent) of a thread's next post: from what publishing recorded of the previous
    one (PublishedPost.raw {"uri", "cid", "root"}), else read from the AppView."""
    raw = target.raw if isinstance(target.raw, dict) else {}
    parent = replies.strong_ref(raw)
    if parent is not None and parent["uri"] == (target.external_id or parent["uri"]):
        return replies.strong_ref(raw.get("root")) or parent, parent
    return replies.thread_refs(reader, target)


def read_media(media: MediaFile) -> bytes:
    try:
        data = Path(media.path).read_bytes()
    except OSError as exc:
        raise PermanentError(
            f"the file {Path(media.path).name!r} cannot be read ({exc.strerror}): attach it again"
        ) from exc
    return data


def check_text(text: str) -> None:
    """Refuse what cannot be a Bluesky post's text, before any work on it."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise PermanentError(
            "the text holds a character that cannot be sent (a lone surrogate): retype it"
        ) from None
    if size > MAX_TEXT_BYTES:
        raise PermanentError(
            f"the text is {size:,} bytes long; a Bluesky post takes 300 characters "
            f"({MAX_TEXT_BYTES:,} bytes) at most: shorten it"
        )


def check_media(media: tuple[MediaFile, ...]) -> None:
    """Refuse before anything is written what Bluesky would refuse."""
    videos = [m for m in media if m.mime_type.startswith("video/")]
    if videos and len(media) > 1:
        raise PermanentError(
            "a Bluesky post has either images or one video, not both nor two videos: keep one"
        )
    if videos:
        if len(videos[0].alt_text.encode("utf-8", "replace")) > MAX_ALT_BYTES:
            raise PermanentError(
                f"the video's alt text is longer than Bluesky takes ({MAX_ALT_BYTES:,} bytes, "
                "1,000 characters): shorten it"
            )
        if videos[0].mime_type not in VIDEO_TYPES:
            raise PermanentError(
                f"Bluesky takes videos as MP4 only ({videos[0].mime_type}): convert it"
            )
        return
    if len(media) > MAX_IMAGES:
        raise PermanentError(
            f"a Bluesky post has at most {MAX_IMAGES} images ({len(media)} attached): remove some"
        )
    for item in media:
        if len(item.alt_text.encode("utf-8", "replace")) > MAX_ALT_BYTES:
            raise PermanentError(
                f"the alt text of {Path(item.path).name!r} is longer than Bluesky takes "
                f"({MAX_ALT_BYTES:,} bytes): shorten it"
            )
        if item.mime_type not in IMAGE_TYPES:
            raise PermanentError(
                f"Bluesky does not take {item.mime_type or 'this kind of file'} as an image: "
                "use JPEG, PNG, GIF or WebP"
            )


def upload(session: xrpc.Session, item: MediaFile, limit: int) -> dict[str, Any]:
    """The blob ref of one file, uploaded now to the account's PDS."""
    data = read_media(item)
    if len(data) > limit:
        raise PermanentError(
            f"the file {Path(item.path).name!r} is {len(data):,} bytes; Bluesky takes "
            f"{limit:,} at most: make it smaller"
        )
    body = session.upload(UPLOAD, data, item.mime_type)
    blob = body.get("blob")
    if (
        not isinstance(blob, dict)
        or not isinstance(blob.get("ref"), dict)
        or not isinstance(blob["ref"].get("$link"), str)
    ):
        raise RetryLater("uploadBlob answered without the file's blob reference")
    return blob


def aspect_ratio(item: MediaFile) -> dict[str, int] | None:
    if item.width and item.height and item.width > 0 and item.height > 0:
        return {"width": item.width, "height": item.height}
    return None


def media_embed(session: xrpc.Session, media: tuple[MediaFile, ...]) -> dict[str, Any] | None:
    """app.bsky.embed.images, or app.bsky.embed.video for one video: the simple method of
    Bluesky's documentation (the blob on the PDS; the video service processes it once the
    post is in the firehose, so it shows a few seconds after the post)."""
    if not media:
        return None
    if media[0].mime_type.startswith("video/"):
        video = media[0]
        embed: dict[str, Any] = {
            "$type": VIDEO,
            "video": upload(session, video, MAX_VIDEO_BYTES),
        }
        if video.alt_text:
            embed["alt"] = video.alt_text
        if (ratio := aspect_ratio(video)) is not None:
            embed["aspectRatio"] = ratio
        return embed
    images = []
    for item in media:
        image: dict[str, Any] = {
            "alt": item.alt_text,
            "image": upload(session, item, MAX_IMAGE_BYTES),
        }
        if (ratio := aspect_ratio(item)) is not None:
            image["aspectRatio"] = ratio
        images.append(image)
    return {"$type": IMAGES, "images": images}


def build_record(session: xrpc.Session, reader: Reader, post: OutgoingPost) -> dict[str, Any]:
    record: dict[str, Any] = {
        "$type": mapping.POST_COLLECTION,
        "text": post.text,
        "createdAt": replies.iso_now(),
    }
    lang = post.language.strip()
    if lang and mapping.LANG.match(lang.lower()):  # anything else the PDS would refuse
        record["langs"] = [lang]
    found = facets.detect(post.text, facets.handle_resolver(session.query))
    if found:
        record["facets"] = found
    if post.reply_to is not None:
        root, parent = parent_refs(reader, post.reply_to)
        record["reply"] = {"root": root, "parent": parent}
    embed = media_embed(session, post.media)
    if embed is not None:
        record["embed"] = embed
    return record


def published(uri: str, cid: str, record: dict[str, Any], handle: str) -> PublishedPost:
    did, _collection, rkey = mapping.split_uri(uri)
    reply = obj(record.get("reply"))
    root = replies.strong_ref(reply.get("root")) or {"uri": uri, "cid": cid}
    return PublishedPost(
        external_id=uri,
        url=mapping.post_url(mapping.Profile(did=did, handle=handle), rkey),
        published_at=parse_time(record.get("createdAt")),
        raw={"uri": uri, "cid": cid, "root": root},
    )


def own_post(session: xrpc.Session, rkey: str) -> PublishedPost | None:
    """The account's post at this key, with its cid (getRecord), or None."""
    try:
        body = session.query(
            replies.GET_RECORD,
            {"repo": session.did, "collection": mapping.POST_COLLECTION, "rkey": rkey},
        )
    except xrpc.BadRequest as exc:
        if "RecordNotFound" in str(exc) or "Could not locate record" in str(exc):
            return None
        raise
    uri, cid, value = body.get("uri"), body.get("cid"), body.get("value")
    if not isinstance(uri, str) or not isinstance(value, dict):
        return None
    return published(uri, cid if isinstance(cid, str) else "", value, "")


def with_handle(post: PublishedPost, handle: str) -> PublishedPost:
    did, _collection, rkey = mapping.split_uri(post.external_id)
    url = mapping.post_url(mapping.Profile(did=did, handle=handle), rkey)
    return PublishedPost(post.external_id, url, post.published_at, post.raw)


def create(
    session: xrpc.Session,
    reader: Reader,
    post: OutgoingPost,
    idempotency_key: str,
    handle: str,
) -> PublishedPost:
    """Publish the post; another attempt with the same key returns the first one's post."""
    if not session.did:
        session.login()
    rkey = replies.rkey_for(idempotency_key) if idempotency_key else ""
    if rkey:
        # Written by an attempt whose answer was lost: no second upload, no second write.
        found = own_post(session, rkey)
        if found is not None:
            return with_handle(found, handle)
    check_text(post.text)
    check_media(post.media)
    record = build_record(session, reader, post)
    body: dict[str, Any] = {
        "repo": session.did,
        "collection": mapping.POST_COLLECTION,
        "record": record,
    }
    if rkey:
        body["rkey"] = rkey
    try:
        answer = session.procedure(replies.CREATE, body)
    except ConnectorError as exc:
        if not rkey:
            raise
        try:
            found = own_post(session, rkey)
        except ConnectorError:
            found = None
        if found is not None:  # the refusal of a second write: the first one is there
            return with_handle(found, handle)
        if isinstance(exc, xrpc.BadRequest):
            raise PermanentError(
                f"Bluesky refused the post ({exc}): change it (300 characters at most, 4 "
                "images, and in a thread the previous post must still exist)"
            ) from exc
        raise
    uri, cid = answer.get("uri"), answer.get("cid")
    if not isinstance(uri, str) or not isinstance(cid, str):
        found = own_post(session, rkey) if rkey else None
        if found is None:
            raise RetryLater("createRecord answered without the new post's uri and cid")
        return with_handle(found, handle)
    try:
        return published(uri, cid, record, handle)
    except ValueError:
        raise RetryLater(
            f"createRecord answered an address that is not one: {uri[:100]!r}"
        ) from None


def find(
    session: xrpc.Session,
    reader: Reader,
    post: OutgoingPost,
    since: dt.datetime,
    idempotency_key: str,
    handle: str,
) -> PublishedPost | None:
    """The account's post with this text (in a thread: answering `post.reply_to`) published at
    or after `since`: the record at the derived key first, then the account's recent posts
    (getAuthorFeed)."""
    if not session.did:
        session.login()
    if idempotency_key:
        found = own_post(session, replies.rkey_for(idempotency_key))
        if found is not None:
            return with_handle(found, handle)
    parent_uri = ""
    if post.reply_to is not None:
        parent_uri, _cid, _record = replies.stored_post(post.reply_to)
    cursor: str | None = None
    for _page in range(FEED_PAGES):
        body = reader.query(
            "app.bsky.feed.getAuthorFeed",
            {"actor": session.did, "filter": "posts_with_replies", "limit": 100, "cursor": cursor},
        )
        older = False
        feed = body.get("feed")
        for item in feed if isinstance(feed, list) else []:
            view = (
                obj(item.get("post")) if isinstance(item, dict) and not item.get("reason") else {}
            )
            if not isinstance(view.get("uri"), str):
                continue
            record = obj(view.get("record"))
            if not posted_since(parse_time(record.get("createdAt")), since):
                older = True
                continue
            reply = obj(record.get("reply"))
            ref = obj(reply.get("parent"))
            if (ref.get("uri") or "") != parent_uri:
                continue
            if same_text(str(record.get("text") or ""), post.text):
                try:
                    return published(view["uri"], str(view.get("cid") or ""), record, handle)
                except ValueError:
                    continue
        cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
        if older or not cursor:
            break
    return None
