"""An Instagram professional account on the Instagram Graph API (pinned version), through the
token of its Facebook Page, as Meta documents it.

Objects: the account, one of its media that the contract's posts comment on (each contract
Post is a comment, or a reply when `reply_to` is set: one level deep), the media it publishes
through containers, and the media it is tagged in. Lists answer {"data": [...], "paging":
{"cursors": {"before", "after"}, "next"?}}; comments carry their replies nested
(replies{...}). Times are written "2026-11-20T09:01:00+0000". Errors are the documented error
object (fixture files under tests/connectors/fixtures/instagram/); rate limits code 80002 with
X-Business-Use-Case-Usage (type "instagram", estimated_time_to_regain_access in minutes).

Publishing: POST /{ig-user-id}/media makes a container; the fake fetches its image_url or
video_url as Instagram would, through Parvis's own view (Django's test client), and answers
error 9004 when that fails; the container is IN_PROGRESS for `processing_reads` reads, then
FINISHED; POST /{ig-user-id}/media_publish publishes it once (a second time: error 9007-like
refusal), counting against content_publishing_limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.connectors.contract.harness import FakeNetwork, Post
from tests.connectors.fakes.facebook import cursor_of, index_of, stamp

VERSION = "v25.0"
GRAPH = f"https://graph.facebook.com/{VERSION}/"
PAGE_ID = "104857600000001"
PAGE_TOKEN = "EAApageToken1"
IG_USER_ID = "17841400000000001"
USERNAME = "maisonlumiere"
THE_MEDIA = "17900000000000001"
THE_PERMALINK = "https://www.instagram.com/p/DCbougie01/"
USER_TOKEN_SHORT = "EAAshortUserToken"
USER_TOKEN_LONG = "EAAlongUserToken"
APP_ID = "1234567890123"
APP_SECRET = "fb-app-secret-NEVER-SHOWN"
AUTH_CODE = "AQDfakeAuthorizationCode"
PUBLIC_URL = "https://parvis.example.com"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "instagram"
BASE_CREATED = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def error(name: str, status: int = 400, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=fixture(f"{name}.json"), headers=headers or {})


def user_id_of(handle: str) -> str:
    return str(17841405000000000 + int(hashlib.sha1(handle.encode()).hexdigest()[:6], 16))


def tiny_jpeg() -> bytes:
    """A JPEG's first bytes (SOI, JFIF APP0, SOF0 with 1080 x 1080): enough to be sniffed."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 1080, 1080, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


@dataclass
class Comment(Post):
    """A comment on one of the account's media; `reply_to` makes it a reply."""

    reply_to: Post | None = None
    likes: int = 0
    hidden: bool = False
    on: str = THE_MEDIA
    by_account: bool = False
    replies: list[Post] = field(default_factory=list)


