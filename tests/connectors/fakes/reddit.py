"""Reddit's OAuth API as documented (reddit.com/dev/api, github.com/reddit-archive/reddit/wiki):
GET oauth.reddit.com/search (sort=new, type=link, limit, after) answers a Listing of t3 things
newest first, `after` the fullname to continue from, null at the end; calls need
`Authorization: bearer`; POST www.reddit.com/api/v1/access_token (HTTP basic auth) renews
tokens. Every API answer carries X-Ratelimit-Used / -Remaining / -Reset (a 600-second window);
refusals are {"message": ..., "error": status} bodies; without raw_json=1, &, < and > in text
fields come HTML-escaped (a legacy of the API's JSON).

Replying: POST /api/comment (thing_id, text, api_type=json) answers 200 with
{"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": {...}}]}}}, or with its
refusals in "errors" ([code, message, field]); the account's comments are
GET /user/{name}/comments, its sent messages GET /message/sent.

Moderating: POST /api/remove (id, spam) and POST /api/approve (id) answer 200 with {} for a
moderator of the item's subreddit, however often; 403 {"message": "Forbidden", "error": 403}
for anyone else, and a 403 with `www-authenticate: Bearer realm="reddit",
error="insufficient_scope"` to a token granted without the modposts scope.
"""

from __future__ import annotations

import base64
import re
import time

import httpx

from parvis.listening.text import fold
from tests.connectors.contract.harness import FakeNetwork, Post

CLIENT_ID = "p-jcoLKBynTLew"
CLIENT_SECRET = "gko_LXELoV07ZBNUXrvWZfzE3aI"
REFRESH_TOKEN = "21534232-refresh-aaa"
WINDOW = 600
LIMIT = 1000  # requests per window


def b36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def matches(query: str, text: str) -> bool:
    """Words all present; "quoted phrases" as phrases (Reddit's search honours quotes)."""
    words = re.findall(r"\w+", fold(text))
    joined = " ".join(words)
    for phrase in re.findall(r'"([^"]*)"', query):
        tokens = re.findall(r"\w+", fold(phrase))
        if tokens and " ".join(tokens) not in joined:
            return False
    rest = re.sub(r'"[^"]*"', " ", query)
    return all(term in words for term in re.findall(r"\w+", fold(rest)))


