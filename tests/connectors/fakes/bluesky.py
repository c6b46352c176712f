"""Bluesky as its XRPC API answers at bsky.social (the entryway serving the account's PDS,
which proxies app.bsky.* to the AppView named in the atproto-proxy header): sessions,
searchPosts, getProfiles, getProfile, getPosts, listNotifications; the account's own posts:
com.atproto.repo.createRecord and getRecord, com.atproto.repo.uploadBlob (raw bytes, answering
a blob ref), com.atproto.identity.resolveHandle, and getAuthorFeed of the account; its threadgates
(hidden replies): getRecord and putRecord of app.bsky.feed.threadgate, with swapRecord
compared as the reference PDS does (400 InvalidSwap "Record was at <cid>"), and the lexicon's
cap of 300 hiddenReplies (400 InvalidRequest).

Shapes follow the lexicons: searchPosts → {"posts": [postView], "cursor"?, "hitsTotal"?};
errors → {"error": Name, "message"}; a rate limit → 429 with ratelimit-limit / -remaining /
-reset (Unix seconds) / -policy headers and RateLimitExceeded.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
import re
import unicodedata
from typing import Any
from urllib.parse import parse_qs

import httpx

from tests.connectors.contract.harness import FakeNetwork, Post

ENTRYWAY = "https://bsky.social"
PDS = "https://morel.us-east.host.bsky.network"  # what the DID document names
APPVIEW_PROXY = "did:web:api.bsky.app#bsky_appview"
OUR_HANDLE = "maisonlumiere.bsky.social"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
S32 = "234567abcdefghijklmnopqrstuvwxyz"
THREADGATE = "app.bsky.feed.threadgate"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


def did_of(name: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()[:24]


def handle_of(name: str) -> str:
    return name if "." in name else f"{name.replace('_', '-')}.bsky.social"


def tid(when: dt.datetime, clock: int) -> str:
    """A record key as Bluesky makes them: microseconds and a clock id, base32-sortable."""
    value = (int(when.timestamp() * 1_000_000) << 10) | (clock & 1023)
    return "".join(S32[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_matches(q: str, text: str) -> bool:
    """Every word and "quoted phrase" of q in the text (case and accents ignored)."""
    folded = fold(text)
    parts = q.split('"')
    phrases = [p.strip() for p in parts[1::2] if p.strip()]
    words = " ".join(parts[0::2]).split()
    return all(fold(p) in folded for p in phrases + words)


def xrpc_error(status: int, name: str, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": name, "message": message}, headers=headers)


class Fake(FakeNetwork):
    kind = "bluesky"
    page_size = 10

    def __init__(self) -> None:
        super().__init__()
        self.tokens = itertools.count(1)
        self.access = ""
        self.refresh = ""
        self.expire_access = False  # the next app.bsky call with the current token: ExpiredToken
        self.sessions_created = 0
        self.followers: dict[str, int] = {}
        self.notifications: list[dict[str, Any]] = []
        self.reply_to: dict[int, Post] = {}
        self.langs: dict[int, list[str]] = {}
        self.reposts: list[tuple[Post, str]] = []  # (post, who reposted it)
        self.now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
        self.own_records: dict[str, dict[str, Any]] = {}  # rkey -> {"uri", "cid", "value"}
        self.lose_next_answer = False  # the next write is done, its answer lost (a 502)
        self.gates: dict[str, dict[str, Any]] = {}  # threadgates: rkey -> {"uri", "cid", "value"}
        self.puts = 0  # putRecord calls that changed a record
        # Called after a getRecord of a threadgate answers, before the caller writes: a
        # concurrent writer (another worker) changing the record in between.
        self.after_gate_read: Any = None
        self.blobs: dict[str, tuple[str, bytes]] = {}  # cid -> (mime type, bytes)
        self.handles: dict[str, str] = {}  # handles that resolve, other than the posts' authors
        self.resolved: list[str] = []  # handles asked to resolveHandle
        # The account's own posts: their counts as the AppView gives them (likeCount…), by URI,
        # and those deleted since (getPosts leaves them out).
        self.own_counts: dict[str, dict[str, Any]] = {}
        self.own_deleted: set[str] = set()
        # Fields of the account's own profileViewDetailed that a test sets (banner,
        # pinnedPost…); a None value removes the field (optional in the lexicon).
        self.own_profile: dict[str, Any] = {}

    # --- the connector's side -------------------------------------------------------------

    def source_config(self) -> dict[str, Any]:
        return {"mode": "search"}

    def account(self) -> dict[str, Any]:
        return {
            "network": "bluesky",
            "handle": OUR_HANDLE,
            "credentials": {"service_url": ENTRYWAY, "app_password": APP_PASSWORD},
        }

    def external_id(self, post: Post) -> str:
        return f"at://{did_of(post.author)}/app.bsky.feed.post/{tid(post.created_at, post.key)}"

    # --- payloads -------------------------------------------------------------------------

    def author_view(self, name: str) -> dict[str, Any]:
        return {
            "did": did_of(name),
            "handle": handle_of(name),
            "displayName": name.replace("_", " ").title(),
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did_of(name)}/bafkrei@jpeg",
            "labels": [],
            "createdAt": "2024-02-01T10:00:00.000Z",
        }

    def record(self, post: Post) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": post.text,
            "createdAt": iso(post.created_at),
            "langs": self.langs.get(post.key, ["fr"]),
        }
        if (parent := self.reply_to.get(post.key)) is not None:
            root = parent
            while root.key in self.reply_to:
                root = self.reply_to[root.key]
            record["reply"] = {
                "root": {"uri": self.external_id(root), "cid": self.cid(root)},
                "parent": {"uri": self.external_id(parent), "cid": self.cid(parent)},
            }
        return record

    def cid(self, post: Post) -> str:
        digest = hashlib.sha256(f"{post.key}:{post.text}".encode()).digest()
        return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]

    def post_view(self, post: Post) -> dict[str, Any]:
        view: dict[str, Any] = {
            "uri": self.external_id(post),
            "cid": self.cid(post),
            "author": self.author_view(post.author),
            "record": self.record(post),
            "replyCount": sum(1 for p in self.reply_to.values() if p is post),
            "repostCount": post.key % 3,
            "likeCount": self.count(post, post.key * 2),
            "quoteCount": 1,
            "indexedAt": iso(post.created_at + dt.timedelta(milliseconds=350)),
            "viewer": {"threadMuted": False, "embeddingDisabled": False},
            "labels": [],
        }
        if post.malformed:
            del view["record"]  # what a client cannot map: quarantined, never fatal
        return view

    def profile_detailed(self, did: str) -> dict[str, Any] | None:
        for name in {p.author for p in self.posts} | {OUR_HANDLE}:
            if did_of(name) == did:
                view = self.author_view(name)
                view.update(
                    {
                        "description": "",
                        "followersCount": self.followers.get(name, 120),
                        "followsCount": 80,
                        "postsCount": 42,
                        "indexedAt": "2024-02-01T10:00:00.000Z",
                    }
                )
                if name == OUR_HANDLE:
                    view.update(self.own_profile)
                    view = {k: v for k, v in view.items() if v is not None}
                return view
        return None

    # --- what a test does -------------------------------------------------------------------

    def reply(self, post: Post, parent: Post) -> None:
        self.reply_to[post.key] = parent
        self.publish(post)

    def notify(self, post: Post, reason: str) -> None:
        """Our account gets a notification (reply, mention, quote, like…) about `post`."""
        self.notifications.append(
            {
                "uri": self.external_id(post),
                "cid": self.cid(post),
                "author": self.author_view(post.author),
                "reason": reason,
                "record": self.record(post),
                "isRead": False,
                "indexedAt": iso(post.created_at + dt.timedelta(milliseconds=500)),
                "labels": [],
            }
        )

    # --- the network's side ---------------------------------------------------------------

    def respond(self, request: httpx.Request) -> httpx.Response:
        nsid = request.url.path.removeprefix("/xrpc/")
        if nsid == "com.atproto.server.createSession":
            return self.create_session(request)
        if nsid == "com.atproto.server.refreshSession":
            return self.refresh_session(request)
        if request.headers.get("Authorization") != f"Bearer {self.access}" or not self.access:
            return xrpc_error(400, "InvalidToken", "Token could not be verified")
        if self.expire_access:
            self.expire_access = False
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        if nsid == "com.atproto.repo.createRecord":
            return self.create_record(request)
        if nsid == "com.atproto.repo.putRecord":
            return self.put_record(request)
        if nsid == "com.atproto.repo.uploadBlob":
            return self.upload_blob(request)
        params = parse_qs(request.url.query.decode())
        handlers = {
            "com.atproto.repo.getRecord": self.get_record,
            "app.bsky.feed.searchPosts": self.search_posts,
            "app.bsky.actor.getProfiles": self.get_profiles,
            "app.bsky.actor.getProfile": self.get_profile,
            "app.bsky.feed.getPosts": self.get_posts,
            "app.bsky.notification.listNotifications": self.list_notifications,
            "app.bsky.feed.getAuthorFeed": self.get_author_feed,
            "com.atproto.identity.resolveHandle": self.resolve_handle,
        }
        handler = handlers.get(nsid)
        if handler is None:
            return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")
        return handler(params)

    def new_tokens(self) -> dict[str, str]:
        n = next(self.tokens)
        self.access, self.refresh = f"eyJ.access-{n}.sig", f"eyJ.refresh-{n}.sig"
        return {"accessJwt": self.access, "refreshJwt": self.refresh}

    def session_body(self) -> dict[str, Any]:
        did = did_of(OUR_HANDLE)
        return {
            **self.new_tokens(),
            "handle": OUR_HANDLE,
            "did": did,
            "didDoc": {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": did,
                "alsoKnownAs": [f"at://{OUR_HANDLE}"],
                "service": [
                    {
                        "id": "#atproto_pds",
                        "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": PDS,
                    }
                ],
            },
            "email": "contact@maison-lumiere.example",
            "emailConfirmed": True,
            "active": True,
        }

    def create_session(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if (
            body.get("identifier") not in {OUR_HANDLE, did_of(OUR_HANDLE)}
            or body.get("password") != APP_PASSWORD
        ):
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        self.sessions_created += 1
        return httpx.Response(200, json=self.session_body())

    def refresh_session(self, request: httpx.Request) -> httpx.Response:
        if not self.refresh or request.headers.get("Authorization") != f"Bearer {self.refresh}":
            return xrpc_error(400, "ExpiredToken", "Token has been revoked")
        body = self.session_body()
        del body["didDoc"], body["email"], body["emailConfirmed"]
        return httpx.Response(200, json=body)

    def page(self, items: list[Any], params: dict[str, list[str]], key: str) -> httpx.Response:
        limit = min(int(params.get("limit", ["25"])[0]), 100, self.page_size or 100)
        cursor = params.get("cursor", ["0"])[0]
        if not cursor.isdigit():
            return xrpc_error(400, "InvalidRequest", "Malformed cursor")
        start = int(cursor)
        body: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            body["cursor"] = str(start + limit)
        return httpx.Response(200, json=body)

    def search_posts(self, params: dict[str, list[str]]) -> httpx.Response:
        q = params.get("q", [""])[0]
        if not q.strip():
            return xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        found = [
            self.post_view(p) for p in self.visible() if not p.deleted and search_matches(q, p.text)
        ]
        response = self.page(found, params, "posts")
        if response.status_code != 200:
            return response
        body = response.json()
        body["hitsTotal"] = len(found)
        return httpx.Response(200, json=body)

    def get_profiles(self, params: dict[str, list[str]]) -> httpx.Response:
        actors = params.get("actors", [])
        if len(actors) > 25:
            return xrpc_error(400, "InvalidRequest", "actors must not have more than 25 elements")
        views = [v for a in actors if (v := self.profile_detailed(a)) is not None]
        return httpx.Response(200, json={"profiles": views})

    def get_profile(self, params: dict[str, list[str]]) -> httpx.Response:
        view = self.profile_detailed(params.get("actor", [""])[0])
        if view is None:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        return httpx.Response(200, json=view)

    def get_posts(self, params: dict[str, list[str]]) -> httpx.Response:
        """As the AppView: a postView for each URI it has, the others (deleted, taken down)
        left out; the account's own posts with the counts a test gave them (`own_counts`)."""
        uris = params.get("uris", [])
        if len(uris) > 25:
            return xrpc_error(400, "InvalidRequest", "uris must not have more than 25 elements")
        for uri in uris:
            if not uri.startswith("at://"):
                return xrpc_error(400, "InvalidRequest", "Error: uris/0 must be a valid at-uri")
        by_uri = {self.external_id(p): p for p in self.posts if not p.deleted}
        own = {v["uri"]: v for v in self.own_post_views() if v["uri"] not in self.own_deleted}
        views = [
            self.post_view(by_uri[u]) if u in by_uri else own[u]
            for u in uris
            if u in by_uri or u in own
        ]
        return httpx.Response(200, json={"posts": views})

    def get_author_feed(self, params: dict[str, list[str]]) -> httpx.Response:
        actor = params.get("actor", [""])[0]
        names = {p.author for p in self.posts} | {OUR_HANDLE}
        name = next((n for n in names if actor in {handle_of(n), did_of(n)}), None)
        if name is None:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        feed = [{"post": self.post_view(p)} for p in self.visible() if p.author == name]
        if name == OUR_HANDLE:
            feed = [{"post": v} for v in self.own_post_views()] + feed
        for post, by in self.reposts:
            if by == name:  # shown in the feed with a reason, newest first
                feed.insert(
                    0,
                    {
                        "post": self.post_view(post),
                        "reason": {
                            "$type": "app.bsky.feed.defs#reasonRepost",
                            "by": self.author_view(name),
                            "indexedAt": iso(self.now),
                        },
                    },
                )
        return self.page(feed, params, "feed")

    def create_record(self, request: httpx.Request) -> httpx.Response:
        """As the reference PDS: a record key must be valid for the collection (a TID for
        posts); a key already in the repository is an error of its MST (a 500), not a 409."""
        body = json.loads(request.content)
        did = did_of(OUR_HANDLE)
        if body.get("repo") not in {did, OUR_HANDLE}:
            return xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        record = body.get("record") or {}
        rkey = body.get("rkey") or tid(self.now, len(self.own_records))
        if not TID.match(rkey):
            return xrpc_error(
                400, "InvalidRequest", f"Invalid app.bsky.feed.post record key: {rkey}"
            )
        if len(str(record.get("text", ""))) > 300:
            return xrpc_error(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 "
                "graphemes",
            )
        if rkey in self.own_records:
            return xrpc_error(500, "InternalServerError", "Internal Server Error")
        uri = f"at://{did}/{body.get('collection')}/{rkey}"
        digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).digest()
        cid = "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]
        self.own_records[rkey] = {"uri": uri, "cid": cid, "value": record}
        if self.lose_next_answer:
            self.lose_next_answer = False
            return httpx.Response(502, text="Bad Gateway")
        return httpx.Response(
            200,
            json={
                "uri": uri,
                "cid": cid,
                "commit": {"cid": "bafyreicommit", "rev": tid(self.now, 1)},
                "validationStatus": "valid",
            },
        )

    def upload_blob(self, request: httpx.Request) -> httpx.Response:
        """As the PDS: the bytes are the body, their type the Content-Type; the answer is the
        blob ref a record embeds (it stays unreferenced until then)."""
        data = request.content
        mime = request.headers.get("Content-Type", "")
        if not data:
            return xrpc_error(400, "InvalidRequest", "Request body is empty")
        if len(data) > 50_000_000:
            return xrpc_error(400, "BlobTooLarge", "This file is too large")
        digest = hashlib.sha256(data).digest()
        cid = "bafkrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]
        self.blobs[cid] = (mime, data)
        return httpx.Response(
            200,
            json={
                "blob": {
                    "$type": "blob",
                    "ref": {"$link": cid},
                    "mimeType": mime,
                    "size": len(data),
                }
            },
        )

    def resolve_handle(self, params: dict[str, list[str]]) -> httpx.Response:
        handle = params.get("handle", [""])[0].lower()
        self.resolved.append(handle)
        known = {handle_of(p.author): did_of(p.author) for p in self.posts}
        known.update({OUR_HANDLE: did_of(OUR_HANDLE)}, **self.handles)
        if handle not in known:
            return xrpc_error(400, "InvalidRequest", "Unable to resolve handle")
        return httpx.Response(200, json={"did": known[handle]})

    def get_record(self, params: dict[str, list[str]]) -> httpx.Response:
        rkey = params.get("rkey", [""])[0]
        if params.get("collection", [""])[0] == THREADGATE:
            gate = self.gates.get(rkey)
            if params.get("repo", [""])[0] not in {did_of(OUR_HANDLE), OUR_HANDLE} or not gate:
                uri = f"at://{params.get('repo', [''])[0]}/{THREADGATE}/{rkey}"
                answer = xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
            else:
                answer = httpx.Response(200, json=gate)
            if self.after_gate_read is not None:
                self.after_gate_read()
            return answer
        found = self.own_records.get(rkey)
        if params.get("repo", [""])[0] not in {did_of(OUR_HANDLE), OUR_HANDLE} or not found:
            uri = f"at://{params.get('repo', [''])[0]}/app.bsky.feed.post/{rkey}"
            return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
        return httpx.Response(200, json=found)

    def record_cid(self, record: dict[str, Any]) -> str:
        digest = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).digest()
        return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]

    def write_gate(self, rkey: str, record: dict[str, Any]) -> dict[str, Any]:
        uri = f"at://{did_of(OUR_HANDLE)}/{THREADGATE}/{rkey}"
        self.gates[rkey] = {"uri": uri, "cid": self.record_cid(record), "value": record}
        self.puts += 1
        return self.gates[rkey]

    def put_record(self, request: httpx.Request) -> httpx.Response:
        """As the reference PDS: the record validated against its lexicon, then swapRecord
        compared with the current record (absent: no check; null: there must be none)."""
        body = json.loads(request.content)
        did = did_of(OUR_HANDLE)
        if body.get("repo") not in {did, OUR_HANDLE}:
            return xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        if body.get("collection") != THREADGATE:
            return xrpc_error(501, "MethodNotImplemented", "only threadgates in this fake")
        rkey, record = body.get("rkey") or "", body.get("record") or {}
        if not TID.match(rkey):
            return xrpc_error(400, "InvalidRequest", f"Invalid {THREADGATE} record key: {rkey}")
        if not isinstance(record.get("post"), str) or not isinstance(record.get("createdAt"), str):
            return xrpc_error(
                400,
                "InvalidRequest",
                f'Invalid {THREADGATE} record: Record must have the property "post"',
            )
        if len(record.get("hiddenReplies") or []) > 300:
            return xrpc_error(
                400,
                "InvalidRequest",
                f"Invalid {THREADGATE} record: Record/hiddenReplies must not have more than "
                "300 elements",
            )
        current = self.gates.get(rkey)
        if "swapRecord" in body:
            swap = body["swapRecord"]
            if (current is None and swap is not None) or (
                current is not None and swap != current["cid"]
            ):
                was = current["cid"] if current else "null"
                return xrpc_error(400, "InvalidSwap", f"Record was at {was}")
        if current is not None and current["value"] == record:
            written = current  # a no-op: nothing committed
        else:
            written = self.write_gate(rkey, record)
        return httpx.Response(
            200,
            json={
                "uri": written["uri"],
                "cid": written["cid"],
                "commit": {"cid": "bafyreicommit", "rev": tid(self.now, self.puts)},
                "validationStatus": "valid",
            },
        )

    def published_texts(self) -> list[str]:
        return [r["value"].get("text", "") for r in self.own_records.values()]

    def own_post(self, post: Post) -> None:
        """A post by the account itself (a thread root it owns), as any other post."""
        post.author = OUR_HANDLE
        self.publish(post)

    def give_counts(self, external_id: str, likes: int, reposts: int, replies: int) -> None:
        self.own_counts[external_id] = {
            "likeCount": likes,
            "repostCount": reposts,
            "replyCount": replies,
            "quoteCount": 1,
        }

    def delete_own(self, external_id: str) -> None:
        self.own_deleted.add(external_id)

    def own_post_views(self) -> list[dict[str, Any]]:
        """The account's replies as getAuthorFeed shows them, newest first."""
        views = [
            {
                "uri": r["uri"],
                "cid": r["cid"],
                "author": self.author_view(OUR_HANDLE),
                "record": r["value"],
                "replyCount": 0,
                "repostCount": 0,
                "likeCount": 0,
                "quoteCount": 0,
                **self.own_counts.get(r["uri"], {}),
                "indexedAt": r["value"].get("createdAt"),
                "labels": [],
            }
            for r in self.own_records.values()
        ]
        return sorted(views, key=lambda v: v["record"].get("createdAt", ""), reverse=True)

    def list_notifications(self, params: dict[str, list[str]]) -> httpx.Response:
        reasons = set(params.get("reasons", []))
        items = sorted(self.notifications, key=lambda n: n["indexedAt"], reverse=True)
        items = [n for n in items if not reasons or n["reason"] in reasons]
        response = self.page(items, params, "notifications")
        if response.status_code != 200:
            return response
        body = response.json()
        body["seenAt"] = iso(self.now)
        body["priority"] = False
        return httpx.Response(200, json=body)

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        reset = int(dt.datetime.now(dt.UTC).timestamp()) + seconds
        return xrpc_error(
            429,
            "RateLimitExceeded",
            "Rate Limit Exceeded",
            **{
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "3000;w=300",
            },
        )

    def refused(self, request: httpx.Request) -> httpx.Response:
        """The app password was revoked: tokens are refused, and so is logging in again."""
        nsid = request.url.path.removeprefix("/xrpc/")
        if nsid == "com.atproto.server.createSession":
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        if nsid == "com.atproto.server.refreshSession":
            return xrpc_error(400, "ExpiredToken", "Token has been revoked")
        return xrpc_error(400, "ExpiredToken", "Token has expired")