class Fake(FakeNetwork):
    kind = "instagram"
    page_size = 10

    def __init__(self) -> None:
        super().__init__()
        self.media_items: list[dict[str, Any]] = []  # published by the account, oldest first
        self.containers: dict[str, dict[str, Any]] = {}
        self.tagged: list[Post] = []
        self.own_comments: list[Comment] = []
        self.ids = itertools.count(17920000000000001)
        self.lose_next_answer = False
        self.next_error: tuple[str, int, dict[str, str]] | None = None
        # Reads of a container answering IN_PROGRESS before FINISHED (an image is often ready at
        # the first read).
        self.processing_reads = 0
        self.container_fails = False  # the next containers end in ERROR
        self.listing_lag = False  # published media not yet in /{ig-user-id}/media
        self.fetched: list[str] = []  # media addresses the fake fetched
        self.quota_total, self.quota_usage = 100, 0
        self.figures: dict[str, dict[str, Any]] = {}
        # The account's daily insights: metric -> [(end_time, value)].
        self.account_insights: dict[str, list[tuple[str, Any]]] = {}
        self.retired: set[str] = set()
        self.grants: dict[str, str] = {}
        self.hidden_ids: set[str] = set()
        self.pages = fixture("me_accounts.json")["data"]

    # --- the connector's side -------------------------------------------------------------

    def source_config(self) -> dict[str, Any]:
        return {"mode": "comments"}

    def account(self) -> dict[str, Any] | None:
        return {
            "network": "instagram",
            "handle": IG_USER_ID,
            "credentials": {
                "ig_user_id": IG_USER_ID,
                "username": USERNAME,
                "page_id": PAGE_ID,
                "page_access_token": PAGE_TOKEN,
                "app_id": APP_ID,
                "app_secret": APP_SECRET,
            },
        }

    def configure(self, settings: Any) -> None:
        settings.PUBLIC_URL = PUBLIC_URL

    def post_media(self) -> tuple[Any, ...]:
        """One JPEG in the data directory's media folder, as the publishing app stores it."""
        from django.conf import settings

        from parvis.connectors.base import MediaFile

        data = tiny_jpeg()
        digest = hashlib.sha256(data).hexdigest()
        path = Path(settings.DATA_DIR) / "publishing" / "media" / digest[:2] / f"{digest}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return (MediaFile(str(path), "image/jpeg", "Une bougie", len(data), 1080, 1080),)

    def comment_id(self, post: Post) -> str:
        return str(17858893269000000 + post.key)

    def external_id(self, post: Post) -> str:
        return self.comment_id(post)

    def published_texts(self) -> list[str]:
        return [m["caption"] for m in self.media_items if not m.get("_deleted")]

    def give_counts(self, external_id: str, likes: int, reposts: int, replies: int) -> None:
        self.figures[external_id] = {"likes": likes, "shares": reposts, "comments": replies}

    def delete_own(self, external_id: str) -> None:
        for item in self.media_items:
            if item["id"] == external_id:
                item["_deleted"] = True

    def error_next(self, name: str, status: int = 400, headers: dict | None = None) -> None:
        self.next_error = (name, status, headers or {})

    # --- objects --------------------------------------------------------------------------

    def comment(self, post: Post, nested: bool = True) -> dict[str, Any]:
        extra = post if isinstance(post, Comment) else Comment(**vars(post))
        who = USERNAME if extra.by_account else post.author
        body: dict[str, Any] = {
            "id": self.comment_id(post),
            "text": post.text,
            "timestamp": stamp(post.created_at),
            "username": who,
            "from": {"id": IG_USER_ID if extra.by_account else user_id_of(who), "username": who},
            "like_count": self.count(post, extra.likes),
            "hidden": extra.hidden or self.comment_id(post) in self.hidden_ids,
        }
        if extra.reply_to is not None:
            body["parent_id"] = self.comment_id(extra.reply_to)
        elif nested:
            replies = [self.comment(r, False) for r in self.replies_of(post)]
            if replies:
                body["replies"] = {"data": replies}
        if post.malformed:
            body.pop("id")
        return body

    def all_comments(self) -> list[Post]:
        return [p for p in self.posts + self.own_comments if not p.deleted]

    def replies_of(self, top: Post) -> list[Post]:
        rows = [p for p in self.all_comments() if getattr(p, "reply_to", None) is top]
        return sorted(rows, key=lambda p: (p.created_at, p.key))

    def find_comment(self, object_id: str) -> Post | None:
        for post in self.posts + self.own_comments:
            if self.comment_id(post) == object_id and not post.deleted:
                return post
        return None

    def media_ids(self) -> set[str]:
        return {THE_MEDIA} | {m["id"] for m in self.media_items if not m.get("_deleted")}

    def the_media(self) -> dict[str, Any]:
        top = [p for p in self.all_comments() if getattr(p, "on", THE_MEDIA) == THE_MEDIA]
        return {
            "id": THE_MEDIA,
            "caption": "Nos bougies de Noël sont arrivées #MaisonLumiere",
            "media_type": "IMAGE",
            "permalink": THE_PERMALINK,
            "timestamp": stamp(BASE_CREATED),
            "comments_count": len(top),
            "like_count": 321,
        }

    def media_object(self, item: dict[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in item.items() if not k.startswith("_")}
        figures = self.figures.get(item["id"], {})
        body["like_count"] = figures.get("likes", 0)
        body["comments_count"] = figures.get(
            "comments", len([c for c in self.all_comments() if getattr(c, "on", "") == item["id"]])
        )
        return body

    # --- HTTP -----------------------------------------------------------------------------

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        usage = {
            IG_USER_ID: [
                {
                    "type": "instagram",
                    "call_count": 100,
                    "total_cputime": 9,
                    "total_time": 11,
                    "estimated_time_to_regain_access": seconds // 60,
                }
            ]
        }
        return error("error_80002", 400, {"X-Business-Use-Case-Usage": json.dumps(usage)})

    def refused(self, request: httpx.Request) -> httpx.Response:
        return error("error_190_460", 400)

    def respond(self, request: httpx.Request) -> httpx.Response:
        if self.next_error is not None:
            name, status, headers = self.next_error
            self.next_error = None
            return error(name, status, headers)
        if not str(request.url).startswith(GRAPH):
            return httpx.Response(404, text="not the Graph API")
        path = request.url.path[len(f"/{VERSION}/") :].strip("/")
        query = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
        form = {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}
        if path == "oauth/access_token":
            return self.access_token({**query, **form})
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        if "access_token" in query:
            return httpx.Response(400, text="the token must not be in the URL in these tests")
        if path == "me/accounts":
            if token != USER_TOKEN_LONG:
                return error("error_190_463")
            rows = self.pages
            if "instagram_business_account" not in query.get("fields", ""):
                rows = [
                    {k: v for k, v in p.items() if k != "instagram_business_account"} for p in rows
                ]
            return self.listed(rows, query, path)
        if token != PAGE_TOKEN:
            return error("error_190_460")
        proof = query.get("appsecret_proof")
        expected = hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
        if proof is not None and proof != expected:
            return error("error_100_appsecret")
        if request.method == "GET":
            return self.get(path, query)
        if request.method == "POST":
            return self.post(path, {**query, **form})
        if request.method == "DELETE":
            found = self.find_comment(path)
            if found is None:
                return error("error_100_33")
            found.deleted = True
            return httpx.Response(200, json={"success": True})
        return error("error_100_33")

    def listed(self, rows: list[dict[str, Any]], query: dict[str, str], path: str):
        limit = min(int(query.get("limit") or 25), 100, self.page_size or 100)
        start = index_of(query["after"]) + 1 if query.get("after") else 0
        page = rows[start : start + limit]
        body: dict[str, Any] = {"data": page}
        if page:
            body["paging"] = {
                "cursors": {"before": cursor_of(start), "after": cursor_of(start + len(page) - 1)}
            }
            if start + len(page) < len(rows):
                after = cursor_of(start + len(page) - 1)
                body["paging"]["next"] = f"{GRAPH}{path}?limit={limit}&after={after}"
        return httpx.Response(200, json=body)

    def get(self, path: str, query: dict[str, str]) -> httpx.Response:
        if path == f"{IG_USER_ID}/media":
            published = [self.media_object(m) for m in reversed(self.media_items)]
            rows = [
                m
                for m, item in zip(published, reversed(self.media_items), strict=True)
                if not item.get("_deleted") and not self.listing_lag
            ]
            return self.listed([*rows, self.the_media()], query, path)
        if path == f"{IG_USER_ID}/tags":
            rows = [
                {
                    "id": str(17930000000000000 + p.key),
                    "caption": p.text,
                    "media_type": "IMAGE",
                    "permalink": f"https://www.instagram.com/p/TAG{p.key}/",
                    "timestamp": stamp(p.created_at),
                    "username": p.author,
                    "comments_count": 0,
                    "like_count": self.count(p, 3),
                }
                for p in sorted(self.tagged, key=lambda p: p.created_at, reverse=True)
                if not p.deleted
            ]
            return self.listed(rows, query, path)
        if path == f"{IG_USER_ID}/content_publishing_limit":
            body = {
                "data": [
                    {
                        "quota_usage": self.quota_usage,
                        "config": {"quota_total": self.quota_total, "quota_duration": 86400},
                    }
                ]
            }
            return httpx.Response(200, json=body)
        if path == IG_USER_ID:
            return self.mentioned(query.get("fields", ""))
        if path.endswith("/comments"):
            media_id = path[: -len("/comments")]
            if media_id not in self.media_ids():
                return error("error_100_33")
            rows = [
                p
                for p in self.all_comments()
                if getattr(p, "on", THE_MEDIA) == media_id and getattr(p, "reply_to", None) is None
            ]
            ordered = sorted(rows, key=lambda p: (p.created_at, p.key), reverse=True)
            return self.listed([self.comment(p) for p in ordered], query, path)
        if path.endswith("/replies"):
            top = self.find_comment(path[: -len("/replies")])
            if top is None:
                return error("error_100_33")
            return self.listed([self.comment(p, False) for p in self.replies_of(top)], query, path)
        if path.endswith("/insights"):
            return self.insights_of(path[: -len("/insights")], query)
        if path in self.containers:
            return self.container_status(path)
        found = self.find_comment(path)
        if found is not None:
            return httpx.Response(200, json=self.comment(found, False))
        for item in self.media_items:
            if item["id"] == path and not item.get("_deleted"):
                return httpx.Response(200, json=self.media_object(item))
        if path == THE_MEDIA:
            return httpx.Response(200, json=self.the_media())
        return error("error_100_33")

    def mentioned(self, fields: str) -> httpx.Response:
        if fields.startswith("mentioned_comment.comment_id("):
            wanted = fields[len("mentioned_comment.comment_id(") :].split(")")[0]
            found = self.find_comment(wanted)
            if found is None:
                return error("error_100_33")
            body = self.comment(found, False)
            body["media"] = {"id": getattr(found, "on", THE_MEDIA), "permalink": THE_PERMALINK}
            return httpx.Response(200, json={"mentioned_comment": body, "id": IG_USER_ID})
        if fields.startswith("mentioned_media.media_id("):
            wanted = fields[len("mentioned_media.media_id(") :].split(")")[0]
            for post in self.tagged:
                if str(17930000000000000 + post.key) == wanted and not post.deleted:
                    body = {
                        "id": wanted,
                        "caption": post.text,
                        "timestamp": stamp(post.created_at),
                        "username": post.author,
                        "permalink": f"https://www.instagram.com/p/TAG{post.key}/",
                        "like_count": self.count(post, 3),
                        "comments_count": 0,
                    }
                    return httpx.Response(200, json={"mentioned_media": body, "id": IG_USER_ID})
            return error("error_100_33")
        return httpx.Response(200, json={"id": IG_USER_ID, "username": USERNAME})

    def insights_of(self, media_id: str, query: dict[str, str]) -> httpx.Response:
        if media_id == IG_USER_ID:
            return self.account_insights_of(query)
        if media_id not in self.media_ids():
            return error("error_100_33")
        metrics = [m for m in query.get("metric", "").split(",") if m]
        if not metrics or any(m in self.retired for m in metrics):
            return error("error_100_metric")
        figures = self.figures.get(media_id, {})
        data = [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": figures.get(name, 0)}],
                "title": name.title(),
                "description": "Lifetime figures as Instagram computes them.",
                "id": f"{media_id}/insights/{name}/lifetime",
            }
            for name in metrics
        ]
        return httpx.Response(200, json={"data": data})

    def account_insights_of(self, query: dict[str, str]) -> httpx.Response:
        if query.get("period") != "day" or not query.get("since") or not query.get("until"):
            return error("error_100_metric")
        data = [
            {
                "name": name,
                "period": "day",
                "values": [
                    {"value": v, "end_time": t} for t, v in self.account_insights.get(name, [])
                ],
                "title": name.replace("_", " ").title(),
                "description": "Daily figures of the account.",
                "id": f"{IG_USER_ID}/insights/{name}/day",
            }
            for name in query.get("metric", "").split(",")
            if name
        ]
        return httpx.Response(200, json={"data": data, "paging": {}})

    def container_status(self, container_id: str) -> httpx.Response:
        box = self.containers[container_id]
        if box["status"] == "IN_PROGRESS":
            if box["reads"] >= self.processing_reads:
                box["status"] = "ERROR" if box["fails"] else "FINISHED"
            box["reads"] += 1
        body = {"status_code": box["status"], "id": container_id}
        if box["status"] == "ERROR":
            body["status"] = "Error: Media upload has failed with error code 2207026"
        elif box["status"] == "IN_PROGRESS":
            body["status"] = "In Progress: Media is still being processed."
        else:
            body["status"] = "Finished: Media has been uploaded and it is ready to be published."
        return httpx.Response(200, json=body)

    def post(self, path: str, form: dict[str, str]) -> httpx.Response:
        if path == f"{IG_USER_ID}/media":
            return self.new_container(form)
        if path == f"{IG_USER_ID}/media_publish":
            return self.publish_container(form.get("creation_id", ""))
        if path.endswith("/replies"):
            top = self.find_comment(path[: -len("/replies")])
            if top is None or getattr(top, "reply_to", None) is not None:
                return error("error_100_33")
            return self.add_comment(
                Comment(
                    text=form.get("message", ""),
                    author=USERNAME,
                    by_account=True,
                    reply_to=top,
                    on=getattr(top, "on", THE_MEDIA),
                )
            )
        if path.endswith("/comments"):
            media_id = path[: -len("/comments")]
            if media_id not in self.media_ids():
                return error("error_100_33")
            return self.add_comment(
                Comment(text=form.get("message", ""), author=USERNAME, by_account=True, on=media_id)
            )
        found = self.find_comment(path)
        if found is None:
            return error("error_100_33")
        if "hide" in form:
            if getattr(found, "by_account", False):
                return error("error_200", 403)
            if form["hide"] == "true":
                self.hidden_ids.add(self.comment_id(found))
            else:
                self.hidden_ids.discard(self.comment_id(found))
            return httpx.Response(200, json={"success": True})
        return error("error_100_33")

    def add_comment(self, comment: Comment) -> httpx.Response:
        comment.created_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.own_comments.append(comment)
        return self.answer({"id": self.comment_id(comment)})

    def answer(self, body: dict[str, Any]) -> httpx.Response:
        if self.lose_next_answer:
            self.lose_next_answer = False
            return httpx.Response(502, text="Bad Gateway")
        return httpx.Response(200, json=body)

    def fetch_media(self, address: str) -> bool:
        """Instagram fetches the file from Parvis's public address: through Parvis's view."""
        from django.test import Client

        self.fetched.append(address)
        if not address.startswith(PUBLIC_URL + "/"):
            return False
        response = Client().get(urlsplit(address).path)
        if response.status_code != 200:
            return False
        content = b"".join(response.streaming_content)
        return len(content) > 0

    def new_container(self, form: dict[str, str]) -> httpx.Response:
        caption = form.get("caption", "")
        if len(caption) > 2200 or caption.count("#") > 30:
            return error("error_100_33")
        kind = form.get("media_type", "IMAGE")
        if kind == "CAROUSEL":
            children = [c for c in form.get("children", "").split(",") if c]
            if not 2 <= len(children) <= 10 or any(
                c not in self.containers or not self.containers[c]["child"] for c in children
            ):
                return error("error_100_33")
            address = ""
        elif kind in ("REELS", "VIDEO"):
            address = form.get("video_url", "")
        else:
            address = form.get("image_url", "")
        if kind != "CAROUSEL" and not self.fetch_media(address):
            return error("error_9004")
        container_id = str(next(self.ids))
        self.containers[container_id] = {
            "status": "IN_PROGRESS",
            "reads": 0,
            "fails": self.container_fails,
            "kind": kind,
            "caption": caption,
            "alt_text": form.get("alt_text", ""),
            "child": form.get("is_carousel_item") == "true",
            "children": form.get("children", ""),
        }
        return httpx.Response(200, json={"id": container_id})

    def publish_container(self, creation_id: str) -> httpx.Response:
        box = self.containers.get(creation_id)
        if box is None or box["child"]:
            return error("error_100_33")
        if box["status"] != "FINISHED":
            return error("error_9007")
        if self.quota_usage >= self.quota_total:
            return error("error_9_2207042")
        box["status"] = "PUBLISHED"
        self.quota_usage += 1
        media_id = str(next(self.ids))
        self.media_items.append(
            {
                "id": media_id,
                "caption": box["caption"],
                "media_type": {"REELS": "VIDEO"}.get(box["kind"], box["kind"]),
                "permalink": f"https://www.instagram.com/p/Dx{media_id[-6:]}/",
                "timestamp": stamp(dt.datetime.now(dt.UTC)),
                "_container": creation_id,
            }
        )
        return self.answer({"id": media_id})

    # --- Facebook Login -------------------------------------------------------------------

    def authorize(self, url: str) -> str:
        query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        assert query["client_id"] == APP_ID
        self.grants[AUTH_CODE] = query["redirect_uri"]
        return AUTH_CODE

    def access_token(self, query: dict[str, str]) -> httpx.Response:
        if query.get("client_id") != APP_ID or query.get("client_secret") != APP_SECRET:
            return error("error_oauth_code")
        if query.get("grant_type") == "fb_exchange_token":
            if query.get("fb_exchange_token") != USER_TOKEN_SHORT:
                return error("error_190_463")
            body = {"access_token": USER_TOKEN_LONG, "token_type": "bearer", "expires_in": 5183944}
            return httpx.Response(200, json=body)
        redirect = self.grants.pop(query.get("code", ""), None)
        if redirect is None or redirect != query.get("redirect_uri"):
            return error("error_oauth_code")
        return httpx.Response(200, json=fixture("oauth_access_token.json"))
