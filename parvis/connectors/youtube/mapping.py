"""YouTube resources (commentThread, comment, video) as normalized mentions."""

from __future__ import annotations

from typing import Any

WATCH = "https://www.youtube.com/watch?v="
CHANNEL = "https://www.youtube.com/channel/"


class Malformed(ValueError):
    """The resource lacks what identifies or dates it: quarantined with this reason."""


def need(obj: Any, name: str, kind: type = str) -> Any:
    value = obj.get(name) if isinstance(obj, dict) else None
    if not isinstance(value, kind) or (kind is str and not value.strip()):
        raise Malformed(f"missing field: {name}")
    return value


def count(value: Any) -> int:
    """Statistics come as strings ("1234"), like counts as numbers; hidden ones are absent."""
    if value is None or value == "":
        return 0
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):  # OverflowError: Infinity
        raise Malformed(f"not a count: {str(value)[:20]!r}") from None


def primary_language(tag: Any) -> str:
    return tag.split("-")[0].lower()[:12] if isinstance(tag, str) else ""


def comment_author(snippet: dict[str, Any]) -> dict[str, Any]:
    # The channel id (UC…) is the stable handle: display names change and are not unique.
    channel = (snippet.get("authorChannelId") or {}).get("value") or ""
    name = snippet.get("authorDisplayName") or ""
    if not channel and not name:
        raise Malformed("missing field: authorChannelId")
    return {
        "handle": channel or name,
        "name": name,
        "url": snippet.get("authorChannelUrl") or (CHANNEL + channel if channel else ""),
        "followers": 0,
    }


def comment_mention(
    comment: dict[str, Any], *, video_id: str = "", channel_id: str = "", replies: int = 0
) -> dict[str, Any]:
    """A top-level comment (replies = the thread's totalReplyCount) or a reply (parentId)."""
    comment_id = need(comment, "id")
    snippet = need(comment, "snippet", dict)
    published = need(snippet, "publishedAt")
    video = snippet.get("videoId") or video_id
    # textOriginal is the plain text as typed; textDisplay is plain too with textFormat=plainText.
    text = snippet.get("textOriginal")
    if not isinstance(text, str):
        text = snippet.get("textDisplay")
    if not isinstance(text, str):
        raise Malformed("missing field: textOriginal")
    if video:
        url, root = f"{WATCH}{video}&lc={comment_id}", video
    else:  # a comment on the channel itself (its former discussion tab)
        channel = snippet.get("channelId") or channel_id
        url, root = f"{CHANNEL}{channel}?lc={comment_id}", channel
    return {
        "network": "youtube",
        "external_id": comment_id,
        "url": url,
        "text": text,
        "created_at": published,
        "author": comment_author(snippet),
        "parent_id": snippet.get("parentId") or root,
        "root_id": root,
        "metrics": {"likes": count(snippet.get("likeCount")), "reposts": 0, "replies": replies},
    }


def thread_comments(thread: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    """The thread's top-level comment with its reply count, then the replies included."""
    snippet = need(thread, "snippet", dict)
    top = need(snippet, "topLevelComment", dict)
    found = [(top, count(snippet.get("totalReplyCount")))]
    for reply in (thread.get("replies") or {}).get("comments") or []:
        found.append((reply, 0))
    return found


def video_mention(video: dict[str, Any]) -> dict[str, Any]:
    video_id = need(video, "id")
    snippet = need(video, "snippet", dict)
    statistics = video.get("statistics") or {}
    channel = need(snippet, "channelId")
    return {
        "network": "youtube",
        "external_id": video_id,
        "url": WATCH + video_id,
        "title": snippet.get("title") or "",
        "text": snippet.get("description") or "",
        "created_at": need(snippet, "publishedAt"),
        "lang": primary_language(
            snippet.get("defaultLanguage") or snippet.get("defaultAudioLanguage")
        ),
        "author": {
            "handle": channel,
            "name": snippet.get("channelTitle") or "",
            "url": CHANNEL + channel,
            "followers": 0,
        },
        "metrics": {
            "likes": count(statistics.get("likeCount")),
            "reposts": 0,
            "replies": count(statistics.get("commentCount")),
        },
    }
