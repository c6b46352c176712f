"""The YouTube Data API v3 as Google serves it: commentThreads, search, videos and channels
list responses, page tokens, the API key in X-Goog-Api-Key (or ?key=), and Google's error
body {"error": {"code", "message", "errors": [{"message", "domain", "reason"}]}}.

`Fake` is the channel's comments (the contract suite's mode): each post is a top-level
comment on one of the channel's videos. `SearchFake` is the same network searched: each post
is a video whose description is the post's text.

Replying (Google sign-in only): POST comments?part=snippet (comments.insert) with
{"snippet": {"parentId", "textOriginal"}} answers the comment resource it created; the
replies it made are listed by comments.list parentId with the others.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import unicodedata
from typing import Any

import httpx

from tests.connectors.contract.harness import FakeNetwork, Post

API = "https://www.googleapis.com/youtube/v3/"
API_KEY = "AIzaSyFAKE-key-for-tests-0123456789abcd"
CHANNEL_ID = "UCmaisonLumiere0000000AA"
VIDEO_ID = "mLvideo0001"
TOKEN_URL = "https://oauth2.googleapis.com/token"
CLIENT_ID = "123456789012-fake.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-secret"
AUTH_CODE = "4/0AfakeAuthorizationCode"
REFRESH_TOKEN = "1//0fake-refresh-token"
INCLUDED_REPLIES = 5


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def author_channel(handle: str) -> str:
    return ("UC" + handle.replace("_", "") + "x" * 22)[:24]


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def error(code: int, reason: str, message: str, domain: str = "youtube.api", **extra: Any):
    body = {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
            **extra,
        }
    }
    return httpx.Response(code, json=body)


def page_token(offset: int) -> str:
    # Opaque to clients, as Google's are.
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def page_offset(token: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return int(raw.removeprefix("offset:")) if raw.startswith("offset:") else None
    except (ValueError, UnicodeDecodeError):
        return None


class Fake(FakeNetwork):
    kind = "youtube"
    page_size = 10

    def __init__(self) -> None:
        super().__init__()
        self.replies: dict[int, list[Post]] = {}  # post key -> its replies
        self.videos_of: dict[int, str] = {}  # post key -> the video it comments on
        self.disabled_videos: set[str] = set()
        self.quota_exceeded = False
        self.channels = {CHANNEL_ID: ("@maisonlumiere", "Maison Lumière")}
        self.access_token = ""  # the one Google would accept now
        self.token_forms: list[dict[str, str]] = []
        self.inserted: dict[str, list[dict[str, Any]]] = {}  # parent id -> replies posted
        self.insert_refusal: httpx.Response | None = None  # the next insert answers this
        self.lose_next_answer = False  # the next insert is made, its answer lost (a 502)
        self.moderation: dict[str, str] = {}  # comment id -> the status set through the API
        self.moderation_calls = 0  # setModerationStatus calls answered 204
        self.not_ours: set[str] = set()  # comments on a video of another channel: 403
        self.moderation_refusal: httpx.Response | None = None  # the next call answers this

    # --- the connector's side ---------------------------------------------------------------

    def source_config(self) -> dict:
        return {"mode": "comments", "channel_id": CHANNEL_ID}

    def account(self) -> dict:
        return {
            "network": "youtube",
            "handle": "@maisonlumiere",
            "credentials": {"api_key": API_KEY, "channel_id": CHANNEL_ID},
        }

    def external_id(self, post: Post) -> str:
        return f"UgzFake{post.key:08d}4AaABAg"

    def reply_id(self, parent: Post, reply: Post) -> str:
        return f"{self.external_id(parent)}.9zReply{reply.key:06d}"

    def reply(self, parent: Post, *replies: Post) -> None:
        self.replies.setdefault(parent.key, []).extend(replies)

    # --- answers ----------------------------------------------------------------------------

    def respond(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == TOKEN_URL:
            return self.token(request)
        if not url.startswith(API):
            return httpx.Response(404, text="Not Found")
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer:
            if bearer != self.access_token:
                return self.auth_error()
            return self.answer(request)
        key = request.headers.get("X-Goog-Api-Key") or request.url.params.get("key")
        if not key:
            return error(
                403,
                "forbidden",
                "The request is missing a valid API key.",
                domain="global",
                status="PERMISSION_DENIED",
            )
        if key != API_KEY:
            return self.key_invalid()
        return self.answer(request)

    def answer(self, request: httpx.Request) -> httpx.Response:
        if self.quota_exceeded:
            return self.rate_limited(request, 0)
        resource = request.url.path.rsplit("/", 1)[-1]
        params = request.url.params
        if request.method == "POST" and resource == "comments":
            return self.insert_comment(request)
        if request.method == "POST" and resource == "setModerationStatus":
            return self.set_moderation_status(request)
        handler = {
            "commentThreads": self.comment_threads,
            "search": self.search,
            "videos": self.videos,
            "channels": self.channels_list,
            "comments": self.comments_list,
        }.get(resource)
        if handler is None:
            return error(404, "notFound", "Not Found", domain="global")
        return handler(params)

    # Google sign-in ---------------------------------------------------------------------------

    def token(self, request: httpx.Request) -> httpx.Response:
        """Google's token endpoint: authorization_code and refresh_token grants."""
        form = dict(httpx.QueryParams(request.content.decode()))
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            body = {"error": "invalid_client", "error_description": "Unauthorized"}
            return httpx.Response(401, json=body)
        grant = form.get("grant_type")
        if grant == "authorization_code" and form.get("code") == AUTH_CODE:
            self.token_forms.append(form)
            self.access_token = f"ya29.fake-access-{len(self.token_forms)}"
            return httpx.Response(
                200,
                json={
                    "access_token": self.access_token,
                    "expires_in": 3599,
                    "refresh_token": REFRESH_TOKEN,
                    "scope": "https://www.googleapis.com/auth/youtube.readonly",
                    "token_type": "Bearer",
                },
            )
        if grant == "refresh_token" and form.get("refresh_token") == REFRESH_TOKEN:
            self.token_forms.append(form)
            self.access_token = f"ya29.fake-access-{len(self.token_forms)}"
            return httpx.Response(
                200,
                json={
                    "access_token": self.access_token,
                    "expires_in": 3599,
                    "scope": "https://www.googleapis.com/auth/youtube.readonly",
                    "token_type": "Bearer",
                },
            )
        body = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
        return httpx.Response(400, json=body)

    def auth_error(self) -> httpx.Response:
        return error(
            401,
            "authError",
            "Request had invalid authentication credentials.",
            domain="global",
            status="UNAUTHENTICATED",
        )

    def key_invalid(self) -> httpx.Response:
        message = "API key not valid. Please pass a valid API key."
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "youtube.googleapis.com"},
            }
        ]
        return error(
            400, "badRequest", message, domain="global", status="INVALID_ARGUMENT", details=details
        )

    def page(self, rows: list[Any], params: httpx.QueryParams, limit: int) -> tuple[list, dict]:
        """A slice of rows and the list response's paging fields, or None for a bad token."""
        offset = 0
        if params.get("pageToken"):
            offset = page_offset(params["pageToken"])
            if offset is None:
                raise ValueError("invalidPageToken")
        size = min(int(params.get("maxResults", 20)), limit)
        chunk = rows[offset : offset + size]
        paging: dict[str, Any] = {"pageInfo": {"totalResults": len(rows), "resultsPerPage": size}}
        if offset + size < len(rows):
            paging["nextPageToken"] = page_token(offset + size)
        if offset:
            paging["prevPageToken"] = page_token(max(0, offset - size))
        return chunk, paging

    def invalid_token(self) -> httpx.Response:
        return error(
            400,
            "invalidPageToken",
            "The request specifies an invalid page token.",
            domain="youtube.parameter",
        )

    # commentThreads.list ------------------------------------------------------------------

    def comment_threads(self, params: httpx.QueryParams) -> httpx.Response:
        if params.get("videoId"):
            return self.video_threads(params)
        if params.get("allThreadsRelatedToChannelId") not in self.channels:
            return error(
                404,
                "channelNotFound",
                "The channel identified by the allThreadsRelatedToChannelId parameter could "
                "not be found.",
            )
        threads = [p for p in self.visible() if not p.deleted]
        return self.threads_page(threads, params)

    def video_threads(self, params: httpx.QueryParams) -> httpx.Response:
        video = params["videoId"]
        if video in self.disabled_videos:
            return error(
                403,
                "commentsDisabled",
                "The video identified by the videoId parameter has disabled comments.",
                domain="youtube.commentThread",
            )
        if video not in self.known_videos():
            return error(
                404,
                "videoNotFound",
                "The video identified by the videoId parameter could not be found.",
                domain="youtube.commentThread",
            )
        threads = [p for p in self.visible() if not p.deleted and self.video_of(p) == video]
        return self.threads_page(threads, params)

    def known_videos(self) -> set[str]:
        return {VIDEO_ID, *self.disabled_videos, *self.videos_of.values()}

    def video_of(self, post: Post) -> str:
        return self.videos_of.get(post.key, VIDEO_ID)

    def threads_page(self, threads: list[Post], params: httpx.QueryParams) -> httpx.Response:
        try:
            chunk, paging = self.page(threads, params, self.page_size)
        except ValueError:
            return self.invalid_token()
        parts = set(params.get("part", "").split(","))
        body = {
            "kind": "youtube#commentThreadListResponse",
            "etag": "fake-etag-threads",
            **paging,
            "items": [self.thread(p, "replies" in parts) for p in chunk],
        }
        return httpx.Response(200, json=body)

    def comment(
        self, post: Post, comment_id: str, parent_id: str = "", video: str = VIDEO_ID
    ) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "channelId": CHANNEL_ID,
            "videoId": video,
            "textDisplay": post.text,
            "textOriginal": post.text,
            "authorDisplayName": f"@{post.author}",
            "authorProfileImageUrl": f"https://yt3.ggpht.com/ytc/{post.author}=s48-c-k-c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/@{post.author}",
            "authorChannelId": {"value": author_channel(post.author)},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": self.count(post, post.key % 7),
            "publishedAt": stamp(post.created_at),
            "updatedAt": stamp(post.created_at),
        }
        if parent_id:
            snippet["parentId"] = parent_id
        if post.malformed:
            del snippet["publishedAt"]
        return {
            "kind": "youtube#comment",
            "etag": f"etag-{post.key}",
            "id": comment_id,
            "snippet": snippet,
        }

    def thread(self, post: Post, with_replies: bool) -> dict[str, Any]:
        top_id = self.external_id(post)
        replies = [r for r in self.replies.get(post.key, []) if not r.deleted]
        thread: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": f"etag-thread-{post.key}",
            "id": top_id,
            "snippet": {
                "channelId": CHANNEL_ID,
                "videoId": self.video_of(post),
                "topLevelComment": self.comment(post, top_id, video=self.video_of(post)),
                "canReply": True,
                "totalReplyCount": len(replies),
                "isPublic": True,
            },
        }
        if with_replies and replies:
            # A thread carries a few replies only; comments.list (parentId) has them all.
            replies = replies[:INCLUDED_REPLIES]
            thread["replies"] = {
                "comments": [
                    self.comment(r, self.reply_id(post, r), top_id, self.video_of(post))
                    for r in replies
                ]
            }
        return thread

    def comments_list(self, params: httpx.QueryParams) -> httpx.Response:
        """comments.list with parentId: every reply to one top-level comment."""
        parents = {self.external_id(p): p for p in self.posts if not p.deleted}
        parent = parents.get(params.get("parentId", ""))
        if parent is None:
            return error(
                404,
                "commentNotFound",
                "One or more of the comments identified by the parentId parameter could not be "
                "found.",
                domain="youtube.comment",
            )
        replies = [r for r in self.replies.get(parent.key, []) if not r.deleted]
        top_id = self.external_id(parent)
        rows = [
            self.comment(r, self.reply_id(parent, r), top_id, self.video_of(parent))
            for r in replies
        ]
        rows += self.inserted.get(top_id, [])
        try:
            chunk, paging = self.page(rows, params, self.page_size)
        except ValueError:
            return self.invalid_token()
        body = {
            "kind": "youtube#commentListResponse",
            "etag": "fake-etag-comments",
            **paging,
            "items": chunk,
        }
        return httpx.Response(200, json=body)

    def insert_comment(self, request: httpx.Request) -> httpx.Response:
        """comments.insert: a reply to a top-level comment, by the signed-in channel."""
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return error(
                401,
                "required",
                "Login Required.",
                domain="global",
                status="UNAUTHENTICATED",
            )
        if self.insert_refusal is not None:
            refusal, self.insert_refusal = self.insert_refusal, None
            return refusal
        snippet = json.loads(request.content).get("snippet") or {}
        parents = {self.external_id(p): p for p in self.posts if not p.deleted}
        parent = parents.get(snippet.get("parentId", ""))
        if parent is None:
            return error(
                404,
                "parentCommentNotFound",
                "The parent comment specified for the comment identified by the parentId "
                "property could not be found.",
                domain="youtube.comment",
            )
        text = snippet.get("textOriginal") or ""
        now = dt.datetime.now(dt.UTC)
        top_id = self.external_id(parent)
        comment_id = f"{top_id}.9zParvis{sum(map(len, self.inserted.values())):06d}"
        comment = {
            "kind": "youtube#comment",
            "etag": f"etag-{comment_id}",
            "id": comment_id,
            "snippet": {
                "channelId": CHANNEL_ID,
                "videoId": self.video_of(parent),
                "textDisplay": text,
                "textOriginal": text,
                "parentId": top_id,
                "authorDisplayName": "@maisonlumiere",
                "authorProfileImageUrl": "https://yt3.ggpht.com/ytc/maisonlumiere=s48",
                "authorChannelUrl": "http://www.youtube.com/@maisonlumiere",
                "authorChannelId": {"value": CHANNEL_ID},
                "canRate": True,
                "viewerRating": "none",
                "likeCount": 0,
                "publishedAt": stamp(now),
                "updatedAt": stamp(now),
            },
        }
        self.inserted.setdefault(top_id, []).append(comment)
        if self.lose_next_answer:
            self.lose_next_answer = False
            return httpx.Response(502, text="Bad Gateway")
        return httpx.Response(200, json=comment)

    def set_moderation_status(self, request: httpx.Request) -> httpx.Response:
        """comments.setModerationStatus as documented: query parameters only, no body, 204 No
        Content; 400 banWithoutReject, 403 forbidden (not the owner's, or a deleted id), 404
        commentNotFound."""
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return error(401, "required", "Login Required.", domain="global")
        if self.moderation_refusal is not None:
            refusal, self.moderation_refusal = self.moderation_refusal, None
            return refusal
        params = request.url.params
        status = params.get("moderationStatus", "")
        if status not in {"heldForReview", "published", "rejected"}:
            return error(400, "invalidValue", f"Invalid value '{status}'.", domain="global")
        if params.get("banAuthor") == "true" and status != "rejected":
            return error(
                400,
                "banWithoutReject",
                "The banAuthor parameter can only be used if the moderationStatus parameter "
                "value is rejected.",
                domain="youtube.comment",
            )
        known = {self.external_id(p) for p in self.posts if not p.deleted}
        known |= {self.reply_id(self.by_key(k), r) for k, rs in self.replies.items() for r in rs}
        ids = params.get("id", "").split(",")
        for comment_id in ids:
            if comment_id in self.not_ours:
                return error(
                    403,
                    "forbidden",
                    "The moderation status of one or more comments cannot be set due to "
                    "insufficient permissions. The request might not be properly authorized.",
                    domain="youtube.comment",
                )
            if comment_id not in known:
                return error(
                    404,
                    "commentNotFound",
                    "One or more of the comments that the request is trying to update cannot "
                    "be found. Check the values of the request's id parameter to ensure that "
                    "they are correct.",
                    domain="youtube.comment",
                )
        for comment_id in ids:
            self.moderation[comment_id] = status
        self.moderation_calls += 1
        return httpx.Response(204)

    def by_key(self, key: int) -> Post:
        return next(p for p in self.posts if p.key == key)

    # search.list and videos.list ------------------------------------------------------------

    def video_id(self, post: Post) -> str:
        return f"vid{post.key:08d}"

    def matches(self, post: Post, q: str) -> bool:
        words = fold(q.replace('"', " ")).split()
        haystack = fold(f"{self.title(post)} {post.text}")
        return all(w in haystack for w in words)

    def title(self, post: Post) -> str:
        return f"Vidéo {post.key} de {post.author}"

    def search(self, params: httpx.QueryParams) -> httpx.Response:
        after = params.get("publishedAfter")
        since = dt.datetime.fromisoformat(after.replace("Z", "+00:00")) if after else None
        # The search index lags: a deleted video still shows here, not in videos.list.
        found = [
            p
            for p in self.visible()
            if self.matches(p, params.get("q", "")) and (since is None or p.created_at >= since)
        ]
        try:
            chunk, paging = self.page(found, params, self.page_size)
        except ValueError:
            return self.invalid_token()
        items = [
            {
                "kind": "youtube#searchResult",
                "etag": f"etag-result-{p.key}",
                "id": {"kind": "youtube#video", "videoId": self.video_id(p)},
                "snippet": {
                    "publishedAt": stamp(p.created_at),
                    "channelId": author_channel(p.author),
                    "title": self.title(p).replace("'", "&#39;"),  # search snippets are escaped
                    "description": p.text[:160],
                    "thumbnails": {
                        "default": {
                            "url": f"https://i.ytimg.com/vi/{self.video_id(p)}/default.jpg",
                            "width": 120,
                            "height": 90,
                        }
                    },
                    "channelTitle": p.author,
                    "liveBroadcastContent": "none",
                    "publishTime": stamp(p.created_at),
                },
            }
            for p in chunk
        ]
        body = {
            "kind": "youtube#searchListResponse",
            "etag": "fake-etag-search",
            **paging,
            "regionCode": "FR",
            "items": items,
        }
        return httpx.Response(200, json=body)

    def video(self, post: Post) -> dict[str, Any]:
        snippet: dict[str, Any] = {
            "publishedAt": stamp(post.created_at),
            "channelId": author_channel(post.author),
            "title": self.title(post),
            "description": post.text,
            "thumbnails": {
                "default": {
                    "url": f"https://i.ytimg.com/vi/{self.video_id(post)}/default.jpg",
                    "width": 120,
                    "height": 90,
                }
            },
            "channelTitle": post.author,
            "categoryId": "26",
            "liveBroadcastContent": "none",
            "defaultAudioLanguage": "fr-FR",
            "localized": {"title": self.title(post), "description": post.text},
        }
        if post.malformed:
            del snippet["publishedAt"]
        return {
            "kind": "youtube#video",
            "etag": f"etag-video-{post.key}",
            "id": self.video_id(post),
            "snippet": snippet,
            "statistics": {
                "viewCount": str(100 * post.key),
                "likeCount": self.count(post, str(post.key % 9)),
                "favoriteCount": "0",
                "commentCount": str(post.key % 4),
            },
        }

    def videos(self, params: httpx.QueryParams) -> httpx.Response:
        if "maxResults" in params and "id" in params:
            return error(
                400,
                "incompatibleParameters",
                "The request specifies two or more parameters that cannot be used in the "
                "same request.",
                domain="youtube.parameter",
            )
        wanted = params.get("id", "").split(",")
        if len(wanted) > 50:
            return error(400, "badRequest", "Too many ids.", domain="global")
        by_id = {self.video_id(p): p for p in self.posts if not p.deleted}
        items = [self.video(by_id[v]) for v in wanted if v in by_id]
        body = {
            "kind": "youtube#videoListResponse",
            "etag": "fake-etag-videos",
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        }
        return httpx.Response(200, json=body)

    # channels.list --------------------------------------------------------------------------

    def channels_list(self, params: httpx.QueryParams) -> httpx.Response:
        items = []
        wanted = params.get("id", "").split(",")
        if params.get("mine") == "true":
            wanted = [CHANNEL_ID]
        elif params.get("forHandle"):  # handles match without regard to case
            handle = "@" + params["forHandle"].removeprefix("@").lower()
            wanted = [c for c, (h, _) in self.channels.items() if h.lower() == handle]
        if params.get("part") == "statistics":
            return self.channel_statistics(wanted)
        for channel_id in wanted:
            if channel_id in self.channels:
                handle, title = self.channels[channel_id]
                items.append(
                    {
                        "kind": "youtube#channel",
                        "etag": f"etag-{channel_id}",
                        "id": channel_id,
                        "snippet": {
                            "title": title,
                            "description": "Bougies artisanales, Lyon.",
                            "customUrl": handle,
                            "publishedAt": "2019-03-14T10:00:00Z",
                            "thumbnails": {},
                            "localized": {
                                "title": title,
                                "description": "Bougies artisanales, Lyon.",
                            },
                            "country": "FR",
                        },
                    }
                )
        body = {
            "kind": "youtube#channelListResponse",
            "etag": "fake-etag-channels",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
            "items": items,
        }
        return httpx.Response(200, json=body)

    def channel_statistics(self, wanted: list[str]) -> httpx.Response:
        authors = {author_channel(p.author): p.author for p in self.posts}
        items = [
            {
                "kind": "youtube#channel",
                "etag": f"etag-stats-{channel_id}",
                "id": channel_id,
                "statistics": {
                    "viewCount": str(1000 * len(authors[channel_id])),
                    "subscriberCount": str(100 * len(authors[channel_id])),
                    "hiddenSubscriberCount": False,
                    "videoCount": "12",
                },
            }
            for channel_id in wanted
            if channel_id in authors
        ]
        body = {
            "kind": "youtube#channelListResponse",
            "etag": "fake-etag-channel-statistics",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
            "items": items,
        }
        return httpx.Response(200, json=body)

    # --- refusals ---------------------------------------------------------------------------

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        # YouTube says nothing about when: the quota comes back at midnight Pacific time.
        return error(
            403,
            "quotaExceeded",
            "The request cannot be completed because you have exceeded your "
            '<a href="/youtube/v3/getting-started#quota">quota</a>.',
            domain="youtube.quota",
        )

    def refused(self, request: httpx.Request) -> httpx.Response:
        return self.key_invalid()  # the key was deleted in the Google Cloud console


class SearchFake(Fake):
    """The same network, searched: each post is a video whose description is the post."""

    def source_config(self) -> dict:
        return {"mode": "search"}

    def external_id(self, post: Post) -> str:
        return self.video_id(post)
