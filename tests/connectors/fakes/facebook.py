"""A Facebook Page on the Graph API (pinned version), as Meta documents it.

Objects: the Page, one post of the Page that the contract's posts comment on (each contract
Post is a comment, or a reply when `reply_to` is set), the posts the Page publishes, and
the posts the Page is tagged in. Lists answer {"data": [...], "paging": {"cursors":
{"before", "after"}, "next"?}} (cursor paging: `next` only when more follow); comments take
filter=stream|toplevel and order=chronological|reverse_chronological. Times are written
"2026-11-20T09:01:00+0000". Errors are the documented error object (fixture files under
tests/connectors/fixtures/facebook/), rate limits code 32 with X-Business-Use-Case-Usage
(estimated_time_to_regain_access in minutes). The token must come as a bearer token; an
appsecret_proof, when sent, must be the HMAC-SHA256 of the token keyed by the app secret.

Multiple-ids reads (GET /?ids=a,b&fields=...) answer {"<id>": {the object's fields}, ...}, 50
ids at most (more: error 100 "Too many IDs"); fields an object type does not have (a comment's
`shares` or `insights`) fail the whole request with error 100, and so does one id Facebook
does not have (error 100 subcode 33 naming it), or with `drop_missing` it is left out of the
answer. Counts come from `figures` (per object id: "reactions", "comments", "shares",
"reach"), else from the fake's own comments.

Facebook Login: GET /oauth/access_token (code, then fb_exchange_token) and GET /me/accounts
with the long-lived user token; `authorize(url)` plays the dialog and gives the code.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.parser
import email.policy
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.connectors.contract.harness import FakeNetwork, Post

VERSION = "v25.0"
GRAPH = f"https://graph.facebook.com/{VERSION}/"
PAGE_ID = "104857600000001"
POST_OBJ = "200000000000001"
PAGE_POST = f"{PAGE_ID}_{POST_OBJ}"
PAGE_NAME = "Maison Lumière"
PAGE_TOKEN = "EAApageToken1"
USER_TOKEN_SHORT = "EAAshortUserToken"
USER_TOKEN_LONG = "EAAlongUserToken"
APP_ID = "1234567890123"
APP_SECRET = "fb-app-secret-NEVER-SHOWN"
AUTH_CODE = "AQDfakeAuthorizationCode"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "facebook"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def error(name: str, status: int = 400, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=fixture(f"{name}.json"), headers=headers or {})


def person_id(handle: str) -> str:
    return str(7000000000000000 + int(hashlib.sha1(handle.encode()).hexdigest()[:6], 16))


def cursor_of(index: int) -> str:
    return base64.urlsafe_b64encode(f"i:{index}".encode()).decode().rstrip("=")


def index_of(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    return int(base64.urlsafe_b64decode(padded).decode().split(":")[1])


@dataclass
class Comment(Post):
    """A comment on the Page's post; `reply_to` makes it a reply (Facebook: two levels)."""

    reply_to: Post | None = None
    likes: int = 0
    hidden: bool = False
    can_hide: bool = True
    can_remove: bool = True
    on: str = PAGE_POST
    by_page: bool = False
    replies: list[Post] = field(default_factory=list)


