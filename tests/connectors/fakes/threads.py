"""A Threads profile on the Threads API (graph.threads.net, pinned version), as Meta documents it.

Objects: the profile, one post of the profile that the contract's posts reply to (each contract
Post is a reply; `Reply.reply_to` makes it a reply to a reply), the posts and replies the
profile publishes through containers, and their insights. Lists answer {"data": [...],
"paging": {"cursors": {"before", "after"}, "next"?}} (cursor paging: `next` only when more
follow); /conversation takes reverse=true|false (newest first by default here as Parvis asks).
Times are written "2026-11-20T09:01:00+0000". Errors are the Graph error object (fixture files
under tests/connectors/fixtures/threads/); rate limits answer code 4 with the Graph usage
header X-Business-Use-Case-Usage (estimated_time_to_regain_access in minutes), the Graph
convention the Threads documentation refers to for its rate limiting. The token must come as
a bearer token, except on the token endpoints that Meta documents as GET with access_token.

Threads OAuth: POST /oauth/access_token (code), GET /access_token (th_exchange_token), GET
/refresh_access_token (th_refresh_token), GET /me; `authorize(url)` plays the dialog.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.connectors.contract.harness import FakeNetwork, Post

VERSION = "v1.0"
HOST = "https://graph.threads.net/"
API = f"{HOST}{VERSION}/"
USER_ID = "17841400000000001"
USERNAME = "maisonlumiere"
ROOT_POST = "18000000000000001"
TOKEN = "THQVJlongLivedToken"
SHORT_TOKEN = "THQVJshortLivedToken"
REFRESHED_TOKEN = "THQVJrefreshedToken"
APP_ID = "998877665544332"
APP_SECRET = "threads-app-secret-NEVER-SHOWN"
AUTH_CODE = "AQBthreadsAuthorizationCode"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "threads"
BASE_CREATED = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def error(name: str, status: int = 400, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=fixture(f"{name}.json"), headers=headers or {})


def cursor_of(index: int) -> str:
    return base64.urlsafe_b64encode(f"i:{index}".encode()).decode().rstrip("=")


def index_of(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    return int(base64.urlsafe_b64decode(padded).decode().split(":")[1])


@dataclass
class Reply(Post):
    """A reply to the profile's post; `reply_to` makes it a reply to that reply."""

    reply_to: Post | None = None
    hidden: bool = False


