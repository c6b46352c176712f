"""A Mastodon instance, as docs.joinmastodon.org documents its API.

Statuses and accounts are full entities; ids are snowflakes (milliseconds << 16); lists take
max_id / since_id / min_id / limit and answer Link headers; search takes q / type / limit /
offset (user token only); every answer carries X-RateLimit-Limit / -Remaining / -Reset (ISO 8601)
and a 429 is {"error": "Too many requests"} with the same headers; an invalid token is a 401
{"error": "The access token is invalid"}. The streaming API is served from its own host, which
GET /api/v2/instance names. Apps, /oauth/authorize (simulated by `authorize`) and /oauth/token.
Posting: POST /api/v1/statuses (a repeated Idempotency-Key answers the status it created, as
Mastodon keeps keys for an hour; a text over 500 characters is a 422; `media_ids[]` must be
processed attachments of the account, `in_reply_to_id` a status it can see, its own included),
and the account's statuses, GET /api/v1/accounts/:id/statuses. Media: POST /api/v2/media
(multipart `file` and `description`: 200 with its url, or 202 with url null while processing,
then GET /api/v1/media/:id answers 206 until done), a file over the instance's
image_size_limit is a 422. The instance: GET /api/v2/instance, or only /api/v1/instance
(`v1_only`, a server before Mastodon 4.0).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.parser
import email.policy
import hashlib
import html
import itertools
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.connectors.contract.harness import FakeNetwork, Post

HOST = "mastodon.example"
INSTANCE = f"https://{HOST}"
STREAMING = "https://streaming.mastodon.example"
TOKEN = "user-token-6f1c"
CLIENT_ID = "client-id-parvis"
CLIENT_SECRET = "client-secret-parvis"
LIMIT_PER_WINDOW = 300
WINDOW = 300  # seconds


@dataclass
class Toot(Post):
    """A status with the parts the contract's Post does not have."""

    spoiler_text: str = ""
    language: str | None = "fr"
    in_reply_to: Post | None = None
    boosted_by: str = ""  # the status is this account's reblog of the post
    favourites: int = 0
    reblogs: int = 0
    replies: int = 0
    followers: int = 120
    local: bool | None = None  # None: local unless the author has a domain


