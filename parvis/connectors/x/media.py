"""The media of a post, as X's v2 media endpoints take them with OAuth 2.0 user context (the
media.write scope); the ids go into the post's media.media_ids (up to 4 images, or one
animated GIF, or one video).

From docs.x.com (x-api/media): still images (JPEG, PNG, WebP) in one request,
POST /2/media/upload (multipart: `media`, `media_category` tweet_image, `media_type`); an
animated GIF (tweet_gif) and a video (tweet_video) in chunks: POST /2/media/upload/initialize
{"media_type", "total_bytes", "media_category"} → {"data": {"id"}}, then
POST /2/media/upload/{id}/append (multipart `media`, `segment_index`) per chunk of at most
5 MB (X's limit is 5 MB a segment), then POST /2/media/upload/{id}/finalize, whose
`processing_info` ({"state": pending | in_progress | succeeded | failed, "check_after_secs"})
is followed with GET /2/media/upload?command=STATUS&media_id= until it succeeds. Alt text:
POST /2/media/metadata {"id", "metadata": {"alt_text": {"text"}}}. Every answer is
{"data": {"id", "media_key", "expires_after_secs", …}}.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from parvis.connectors.base import MediaFile, PermanentError, RetryLater
from parvis.connectors.x.api import Api, as_dict, is_id

STILL_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
CHUNKED = {
    "image/gif": "tweet_gif",
    "video/mp4": "tweet_video",
    "video/quicktime": "tweet_video",
}
SEGMENT = 4 * 1024 * 1024
ALT_MAX = 1000
# How long a publish waits for X to process a video before leaving it to a retry.
PROCESSING_WAIT = 120.0


def upload_all(
    x: Api, files: tuple[MediaFile, ...], sleep: Callable[[float], None] = time.sleep
) -> list[str]:
    for item in files:
        if item.mime_type not in STILL_TYPES and item.mime_type not in CHUNKED:
            raise PermanentError(f"X does not take {item.mime_type[:60]} in a post")
    if len(files) > 4:
        raise PermanentError("X takes at most 4 images in a post")
    if len(files) > 1 and any(item.mime_type in CHUNKED for item in files):
        raise PermanentError("an animated GIF or a video goes alone in an X post")
    return [upload(x, item, sleep) for item in files]


def content_of(item: MediaFile) -> bytes:
    try:
        return Path(item.path).read_bytes()
    except OSError as exc:
        raise PermanentError(f"the file {Path(item.path).name} cannot be read") from exc


def media_id(answer: dict[str, object]) -> str:
    found = as_dict(answer.get("data")).get("id")
    if not is_id(found):
        raise PermanentError("X accepted the file but gave no media id")
    return str(found)


def upload(x: Api, item: MediaFile, sleep: Callable[[float], None]) -> str:
    content = content_of(item)
    name = Path(item.path).name
    if item.mime_type in CHUNKED:
        found = chunked(x, item, content, name, sleep)
    else:
        found = media_id(
            x.call(
                "POST",
                "media/upload",
                files={"media": (name, content, item.mime_type)},
                data={"media_category": "tweet_image", "media_type": item.mime_type},
                needs="free",
            )
        )
    if item.alt_text:
        x.call(
            "POST",
            "media/metadata",
            body={"id": found, "metadata": {"alt_text": {"text": item.alt_text[:ALT_MAX]}}},
            needs="free",
        )
    return found


def chunked(
    x: Api, item: MediaFile, content: bytes, name: str, sleep: Callable[[float], None]
) -> str:
    started = x.call(
        "POST",
        "media/upload/initialize",
        body={
            "media_type": item.mime_type,
            "total_bytes": len(content),
            "media_category": CHUNKED[item.mime_type],
        },
        needs="free",
    )
    found = media_id(started)
    for index, start in enumerate(range(0, len(content), SEGMENT)):
        x.call(
            "POST",
            f"media/upload/{found}/append",
            files={"media": (name, content[start : start + SEGMENT], "application/octet-stream")},
            data={"segment_index": str(index)},
            needs="free",
        )
    answer = x.call("POST", f"media/upload/{found}/finalize", needs="free")
    waited = 0.0
    while True:
        info = as_dict(as_dict(answer.get("data")).get("processing_info"))
        state = info.get("state")
        if not info or state == "succeeded":
            return found
        if state == "failed":
            error = as_dict(info.get("error"))
            said = str(error.get("message") or error.get("name") or "")[:200]
            raise PermanentError(f"X could not process {name}: {said or 'no reason given'}")
        pause = info.get("check_after_secs")
        pause = float(pause) if isinstance(pause, int) and 0 < pause <= 60 else 5.0
        if waited + pause > PROCESSING_WAIT:
            raise RetryLater(f"X is still processing {name}", 60.0)
        sleep(pause)
        waited += pause
        answer = x.get("media/upload", {"command": "STATUS", "media_id": found}, needs="free")