class Fake(FakeNetwork):
    kind = "threads"
    page_size = 10
    hostile_kinds = ("date", "surrogate", "nul")  # replies carry no counts

    def __init__(self) -> None:
        super().__init__()
        self.ids = itertools.count(18100000000000001)
        # What the profile published, oldest first: the media objects as the API gives them.
        self.own: list[dict[str, Any]] = []
        self.containers: dict[str, dict[str, Any]] = {}
        self.lose_next_answer = False
        self.next_error: tuple[str, int, dict[str, str]] | None = None
        self.hidden: dict[str, bool] = {}
        self.figures: dict[str, dict[str, int]] = {}
        self.quota_usage = 4
        self.grants: dict[str, str] = {}
        self.refreshes = 0
        self.processing_polls = 0  # a container answers IN_PROGRESS this many times first
        self.container_status = "FINISHED"
        self.tokens = {TOKEN}
        self.app_usage: dict[str, int] | None = None  # X-App-Usage on every answer when set

    # --- the connector's side -------------------------------------------------------------

    def source_config(self) -> dict[str, Any]:
        return {}

    def account(self) -> dict[str, Any] | None:
        return {
            "network": "threads",
            "handle": USERNAME,
            "credentials": {"user_id": USER_ID, "username": USERNAME, "access_token": TOKEN},
        }

    def reply_id(self, post: Post) -> str:
        return str(18000000000000000 + 1000 + post.key)

    def external_id(self, post: Post) -> str:
        return self.reply_id(post)

    def published_texts(self) -> list[str]:
        return [p["text"] for p in self.own if not p["is_reply"] and not p.get("_deleted")]

    def own_replies(self) -> list[dict[str, Any]]:
        return [p for p in self.own if p["is_reply"] and not p.get("_deleted")]

    def give_counts(self, external_id: str, likes: int, reposts: int, replies: int) -> None:
        self.figures[external_id] = {
            "views": likes * 10,
            "likes": likes,
            "replies": replies,
            "reposts": reposts,
            "quotes": 0,
        }

    def delete_own(self, external_id: str) -> None:
        for post in self.own:
            if post["id"] == external_id:
                post["_deleted"] = True

    def error_next(self, name: str, status: int = 400, headers: dict | None = None) -> None:
        self.next_error = (name, status, headers or {})

    # --- objects --------------------------------------------------------------------------

    def reply_body(self, post: Post) -> dict[str, Any]:
        parent = post.reply_to if isinstance(post, Reply) and post.reply_to else None
        reply_id = self.reply_id(post)
        body: dict[str, Any] = {
            "id": reply_id,
            "text": post.text,
            "username": post.author,
            "permalink": f"https://www.threads.net/@{post.author}/post/C{post.key:08d}",
            "timestamp": stamp(post.created_at),
            "media_product_type": "THREADS",
            "media_type": "TEXT_POST",
            "shortcode": f"C{post.key:08d}",
            "is_reply": True,
            "root_post": {"id": ROOT_POST},
            "replied_to": {"id": self.reply_id(parent) if parent else ROOT_POST},
            "hide_status": "HIDDEN" if self.hidden.get(reply_id) else "NOT_HUSHED",
            "has_replies": False,
        }
        if post.malformed:
            body.pop("id")
        return body

    def root_body(self) -> dict[str, Any]:
        return {
            "id": ROOT_POST,
            "text": "Nos bougies de Noël sont arrivées",
            "username": USERNAME,
            "permalink": f"https://www.threads.net/@{USERNAME}/post/CRoot0001",
            "timestamp": stamp(BASE_CREATED),
            "media_product_type": "THREADS",
            "media_type": "TEXT_POST",
            "is_reply": False,
        }

    def public(self, obj: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in obj.items() if not k.startswith("_")}

    def find_reply(self, object_id: str) -> Post | None:
        for post in self.posts:
            if self.reply_id(post) == object_id and not post.deleted:
                return post
        return None

    def find_own(self, object_id: str) -> dict[str, Any] | None:
        for obj in self.own:
            if obj["id"] == object_id and not obj.get("_deleted"):
                return obj
        return None

    def exists(self, object_id: str) -> bool:
        return (
            object_id == ROOT_POST
            or self.find_reply(object_id) is not None
            or self.find_own(object_id) is not None
        )

    # --- HTTP -----------------------------------------------------------------------------

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        usage = {
            USER_ID: [
                {
                    "type": "threads",
                    "call_count": 100,
                    "total_cputime": 20,
                    "total_time": 25,
                    "estimated_time_to_regain_access": seconds // 60,
                }
            ]
        }
        return error("error_4", 400, {"X-Business-Use-Case-Usage": json.dumps(usage)})

    def refused(self, request: httpx.Request) -> httpx.Response:
        return error("error_190_463", 400)

    def respond(self, request: httpx.Request) -> httpx.Response:
        response = self.answer(request)
        if self.app_usage is not None:
            response.headers["X-App-Usage"] = json.dumps(self.app_usage)
        return response

    def answer(self, request: httpx.Request) -> httpx.Response:
        if self.next_error is not None:
            name, status, headers = self.next_error
            self.next_error = None
            return error(name, status, headers)
        url = str(request.url)
        if not url.startswith(HOST):
            return httpx.Response(404, text="not the Threads API")
        query = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
        raw_path = request.url.path.strip("/")
        if raw_path == "oauth/access_token" and request.method == "POST":
            return self.access_token(self.form(request))
        if raw_path == "access_token" and request.method == "GET":
            return self.exchange(query)
        if raw_path == "refresh_access_token" and request.method == "GET":
            return self.refresh(query)
        if not raw_path.startswith(f"{VERSION}/"):
            return error("error_100_33")
        if "access_token" in query:
            return httpx.Response(400, text="the token must not be in the URL in these tests")
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[len("Bearer ") :] not in self.tokens:
            return error("error_190")
        path = raw_path[len(f"{VERSION}/") :]
        if request.method == "GET":
            return self.get(path, query)
        if request.method == "POST":
            return self.post(path, self.form(request))
        return error("error_100_33")

    def form(self, request: httpx.Request) -> dict[str, str]:
        kind = request.headers.get("Content-Type", "")
        if kind.startswith("application/x-www-form-urlencoded"):
            return {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}
        return {}

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
                body["paging"]["next"] = f"{API}{path}?limit={limit}&after={after}"
        return httpx.Response(200, json=body)

    def newest_first(self, rows: list[dict[str, Any]], reverse: bool = True):
        return sorted(rows, key=lambda r: (r["timestamp"], r["id"]), reverse=reverse)

    def get(self, path: str, query: dict[str, str]) -> httpx.Response:
        if path == "me":
            return httpx.Response(200, json=fixture("me.json"))
        if path == f"{USER_ID}/threads":
            rows = [self.public(p) for p in self.own if not p["is_reply"] and not p.get("_deleted")]
            return self.listed(self.newest_first([*rows, self.root_body()]), query, path)
        if path == f"{USER_ID}/threads_publishing_limit":
            body = fixture("publishing_limit.json")
            body["data"][0]["quota_usage"] = self.quota_usage
            return httpx.Response(200, json=body)
        if "/" in path:
            object_id, edge = path.split("/", 1)
            if not self.exists(object_id):
                return error("error_100_33")
            if edge == "conversation":
                return self.conversation(object_id, query, path)
            if edge == "replies":
                return self.replies(object_id, query, path)
            if edge == "insights":
                return self.insights(object_id, query)
            return error("error_100_33")
        if path in self.containers:
            found = self.containers[path]
            if found["status"] == "ERROR":
                return httpx.Response(200, json=fixture("container_error.json") | {"id": path})
            if self.processing_polls > 0:
                self.processing_polls -= 1
                return httpx.Response(200, json={"status": "IN_PROGRESS", "id": path})
            return httpx.Response(200, json={"status": found["status"], "id": path})
        own = self.find_own(path)
        if own is not None:
            return httpx.Response(200, json=self.public(own))
        reply = self.find_reply(path)
        if reply is not None:
            return httpx.Response(200, json=self.reply_body(reply))
        if path == ROOT_POST:
            return httpx.Response(200, json=self.root_body())
        return error("error_100_33")

    def conversation(self, object_id: str, query: dict[str, str], path: str) -> httpx.Response:
        if object_id != ROOT_POST:
            rows = [self.public(p) for p in self.own_replies() if p["_root"] == object_id]
        else:
            rows = [self.reply_body(p) for p in self.posts if not p.deleted]
            rows += [self.public(p) for p in self.own_replies() if p["_root"] == ROOT_POST]
        reverse = query.get("reverse", "true") != "false"
        ordered = sorted(rows, key=lambda r: (r["timestamp"], r.get("id", "")), reverse=reverse)
        return self.listed(ordered, query, path)

    def replies(self, object_id: str, query: dict[str, str], path: str) -> httpx.Response:
        rows = [
            self.reply_body(p)
            for p in self.posts
            if not p.deleted and self.reply_body(p)["replied_to"]["id"] == object_id
        ]
        rows += [self.public(p) for p in self.own_replies() if p["replied_to"]["id"] == object_id]
        return self.listed(self.newest_first(rows), query, path)

    def insights(self, object_id: str, query: dict[str, str]) -> httpx.Response:
        figures = self.figures.get(object_id, {})
        data = [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": figures.get(name, 0)}],
                "title": name.capitalize(),
                "description": f"The number of {name} of your post.",
                "id": f"{object_id}/insights/{name}/lifetime",
            }
            for name in query.get("metric", "").split(",")
            if name
        ]
        if not data:
            return error("error_100_text")
        return httpx.Response(200, json={"data": data})

    def post(self, path: str, form: dict[str, str]) -> httpx.Response:
        if path == f"{USER_ID}/threads":
            return self.make_container(form)
        if path == f"{USER_ID}/threads_publish":
            return self.publish_container(form.get("creation_id", ""))
        if path.endswith("/manage_reply"):
            reply_id = path[: -len("/manage_reply")]
            if self.find_reply(reply_id) is None:
                return error("error_100_33")
            if form.get("hide") not in ("true", "false"):
                return error("error_100_text")
            self.hidden[reply_id] = form["hide"] == "true"
            return httpx.Response(200, json={"success": True})
        return error("error_100_33")

    def make_container(self, form: dict[str, str]) -> httpx.Response:
        kind = form.get("media_type")
        text = form.get("text", "")
        if kind not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL") or len(text) > 500:
            return error("error_100_text")
        if kind == "TEXT" and not text:
            return error("error_100_text")
        if kind == "IMAGE" and not form.get("image_url", "").startswith("https://"):
            return error("error_100_text")
        if kind == "VIDEO" and not form.get("video_url", "").startswith("https://"):
            return error("error_100_text")
        children = [c for c in form.get("children", "").split(",") if c]
        items_ok = all(self.containers.get(c, {}).get("item") for c in children)
        if kind == "CAROUSEL" and not (2 <= len(children) <= 20 and items_ok):
            return error("error_100_text")
        parent = form.get("reply_to_id")
        if parent and not self.exists(parent):
            return error("error_100_33")
        container_id = str(next(self.ids))
        self.containers[container_id] = {
            "form": form,
            "status": self.container_status,
            "item": form.get("is_carousel_item") == "true",
        }
        return httpx.Response(200, json={"id": container_id})

    def publish_container(self, container_id: str) -> httpx.Response:
        found = self.containers.get(container_id)
        if found is None or found["item"] or found["status"] != "FINISHED":
            return error("error_100_33")
        found["status"] = "PUBLISHED"
        form = found["form"]
        media_id = str(next(self.ids))
        parent = form.get("reply_to_id", "")
        root = ROOT_POST
        if parent:
            owner = self.find_own(parent)
            root = owner["_root"] if owner is not None else ROOT_POST
            if owner is not None and not owner["is_reply"]:
                root = parent
        kinds = {"TEXT": "TEXT_POST", "IMAGE": "IMAGE", "VIDEO": "VIDEO"}
        obj: dict[str, Any] = {
            "id": media_id,
            "text": form.get("text", ""),
            "username": USERNAME,
            "permalink": f"https://www.threads.net/@{USERNAME}/post/D{media_id[-8:]}",
            "timestamp": stamp(dt.datetime.now(dt.UTC)),
            "media_product_type": "THREADS",
            "media_type": kinds.get(form["media_type"], "CAROUSEL_ALBUM"),
            "is_reply": bool(parent),
            "_root": root if parent else media_id,
            "_form": form,
            "_children": [
                self.containers[c]["form"] for c in form.get("children", "").split(",") if c
            ],
        }
        if parent:
            obj["replied_to"] = {"id": parent}
            obj["root_post"] = {"id": root}
        self.own.append(obj)
        self.quota_usage += 0 if parent else 1
        if self.lose_next_answer:
            self.lose_next_answer = False
            return httpx.Response(502, text="Bad Gateway")
        return httpx.Response(200, json={"id": media_id})

    # --- Threads OAuth --------------------------------------------------------------------

    def authorize(self, url: str) -> str:
        """The person allows the app on threads.net: the code Threads sends back."""
        query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
        assert query["client_id"] == APP_ID and query["response_type"] == "code"
        self.grants[AUTH_CODE] = query["redirect_uri"]
        return AUTH_CODE

    def access_token(self, form: dict[str, str]) -> httpx.Response:
        if form.get("client_id") != APP_ID or form.get("client_secret") != APP_SECRET:
            return error("error_oauth_code")
        if form.get("grant_type") != "authorization_code":
            return error("error_oauth_code")
        redirect = self.grants.pop(form.get("code", ""), None)
        if redirect is None or redirect != form.get("redirect_uri"):
            return error("error_oauth_code")
        return httpx.Response(200, json=fixture("oauth_access_token.json"))

    def exchange(self, query: dict[str, str]) -> httpx.Response:
        if query.get("grant_type") != "th_exchange_token":
            return error("error_oauth_code")
        if query.get("client_secret") != APP_SECRET or query.get("access_token") != SHORT_TOKEN:
            return error("error_190")
        return httpx.Response(200, json=fixture("long_lived_token.json"))

    def refresh(self, query: dict[str, str]) -> httpx.Response:
        if query.get("grant_type") != "th_refresh_token":
            return error("error_oauth_code")
        if query.get("access_token") not in self.tokens:
            return error("error_190_463")
        self.refreshes += 1
        self.tokens = {REFRESHED_TOKEN}
        return httpx.Response(200, json=fixture("refreshed_token.json"))
