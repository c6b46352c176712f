"""What a LinkedIn page sends: comments as the organization (replies, a thread's next part),
deleting comments, posts (text, article link, images, a PDF document), and the statistics of
posts and of the page.

From LinkedIn's documentation (community-management/shares/comments-api, posts-api,
images-api, documents-api; organizations/share-statistics, follower-statistics):
- POST /rest/socialActions/{urn}/comments {"actor": the organization, "object": the activity
  or post, "message": {"text"}, "parentComment" for a reply to a comment} creates a comment
  (201; the new comment in the body, its id in `x-restli-id`); a comment on a comment is made
  under the top-level comment, LinkedIn nesting one level only;
- DELETE /rest/socialActions/{urn}/comments/{comment id}?actor={organization} (204);
- POST /rest/posts {"author", "commentary", "visibility": "PUBLIC", "distribution",
  "lifecycleState": "PUBLISHED", "content"?} (201, the post's URN in `x-restli-id`), with
  `content.article`, `content.media` (an image or a document) or `content.multiImage`;
- POST /rest/images?action=initializeUpload and /rest/documents?action=initializeUpload
  {"initializeUploadRequest": {"owner"}} give {"value": {"uploadUrl", "image" | "document"}};
  the file is then PUT to uploadUrl;
- POST /rest/videos?action=initializeUpload {"initializeUploadRequest": {"owner",
  "fileSizeBytes", "uploadCaptions", "uploadThumbnail"}} gives {"value": {"video",
  "uploadInstructions": [{"uploadUrl", "firstByte", "lastByte"}], "uploadToken"}}: each part
  is PUT (its ETag kept), then POST /rest/videos?action=finalizeUpload {"finalizeUploadRequest":
  {"video", "uploadToken", "uploadedPartIds"}}; GET /rest/videos/{urn} says its `status`
  (PROCESSING, AVAILABLE, PROCESSING_FAILED);
- GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=
  …&shares=List(…)&ugcPosts=List(…) gives each post's totalShareStatistics (likeCount,
  commentCount, shareCount, impressionCount…); GET /rest/networkSizes/{organization}?edgeType=
  COMPANY_FOLLOWED_BY_MEMBER gives the page's follower count (firstDegreeSize).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from parvis.connectors import counting
from parvis.connectors.base import (
    AccountMetrics,
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
from parvis.connectors.linkedin import api as li
from parvis.connectors.linkedin.mapping import little_text

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif")
VIDEO_TYPES = ("video/mp4",)
DOCUMENT_TYPES = ("application/pdf",)
DOCUMENT_SIZE = 100 * 1024 * 1024
VIDEO_SIZE = 500 * 1024 * 1024
LIMITS = PublishLimits(
    max_characters=3000,
    max_media=20,
    media_types=IMAGE_TYPES + VIDEO_TYPES + DOCUMENT_TYPES,
    video_size_limit=VIDEO_SIZE,
)
# Waits between two readings of a video's status, in seconds (about half a minute in all):
# then the attempt is retried later.
VIDEO_WAITS = (1, 2, 4, 8, 15)
sleep = time.sleep  # tests replace it
OWN_PAGES = 3  # pages of 50 posts or comments read back to find ours
# A duplicate refused by LinkedIn is taken for ours only if it was posted this recently.
DUPLICATE_WINDOW = dt.timedelta(hours=1)
STATS_BATCH = 20  # posts per share-statistics call


# --- comments -------------------------------------------------------------------------------


def where(target: ReplyTarget) -> tuple[str, str, str]:
    """Where an answer to `target` goes: (the URN whose comments it joins, the activity or
    post it is on, the top-level comment it answers or "")."""
    urn = target.external_id
    if li.is_post(urn):
        return urn, urn, ""
    if li.is_comment(urn):
        on, _id = li.comment_parts(urn)
        parent = target.raw.get("parentComment") if isinstance(target.raw, dict) else None
        top = parent if li.is_comment(parent) else urn
        return str(top), on, str(top)
    raise PermanentError("this message is not a LinkedIn post or comment: it cannot be answered")


def page_of(target: ReplyTarget, on: str) -> str:
    """The address of the post a comment is on (the thread's root, else its activity)."""
    root = target.root_external_id
    if li.is_post(root):
        return li.post_url(root)
    return li.post_url(on) if on.startswith("urn:li:") else ""


def sent(answer: li.Answer, on: str, url: str) -> SentReply:
    body = answer.body
    urn = body.get("commentUrn") or body.get("$URN")
    if not li.is_comment(urn):
        made = answer.created_id
        urn = made if li.is_comment(made) else f"urn:li:comment:({on},{made})"
    if not li.is_comment(urn):
        raise PermanentError("LinkedIn accepted the comment but gave no id: check the page")
    created = li.ms_time(li.as_dict(body.get("created")).get("time"))
    return SentReply(str(urn), url, to_ms(created or dt.datetime.now(dt.UTC)))


def reply(api: li.Api, organization: str, target: ReplyTarget, text: str) -> SentReply:
    under, on, parent = where(target)
    body: dict[str, Any] = {"actor": organization, "object": on, "message": {"text": text}}
    if parent:
        body["parentComment"] = parent
    answer = api.call("POST", f"socialActions/{li.encode(under)}/comments", body=body)
    return sent(answer, on, page_of(target, on))


def comments_on(api: li.Api, urn: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in range(OWN_PAGES):
        try:
            body = api.get(
                f"socialActions/{li.encode(urn)}/comments", f"start={page * 50}&count=50"
            )
        except li.NotFound:
            return found
        elements = [c for c in li.as_list(body.get("elements")) if isinstance(c, dict)]
        found.extend(elements)
        total = li.as_dict(body.get("paging")).get("total")
        if len(elements) < 50 and not (isinstance(total, int) and len(found) < total):
            break
    return found


def find_reply(
    api: li.Api, organization: str, target: ReplyTarget, text: str, since: dt.datetime
) -> SentReply | None:
    under, on, _parent = where(target)
    for comment in comments_on(api, under):
        if comment.get("actor") != organization:
            continue
        said = li.as_dict(comment.get("message")).get("text")
        when = li.ms_time(li.as_dict(comment.get("created")).get("time"))
        if isinstance(said, str) and same_text(said, text) and posted_since(when, since):
            return sent(li.Answer(comment), on, page_of(target, on))
    return None


def cannot_hide(action: str, target: ReplyTarget) -> ModerationResult:
    return not_allowed(
        action,
        "LinkedIn's API cannot hide a comment: delete it, or hide it on LinkedIn (… → Hide "
        "on the comment, as a page admin)",
        li.post_url(target.root_external_id) if li.is_post(target.root_external_id) else "",
    )


def delete_comment(api: li.Api, organization: str, target: ReplyTarget) -> ModerationResult:
    action = str(ModerationAction.DELETE)
    if not li.is_comment(target.external_id):
        return not_allowed(action, "this item is not a LinkedIn comment")
    on, comment_id = li.comment_parts(target.external_id)
    url = li.post_url(target.root_external_id) if li.is_post(target.root_external_id) else ""
    try:
        api.call(
            "DELETE",
            f"socialActions/{li.encode(on)}/comments/{comment_id}",
            query=f"actor={li.encode(organization)}",
        )
    except li.NotFound:
        return ModerationResult(action=action, message="already gone from LinkedIn")
    except li.Forbidden as exc:
        return not_allowed(action, f"LinkedIn refused ({exc}): delete it on LinkedIn", url)
    return ModerationResult(action=action, message="deleted on LinkedIn")


# --- posts ----------------------------------------------------------------------------------


def upload(api: li.Api, organization: str, media: MediaFile) -> dict[str, Any]:
    """Upload one file; the `content.media` entry that names it."""
    document = media.mime_type in DOCUMENT_TYPES
    if media.mime_type in VIDEO_TYPES:
        return upload_video(api, organization, media)
    if not document and media.mime_type not in IMAGE_TYPES:
        raise PermanentError(
            f"Parvis publishes images ({', '.join(IMAGE_TYPES)}), MP4 videos and PDF documents "
            f"on LinkedIn, not {media.mime_type}: post it on LinkedIn itself"
        )
    path = Path(media.path)
    if not path.is_file():
        raise PermanentError("the media file is missing from the data directory: add it again")
    if document and path.stat().st_size > DOCUMENT_SIZE:
        raise PermanentError("LinkedIn takes documents of 100 MB at most")
    kind = "documents" if document else "images"
    answer = api.call(
        "POST",
        kind,
        query="action=initializeUpload",
        body={"initializeUploadRequest": {"owner": organization}},
    )
    value = li.as_dict(answer.body.get("value"))
    urn = value.get("document" if document else "image")
    upload_url = value.get("uploadUrl")
    if not isinstance(urn, str) or not isinstance(upload_url, str):
        raise PermanentError("LinkedIn gave no upload address for the file")
    api.upload(upload_url, path.read_bytes(), media.mime_type)
    if document:
        return {"id": urn, "title": (media.alt_text or path.stem)[:400]}
    entry: dict[str, Any] = {"id": urn}
    if media.alt_text:
        entry["altText"] = media.alt_text[:4086]
    return entry


def upload_video(api: li.Api, organization: str, media: MediaFile) -> dict[str, Any]:
    """Upload a video in the parts LinkedIn asks for, finalize it, wait for it to be
    processed; the `content.media` entry that names it."""
    path = Path(media.path)
    if not path.is_file():
        raise PermanentError("the media file is missing from the data directory: add it again")
    size = path.stat().st_size
    if not 0 < size <= VIDEO_SIZE:
        raise PermanentError("LinkedIn takes videos of 500 MB at most (from 75 KB)")
    answer = api.call(
        "POST",
        "videos",
        query="action=initializeUpload",
        body={
            "initializeUploadRequest": {
                "owner": organization,
                "fileSizeBytes": size,
                "uploadCaptions": False,
                "uploadThumbnail": False,
            }
        },
    )
    value = li.as_dict(answer.body.get("value"))
    urn = value.get("video")
    parts = [li.as_dict(p) for p in li.as_list(value.get("uploadInstructions"))]
    if not isinstance(urn, str) or not parts:
        raise PermanentError("LinkedIn gave no upload address for the video")
    etags: list[str] = []
    with path.open("rb") as stream:
        for part in parts:
            first, last, url = part.get("firstByte"), part.get("lastByte"), part.get("uploadUrl")
            if not (isinstance(first, int) and isinstance(last, int) and isinstance(url, str)):
                raise PermanentError("LinkedIn gave an upload part that cannot be read")
            if not 0 <= first <= last < size:
                raise PermanentError("LinkedIn gave an upload part outside the file")
            stream.seek(first)
            etags.append(api.upload(url, stream.read(last - first + 1), "application/octet-stream"))
    api.call(
        "POST",
        "videos",
        query="action=finalizeUpload",
        body={
            "finalizeUploadRequest": {
                "video": urn,
                "uploadToken": str(value.get("uploadToken") or ""),
                "uploadedPartIds": etags,
            }
        },
    )
    for wait in (0, *VIDEO_WAITS):
        if wait:
            sleep(wait)
        status = api.get(f"videos/{li.encode(urn)}").get("status")
        if status == "AVAILABLE":
            return {"id": urn, "title": (media.alt_text or path.stem)[:400]}
        if status in ("PROCESSING_FAILED", "FAILED"):
            raise PermanentError("LinkedIn could not process the video: check its format (MP4)")
    raise RetryLater("LinkedIn is still processing the video: the post waits", 60)


def content_of(api: li.Api, organization: str, post: OutgoingPost) -> dict[str, Any] | None:
    """The post's `content`: its media, else the first link of the text as an article."""
    if post.media:
        alone = [m for m in post.media if m.mime_type in DOCUMENT_TYPES + VIDEO_TYPES]
        if alone and len(post.media) > 1:
            raise PermanentError(
                "a LinkedIn post carries one video or one document alone, without images"
            )
        entries = [upload(api, organization, m) for m in post.media]
        if len(entries) == 1:
            return {"media": entries[0]}
        return {"multiImage": {"images": entries}}
    spans = counting.find_urls(post.text)
    if not spans:
        return None
    link = post.text[spans[0].start : spans[0].end]
    if "://" not in link:
        link = f"https://{link}"
    host = urlsplit(link).hostname or link
    # LinkedIn does not read the page's preview for posts made through the API: the title is
    # what the card shows.
    return {"article": {"source": link, "title": host[:400]}}


def to_ms(moment: dt.datetime) -> dt.datetime:
    """A time as LinkedIn keeps it: to the millisecond."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def published(urn: str, when: dt.datetime | None = None) -> PublishedPost:
    return PublishedPost(
        external_id=urn,
        url=li.post_url(urn),
        published_at=to_ms(when or dt.datetime.now(dt.UTC)),
        raw={"urn": urn},
    )


def as_part(answer: SentReply, target: ReplyTarget) -> PublishedPost:
    """A thread's next part is the page's comment under the previous part."""
    _under, on, parent = where(target)
    raw = {"commentUrn": answer.external_id, "object": on}
    if parent:
        raw["parentComment"] = parent
    return PublishedPost(answer.external_id, answer.url, answer.published_at, raw)


def publish(api: li.Api, organization: str, post: OutgoingPost) -> PublishedPost:
    if post.reply_to is not None:
        if post.media:
            raise PermanentError("a LinkedIn comment made as a thread's part carries no media")
        return as_part(reply(api, organization, post.reply_to, post.text), post.reply_to)
    body: dict[str, Any] = {
        "author": organization,
        "commentary": little_text(post.text),
        "visibility": "PUBLIC",
        "distribution": {
            "feedDistribution": "MAIN_FEED",
            "targetEntities": [],
            "thirdPartyDistributionChannels": [],
        },
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    content = content_of(api, organization, post)
    if content is not None:
        body["content"] = content
    try:
        answer = api.call("POST", "posts", body=body)
    except li.Duplicate as exc:
        since = dt.datetime.now(dt.UTC) - DUPLICATE_WINDOW
        found = find_own(api, organization, post.text, since)
        if found is None:
            raise PermanentError(
                f"{exc}: LinkedIn refuses the same content twice from a page; change the text"
            ) from exc
        return found
    if not li.is_post(answer.created_id):
        raise PermanentError("LinkedIn accepted the post but gave no id: check the page")
    return published(answer.created_id, created_time(api, answer.created_id))


def created_time(api: li.Api, urn: str) -> dt.datetime | None:
    """The post's time as LinkedIn dates it (what find_post reads back later); None when it
    cannot be read now: the post is made, and that must not be lost to a failed read."""
    try:
        body = api.get(f"posts/{li.encode(urn)}")
    except ConnectorError:
        return None
    return li.ms_time(body.get("createdAt")) or li.ms_time(body.get("publishedAt"))


def find_own(api: li.Api, organization: str, text: str, since: dt.datetime) -> PublishedPost | None:
    """The page's post with this text made at or after `since`, newest first."""
    ours = little_text(text)
    for page in range(OWN_PAGES):
        body = api.get(
            "posts",
            f"author={li.encode(organization)}&q=author&count=50&start={page * 50}&sortBy=CREATED",
        )
        elements = [p for p in li.as_list(body.get("elements")) if isinstance(p, dict)]
        for item in elements:
            urn, commentary = item.get("id"), item.get("commentary")
            when = li.ms_time(item.get("createdAt")) or li.ms_time(item.get("publishedAt"))
            if not li.is_post(urn) or not isinstance(commentary, str):
                continue
            if same_text(commentary, ours) and posted_since(when, since):
                return published(str(urn), when)
        oldest = [li.ms_time(p.get("createdAt")) for p in elements]
        dated = [w for w in oldest if w is not None]
        if len(elements) < 50 or (dated and min(dated) < since - dt.timedelta(minutes=2)):
            break
    return None


def find_post(
    api: li.Api, organization: str, post: OutgoingPost, since: dt.datetime
) -> PublishedPost | None:
    if post.reply_to is not None:
        answer = find_reply(api, organization, post.reply_to, post.text, since)
        return None if answer is None else as_part(answer, post.reply_to)
    return find_own(api, organization, post.text, since)


# --- statistics -----------------------------------------------------------------------------


def post_metrics(api: li.Api, organization: str, ids: list[str]) -> list[PostMetrics]:
    answers: dict[str, PostMetrics] = {}
    for start in range(0, len(ids), STATS_BATCH):
        chunk = ids[start : start + STATS_BATCH]
        query = f"q=organizationalEntity&organizationalEntity={li.encode(organization)}"
        shares = [i for i in chunk if i.startswith("urn:li:share:")]
        ugc = [i for i in chunk if i.startswith("urn:li:ugcPost:")]
        if shares:
            query += "&shares=List(" + ",".join(li.encode(i) for i in shares) + ")"
        if ugc:
            query += "&ugcPosts=List(" + ",".join(li.encode(i) for i in ugc) + ")"
        body = api.get("organizationalEntityShareStatistics", query)
        for element in li.as_list(body.get("elements")):
            element = li.as_dict(element)
            urn = element.get("share") or element.get("ugcPost")
            if urn not in chunk:
                continue
            stats = li.as_dict(element.get("totalShareStatistics"))
            answers[urn] = PostMetrics(
                external_id=urn,
                likes=metric(stats.get("likeCount")),
                reposts=metric(stats.get("shareCount")),
                replies=metric(stats.get("commentCount")),
                views=metric(stats.get("impressionCount")),
            )
        for urn in chunk:
            if urn not in answers and gone(api, urn):
                answers[urn] = PostMetrics(urn, gone=True)
    return [answers[i] for i in ids if i in answers]


def gone(api: li.Api, urn: str) -> bool:
    """Whether LinkedIn no longer has the post (statistics are silent on deleted posts)."""
    try:
        api.get(f"posts/{li.encode(urn)}")
    except li.NotFound:
        return True
    return False


def account_metrics(api: li.Api, organization: str) -> AccountMetrics:
    body = api.get(f"networkSizes/{li.encode(organization)}", "edgeType=COMPANY_FOLLOWED_BY_MEMBER")
    return AccountMetrics(followers=metric(body.get("firstDegreeSize")))
