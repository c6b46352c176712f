"""X API v2, as docs.x.com documents it, for one connected user (OAuth 2.0 user context).

Posts are Tweet objects {"id", "text", "author_id", "created_at", "conversation_id",
"in_reply_to_user_id", "referenced_tweets", "public_metrics", "lang"} with the authors in
`includes.users` (expansions=author_id); lists answer {"data", "includes", "meta":
{"result_count", "newest_id", "oldest_id", "next_token"}}, newest first, `since_id` excluded,
paged with `pagination_token` (user timelines, mentions) or `next_token` (recent search), an
empty page is {"meta": {"result_count": 0}}. Every answer carries x-rate-limit-limit /
-remaining / -reset (epoch seconds); a 429 is the problem object of error_429.json. An
unknown or revoked token is a 401 (error_401.json). The Free tier reads nothing: those
endpoints answer 403 client-not-enrolled. POST /2/tweets refuses a text the account already
posted (403, error_403_duplicate.json); GET /2/tweets?ids= answers the missing ids in
`errors` (resource-not-found) next to `data`. PUT /2/tweets/:id/hidden only for replies in
the account's conversations. The token endpoint checks the PKCE verifier against the
challenge the browser brought, and rotates refresh tokens (a used one is dead).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from parvis.connectors import counting
from tests.connectors.contract.harness import BASE_TIME, FakeNetwork, Post

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "x"
API = "https://api.x.com/2/"
ME_ID = "1500000000000000001"
ME = "maisonlumiere"
TOKEN = "x-access-token-1"
REFRESH = "x-refresh-token-1"
CLIENT_ID = "cGFydmlzLWNsaWVudA"
TWEPOCH_MS = 1288834974657
LIMIT = 300


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def snowflake(when: dt.datetime, sequence: int) -> str:
    ms = int(when.timestamp() * 1000) - TWEPOCH_MS
    return str((ms << 22) + (sequence % 4096))


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def user_id(name: str) -> str:
    return str(1600000000000000000 + int(hashlib.sha256(name.encode()).hexdigest()[:12], 16))


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class Tweet(Post):
    """A post on X with the parts the contract's Post does not have."""

    in_reply_to: str = ""  # the id of the post it answers
    mentions_me: bool = True
    likes: int = 0
    lang: str = "fr"


@dataclass
class Own:
    """A post the connected account made through the API."""

    id: str
    text: str
    created_at: dt.datetime
    reply_to: str = ""
    media_ids: tuple[str, ...] = ()
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    deleted: bool = False


