"""Images for a post: POST /2/media/upload (multipart: `media`, `media_category`
tweet_image), which with OAuth 2.0 user context needs the media.write scope, then
POST /2/media/metadata for the alt text. The answer is {"data": {"id", "media_key",
"expires_after_secs", …}}; the id goes into the post's media.media_ids (up to 4 images, or
one animated GIF). Videos take X's chunked upload and its processing wait: Parvis does not
send them yet, and says so before anything is posted.
"""

from __future__ import annotations

from pathlib import Path

from parvis.connectors.base import MediaFile, PermanentError
from parvis.connectors.x.api import Api, as_dict, is_id

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
ALT_MAX = 1000


def upload_all(x: Api, files: tuple[MediaFile, ...]) -> list[str]:
    for item in files:
        if item.mime_type not in IMAGE_TYPES:
            raise PermanentError(
                f"Parvis posts images on X, not {item.mime_type}: post the video on X itself"
            )
    if len(files) > 4:
        raise PermanentError("X takes at most 4 images in a post")
    return [upload(x, item) for item in files]


def upload(x: Api, item: MediaFile) -> str:
    try:
        content = Path(item.path).read_bytes()
    except OSError as exc:
        raise PermanentError(f"the image {Path(item.path).name} cannot be read") from exc
    answer = x.call(
        "POST",
        "media/upload",
        files={"media": (Path(item.path).name, content, item.mime_type)},
        data={"media_category": "tweet_image", "media_type": item.mime_type},
        needs="Free",
    )
    media_id = as_dict(answer.get("data")).get("id")
    if not is_id(media_id):
        raise PermanentError("X accepted the image but gave no media id")
    if item.alt_text:
        x.call(
            "POST",
            "media/metadata",
            body={"id": media_id, "metadata": {"alt_text": {"text": item.alt_text[:ALT_MAX]}}},
            needs="Free",
        )
    return str(media_id)
