"""Publishing on Mastodon, on the account's own instance (docs.joinmastodon.org/methods/):

- media: POST /api/v2/media (multipart `file`, `description` = the alt text); 200 when the
  file is ready, 202 while the instance still processes it (a video, a large image): then
  GET /api/v1/media/:id answers 206 until it is done and 200 with its `url` set, polled a
  bounded number of times;
- the status: POST /api/v1/statuses with `status`, `language`, `media_ids[]`, `visibility`
  public, and `in_reply_to_id` for a thread's next post, carrying the `Idempotency-Key`
  header: the instance answers a repeated key with the status the first request created (for
  an hour); past that, find_post reads the account's statuses back;
- limits: GET /api/v2/instance `configuration` (statuses.max_characters,
  characters_reserved_per_url, max_media_attachments; media_attachments.image_size_limit,
  video_size_limit, supported_mime_types), /api/v1/instance on a server without v2 (before
  4.0; `max_toot_chars` on forks), kept a few minutes per instance.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from parvis.connectors.base import (
    MediaFile,
    OutgoingPost,
    PermanentError,
    PublishedPost,
    PublishLimits,
    RetryLater,
    parse_time,
    same_text,
)
from parvis.connectors.html import to_text
from parvis.connectors.mastodon import feeds, mapping
from parvis.connectors.mastodon.api import Api, error_text
from parvis.connectors.mastodon.replies import local_id, own_statuses

MEDIA_POLLS = 12  # GET /api/v1/media/:id while the instance processes a file
MEDIA_POLL_SECONDS = (1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0)
LIMITS_TTL = 600.0  # seconds an instance's limits are kept
MAX_DESCRIPTION = 1500  # Mastodon's default limit on a media description
MAX_LIMIT = 10**12  # a limit larger than this is not a real one
REMOTE_MENTION = re.compile(r"(?<![\w@])(@\w+)@[\w.-]+\.\w+")

_limits: dict[str, tuple[float, PublishLimits]] = {}
_limits_lock = threading.Lock()


def refusal(api: Api, response: httpx.Response, doing: str) -> Exception:
    """The typed error of a refused write: the instance's own words for a 422."""
    status = response.status_code
    if status == 429 or status >= 500:
        try:
            api.check(response)  # RetryLater with the instance's wait
        except RetryLater as exc:
            return exc
    detail = error_text(response)
    said = f" ({detail})" if detail else ""
    if status == 401:
        return PermanentError(
            f"{api.host} refused the access token of {api.who}{said}: reconnect the Mastodon "
            "account"
        )
    if status == 403:
        return PermanentError(
            f"{api.host} does not let {api.who} {doing}{said}: reconnect the Mastodon account "
            "so that Parvis may write (write:statuses, write:media), or check that the account "
            "is not limited"
        )
    if status == 404:
        return PermanentError(
            f"{api.host} does not have what the post refers to{said}: in a thread, the "
            "previous post was deleted"
        )
    if status == 413:
        return PermanentError(f"{api.host} refused the file as too large{said}: make it smaller")
    if status == 422:
        return PermanentError(f"{api.host} refused to {doing}: {detail or 'invalid'}")
    return PermanentError(f"HTTP {status} from {api.host} on trying to {doing}{said}")