def snowflake(when: dt.datetime, sequence: int) -> str:
    return str((int(when.timestamp() * 1000) << 16) + (sequence % 65536))


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def error(status: int, message: str, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error": message}, headers=headers or {})


URL = re.compile(r"https?://[^\s<>\"]+")
TAG = re.compile(r"(?<![\w/])#(\w+)")


def link(url: str) -> str:
    """A URL as Mastodon's TextFormatter renders it: the scheme hidden, 30 characters shown,
    the rest hidden behind an ellipsis (CSS)."""
    prefix = re.match(r"https?://(www\.)?", url).group(0)
    shown, hidden = url[len(prefix) : len(prefix) + 30], url[len(prefix) + 30 :]
    return (
        f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
        f'<span class="invisible">{html.escape(prefix)}</span>'
        f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
        f'<span class="invisible">{html.escape(hidden)}</span></a>'
    )


def rendered(line: str) -> str:
    """One line of a status as the instance renders it: escaped, links and hashtags linked."""
    parts, last = [], 0
    for match in URL.finditer(line):
        parts.append(tags(html.escape(line[last : match.start()])))
        parts.append(link(match.group(0)))
        last = match.end()
    parts.append(tags(html.escape(line[last:])))
    return "".join(parts)


def tags(escaped: str) -> str:
    return TAG.sub(
        lambda m: (
            f'<a href="{INSTANCE}/tags/{m.group(1).lower()}" class="mention hashtag" '
            f'rel="tag">#<span>{m.group(1)}</span></a>'
        ),
        escaped,
    )


def older_first_ids(values: list[str]) -> list[str]:
    return sorted(values, key=lambda v: (len(v), v))


def gt(a: str, b: str) -> bool:
    return (len(a), a) > (len(b), b)


class Fake(FakeNetwork):
    kind = "mastodon"
    page_size = 10

    def __init__(self) -> None:
        super().__init__()
        self.remaining = LIMIT_PER_WINDOW
        self.token = TOKEN
        self.notifications: list[dict[str, Any]] = []
        self.conversations: list[dict[str, Any]] = []
        self.streamed: list[Post] = []
        self.ids = itertools.count(34975000)
        self.apps: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []  # statuses the account posted, oldest first
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.lose_next_answer = False  # the next post is made, its answer lost (a 502)
        self.media: dict[str, dict[str, Any]] = {}  # attachments uploaded, by id
        self.media_files: dict[str, bytes] = {}
        self.processing_polls = 0  # GETs of a new attachment answered 206 before it is ready
        self.polls: dict[str, int] = {}
        self.v1_only = False  # no /api/v2/instance (404), as Mastodon before 4.0
        self.instance_reads = 0
        self.max_characters = 500
        # Statuses the account posted: their counts (favourites_count…) by id, those deleted
        # since, and whether GET /api/v1/statuses?id[]= exists (Mastodon 4.3 and later).
        self.counts: dict[str, dict[str, Any]] = {}
        self.deleted_sent: set[str] = set()
        self.bulk_statuses = True
        # The account's own followers as verify_credentials gives them (account metrics).
        self.own_followers = 120
        # Fields of the account's own CredentialAccount that a test sets (note, fields…).
        self.own_profile: dict[str, Any] = {}

    # --- the connector's side -------------------------------------------------------------

    def source_config(self) -> dict[str, Any]:
        # The contract's posts are dated November 2026: read all history, not the last week.
        return {"mode": "search", "backfill_days": 0}

    def account(self) -> dict[str, Any] | None:
        return {
            "network": "mastodon",
            "handle": f"@parvis@{HOST}",
            "credentials": {
                "instance_url": INSTANCE,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "access_token": TOKEN,
            },
        }

    def status_id(self, post: Post) -> str:
        return snowflake(post.created_at, post.key)

    def external_id(self, post: Post) -> str:
        return f"{HOST}:{self.status_id(post)}"

    # --- entities -------------------------------------------------------------------------

    def account_entity(self, author: str, followers: int = 120, local: bool | None = None) -> dict:
        username, _, domain = author.partition("@")
        local = (not domain) if local is None else local
        domain = domain or HOST
        acct = username if local else f"{username}@{domain}"
        number = int(hashlib.sha1(author.encode()).hexdigest()[:8], 16)
        return {
            "id": str(109000000000000000 + number),
            "username": username,
            "acct": acct,
            "display_name": username.replace("_", " ").title(),
            "locked": False,
            "bot": False,
            "discoverable": True,
            "group": False,
            "created_at": "2022-11-05T00:00:00.000Z",
            "note": "<p>Déco &amp; bougies</p>",
            "url": f"https://{domain}/@{username}",
            "uri": f"https://{domain}/users/{username}",
            "avatar": f"https://files.{HOST}/accounts/avatars/{number}.png",
            "avatar_static": f"https://files.{HOST}/accounts/avatars/{number}.png",
            "header": f"https://{HOST}/headers/original/missing.png",
            "header_static": f"https://{HOST}/headers/original/missing.png",
            "followers_count": followers,
            "following_count": 80,
            "statuses_count": 1200,
            "last_status_at": "2026-11-20",
            "noindex": False,
            "emojis": [],
            "fields": [],
        }

    def status(self, post: Post) -> dict[str, Any]:
        toot = post if isinstance(post, Toot) else Toot(**vars(post))
        sid = self.status_id(post)
        account = self.account_entity(toot.author, toot.followers, toot.local)
        domain = account["url"].split("/")[2]
        body = {
            "id": sid,
            "uri": f"https://{domain}/users/{account['username']}/statuses/{sid}",
            "url": f"https://{domain}/@{account['username']}/{sid}",
            "created_at": iso(post.created_at),
            "edited_at": None,
            "account": account,
            # The instance escapes what people type, then wraps it in HTML.
            "content": f"<p>{html.escape(post.text)}</p>",
            "visibility": "public",
            "sensitive": bool(toot.spoiler_text),
            "spoiler_text": toot.spoiler_text,
            "media_attachments": [],
            "application": {"name": "Web", "website": None},
            "mentions": [],
            "tags": [
                {"name": t.lower(), "url": f"{INSTANCE}/tags/{t.lower()}"}
                for t in re.findall(r"#(\w+)", post.text)
            ],
            "emojis": [],
            "reblogs_count": toot.reblogs,
            "favourites_count": self.count(post, toot.favourites),
            "replies_count": toot.replies,
            "in_reply_to_id": self.status_id(toot.in_reply_to) if toot.in_reply_to else None,
            "in_reply_to_account_id": (
                self.account_entity(toot.in_reply_to.author)["id"] if toot.in_reply_to else None
            ),
            "reblog": None,
            "poll": None,
            "card": None,
            "language": toot.language,
            "text": None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "pinned": False,
            "filtered": [],
        }
        if toot.boosted_by:
            booster = self.account_entity(toot.boosted_by)
            wrapper_id = snowflake(post.created_at + dt.timedelta(seconds=30), post.key)
            body = {
                **body,
                "id": wrapper_id,
                "uri": f"{INSTANCE}/users/{booster['username']}/statuses/{wrapper_id}/activity",
                "url": None,
                "account": booster,
                "content": "",
                "reblog": body,
                "language": None,
            }
        if post.malformed:
            body.pop("id")
            body.pop("uri")
        return body

    # --- what tests do on the instance ----------------------------------------------------

    def notify(self, post: Post, kind: str = "mention") -> dict[str, Any]:
        notification = {
            "id": str(next(self.ids)),
            "type": kind,
            "group_key": f"ungrouped-{post.key}",
            "created_at": iso(post.created_at + dt.timedelta(seconds=1)),
            "account": self.account_entity(post.author),
            "status": post,
        }
        self.notifications.append(notification)
        return notification

    def converse(self, *posts: Post) -> dict[str, Any]:
        """A direct conversation whose last status is the last of `posts`."""
        conversation = {
            "id": str(next(self.ids)),
            "unread": True,
            "accounts": [self.account_entity(p.author) for p in posts],
            "last_status": posts[-1],
        }
        self.conversations.append(conversation)
        return conversation

    def stream(self, *posts: Post) -> None:
        """Posts that appear on the streaming API while the connector listens."""
        self.streamed.extend(posts)

    def authorize(self, url: str, *, approve: bool = True) -> str:
        """The person approves Parvis on /oauth/authorize: the code the instance redirects with."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        app = self.apps[query["client_id"]]
        assert query["redirect_uri"] in app["redirect_uris"]
        assert query["response_type"] == "code"
        code = f"code-{len(self.grants) + 1}"
        self.grants[code] = query
        return code

    # --- the instance ---------------------------------------------------------------------

    def budget_headers(self) -> dict[str, str]:
        now = dt.datetime.now(dt.UTC)
        reset = now + dt.timedelta(seconds=WINDOW - now.timestamp() % WINDOW)
        return {
            "X-RateLimit-Limit": str(LIMIT_PER_WINDOW),
            "X-RateLimit-Remaining": str(max(0, self.remaining)),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        reset = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)
        headers = {
            "X-RateLimit-Limit": str(LIMIT_PER_WINDOW),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        return error(429, "Too many requests", headers)

    def refused(self, request: httpx.Request) -> httpx.Response:
        return error(401, "The access token is invalid", self.budget_headers())

    def authorized(self, request: httpx.Request) -> bool | None:
        """True for the user token, False for another token, None without one."""
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        return header == f"Bearer {self.token}"

    def respond(self, request: httpx.Request) -> httpx.Response:
        self.remaining -= 1
        url = request.url
        if f"{url.scheme}://{url.netloc.decode()}" == STREAMING:
            return self.streaming(request)
        if url.host != HOST:
            return httpx.Response(502, text="Bad Gateway")
        response = self.route(request)
        response.headers.update(self.budget_headers())
        return response

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        params = parse_qs(request.url.query.decode(), keep_blank_values=True)
        one = {k: v[-1] for k, v in params.items()}
        auth = self.authorized(request)
        if auth is False:
            return error(401, "The access token is invalid")
        if request.method == "POST" and path == "/api/v1/statuses":
            if auth is None:
                return error(401, "The access token is invalid")
            return self.post_status(request)
        if request.method == "POST" and path == "/api/v2/media":
            if auth is None:
                return error(401, "The access token is invalid")
            return self.upload_media(request)
        if path.startswith("/api/v1/media/") and auth:
            return self.get_media(path.rsplit("/", 1)[1])
        if request.method == "POST":
            return self.post(path, dict(parse_qs(request.content.decode())))
        if path == "/api/v2/search":
            return self.search(one, auth)
        if path.startswith("/api/v1/timelines/tag/"):
            return self.tag_timeline(path.rsplit("/", 1)[1], one, request)
        if path == "/api/v1/timelines/public":
            posts = [p for p in self.live() if one.get("local") != "true" or "@" not in p.author]
            return self.listed(posts, one, request)
        if path == "/api/v2/instance":
            self.instance_reads += 1
            if self.v1_only:
                return error(404, "Record not found")
            return httpx.Response(200, json=self.instance())
        if path == "/api/v1/instance":
            self.instance_reads += 1
            return httpx.Response(200, json=self.instance_v1())
        if auth is None:
            return error(401, "The access token is invalid")
        if path == "/api/v1/notifications":
            return self.notification_list(params, one, request)
        if path == "/api/v1/conversations":
            return self.conversation_list(one, request)
        if path == "/api/v1/accounts/verify_credentials":
            entity = self.account_entity("parvis", followers=self.own_followers)
            return httpx.Response(200, json={**entity, **self.own_profile})
        if path == "/api/v1/statuses" and self.bulk_statuses:
            return self.statuses_by_id(params.get("id[]", []))
        if path.startswith("/api/v1/statuses/") and path.count("/") == 4:
            return self.status_by_id(path.rsplit("/", 1)[1])
        if path == f"/api/v1/accounts/{self.account_entity('parvis')['id']}/statuses":
            statuses = sorted(self.sent, key=lambda s: (len(s["id"]), s["id"]), reverse=True)
            page = self.paginate(statuses, one, lambda s: s["id"], 20, 40)
            return httpx.Response(
                200, json=page, headers=self.linked([s["id"] for s in page], request)
            )
        return error(404, "Record not found")

    def give_counts(self, external_id: str, likes: int, reposts: int, replies: int) -> None:
        self.counts[external_id.rpartition(":")[2]] = {
            "favourites_count": likes,
            "reblogs_count": reposts,
            "replies_count": replies,
        }

    def delete_own(self, external_id: str) -> None:
        self.deleted_sent.add(external_id.rpartition(":")[2])

    def own_status(self, status_id: str) -> dict[str, Any] | None:
        if status_id in self.deleted_sent:
            return None
        found = next((s for s in self.sent if s["id"] == status_id), None)
        if found is None:
            return None
        return {**found, **self.counts.get(status_id, {})}

    def statuses_by_id(self, ids: list[str]) -> httpx.Response:
        """GET /api/v1/statuses?id[]=: up to 20, those the instance has (others left out)."""
        if len(ids) > 20:
            return error(422, "Validation failed")
        found = [s for i in dict.fromkeys(ids) if (s := self.own_status(i)) is not None]
        return httpx.Response(200, json=found)

    def status_by_id(self, status_id: str) -> httpx.Response:
        found = self.own_status(status_id)
        if found is None:
            return error(404, "Record not found")
        return httpx.Response(200, json=found)

    def post_status(self, request: httpx.Request) -> httpx.Response:
        lists = parse_qs(request.content.decode())
        form = {k: v[-1] for k, v in lists.items()}
        key = request.headers.get("Idempotency-Key", "")
        if key and key in self.idempotency:
            return httpx.Response(200, json=self.idempotency[key])
        text = form.get("status", "")
        media_ids = lists.get("media_ids[]", [])
        if not text.strip() and not media_ids:
            return error(422, "Validation failed: Text can't be blank")
        if len(text) > self.max_characters:
            return error(
                422, f"Validation failed: Text character limit of {self.max_characters} exceeded"
            )
        if len(media_ids) > 4:
            return error(422, "Validation failed: Cannot attach more than 4 files")
        for media_id in media_ids:
            if media_id not in self.media:
                return error(422, "Validation failed: Media attachments is invalid")
            if self.media[media_id]["url"] is None:
                return error(
                    422,
                    "Cannot attach files that have not finished processing. Try again in a moment!",
                )
        parents = {self.status_id(p): p for p in self.posts if not p.deleted}
        own = {s["id"]: s for s in self.sent}
        parent_id = form.get("in_reply_to_id")
        if parent_id and parent_id not in parents and parent_id not in own:
            return error(404, "Record not found")
        now = dt.datetime.now(dt.UTC)
        me = self.account_entity("parvis")
        sid = snowflake(now, next(self.ids))
        mentions = re.findall(r"(?<!\S)@(\w+)(?:@[\w.-]+)?", text)
        content = "<br>".join(rendered(line) for line in text.split("\n"))
        for name in mentions:  # what the instance renders: the local name, linked
            content = re.sub(
                rf"@{name}(@[\w.-]+)?",
                f'<span class="h-card" translate="no"><a href="https://{HOST}/@{name}" '
                f'class="u-url mention">@<span>{name}</span></a></span>',
                content,
                count=1,
            )
        status = {
            "id": sid,
            "uri": f"{INSTANCE}/users/parvis/statuses/{sid}",
            "url": f"{INSTANCE}/@parvis/{sid}",
            "created_at": iso(now),
            "account": me,
            "content": f"<p>{content}</p>",
            "visibility": form.get("visibility", "public"),
            "sensitive": False,
            "spoiler_text": "",
            "media_attachments": [self.media[m] for m in media_ids],
            "mentions": [{"username": n, "acct": n} for n in mentions],
            "tags": [],
            "emojis": [],
            "reblogs_count": 0,
            "favourites_count": 0,
            "replies_count": 0,
            "in_reply_to_id": parent_id,
            "in_reply_to_account_id": (
                (
                    self.account_entity(parents[parent_id].author)["id"]
                    if parent_id in parents
                    else me["id"]
                )
                if parent_id
                else None
            ),
            "reblog": None,
            "language": form.get("language") or "fr",
            "text": None,
        }
        self.sent.append(status)
        if key:
            self.idempotency[key] = status
        if self.lose_next_answer:
            self.lose_next_answer = False
            return httpx.Response(502, text="Bad Gateway")
        return httpx.Response(200, json=status)

    def upload_media(self, request: httpx.Request) -> httpx.Response:
        """POST /api/v2/media: multipart/form-data with `file` and `description`."""
        head = f"Content-Type: {request.headers.get('Content-Type', '')}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            head + request.content
        )
        parts: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            parts[name] = part
        if "file" not in parts:
            return error(422, "Validation failed: File can't be blank")
        data = parts["file"].get_payload(decode=True) or b""
        mime = parts["file"].get_content_type()
        config = self.instance()["configuration"]["media_attachments"]
        if mime not in config["supported_mime_types"]:
            return error(422, "Validation failed: File content type is invalid")
        limit = config["video_size_limit" if mime.startswith("video/") else "image_size_limit"]
        if len(data) > limit:
            return error(422, f"Validation failed: File file size must be less than {limit} Bytes")
        description = ""
        if "description" in parts:
            # Form fields are UTF-8 (the HTML standard), whatever the part's headers say.
            description = parts["description"].get_payload(decode=True).decode("utf-8")
        media_id = str(next(self.ids))
        processing = self.processing_polls > 0
        entity = {
            "id": media_id,
            "type": "video" if mime.startswith("video/") else "image",
            "url": None if processing else f"https://files.{HOST}/media_attachments/{media_id}.png",
            "preview_url": f"https://files.{HOST}/media_attachments/small/{media_id}.png",
            "remote_url": None,
            "text_url": None,
            "meta": {},
            "description": description or None,
            "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
        }
        self.media[media_id] = entity
        self.media_files[media_id] = data
        self.polls[media_id] = self.processing_polls
        return httpx.Response(202 if processing else 200, json=entity)

    def get_media(self, media_id: str) -> httpx.Response:
        entity = self.media.get(media_id)
        if entity is None:
            return error(404, "Record not found")
        if self.polls.get(media_id, 0) > 0:
            self.polls[media_id] -= 1
            return httpx.Response(206, json=entity)
        entity["url"] = f"https://files.{HOST}/media_attachments/{media_id}.png"
        return httpx.Response(200, json=entity)

    def instance_v1(self) -> dict[str, Any]:
        """GET /api/v1/instance as Mastodon 3.5 answers it."""
        v2 = self.instance()
        return {
            "uri": HOST,
            "title": v2["title"],
            "version": "3.5.3",
            "urls": {"streaming_api": STREAMING.replace("https://", "wss://")},
            "configuration": {
                "statuses": {
                    "max_characters": self.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": 23,
                },
                "media_attachments": {
                    "supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
                    "image_size_limit": 10485760,
                    "image_matrix_limit": 16777216,
                    "video_size_limit": 41943040,
                    "video_frame_rate_limit": 60,
                    "video_matrix_limit": 2304000,
                },
            },
        }

    def published_texts(self) -> list[str]:
        return [
            html.unescape(re.sub(r"<[^>]+>", "", s["content"].replace("<br>", "\n")))
            for s in self.sent
        ]

    def live(self) -> list[Post]:
        return [p for p in self.visible() if not p.deleted]

    def instance(self) -> dict[str, Any]:
        return {
            "domain": HOST,
            "title": "Mastodon Example",
            "version": "4.5.0",
            "source_url": "https://github.com/mastodon/mastodon",
            "description": "A fake instance",
            "configuration": {
                "urls": {"streaming": STREAMING.replace("https://", "wss://")},
                "accounts": {"max_featured_tags": 10},
                "statuses": {
                    "max_characters": self.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": 23,
                },
                "media_attachments": {
                    "supported_mime_types": [
                        "image/jpeg",
                        "image/png",
                        "image/gif",
                        "image/webp",
                        "video/mp4",
                        "video/quicktime",
                    ],
                    "image_size_limit": 16777216,
                    "image_matrix_limit": 33177600,
                    "video_size_limit": 103809024,
                    "video_frame_rate_limit": 120,
                    "video_matrix_limit": 8294400,
                },
                "polls": {"max_options": 4, "max_characters_per_option": 50},
            },
        }

    # Pagination as Paginable does it: max_id / since_id bound, min_id pages forward.
    def paginate(
        self, entries: list[dict], one: dict[str, str], position: Any, default: int, most: int
    ) -> list[dict]:
        limit = min(int(one.get("limit") or default), most, self.page_size or most)
        entries = sorted(entries, key=lambda e: (len(position(e)), position(e)), reverse=True)
        if one.get("max_id"):
            entries = [e for e in entries if gt(one["max_id"], position(e))]
        if one.get("since_id"):
            entries = [e for e in entries if gt(position(e), one["since_id"])]
        if one.get("min_id"):
            newer = [e for e in entries if gt(position(e), one["min_id"])]
            return list(reversed(list(reversed(newer))[:limit]))
        return entries[:limit]

    def linked(self, positions: list[str], request: httpx.Request) -> dict:
        if not positions:
            return {}
        base = f"{INSTANCE}{request.url.path}"
        kept = [
            (k, v)
            for k, v in parse_qs(request.url.query.decode()).items()
            if k not in {"max_id", "min_id", "since_id"}
        ]
        extra = urlencode([(k, x) for k, vs in kept for x in vs])
        sep = "&" if extra else ""
        return {
            "Link": (
                f'<{base}?{extra}{sep}max_id={positions[-1]}>; rel="next", '
                f'<{base}?{extra}{sep}min_id={positions[0]}>; rel="prev"'
            )
        }

    def listed(self, posts: list[Post], one: dict[str, str], request: httpx.Request):
        """A timeline of statuses; a malformed one (no id) keeps its place by its post's id."""
        rows = []
        for post in posts:
            status = self.status(post)
            rows.append({"position": status.get("id") or self.status_id(post), "status": status})
        page = self.paginate(rows, one, lambda r: r["position"], 20, 40)
        positions = [r["position"] for r in page]
        body = [r["status"] for r in page]
        return httpx.Response(200, json=body, headers=self.linked(positions, request))

    def search(self, one: dict[str, str], auth: bool | None) -> httpx.Response:
        if auth is None and (one.get("offset") or one.get("resolve") == "true"):
            return error(401, "Search queries pagination is not supported without authentication")
        wanted = one.get("type")
        statuses: list[dict] = []
        if auth and wanted in (None, "statuses"):
            terms = [a or b for a, b in re.findall(r'"([^"]*)"|(\S+)', fold(one.get("q", "")))]
            posts = [p for p in self.live() if all(t in fold(p.text) for t in terms)]
            pairs = [(self.status_id(p), self.status(p)) for p in posts]
            limit = min(int(one.get("limit") or 20), 40, self.page_size or 40)
            ordered = sorted(pairs, key=lambda e: (len(e[0]), e[0]), reverse=True)
            if one.get("max_id"):
                ordered = [e for e in ordered if gt(one["max_id"], e[0])]
            if one.get("min_id"):
                ordered = [e for e in ordered if gt(e[0], one["min_id"])]
            offset = int(one.get("offset") or 0)
            statuses = [s for _, s in ordered[offset : offset + limit]]
        return httpx.Response(200, json={"accounts": [], "statuses": statuses, "hashtags": []})

    def tag_timeline(self, tag: str, one: dict[str, str], request: httpx.Request):
        tag = fold(tag)
        used = [p for p in self.posts if f"#{tag}" in fold(p.text)]
        if not used:
            return error(404, "Record not found")
        posts = [p for p in self.live() if f"#{tag}" in fold(p.text)]
        return self.listed(posts, one, request)

    def notification_list(self, params: dict[str, list[str]], one: dict[str, str], request):
        types = params.get("types[]")
        rows = [
            {**n, "status": self.status(n["status"]) if not n["status"].deleted else None}
            for n in self.notifications
            if not types or n["type"] in types
        ]
        page = self.paginate(rows, one, lambda n: n["id"], 40, 80)
        return httpx.Response(200, json=page, headers=self.linked([n["id"] for n in page], request))

    def conversation_list(self, one: dict[str, str], request: httpx.Request):
        rows = [
            {**c, "last_status": self.status(c["last_status"])}
            for c in self.conversations
            if not c["last_status"].deleted
        ]
        # AccountConversation pages by its last status's id, and so do its Link headers.
        page = self.paginate(rows, one, lambda c: c["last_status"]["id"], 20, 40)
        positions = [c["last_status"]["id"] for c in page]
        return httpx.Response(200, json=page, headers=self.linked(positions, request))

    def streaming(self, request: httpx.Request) -> httpx.Response:
        if self.authorized(request) is not True:
            return error(401, "Missing access token")
        path = request.url.path
        tag = request.url.params.get("tag", "")
        lines = [":)\n"]
        for post in self.streamed:
            if path.startswith("/api/v1/streaming/hashtag") and f"#{fold(tag)}" not in fold(
                post.text
            ):
                continue
            lines.append(":thump\n")
            lines.append(f"event: update\ndata: {json.dumps(self.status(post))}\n\n")
            lines.append("event: delete\ndata: 108914430312582020\n\n")
        self.streamed = []
        chunks = [line.encode() for line in lines]
        return httpx.Response(
            200, headers={"Content-Type": "text/event-stream"}, content=iter(chunks)
        )

    def post(self, path: str, form: dict[str, list[str]]) -> httpx.Response:
        one = {k: v[-1] for k, v in form.items()}
        if path == "/api/v1/apps":
            return self.register_app(form, one)
        if path == "/oauth/token":
            return self.token_for(one)
        return error(404, "Record not found")

    def register_app(self, form: dict[str, list[str]], one: dict[str, str]) -> httpx.Response:
        if not one.get("client_name") or not one.get("redirect_uris"):
            return error(422, "Validation failed: Redirect URI must be an absolute URI.")
        uris = form["redirect_uris"]
        app = {
            "id": str(len(self.apps) + 563419),
            "name": one["client_name"],
            "website": one.get("website"),
            "scopes": one.get("scopes", "read").split(),
            "redirect_uri": "\n".join(uris),
            "redirect_uris": uris,
            "vapid_key": "BCk-QqERU0q-CfYZjcuB6lnyyOYfJ2AifKqfeGIm7Z-HiTU5T9eTG5GxVA0_OH5mMlI4Ukk=",
            "client_id": CLIENT_ID if not self.apps else f"{CLIENT_ID}-{len(self.apps)}",
            "client_secret": CLIENT_SECRET,
            "client_secret_expires_at": 0,
        }
        self.apps[app["client_id"]] = app
        return httpx.Response(200, json=app)

    def token_for(self, one: dict[str, str]) -> httpx.Response:
        app = self.apps.get(one.get("client_id", ""))
        if app is None or one.get("client_secret") != app["client_secret"]:
            return httpx.Response(
                401,
                json={
                    "error": "invalid_client",
                    "error_description": "Client authentication failed due to unknown client, "
                    "no client authentication included, or unsupported authentication method.",
                },
            )
        grant = self.grants.pop(one.get("code", ""), None)
        challenge = (grant or {}).get("code_challenge")
        verifier = one.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (
            grant is None
            or grant["redirect_uri"] != one.get("redirect_uri")
            or (challenge and digest.decode().rstrip("=") != challenge)
        ):
            return httpx.Response(
                400,
                json={
                    "error": "invalid_grant",
                    "error_description": "The provided authorization grant is invalid, expired, "
                    "revoked, does not match the redirection URI used in the authorization "
                    "request, or was issued to another client.",
                },
            )
        return httpx.Response(
            200,
            json={
                "access_token": self.token,
                "token_type": "Bearer",
                "scope": grant.get("scope", "read"),
                "created_at": 1732492800,
            },
        )