class Fake(FakeNetwork):
    kind = "x"

    def __init__(self) -> None:
        super().__init__()
        self.tier = "basic"
        self.own: list[Own] = []
        self.hidden: dict[str, bool] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.tokens = {TOKEN}
        self.refresh_tokens = {REFRESH}
        self.dead_refresh: set[str] = set()
        self.codes: dict[str, str] = {}  # code → the challenge it was given for
        self.lose_next_answer = False
        self.fail_processing = False
        self.on_token: Any = None  # called when the token endpoint is reached (races)
        self.token_calls = 0
        self.sequence = itertools.count(1)
        self.remaining = LIMIT

    # --- the connector's side -------------------------------------------------------------

    def source_config(self) -> dict[str, Any]:
        return {"mode": "mentions"}

    def credentials(self, **changes: str) -> dict[str, str]:
        future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
        return {
            "client_id": CLIENT_ID,
            "access_token": TOKEN,
            "refresh_token": REFRESH,
            "expires_at": future.isoformat(),
            "user_id": ME_ID,
            "username": ME,
            "tier": self.tier,
            **changes,
        }

    def account(self) -> dict[str, Any] | None:
        return {"network": "x", "handle": f"@{ME}", "credentials": self.credentials()}

    def tweet_id(self, post: Post) -> str:
        return snowflake(BASE_TIME + dt.timedelta(minutes=post.key), post.key)

    def external_id(self, post: Post) -> str:
        return self.tweet_id(post)

    def published_texts(self) -> list[str]:
        return [o.text for o in self.own if not o.deleted]

    def own_by_id(self, external_id: str) -> Own | None:
        return next((o for o in self.own if o.id == external_id and not o.deleted), None)

    def give_counts(self, external_id: str, likes: int, reposts: int, replies: int) -> None:
        own = self.own_by_id(external_id)
        assert own is not None
        own.likes, own.reposts, own.replies = likes, reposts, replies

    def delete_own(self, external_id: str) -> None:
        own = self.own_by_id(external_id)
        assert own is not None
        own.deleted = True

    def authorize(self, url: str, *, approve: bool = True) -> str:
        """The person approves on x.com: the callback URL X redirects the browser to."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://x.com/i/oauth2/authorize"
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["code_challenge_method"] == "S256" and query["response_type"] == "code"
        assert "offline.access" in query["scope"].split()
        if not approve:
            return f"{query['redirect_uri']}?error=access_denied&state={query['state']}"
        code = f"code-{len(self.codes) + 1}"
        self.codes[code] = query["code_challenge"]
        return f"{query['redirect_uri']}?code={code}&state={query['state']}"

    # --- payloads ---------------------------------------------------------------------------

    def user(self, name: str) -> dict[str, Any]:
        return {
            "id": user_id(name),
            "name": name.replace("_", " ").title(),
            "username": name,
            "public_metrics": {
                "followers_count": 120,
                "following_count": 80,
                "tweet_count": 500,
                "listed_count": 1,
            },
        }

    def tweet(self, post: Post) -> dict[str, Any]:
        tweet_id = self.tweet_id(post)
        assert post.created_at is not None
        likes = post.likes if isinstance(post, Tweet) else 0
        body: dict[str, Any] = {
            "id": tweet_id,
            "text": post.text,
            "author_id": user_id(post.author),
            "created_at": iso(post.created_at),
            "conversation_id": tweet_id,
            "lang": post.lang if isinstance(post, Tweet) else "fr",
            "edit_history_tweet_ids": [tweet_id],
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": self.count(post, likes),
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 40,
            },
        }
        parent = post.in_reply_to if isinstance(post, Tweet) else ""
        if parent:
            body["in_reply_to_user_id"] = ME_ID
            body["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
            owner = self.own_by_id(parent)
            if owner is not None:
                body["conversation_id"] = owner.id
        if post.malformed:
            del body["author_id"]
        return body

    def own_tweet(self, own: Own) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": own.id,
            "text": own.text,
            "author_id": ME_ID,
            "created_at": iso(own.created_at),
            "conversation_id": own.id,
            "edit_history_tweet_ids": [own.id],
            "public_metrics": {
                "retweet_count": own.reposts,
                "reply_count": own.replies,
                "like_count": own.likes,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 10 * own.likes,
            },
        }
        # X gives every link back as a t.co link (bare domains included).
        spans = counting.find_urls(own.text)
        for number, span in reversed(list(enumerate(spans))):
            body["text"] = (
                body["text"][: span.start] + f"https://t.co/Ab{number}x" + body["text"][span.end :]
            )
        own_text = body["text"]
        if own.reply_to:
            # X gives a reply's text with the handle it answers in front.
            answered = self.author_of(own.reply_to)
            body["text"] = f"@{answered} {own_text}" if answered else own_text
            body["referenced_tweets"] = [{"type": "replied_to", "id": own.reply_to}]
        return body

    def author_of(self, tweet_id: str) -> str:
        for post in self.posts:
            if self.tweet_id(post) == tweet_id:
                return post.author
        return ME if self.own_by_id(tweet_id) else ""

    # --- answers ----------------------------------------------------------------------------

    def headers(self) -> dict[str, str]:
        return {
            "x-rate-limit-limit": str(LIMIT),
            "x-rate-limit-remaining": str(self.remaining),
            "x-rate-limit-reset": str(int(time.time()) + 900),
        }

    def answer(self, status: int, body: Any) -> httpx.Response:
        self.remaining = max(0, self.remaining - 1)
        return httpx.Response(status, json=body, headers=self.headers())

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        headers = {
            "x-rate-limit-limit": str(LIMIT),
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(time.time()) + seconds),
        }
        return httpx.Response(429, json=fixture("error_429.json"), headers=headers)

    def refused(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json=fixture("error_401.json"))

    def respond(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url.startswith(API + "oauth2/token"):
            return self.token(request)
        if not url.startswith(API):
            return httpx.Response(404)
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self.tokens:
            return httpx.Response(401, json=fixture("error_401.json"))
        path = request.url.path.removeprefix("/2/")
        params = {k: v for k, v in request.url.params.items()}
        method = request.method
        if method == "GET" and path == "users/me":
            return self.answer(200, fixture("users_me.json"))
        reading = method == "GET" and not path.startswith("media/")
        if reading and self.tier == "free":
            return httpx.Response(403, json=fixture("error_403_client_not_enrolled.json"))
        if method == "GET" and path == f"users/{ME_ID}/mentions":
            posts = [p for p in self.visible() if getattr(p, "mentions_me", True)]
            return self.listed(posts, params, "pagination_token")
        if method == "GET" and path == "tweets/search/recent":
            return self.listed(self.matching(params.get("query", "")), params, "next_token")
        if method == "GET" and path == f"users/{ME_ID}/tweets":
            return self.timeline(params)
        if method == "GET" and path == "tweets":
            return self.lookup(params.get("ids", ""))
        if method == "POST" and path == "tweets":
            return self.create(json.loads(request.content))
        if method == "POST" and path == "media/upload":
            return self.upload(request)
        if method == "POST" and path == "media/upload/initialize":
            return self.initialize(json.loads(request.content))
        if method == "POST" and path.startswith("media/upload/") and path.endswith("/append"):
            return self.append(path.split("/")[2], request)
        if method == "POST" and path.startswith("media/upload/") and path.endswith("/finalize"):
            return self.finalize(path.split("/")[2])
        if method == "GET" and path == "media/upload" and params.get("command") == "STATUS":
            return self.status(params.get("media_id", ""))
        if method == "POST" and path == "media/metadata":
            body = json.loads(request.content)
            self.media[body["id"]]["alt_text"] = body["metadata"]["alt_text"]["text"]
            return self.answer(200, {"data": {"id": body["id"]}})
        if method == "DELETE" and path.startswith("tweets/"):
            own = self.own_by_id(path.removeprefix("tweets/"))
            if own is None:
                return httpx.Response(
                    404,
                    json={
                        "title": "Not Found Error",
                        "status": 404,
                        "detail": "Not Found",
                        "type": "about:blank",
                    },
                )
            own.deleted = True
            return self.answer(200, fixture("deleted.json"))
        if method == "PUT" and path.endswith("/hidden"):
            return self.hide(path.split("/")[1], json.loads(request.content))
        return httpx.Response(
            404,
            json={
                "title": "Not Found",
                "status": 404,
                "type": "about:blank",
                "detail": f"no route {method} {path}",
            },
        )

    def visible(self) -> list[Post]:
        live = [p for p in self.posts if not p.deleted]
        return sorted(live, key=lambda p: int(self.tweet_id(p)), reverse=True)

    def matching(self, query: str) -> list[Post]:
        query = query.replace(" -is:retweet", "")
        groups = [g.strip().strip("()").replace('"', "").split() for g in query.split(" OR ")]
        return [
            p
            for p in self.visible()
            if any(all(w in fold(p.text) for w in group) for group in groups if group)
        ]

    def listed(self, posts: list[Post], params: dict[str, str], token_name: str) -> httpx.Response:
        size = int(params.get("max_results", "10"))
        if not 5 <= size <= 100:
            return httpx.Response(400, json=fixture("error_400_invalid.json"))
        size = min(size, self.page_size or size)
        since = params.get("since_id")
        if since:
            posts = [p for p in posts if int(self.tweet_id(p)) > int(since)]
        start = int(params.get(token_name) or 0)
        page = posts[start : start + size]
        if not page:
            return self.answer(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {
            "result_count": len(page),
            "newest_id": self.tweet_id(page[0]),
            "oldest_id": self.tweet_id(page[-1]),
        }
        if start + size < len(posts):
            meta["next_token"] = str(start + size)
        authors = {p.author: self.user(p.author) for p in page}
        return self.answer(
            200,
            {
                "data": [self.tweet(p) for p in page],
                "includes": {"users": list(authors.values())},
                "meta": meta,
            },
        )

    def timeline(self, params: dict[str, str]) -> httpx.Response:
        live = sorted((o for o in self.own if not o.deleted), key=lambda o: int(o.id), reverse=True)
        if params.get("start_time"):
            start = dt.datetime.fromisoformat(params["start_time"].replace("Z", "+00:00"))
            live = [o for o in live if o.created_at >= start]
        size = int(params.get("max_results", "10"))
        size = min(size, self.page_size or size)
        first = int(params.get("pagination_token") or 0)
        page = live[first : first + size]
        if not page:
            return self.answer(200, {"meta": {"result_count": 0}})
        meta: dict[str, Any] = {
            "result_count": len(page),
            "newest_id": page[0].id,
            "oldest_id": page[-1].id,
        }
        if first + size < len(live):
            meta["next_token"] = str(first + size)
        return self.answer(200, {"data": [self.own_tweet(o) for o in page], "meta": meta})

    def lookup(self, ids: str) -> httpx.Response:
        wanted = [i for i in ids.split(",") if i]
        if len(wanted) > 100:
            return httpx.Response(400, json=fixture("error_400_invalid.json"))
        data, errors = [], []
        for tweet_id in wanted:
            own = self.own_by_id(tweet_id)
            if own is None:
                error = fixture("tweets_not_found.json")["errors"][0]
                error.update(
                    value=tweet_id,
                    resource_id=tweet_id,
                    detail=f"Could not find tweet with ids: [{tweet_id}].",
                )
                errors.append(error)
            else:
                data.append(self.own_tweet(own))
        body: dict[str, Any] = {"data": data} if data else {}
        if errors:
            body["errors"] = errors
        return self.answer(200, body)

    def create(self, body: dict[str, Any]) -> httpx.Response:
        text = body.get("text", "")
        reply_to = body.get("reply", {}).get("in_reply_to_tweet_id", "")
        if any(o.text == text and not o.deleted for o in self.own):
            return httpx.Response(
                403, json=fixture("error_403_duplicate.json"), headers=self.headers()
            )
        if reply_to and not self.author_of(reply_to):
            return httpx.Response(400, json=fixture("error_400_invalid.json"))
        media_ids = tuple(body.get("media", {}).get("media_ids", []))
        if any(m not in self.media for m in media_ids):
            return httpx.Response(400, json=fixture("error_400_invalid.json"))
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        own = Own(snowflake(now, next(self.sequence)), text, now, reply_to, media_ids)
        self.own.append(own)
        if self.lose_next_answer:
            self.lose_next_answer = False
            return httpx.Response(503, json=fixture("error_503.json"))
        created = fixture("create_tweet.json")
        created["data"].update(id=own.id, text=text, edit_history_tweet_ids=[own.id])
        return self.answer(201, created)

    def upload(self, request: httpx.Request) -> httpx.Response:
        content_type = request.headers.get("Content-Type", "")
        assert content_type.startswith("multipart/form-data")
        raw = request.content
        assert b'name="media"' in raw and b"tweet_image" in raw
        media_id = snowflake(dt.datetime.now(dt.UTC), next(self.sequence))
        self.media[media_id] = {"size": len(raw)}
        answer = fixture("media_upload.json")
        answer["data"].update(id=media_id, media_key=f"3_{media_id}")
        return self.answer(200, answer)

    def initialize(self, body: dict[str, Any]) -> httpx.Response:
        assert body["media_category"] in {"tweet_gif", "tweet_video"}
        media_id = snowflake(dt.datetime.now(dt.UTC), next(self.sequence))
        self.media[media_id] = {
            "size": 0,
            "total": body["total_bytes"],
            "segments": [],
            "type": body["media_type"],
            "checks": 0,
            "finalized": False,
        }
        return self.answer(
            200,
            {"data": {"id": media_id, "media_key": f"7_{media_id}", "expires_after_secs": 86400}},
        )

    def append(self, media_id: str, request: httpx.Request) -> httpx.Response:
        media = self.media.get(media_id)
        if media is None or media.get("finalized"):
            return httpx.Response(400, json=fixture("error_400_invalid.json"))
        raw = request.content
        marker = b'name="segment_index"'
        assert marker in raw
        index = int(raw.split(marker)[1].split(b"\r\n\r\n", 1)[1].split(b"\r\n", 1)[0])
        chunk = raw.split(b'name="media"', 1)[1].split(b"\r\n\r\n", 1)[1]
        chunk = chunk[: chunk.rindex(b"\r\n--")]
        media["segments"].append(index)
        media["size"] += len(chunk)
        return httpx.Response(204, headers=self.headers())

    def processing(self, media_id: str) -> dict[str, Any]:
        media = self.media[media_id]
        if self.fail_processing:
            return {
                "state": "failed",
                "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"},
            }
        if media["checks"] < 2:
            return {
                "state": "pending" if media["checks"] == 0 else "in_progress",
                "check_after_secs": 1,
                "progress_percent": 50 * media["checks"],
            }
        return {"state": "succeeded", "progress_percent": 100}

    def finalize(self, media_id: str) -> httpx.Response:
        media = self.media.get(media_id)
        if media is None or media["size"] != media["total"]:
            return httpx.Response(400, json=fixture("error_400_invalid.json"))
        if media["segments"] != list(range(len(media["segments"]))):
            return httpx.Response(400, json=fixture("error_400_invalid.json"))
        media["finalized"] = True
        return self.answer(
            200,
            {
                "data": {
                    "id": media_id,
                    "media_key": f"7_{media_id}",
                    "size": media["size"],
                    "expires_after_secs": 86400,
                    "processing_info": self.processing(media_id),
                }
            },
        )

    def status(self, media_id: str) -> httpx.Response:
        media = self.media.get(media_id)
        if media is None:
            return httpx.Response(400, json=fixture("error_400_invalid.json"))
        media["checks"] += 1
        return self.answer(
            200,
            {
                "data": {
                    "id": media_id,
                    "media_key": f"7_{media_id}",
                    "processing_info": self.processing(media_id),
                }
            },
        )

    def hide(self, tweet_id: str, body: dict[str, Any]) -> httpx.Response:
        post = next((p for p in self.posts if self.tweet_id(p) == tweet_id), None)
        if post is None or post.deleted:
            return httpx.Response(
                404,
                json={
                    "title": "Not Found Error",
                    "status": 404,
                    "detail": "Not Found",
                    "type": "about:blank",
                },
            )
        parent = post.in_reply_to if isinstance(post, Tweet) else ""
        if not parent or self.own_by_id(parent) is None:
            return httpx.Response(403, json=fixture("error_403_hide.json"))
        self.hidden[tweet_id] = bool(body["hidden"])
        answer = fixture("hidden.json")
        answer["data"]["hidden"] = bool(body["hidden"])
        return self.answer(200, answer)

    def token(self, request: httpx.Request) -> httpx.Response:
        self.token_calls += 1
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        client = form.get("client_id")
        if not client and request.headers.get("Authorization", "").startswith("Basic "):
            client = base64.b64decode(request.headers["Authorization"][6:]).decode().split(":")[0]
        if client != CLIENT_ID:
            return httpx.Response(
                401,
                json={
                    "error": "invalid_client",
                    "error_description": "Missing valid authorization header",
                },
            )
        grant = form.get("grant_type")
        if grant == "authorization_code":
            challenge = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            if challenge is None or digest.rstrip(b"=").decode() != challenge:
                return httpx.Response(400, json=fixture("token_error.json"))
        elif grant == "refresh_token":
            used = form.get("refresh_token", "")
            if used not in self.refresh_tokens:
                return httpx.Response(400, json=fixture("token_error.json"))
            # Rotation: the refresh token used is dead from now on.
            self.refresh_tokens.discard(used)
            self.dead_refresh.add(used)
            if self.on_token is not None:
                hook, self.on_token = self.on_token, None
                hook()
        else:
            return httpx.Response(400, json=fixture("token_error.json"))
        number = len(self.tokens) + 1
        access, refresh = f"x-access-token-{number}", f"x-refresh-token-{number}"
        self.tokens.add(access)
        self.refresh_tokens.add(refresh)
        body = fixture("token.json")
        body.update(access_token=access, refresh_token=refresh)
        return httpx.Response(200, json=body)