def upload(api: Api, item: MediaFile, sleep: Callable[[float], None] | None = None) -> str:
    """The id of one attachment, uploaded and processed."""
    path = Path(item.path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PermanentError(
            f"the file {path.name!r} cannot be read ({exc.strerror}): attach it again"
        ) from exc
    mime = item.mime_type or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    form = {"description": item.alt_text[:MAX_DESCRIPTION]} if item.alt_text else {}
    response = api.request(
        "POST",
        "/api/v2/media",
        data=form,
        files={"file": (path.name, data, mime)},
        raw=True,
    )
    if response.status_code not in (200, 202):
        raise refusal(api, response, "take the file")
    media = feeds.decode(response, api.host)
    if not isinstance(media, dict) or not media.get("id"):
        raise RetryLater(f"{api.host} answered the upload without the attachment's id")
    media_id = str(media["id"])
    if response.status_code == 200 and media.get("url"):
        return media_id
    for wait in MEDIA_POLL_SECONDS[:MEDIA_POLLS]:
        (sleep or pause)(wait)
        polled = api.request("GET", f"/api/v1/media/{media_id}", raw=True)
        if polled.status_code == 206:
            continue  # still processing
        if polled.status_code != 200:
            raise refusal(api, polled, "process the file")
        body = feeds.decode(polled, api.host)
        if isinstance(body, dict) and body.get("url"):
            return media_id
    raise RetryLater(
        f"{api.host} is still processing {path.name!r} after {sum(MEDIA_POLL_SECONDS):g} s: "
        "trying again later"
    )


def pause(seconds: float) -> None:
    """Wait between two polls of an attachment (tests replace it)."""
    time.sleep(seconds)


def published(api: Api, status: dict[str, Any]) -> PublishedPost:
    status_id = str(status["id"])
    return PublishedPost(
        external_id=mapping.external_id(api.host, status_id),
        url=str(status.get("url") or status.get("uri") or ""),
        published_at=parse_time(status.get("created_at")),
        raw={
            "id": status_id,
            "uri": str(status.get("uri") or ""),
            "url": str(status.get("url") or ""),
            "visibility": str(status.get("visibility") or ""),
        },
    )


def create(
    api: Api,
    post: OutgoingPost,
    idempotency_key: str,
    sleep: Callable[[float], None] | None = None,
) -> PublishedPost:
    try:
        post.text.encode("utf-8")
    except UnicodeEncodeError:
        raise PermanentError(
            "the text holds a character that cannot be sent (a lone surrogate): retype it"
        ) from None
    form: dict[str, Any] = {"status": post.text, "visibility": "public"}
    if post.language.strip():
        form["language"] = post.language.strip()
    if post.reply_to is not None:
        form["in_reply_to_id"] = local_id(api, post.reply_to)
    if post.media:
        form["media_ids[]"] = [upload(api, item, sleep) for item in post.media]
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    response = api.post("/api/v1/statuses", form, raw=True, headers=headers)
    if response.status_code >= 400:
        raise refusal(api, response, "publish the post")
    status = feeds.decode(response, api.host)
    if not isinstance(status, dict) or not status.get("id"):
        raise RetryLater(f"{api.host} answered the post without a status")
    return published(api, status)


def comparable(text: str) -> str:
    """A status's text as the instance shows it back: a remote @user@domain mention is
    rendered @user."""
    return REMOTE_MENTION.sub(r"\1", text)


def find(api: Api, post: OutgoingPost, since: dt.datetime) -> PublishedPost | None:
    """The account's status with this text (in a thread: answering the previous post),
    created at or after `since`."""
    in_reply_to = local_id(api, post.reply_to) if post.reply_to is not None else ""
    wanted = comparable(post.text)
    for status in own_statuses(api, since, in_reply_to):
        if same_text(comparable(to_text(str(status.get("content") or ""))), wanted):
            return published(api, status)
    return None


# --- the instance's limits ------------------------------------------------------------------


def number(value: Any) -> int | None:
    """A positive integer limit, or None (absent, a string, a bool, 0, absurd)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_LIMIT else None


def section(parent: Any, name: str) -> dict[str, Any]:
    value = parent.get(name) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def limits_from(instance: Any) -> PublishLimits:
    """PublishLimits from an Instance entity (v2, or v1 with the same `configuration`, or a
    fork's `max_toot_chars`); what it does not say stays None (Mastodon's defaults apply)."""
    if not isinstance(instance, dict):
        raise RetryLater("the instance answered its description in an unexpected shape")
    configuration = section(instance, "configuration")
    statuses = section(configuration, "statuses")
    media = section(configuration, "media_attachments")
    types = media.get("supported_mime_types")
    return PublishLimits(
        max_characters=number(statuses.get("max_characters"))
        or number(instance.get("max_toot_chars")),
        characters_per_url=number(statuses.get("characters_reserved_per_url")),
        max_media=number(statuses.get("max_media_attachments")),
        image_size_limit=number(media.get("image_size_limit")),
        video_size_limit=number(media.get("video_size_limit")),
        media_types=tuple(t for t in types if isinstance(t, str))[:200]
        if isinstance(types, list)
        else (),
    )


def limits(api: Api, now: Callable[[], float] = time.monotonic) -> PublishLimits:
    """The instance's limits, read at most every LIMITS_TTL seconds."""
    with _limits_lock:
        cached = _limits.get(api.base)
    if cached is not None and cached[0] > now():
        return cached[1]
    response = api.get("/api/v2/instance", missing_ok=True)
    if response.status_code == 404:  # Mastodon before 4.0, and some compatible servers
        response = api.get("/api/v1/instance")
    found = limits_from(feeds.decode(response, api.host))
    with _limits_lock:
        _limits[api.base] = (now() + LIMITS_TTL, found)
    return found


def forget_limits() -> None:
    """Drop the kept limits (tests; an operator who changed the instance's settings)."""
    with _limits_lock:
        _limits.clear()