def legacy_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Fake(FakeNetwork):
    kind = "reddit"
    page_size = 10  # `limit` is honoured up to this, so that paging is exercised

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = {"initial-access-token"}
        self.issued = 0
        self.used = 0
        self.window_started = time.time()
        self.comments: list[dict] = []  # what the account posted (t1 or t4 things), oldest first
        self.next_errors: list[list] = []  # the next /api/comment answers these errors
        self.lose_next_answer = False  # the next comment is posted, its answer lost (a 502)
        self.moderated = {"france"}  # the subreddits the account moderates
        self.subreddit_of: dict[str, str] = {}  # fullname -> subreddit (default: france)
        self.removed: set[str] = set()  # fullnames removed by a moderator
        self.scope = {"read", "identity", "history", "privatemessages", "submit", "modposts"}

    def source_config(self) -> dict:
        return {"mode": "search", "since": "2026-11-01"}

    def account(self) -> dict:
        return {
            "network": "reddit",
            "handle": "u/maison_lumiere",
            "credentials": {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN,
                "access_token": "initial-access-token",
                "expires_at": str(int(time.time()) + 3600),
            },
        }

    def external_id(self, post: Post) -> str:
        return f"t3_{b36(10**9 + post.key)}"

    # --- the API ------------------------------------------------------------------------

    def rate_headers(self) -> dict[str, str]:
        elapsed = time.time() - self.window_started
        if elapsed >= WINDOW:
            self.window_started, self.used, elapsed = time.time(), 1, 0.0
        return {
            "X-Ratelimit-Used": str(self.used),
            "X-Ratelimit-Remaining": f"{max(LIMIT - self.used, 0):.1f}",
            "X-Ratelimit-Reset": str(max(int(WINDOW - elapsed), 0)),
        }

    def thing(self, post: Post, raw: bool) -> dict:
        short = b36(10**9 + post.key)
        escape = (lambda s: s) if raw else legacy_escape
        deleted = post.deleted
        data = {
            "approved_at_utc": None,
            "subreddit": "france",
            "selftext": "[deleted]" if deleted else escape(post.text),
            "author_fullname": None if deleted else f"t2_{b36(post.key + 5000)}",
            "title": f"Avis bougies {post.key}",
            "subreddit_name_prefixed": "r/france",
            "name": None if post.malformed else f"t3_{short}",
            "score": self.count(post, 12),
            "ups": 12,
            "num_comments": 4,
            "created": post.created_at.timestamp(),
            "created_utc": post.created_at.timestamp(),
            "id": short,
            "author": "[deleted]" if deleted else post.author,
            "permalink": f"/r/france/comments/{short}/avis_bougies_{post.key}/",
            "url": f"https://www.reddit.com/r/france/comments/{short}/avis_bougies_{post.key}/",
            "is_self": True,
            "over_18": False,
            "removed_by_category": None,
        }
        return {"kind": "t3", "data": data}

    def listing(self, things: list[dict], after: str | None) -> dict:
        return {
            "kind": "Listing",
            "data": {
                "after": after,
                "dist": len(things),
                "modhash": "",
                "geo_filter": "",
                "children": things,
                "before": None,
            },
        }

    def respond(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "www.reddit.com" and request.url.path == "/api/v1/access_token":
            return self.token(request)
        self.used += 1
        headers = self.rate_headers()
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("bearer ") or auth.removeprefix("bearer ") not in self.tokens:
            headers["www-authenticate"] = 'Bearer realm="reddit", error="invalid_token"'
            return httpx.Response(
                401, headers=headers, json={"message": "Unauthorized", "error": 401}
            )
        if request.url.path == "/api/comment" and request.method == "POST":
            return self.comment(request, headers)
        if request.url.path in {"/api/remove", "/api/approve"} and request.method == "POST":
            return self.moderate(request, headers)
        if request.url.path in {"/user/maison_lumiere/comments", "/message/sent"}:
            kind = "t4" if request.url.path == "/message/sent" else "t1"
            mine = [c for c in reversed(self.comments) if c["kind"] == kind]
            return httpx.Response(200, headers=headers, json=self.listing(mine, None))
        if request.url.path != "/search":
            return httpx.Response(404, headers=headers, json={"message": "Not Found", "error": 404})
        params = request.url.params
        found = [p for p in self.visible() if p.deleted or matches(params.get("q", ""), p.text)]
        after = params.get("after")
        if after:
            names = [self.external_id(p) for p in found]
            found = found[names.index(after) + 1 :] if after in names else []
        limit = min(int(params.get("limit", 25)), 100, self.page_size)
        page = found[:limit]
        next_after = self.external_id(page[-1]) if len(found) > limit else None
        raw = params.get("raw_json") == "1"
        body = self.listing([self.thing(p, raw) for p in page], next_after)
        return httpx.Response(200, headers=headers, json=body)

    def comment(self, request: httpx.Request, headers: dict[str, str]) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        if self.next_errors:
            errors, self.next_errors = self.next_errors, []
            body: dict = {"json": {"errors": errors}}
            if errors[0][0] == "RATELIMIT":
                body["json"]["ratelimit"] = 299.2
            return httpx.Response(200, headers=headers, json=body)
        parent = form.get("thing_id", "")
        kind = "t4" if parent.startswith("t4_") else "t1"
        short = b36(2 * 10**9 + len(self.comments))
        created = time.time()
        data = {
            "id": short,
            "name": f"{kind}_{short}",
            "author": "maison_lumiere",
            "body": form.get("text", ""),
            "parent_id": parent,
            "created": created,
            "created_utc": created,
            "score": 1,
        }
        if kind == "t1":
            link = parent if parent.startswith("t3_") else "t3_" + b36(10**9 + 1)
            data.update(
                link_id=link,
                subreddit="france",
                permalink=f"/r/france/comments/{link[3:]}/avis_bougies/{short}/",
            )
        else:
            data.update(subject="re: Avis", dest="lea_dupont", first_message_name=parent)
        thing = {"kind": kind, "data": data}
        self.comments.append(thing)
        if self.lose_next_answer:
            self.lose_next_answer = False
            return httpx.Response(502, text="Bad Gateway")
        answer = {"json": {"errors": [], "data": {"things": [thing]}}}
        return httpx.Response(200, headers=headers, json=answer)

    def moderate(self, request: httpx.Request, headers: dict[str, str]) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        if "modposts" not in self.scope:
            headers["www-authenticate"] = 'Bearer realm="reddit", error="insufficient_scope"'
            return httpx.Response(403, headers=headers, json={"message": "Forbidden", "error": 403})
        name = form.get("id", "")
        if self.subreddit_of.get(name, "france") not in self.moderated:
            return httpx.Response(403, headers=headers, json={"message": "Forbidden", "error": 403})
        if request.url.path == "/api/remove":
            self.removed.add(name)
        else:
            self.removed.discard(name)
        return httpx.Response(200, headers=headers, json={})

    def token(self, request: httpx.Request) -> httpx.Response:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return httpx.Response(401, json={"message": "Unauthorized", "error": 401})
        form = dict(httpx.QueryParams(request.content.decode()))
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != REFRESH_TOKEN:
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.issued += 1
        token = f"access-{self.issued}"
        self.tokens.add(token)
        return httpx.Response(
            200,
            json={
                "access_token": token,
                "token_type": "bearer",
                "expires_in": 86400,
                "scope": "read identity history privatemessages",
            },
        )

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        headers = {
            "X-Ratelimit-Used": str(LIMIT),
            "X-Ratelimit-Remaining": "0.0",
            "X-Ratelimit-Reset": str(seconds),
        }
        return httpx.Response(
            429, headers=headers, json={"message": "Too Many Requests", "error": 429}
        )

    def refused(self, request: httpx.Request) -> httpx.Response:
        # The account revoked Parvis's access: tokens and the refresh token stop working.
        if request.url.path == "/api/v1/access_token":
            return httpx.Response(400, json={"error": "invalid_grant"})
        headers = {
            **self.rate_headers(),
            "www-authenticate": 'Bearer realm="reddit", error="invalid_token"',
        }
        return httpx.Response(401, headers=headers, json={"message": "Unauthorized", "error": 401})