class Fake(FakeNetwork):
    kind = "facebook"
    page_size = 10

    def __init__(self) -> None:
        super().__init__()
        self.page_posts: list[dict[str, Any]] = []  # what the Page published, oldest first
        self.tagged: list[Post] = []
        self.own_comments: list[Comment] = []  # the Page's comments (replies, thread parts)
        self.ids = itertools.count(900000000000001)
        self.lose_next_answer = False
        self.next_error: tuple[str, int, dict[str, str]] | None = None
        self.uploads: list[dict[str, Any]] = []
        self.grants: dict[str, str] = {}
        # Figures per published post id: {"reactions", "comments", "shares", "reach"}.
        self.figures: dict[str, dict[str, Any]] = {}
        # The Page's daily insights: metric -> [(end_time, value)]; retired metrics answer
        # error 100 as Meta's deprecations do.
        self.page_insights: dict[str, list[tuple[str, Any]]] = {}
        self.retired: set[str] = set()
        # How a multiple-ids read treats an id Facebook does not have: fail naming it (the
        # default), fail without naming it (`unnamed_missing`), or leave it out (`drop_missing`).
        self.drop_missing = False
        self.unnamed_missing = False
        # Messenger: conversations, each {"id", "psid", "name", "messages": [...] oldest first}.
        self.conversations: list[dict[str, Any]] = []
        self.app_usage: dict[str, int] | None = None  # X-App-Usage on every answer when set
        self.pages = [
            {
                "access_token": PAGE_TOKEN,
                "category": "Home Decor",
                "category_list": [{"id": "2252", "name": "Home Decor"}],
                "name": PAGE_NAME,
                "id": PAGE_ID,
                "tasks": ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE"],
            }
        ]

    # --- the connector's side -------------------------------------------------------------

    def source_config(self) -> dict[str, Any]:
        return {"mode": "comments"}

    def account(self) -> dict[str, Any] | None:
        return {
            "network": "facebook",
            "handle": PAGE_ID,
            "credentials": {
                "page_id": PAGE_ID,
                "page_access_token": PAGE_TOKEN,
                "app_id": APP_ID,
                "app_secret": APP_SECRET,
            },
        }

    def comment_id(self, post: Post) -> str:
        return f"{POST_OBJ}_{300000000000000 + post.key}"

    def external_id(self, post: Post) -> str:
        return self.comment_id(post)

    def published_texts(self) -> list[str]:
        return [p["message"] for p in self.page_posts]

    def give_counts(self, external_id: str, likes: int, reposts: int, replies: int) -> None:
        figures = self.figures.setdefault(external_id, {"reach": 0})
        figures.update(reactions=likes, shares=reposts, comments=replies)

    def delete_own(self, external_id: str) -> None:
        self.page_posts = [p for p in self.page_posts if p["id"] != external_id]
        for comment in self.own_comments:
            if self.comment_id(comment) == external_id:
                comment.deleted = True

    def error_next(self, name: str, status: int = 400, headers: dict | None = None) -> None:
        """The next request answers this fixture's error."""
        self.next_error = (name, status, headers or {})

    def message_from(self, who: str, text: str, at: dt.datetime | None = None) -> dict[str, Any]:
        """A person writes to the Page on Messenger (a new conversation or their own)."""
        psid = person_id(who)
        conversation = next((c for c in self.conversations if c["psid"] == psid), None)
        if conversation is None:
            conversation = {"id": f"t_{next(self.ids)}", "psid": psid, "name": who, "messages": []}
            self.conversations.append(conversation)
        message = {
            "id": f"m_{base64.urlsafe_b64encode(str(next(self.ids)).encode()).decode()}",
            "message": text,
            "from": {"id": psid, "name": who.replace("_", " ").title()},
            "created_time": stamp(at or dt.datetime.now(dt.UTC)),
        }
        conversation["messages"].append(message)
        return message

    def page_messages(self) -> list[dict[str, Any]]:
        return [m for c in self.conversations for m in c["messages"] if m["from"]["id"] == PAGE_ID]

    def conversation_body(self, conversation: dict[str, Any], limit: int = 25) -> dict[str, Any]:
        newest = list(reversed(conversation["messages"]))[:limit]
        return {
            "id": conversation["id"],
            "updated_time": newest[0]["created_time"] if newest else stamp(BASE_CREATED),
            "messages": {
                "data": newest,
                "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}},
            },
        }

    # --- objects --------------------------------------------------------------------------

    def comment(self, post: Post) -> dict[str, Any]:
        extra = post if isinstance(post, Comment) else Comment(**vars(post))
        when = stamp(post.created_at)
        author = (
            {"id": PAGE_ID, "name": PAGE_NAME}
            if extra.by_page
            else {
                "id": person_id(post.author),
                "name": post.author.replace("_", " ").title(),
            }
        )
        body: dict[str, Any] = {
            "id": self.comment_id(post),
            "message": post.text,
            "created_time": when,
            "from": author,
            "permalink_url": (
                f"https://www.facebook.com/{PAGE_ID}/posts/{POST_OBJ}"
                f"?comment_id={self.comment_id(post).split('_')[1]}"
            ),
            "like_count": self.count(post, extra.likes),
            "comment_count": len([r for r in extra.replies if not r.deleted]),
            "is_hidden": extra.hidden,
            "can_hide": extra.can_hide and not extra.by_page,
            "can_remove": extra.can_remove,
        }
        if extra.reply_to is not None:
            body["parent"] = {"id": self.comment_id(extra.reply_to)}
        if post.malformed:
            body.pop("id")
        return body

    def all_comments(self) -> list[Post]:
        return [p for p in self.posts + self.own_comments if not p.deleted]

    def find_comment(self, object_id: str) -> Post | None:
        for post in self.posts + self.own_comments:
            if self.comment_id(post) == object_id and not post.deleted:
                return post
        return None

    def the_post(self) -> dict[str, Any]:
        comments = [p for p in self.all_comments() if getattr(p, "on", PAGE_POST) == PAGE_POST]
        latest = max([BASE_CREATED, *[p.created_at for p in comments if p.created_at.year < 9000]])
        return {
            "id": PAGE_POST,
            "created_time": stamp(BASE_CREATED),
            "updated_time": stamp(latest),
            "message": "Nos bougies de Noël sont arrivées",
            "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/{POST_OBJ}",
            "from": {"id": PAGE_ID, "name": PAGE_NAME},
        }

    # --- HTTP -----------------------------------------------------------------------------

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        usage = {
            PAGE_ID: [
                {
                    "type": "pages",
                    "call_count": 100,
                    "total_cputime": 12,
                    "total_time": 14,
                    "estimated_time_to_regain_access": seconds // 60,
                }
            ]
        }
        return error("error_32", 400, {"X-Business-Use-Case-Usage": json.dumps(usage)})

    def refused(self, request: httpx.Request) -> httpx.Response:
        return error("error_190_460", 400)

    def token_of(self, request: httpx.Request) -> str:
        header = request.headers.get("Authorization", "")
        return header[len("Bearer ") :] if header.startswith("Bearer ") else ""

    def respond(self, request: httpx.Request) -> httpx.Response:
        response = self.graph_answer(request)
        if self.app_usage is not None:
            # Meta adds the usage header once an app has made enough calls.
            response.headers["X-App-Usage"] = json.dumps(self.app_usage)
        return response

    def graph_answer(self, request: httpx.Request) -> httpx.Response:
        if self.next_error is not None:
            name, status, headers = self.next_error
            self.next_error = None
            return error(name, status, headers)
        url = str(request.url)
        if not url.startswith(GRAPH):
            return httpx.Response(404, text="not the Graph API")
        path = request.url.path[len(f"/{VERSION}/") :].strip("/")
        query = {k: v[-1] for k, v in parse_qs(request.url.query.decode()).items()}
        if path == "oauth/access_token":
            # Graph calls take their parameters in the query or, posted, in the form.
            return self.access_token({**query, **self.form(request)})
        token = self.token_of(request)
        if "access_token" in query:
            return httpx.Response(400, text="the token must not be in the URL in these tests")
        if path == "me/accounts":
            if token != USER_TOKEN_LONG:
                return error("error_190_463")
            return self.listed(self.pages, query, path)
        if token != PAGE_TOKEN:
            return error("error_190_460")
        proof = query.get("appsecret_proof")
        expected = hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
        if proof is not None and proof != expected:
            return error("error_100_appsecret")
        form = self.form(request)
        if request.method == "GET":
            return self.get(path, query)
        if request.method == "POST":
            return self.post(request, path, form)
        if request.method == "DELETE":
            return self.delete_object(path)
        return error("error_100_33")

    def form(self, request: httpx.Request) -> dict[str, str]:
        kind = request.headers.get("Content-Type", "")
        if kind.startswith("application/x-www-form-urlencoded"):
            return {k: v[-1] for k, v in parse_qs(request.content.decode()).items()}
        if kind.startswith("multipart/form-data"):
            head = f"Content-Type: {kind}\r\n\r\n".encode()
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                head + request.content
            )
            parts: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                if name == "source":
                    parts["source"] = part.get_payload(decode=True)
                    parts["source_type"] = part.get_content_type()
                else:
                    parts[name] = part.get_payload(decode=True).decode("utf-8")
            return parts
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
                body["paging"]["next"] = f"{GRAPH}{path}?limit={limit}&after={after}"
        return httpx.Response(200, json=body)

    def get(self, path: str, query: dict[str, str]) -> httpx.Response:
        if path == "" and "ids" in query:
            return self.multiple_ids(query)
        if path == f"{PAGE_ID}/feed":
            published = [
                {k: v for k, v in p.items() if k != "_photos"} for p in reversed(self.page_posts)
            ]
            rows = sorted(
                [*published, self.the_post()], key=lambda p: p["created_time"], reverse=True
            )
            return self.listed(rows, query, path)
        if path == f"{PAGE_ID}/conversations":
            if query.get("platform") != "messenger":
                return error("error_100_33")
            rows = sorted(
                (self.conversation_body(c) for c in self.conversations),
                key=lambda c: c["updated_time"],
                reverse=True,
            )
            return self.listed(rows, query, path)
        for conversation in self.conversations:
            if conversation["id"] == path:
                return httpx.Response(200, json=self.conversation_body(conversation))
        if path == f"{PAGE_ID}/tagged":
            rows = [
                {
                    "id": f"{person_id(p.author)}_{400000000000000 + p.key}",
                    "message": p.text,
                    "created_time": stamp(p.created_at),
                    "from": {"id": person_id(p.author), "name": p.author},
                    "permalink_url": f"https://www.facebook.com/{person_id(p.author)}/posts/{p.key}",
                }
                for p in sorted(self.tagged, key=lambda p: p.created_at, reverse=True)
                if not p.deleted
            ]
            return self.listed(rows, query, path)
        if path.endswith("/comments"):
            parent = path[: -len("/comments")]
            return self.comments_of(parent, query, path)
        if path.endswith("/insights"):
            return self.insights_of(path[: -len("/insights")], query)
        found = self.find_comment(path)
        if found is not None:
            return httpx.Response(200, json=self.comment(found))
        for post in self.page_posts:
            if post["id"] == path:
                return httpx.Response(200, json={k: v for k, v in post.items() if k != "_photos"})
        if path == PAGE_POST:
            return httpx.Response(200, json=self.the_post())
        return error("error_100_33")

    # --- multiple-ids reads (the counts of the Page's posts) ----------------------------------

    def node_type(self, object_id: str) -> str | None:
        """ "Post" (the Page's), "Comment", or None: Facebook does not have it."""
        if object_id == PAGE_POST or any(p["id"] == object_id for p in self.page_posts):
            return "Post"
        if self.find_comment(object_id) is not None:
            return "Comment"
        return None

    def multiple_ids(self, query: dict[str, str]) -> httpx.Response:
        ids = query["ids"].split(",")
        if len(ids) > 50:
            body = fixture("error_100_too_many_ids.json")
            body["error"]["message"] = body["error"]["message"].replace("51", str(len(ids)))
            return httpx.Response(400, json=body)
        fields = top_fields(query.get("fields", ""))
        answer: dict[str, Any] = {}
        for object_id in ids:
            kind = self.node_type(object_id)
            if kind is None:
                if self.drop_missing:
                    continue
                body = fixture("error_100_33.json")
                named = "" if self.unnamed_missing else object_id
                body["error"]["message"] = body["error"]["message"].replace("123_456", named)
                return httpx.Response(400, json=body)
            unknown = [name for name, _ in fields if name not in NODE_FIELDS[kind]]
            if unknown:
                return invalid(
                    f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type ({kind})"
                )
            retired = [m for _, ms in fields for m in ms.split(",") if m in self.retired]
            if retired:
                return invalid("(#100) The value must be a valid insights metric")
            answer[object_id] = self.node_counts(object_id, kind, fields)
        return httpx.Response(200, json=answer)

    def node_counts(self, object_id: str, kind: str, fields: list[tuple[str, str]]) -> dict:
        """The object with reactions and comments summaries (limit(0): no data), shares
        (absent when nobody shared) and its insights, as asked."""
        figures = self.figures.get(object_id, {})
        comment = self.find_comment(object_id)
        if kind == "Comment" and comment is not None:
            replies = [p for p in self.all_comments() if getattr(p, "reply_to", None) is comment]
            reactions = getattr(comment, "likes", 0)
        else:
            replies = [
                p
                for p in self.all_comments()
                if getattr(p, "on", PAGE_POST) == object_id and getattr(p, "reply_to", 0) is None
            ]
            reactions = 0
        body: dict[str, Any] = {}
        for name, insight in fields:
            if name == "reactions":
                total = figures.get("reactions", reactions)
                body[name] = {
                    "data": [],
                    "summary": {"total_count": total, "viewer_reaction": "NONE"},
                }
            elif name == "comments":
                total = figures.get("comments", len(replies))
                body[name] = {
                    "data": [],
                    "summary": {"order": "ranked", "total_count": total, "can_comment": True},
                }
            elif name == "shares" and figures.get("shares"):
                body[name] = {"count": figures["shares"]}
            elif name == "insights":
                reach = [{"value": figures.get("reach", 0)}]
                body[name] = {
                    "data": [
                        insight_entry(object_id, m, "lifetime", reach) for m in insight.split(",")
                    ],
                    "paging": {
                        "previous": f"{GRAPH}{object_id}/insights?metric={insight}&period=lifetime",
                        "next": f"{GRAPH}{object_id}/insights?metric={insight}&period=lifetime",
                    },
                }
        body["id"] = object_id
        return body

    def insights_of(self, object_id: str, query: dict[str, str]) -> httpx.Response:
        metrics = [m for m in query.get("metric", "").split(",") if m]
        if not metrics:
            return error("error_100_33")
        if any(m in self.retired for m in metrics):
            return invalid("(#100) The value must be a valid insights metric")
        data = []
        for metric in metrics:
            if object_id == PAGE_ID:
                values = [
                    {"value": v, "end_time": t} for t, v in self.page_insights.get(metric, [])
                ]
                period = query.get("period", "day")
            else:
                reach = self.figures.get(object_id, {}).get("reach", 0)
                values, period = [{"value": reach}], "lifetime"
            data.append(insight_entry(object_id, metric, period, values))
        return httpx.Response(200, json={"data": data, "paging": {}})

    def comments_of(self, parent: str, query: dict[str, str], path: str) -> httpx.Response:
        if parent == PAGE_POST or any(p["id"] == parent for p in self.page_posts):
            rows = [p for p in self.all_comments() if getattr(p, "on", PAGE_POST) == parent]
            if query.get("filter") != "stream":
                rows = [p for p in rows if getattr(p, "reply_to", None) is None]
        else:
            top = self.find_comment(parent)
            if top is None:
                return error("error_100_33")
            rows = [p for p in self.all_comments() if getattr(p, "reply_to", None) is top]
        ordered = sorted(
            rows,
            key=lambda p: (p.created_at, p.key),
            reverse=query.get("order") == "reverse_chronological",
        )
        return self.listed([self.comment(p) for p in ordered], query, path)

    def post(self, request: httpx.Request, path: str, form: dict[str, Any]) -> httpx.Response:
        if path == f"{PAGE_ID}/feed":
            return self.publish_post(form)
        if path == f"{PAGE_ID}/photos":
            return self.upload_photo(form)
        if path == f"{PAGE_ID}/messages":
            return self.send_message(form)
        if path.endswith("/comments"):
            return self.add_comment(path[: -len("/comments")], form)
        found = self.find_comment(path)
        if found is None:
            return error("error_100_33")
        if "is_hidden" in form:
            if not isinstance(found, Comment) or not found.can_hide or found.by_page:
                return error("error_200", 403)
            found.hidden = form["is_hidden"] == "true"
            return httpx.Response(200, json={"success": True})
        return error("error_100_33")

    def delete_object(self, path: str) -> httpx.Response:
        found = self.find_comment(path)
        if found is None:
            return error("error_100_33")
        found.deleted = True
        return httpx.Response(200, json={"success": True})

    def answer(self, body: dict[str, Any]) -> httpx.Response:
        if self.lose_next_answer:
            self.lose_next_answer = False
            return httpx.Response(502, text="Bad Gateway")
        return httpx.Response(200, json=body)

    def new_post(self, message: str, photos: list[str]) -> dict[str, Any]:
        object_id = str(next(self.ids))
        post = {
            "id": f"{PAGE_ID}_{object_id}",
            "message": message,
            "created_time": stamp(dt.datetime.now(dt.UTC)),
            "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/{object_id}",
            "from": {"id": PAGE_ID, "name": PAGE_NAME},
            "_photos": photos,
        }
        self.page_posts.append(post)
        return post

    def publish_post(self, form: dict[str, Any]) -> httpx.Response:
        message = form.get("message", "")
        if len(message) > 63206:
            return error("error_100_33")
        photos = []
        for key in sorted(k for k in form if k.startswith("attached_media[")):
            media = json.loads(form[key])
            if not any(u["id"] == media["media_fbid"] for u in self.uploads):
                return error("error_100_33")
            photos.append(media["media_fbid"])
        if self.page_posts and self.page_posts[-1]["message"] == message and not photos:
            return error("error_506")
        post = self.new_post(message, photos)
        if form.get("link"):
            post["_link"] = form["link"]
        return self.answer({"id": post["id"]})

    def upload_photo(self, form: dict[str, Any]) -> httpx.Response:
        data = form.get("source")
        if not data or form.get("source_type") not in ("image/jpeg", "image/png", "image/gif"):
            return error("error_100_33")
        photo_id = str(next(self.ids))
        self.uploads.append({"id": photo_id, "bytes": data, "published": form.get("published")})
        if form.get("published") == "false":
            return httpx.Response(200, json={"id": photo_id})
        post = self.new_post(form.get("message", ""), [photo_id])
        return self.answer({"id": photo_id, "post_id": post["id"]})

    def add_comment(self, parent: str, form: dict[str, Any]) -> httpx.Response:
        message = form.get("message", "")
        if parent == PAGE_POST or any(p["id"] == parent for p in self.page_posts):
            reply = Comment(text=message, author="page", by_page=True, on=parent)
        else:
            top = self.find_comment(parent)
            if top is None:
                return error("error_100_33")
            reply = Comment(text=message, author="page", by_page=True, reply_to=top)
        reply.created_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.own_comments.append(reply)
        return self.answer({"id": self.comment_id(reply)})

    def send_message(self, form: dict[str, Any]) -> httpx.Response:
        """The Send API: a RESPONSE within 24 hours of the person's last message."""
        if form.get("messaging_type") != "RESPONSE":
            return error("error_100_33")
        psid = json.loads(form.get("recipient") or "{}").get("id")
        text = json.loads(form.get("message") or "{}").get("text", "")
        conversation = next((c for c in self.conversations if c["psid"] == psid), None)
        if conversation is None:
            return error("error_100_33")
        theirs = [m for m in conversation["messages"] if m["from"]["id"] == psid]
        last = dt.datetime.strptime(theirs[-1]["created_time"], "%Y-%m-%dT%H:%M:%S%z")
        if dt.datetime.now(dt.UTC) - last > dt.timedelta(hours=24):
            return error("error_10_window")
        message = {
            "id": f"m_{base64.urlsafe_b64encode(str(next(self.ids)).encode()).decode()}",
            "message": text,
            "from": {"id": PAGE_ID, "name": PAGE_NAME},
            "created_time": stamp(dt.datetime.now(dt.UTC)),
        }
        conversation["messages"].append(message)
        return self.answer({"recipient_id": psid, "message_id": message["id"]})

    # --- Facebook Login -------------------------------------------------------------------

    def authorize(self, url: str) -> str:
        """The person allows the app in the dialog: the code Facebook sends back."""
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


BASE_CREATED = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
# The fields each object type has (what the fake serves; Meta's reference has more).
NODE_FIELDS = {
    "Post": {
        "id", "message", "created_time", "updated_time", "permalink_url", "from",
        "reactions", "comments", "shares", "insights",
    },
    "Comment": {
        "id", "message", "created_time", "from", "parent", "permalink_url", "like_count",
        "comment_count", "is_hidden", "can_hide", "can_remove", "reactions", "comments",
    },
}  # fmt: skip


def top_fields(fields: str) -> list[tuple[str, str]]:
    """The top-level fields asked (commas inside modifiers and braces kept), each with the
    metrics of an `insights.metric(...)` expansion: "a.summary(x),b{c,d}" -> [("a", ""),
    ("b", "")]."""
    parts, depth, current = [], 0, ""
    for char in fields:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    found = []
    for part in filter(None, parts):
        name = part.split(".")[0].split("{")[0]
        metric = ""
        if ".metric(" in part:
            metric = part.split(".metric(")[1].split(")")[0]
        found.append((name, metric))
    return found


def invalid(message: str) -> httpx.Response:
    body = {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": 100,
            "fbtrace_id": "AbCdEfGhIjK",
        }
    }
    return httpx.Response(400, json=body)


def insight_entry(object_id: str, metric: str, period: str, values: list[dict]) -> dict:
    return {
        "name": metric,
        "period": period,
        "values": values,
        "title": metric.replace("_", " ").title(),
        "description": "Lifetime: figures as Meta computes them.",
        "id": f"{object_id}/insights/{metric}/{period}",
    }
