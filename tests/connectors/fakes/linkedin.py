"""LinkedIn's versioned REST API (Community Management API), as Microsoft Learn documents it,
for one member who administers one organization.

Every call must carry `LinkedIn-Version` and `X-Restli-Protocol-Version: 2.0.0` (else 400
VERSION_MISSING, error_400_headers.json), with URNs percent-encoded in paths and queries.
Collections answer {"paging": {"start", "count", "total", "links"}, "elements"}, paged with
`start` and `count`. Comments are Comment objects (comment.json) on an activity; a comment's
replies are read under its URN. Posts are Post objects (post.json); a new post's or comment's
id comes in the `x-restli-id` header of the 201. A post whose commentary repeats one of the
page's posts is refused with 422 DUPLICATE_POST (error_422_duplicate.json) naming that post.
An unknown or revoked token is a 401 (error_401.json). A throttle is a 429
(error_429.json); LinkedIn documents no Retry-After, and this fake sends one only to tell the
contract suite's wait (the connector's behaviour without it is tested on its own). The token
endpoint exchanges codes once and refreshes with a refresh token that does not rotate.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from tests.connectors.contract.harness import BASE_TIME, FakeNetwork, Post

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "linkedin"
REST = "https://api.linkedin.com/rest/"
TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"
UPLOADS = "https://www.linkedin.com/dms-uploads/"
ORG_ID = "2414183"
ORG = f"urn:li:organization:{ORG_ID}"
MAIN = "urn:li:share:7300000000000000001"
MAIN_ACTIVITY = "urn:li:activity:7300000000000000002"
TOKEN = "AQX-access-1"
REFRESH = "AQW-refresh-1"
CLIENT_ID = "86abcdefgh1234"
CLIENT_SECRET = "WPL_AP1.secret"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def person(name: str) -> str:
    return f"urn:li:person:{name.replace('_', '')[:20]}"


@dataclass
class Comment(Post):
    """A member's comment on one of the page's posts (or a reply to a comment)."""

    on: str = MAIN  # the post it is on
    parent: str = ""  # the top-level comment it answers
    likes: int = 0


@dataclass
class Own:
    """A post the page made (through the API or before)."""

    urn: str
    activity: str
    commentary: str
    created_at: dt.datetime
    content: dict[str, Any] | None = None
    likes: int = 0
    shares: int = 0
    comments: int = 0
    deleted: bool = False


@dataclass
class OrgComment:
    """A comment the page made through the API."""

    urn: str
    on: str  # the post's activity
    post: str  # the post
    parent: str
    text: str
    created_at: dt.datetime
    deleted: bool = False


class Fake(FakeNetwork):
    kind = "linkedin"

    def __init__(self) -> None:
        super().__init__()
        self.own: list[Own] = [
            Own(MAIN, MAIN_ACTIVITY, "Notre nouvelle bougie", BASE_TIME - dt.timedelta(hours=1))
        ]
        self.org_comments: list[OrgComment] = []
        self.deleted_comments: set[str] = set()
        self.images: dict[str, bytes | None] = {}
        self.documents: dict[str, bytes | None] = {}
        self.tokens = {TOKEN}
        self.refresh_tokens = {REFRESH}
        self.codes: set[str] = set()
        self.token_calls = 0
        self.lose_next_answer = False
        self.forbid_deletes = False
        self.sequence = itertools.count(1)
        self.organizations = [ORG_ID]
        # Videos: {urn: {"size", "parts": {index: bytes}, "etags", "finalized", "checks"}}.
        self.videos: dict[str, dict[str, Any]] = {}
        self.video_part = 8  # bytes a part (LinkedIn's are 4 MB): small files, several parts
        self.video_checks = 2  # status reads answered PROCESSING before AVAILABLE
        self.fail_processing = False

    # --- the connector's side -------------------------------------------------------------

    def source_config(self) -> dict[str, Any]:
        return {}

    def credentials(self, **changes: str) -> dict[str, str]:
        now = dt.datetime.now(dt.UTC)
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "organization": ORG,
            "access_token": TOKEN,
            "expires_at": (now + dt.timedelta(days=59)).isoformat(),
            "refresh_token": REFRESH,
            "refresh_expires_at": (now + dt.timedelta(days=364)).isoformat(),
            **changes,
        }

    def account(self) -> dict[str, Any] | None:
        return {"network": "linkedin", "handle": ORG, "credentials": self.credentials()}

    def comment_id(self, post: Post) -> str:
        return str(7100000000000000000 + post.key)

    def activity_of(self, post_urn: str) -> str:
        own = next((o for o in self.own if o.urn == post_urn), None)
        return own.activity if own else post_urn

    def external_id(self, post: Post) -> str:
        on = post.on if isinstance(post, Comment) else MAIN
        return f"urn:li:comment:({self.activity_of(on)},{self.comment_id(post)})"

    def published_texts(self) -> list[str]:
        # What a person reads on the page: the commentary without the little-text escapes.
        return [unescape(o.commentary) for o in self.own[1:] if not o.deleted]

    def own_by_urn(self, urn: str) -> Own | None:
        return next((o for o in self.own if o.urn == urn and not o.deleted), None)

    def give_counts(self, external_id: str, likes: int, reposts: int, replies: int) -> None:
        own = self.own_by_urn(external_id)
        assert own is not None
        own.likes, own.shares, own.comments = likes, reposts, replies

    def delete_own(self, external_id: str) -> None:
        own = self.own_by_urn(external_id)
        assert own is not None
        own.deleted = True

    def authorize(self, url: str, *, approve: bool = True) -> str:
        """The member approves on linkedin.com: the callback URL LinkedIn redirects to."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
            "https://www.linkedin.com/oauth/v2/authorization"
        )
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
        assert {"r_organization_social", "w_organization_social"} <= set(query["scope"].split())
        if not approve:
            return (
                f"{query['redirect_uri']}?error=user_cancelled_authorize"
                f"&error_description=The+user+cancelled&state={query['state']}"
            )
        code = f"code-{len(self.codes) + 1}"
        self.codes.add(code)
        return f"{query['redirect_uri']}?code={code}&state={query['state']}"

    # --- payloads ---------------------------------------------------------------------------

    def comment(self, post: Post) -> dict[str, Any]:
        body = fixture("comment.json")
        assert post.created_at is not None
        on = post.on if isinstance(post, Comment) else MAIN
        urn = self.external_id(post)
        who = person(post.author)
        time = 253402214400000 if post.hostile == "date" else ms(post.created_at)
        replies = len([c for c in self.others() if self.parent_of(c) == urn])
        replies += len([c for c in self.org_comments if c.parent == urn and not c.deleted])
        body.update(
            actor=who,
            agent=who,
            commentUrn=urn,
            id=self.comment_id(post),
            object=self.activity_of(on),
            message={"attributes": [], "text": post.text},
        )
        body["$URN"] = urn
        body["created"] = {"actor": who, "time": time}
        body["lastModified"] = {"actor": who, "time": time}
        likes = post.likes if isinstance(post, Comment) else 0
        body["likesSummary"]["totalLikes"] = self.count(post, likes)
        body["commentsSummary"]["aggregatedTotalComments"] = replies
        body["commentsSummary"]["totalFirstLevelComments"] = replies
        parent = self.parent_of(post)
        if parent:
            body["parentComment"] = parent
        if post.malformed:
            del body["actor"]
        return body

    def org_comment(self, made: OrgComment) -> dict[str, Any]:
        body = fixture("comment.json")
        comment_id = made.urn.rsplit(",", 1)[1].rstrip(")")
        body.update(
            actor=ORG,
            agent="urn:li:person:Xq3mHk9Abc",
            commentUrn=made.urn,
            id=comment_id,
            object=made.on,
            message={"attributes": [], "text": made.text},
        )
        body["$URN"] = made.urn
        body["created"] = {"actor": "urn:li:person:Xq3mHk9Abc", "time": ms(made.created_at)}
        body["lastModified"] = body["created"]
        if made.parent:
            body["parentComment"] = made.parent
        return body

    def post(self, own: Own) -> dict[str, Any]:
        body = fixture("post.json")
        body.update(
            id=own.urn,
            commentary=own.commentary,
            createdAt=ms(own.created_at),
            publishedAt=ms(own.created_at),
            lastModifiedAt=ms(own.created_at),
        )
        if own.content is not None:
            body["content"] = own.content
        return body

    def others(self) -> list[Post]:
        return [p for p in self.posts if not p.deleted]

    def parent_of(self, post: Post) -> str:
        return post.parent if isinstance(post, Comment) else ""

    # --- answers ----------------------------------------------------------------------------

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        return httpx.Response(
            429, json=fixture("error_429.json"), headers={"Retry-After": str(seconds)}
        )

    def refused(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json=fixture("error_401.json"))

    def error(self, status: int, name: str) -> httpx.Response:
        return httpx.Response(status, json=fixture(name))

    def respond(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url.startswith(TOKEN_URL):
            return self.token(request)
        if url.startswith(UPLOADS):
            return self.uploaded(request)
        if not url.startswith(REST):
            return httpx.Response(404)
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return self.error(400, "error_400_headers.json")
        if not request.headers.get("LinkedIn-Version", "").isdigit():
            return self.error(400, "error_400_headers.json")
        if request.headers.get("Authorization", "").removeprefix("Bearer ") not in self.tokens:
            return self.error(401, "error_401.json")
        raw_path = request.url.raw_path.decode().split("?")[0].removeprefix("/rest/")
        # Rest.li 2.0: URNs arrive percent-encoded; an unencoded ':' in a path is refused.
        if raw_path.startswith(("socialActions/", "posts/", "networkSizes/")):
            segment = raw_path.split("/")[1]
            if ":" in segment:
                return self.error(400, "error_400_headers.json")
        path = [unquote(p) for p in raw_path.split("/")]
        query = {
            k: v[0] for k, v in parse_qs(request.url.query.decode(), keep_blank_values=True).items()
        }
        method = request.method
        if method == "GET" and path == ["organizationAcls"]:
            return self.acls(query)
        if method == "GET" and path[0] == "organizations" and len(path) == 2:
            if path[1] not in self.organizations:
                return self.error(404, "error_404.json")
            body = fixture("organization.json")
            body.update(id=int(path[1]))
            body["$URN"] = f"urn:li:organization:{path[1]}"
            return httpx.Response(200, json=body)
        if method == "GET" and path == ["posts"]:
            return self.posts_of(query)
        if method == "GET" and path[0] == "posts" and len(path) == 2:
            own = self.own_by_urn(path[1])
            return (
                httpx.Response(200, json=self.post(own))
                if own
                else self.error(404, "error_404.json")
            )
        if method == "POST" and path == ["posts"]:
            return self.create_post(json.loads(request.content))
        if method == "GET" and path == ["socialMetadata"]:
            return self.metadata(query)
        if path[0] == "socialActions" and len(path) == 3 and path[2] == "comments":
            if method == "GET":
                return self.comments(path[1], query)
            if method == "POST":
                return self.create_comment(path[1], json.loads(request.content))
        if method == "DELETE" and path[0] == "socialActions" and len(path) == 4:
            return self.delete_comment(path[1], path[3], query)
        if method == "POST" and path == ["videos"]:
            return self.video_action(query, json.loads(request.content))
        if method == "GET" and path[0] == "videos" and len(path) == 2:
            return self.video_status(path[1])
        if method == "POST" and path in (["images"], ["documents"]):
            return self.initialize(path[0], query, json.loads(request.content))
        if method == "GET" and path == ["organizationalEntityShareStatistics"]:
            return self.statistics(query)
        if method == "GET" and path[0] == "networkSizes" and len(path) == 2:
            if path[1] != ORG or query.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
                return self.error(400, "error_400_headers.json")
            return httpx.Response(200, json=fixture("network_size.json"))
        return self.error(404, "error_404.json")

    def acls(self, query: dict[str, str]) -> httpx.Response:
        assert query.get("q") == "roleAssignee" and query.get("role") == "ADMINISTRATOR"
        body = fixture("organization_acls.json")
        template = body["elements"][0]
        body["elements"] = [
            {**template, "organization": f"urn:li:organization:{org}"} for org in self.organizations
        ]
        return httpx.Response(200, json=body)

    def paged(self, elements: list[Any], query: dict[str, str]) -> dict[str, Any]:
        start = int(query.get("start") or 0)
        count = int(query.get("count") or 10)
        size = min(count, self.page_size or count)
        return {
            "paging": {"start": start, "count": size, "total": len(elements), "links": []},
            "elements": elements[start : start + size],
        }

    def posts_of(self, query: dict[str, str]) -> httpx.Response:
        if query.get("q") != "author" or query.get("author") != ORG:
            return self.error(403, "error_403.json")
        live = sorted((o for o in self.own if not o.deleted), key=lambda o: o.created_at)
        live.reverse()
        # Posts are long; the page size is LinkedIn's `count` here, up to 100.
        start, count = int(query.get("start") or 0), int(query.get("count") or 10)
        return httpx.Response(
            200,
            json={
                "paging": {"start": start, "count": count, "total": len(live), "links": []},
                "elements": [self.post(o) for o in live[start : start + count]],
            },
        )

    def on_post(self, target: str) -> str:
        """The post a socialActions target is on (a post, its activity, or a comment)."""
        for own in self.own:
            if target in (own.urn, own.activity):
                return own.urn
        return ""

    def comments_under(self, target: str) -> list[dict[str, Any]]:
        post = self.on_post(target)
        if post:
            mine = [c for c in self.others() if isinstance(c, Comment) and c.on == post]
            mine += [c for c in self.others() if not isinstance(c, Comment) and post == MAIN]
            found = [(p.created_at, self.comment(p)) for p in mine if not self.parent_of(p)]
            found += [
                (c.created_at, self.org_comment(c))
                for c in self.org_comments
                if c.post == post and not c.parent and not c.deleted
            ]
        else:
            found = [
                (p.created_at, self.comment(p))
                for p in self.others()
                if self.parent_of(p) == target
            ]
            found += [
                (c.created_at, self.org_comment(c))
                for c in self.org_comments
                if c.parent == target and not c.deleted
            ]
        found = [f for f in found if f[1]["commentUrn"] not in self.deleted_comments]
        return [body for _when, body in sorted(found, key=lambda f: f[0] or BASE_TIME)]

    def comments(self, target: str, query: dict[str, str]) -> httpx.Response:
        if (
            not self.on_post(target)
            and not any(self.external_id(p) == target for p in self.others())
            and not any(c.urn == target for c in self.org_comments)
        ):
            return self.error(404, "error_404.json")
        return httpx.Response(200, json=self.paged(self.comments_under(target), query))

    def metadata(self, query: dict[str, str]) -> httpx.Response:
        ids = query.get("ids", "")
        assert ids.startswith("List(") and ids.endswith(")")
        results: dict[str, Any] = {}
        template = fixture("social_metadata.json")["results"][MAIN]
        for urn in ids[5:-1].split(","):
            post = self.own_by_urn(urn)
            if post is None:
                continue
            total = len([p for p in self.others() if self.on_post(getattr(p, "on", MAIN)) == urn])
            total += len([c for c in self.org_comments if c.post == urn and not c.deleted])
            results[urn] = {
                **template,
                "entity": urn,
                "commentSummary": {"count": total, "topLevelCount": total},
            }
        return httpx.Response(200, json={"statuses": {}, "results": results, "errors": {}})

    def create_comment(self, target: str, body: dict[str, Any]) -> httpx.Response:
        if body.get("actor") != ORG or not isinstance(body.get("message", {}).get("text"), str):
            return self.error(403, "error_403.json")
        parent = body.get("parentComment", "")
        post = self.on_post(target) or self.on_post(body.get("object", ""))
        if parent and target != parent:
            return self.error(404, "error_404.json")  # a nested comment goes under its parent
        if not post:
            return self.error(404, "error_404.json")
        now = dt.datetime.now(dt.UTC)
        comment_id = str(7200000000000000000 + next(self.sequence))
        on = self.activity_of(post)
        urn = f"urn:li:comment:({on},{comment_id})"
        made = OrgComment(urn, on, post, parent, body["message"]["text"], now)
        self.org_comments.append(made)
        if self.lose_next_answer:
            self.lose_next_answer = False
            return self.error(500, "error_500.json")
        return httpx.Response(201, json=self.org_comment(made), headers={"x-restli-id": comment_id})

    def delete_comment(self, target: str, comment_id: str, query: dict[str, str]) -> httpx.Response:
        if query.get("actor") != ORG:
            return self.error(403, "error_403_comment.json")
        if self.forbid_deletes:
            return self.error(403, "error_403_comment.json")
        urn = f"urn:li:comment:({self.activity_of(self.on_post(target))},{comment_id})"
        if urn in self.deleted_comments:
            return self.error(404, "error_404.json")
        for post in self.others():
            if self.external_id(post) == urn:
                self.deleted_comments.add(urn)
                post.deleted = True
                return httpx.Response(204)
        for made in self.org_comments:
            if made.urn == urn and not made.deleted:
                made.deleted = True
                return httpx.Response(204)
        return self.error(404, "error_404.json")

    def initialize(self, kind: str, query: dict[str, str], body: dict[str, Any]) -> httpx.Response:
        if query.get("action") != "initializeUpload":
            return self.error(400, "error_400_headers.json")
        if body.get("initializeUploadRequest", {}).get("owner") != ORG:
            return self.error(403, "error_403.json")
        number = next(self.sequence)
        answer = fixture("image_upload.json" if kind == "images" else "document_upload.json")
        key = "image" if kind == "images" else "document"
        urn = f"urn:li:{key}:D4E10AQ{number:06d}"
        answer["value"][key] = urn
        answer["value"]["uploadUrl"] = f"{UPLOADS}sp/v2/{kind}/{number}?ut=fake"
        (self.images if kind == "images" else self.documents)[urn] = None
        return httpx.Response(200, json=answer)

    def video_action(self, query: dict[str, str], body: dict[str, Any]) -> httpx.Response:
        action = query.get("action")
        if action == "initializeUpload":
            request = body.get("initializeUploadRequest", {})
            if request.get("owner") != ORG:
                return self.error(403, "error_403.json")
            size = request["fileSizeBytes"]
            number = next(self.sequence)
            urn = f"urn:li:video:C5505AQ{number:06d}"
            parts = []
            for index, first in enumerate(range(0, size, self.video_part)):
                last = min(first + self.video_part, size) - 1
                url = f"{UPLOADS}sp/v2/videos/{number}?part={index}&ut=fake"
                parts.append({"uploadUrl": url, "lastByte": last, "firstByte": first})
            self.videos[urn] = {
                "size": size,
                "parts": {},
                "etags": [],
                "finalized": False,
                "checks": 0,
                "token": f"token-{number}",
            }
            return httpx.Response(
                200,
                json={
                    "value": {
                        "uploadUrlsExpireAt": ms(dt.datetime.now(dt.UTC)) + 86400000,
                        "video": urn,
                        "uploadInstructions": parts,
                        "uploadToken": f"token-{number}",
                    }
                },
            )
        if action == "finalizeUpload":
            request = body.get("finalizeUploadRequest", {})
            video = self.videos.get(request.get("video", ""))
            if video is None or request.get("uploadToken") != video["token"]:
                return self.error(404, "error_404.json")
            if request.get("uploadedPartIds") != video["etags"]:
                return self.error(400, "error_400_headers.json")
            if sum(len(p) for p in video["parts"].values()) != video["size"]:
                return self.error(400, "error_400_headers.json")
            video["finalized"] = True
            return httpx.Response(200)
        return self.error(400, "error_400_headers.json")

    def video_status(self, urn: str) -> httpx.Response:
        video = self.videos.get(urn)
        if video is None:
            return self.error(404, "error_404.json")
        video["checks"] += 1
        if self.fail_processing:
            status = "PROCESSING_FAILED"
        elif not video["finalized"] or video["checks"] <= self.video_checks:
            status = "PROCESSING"
        else:
            status = "AVAILABLE"
        return httpx.Response(200, json={"owner": ORG, "id": urn, "status": status})

    def video_bytes(self, urn: str) -> bytes:
        parts = self.videos[urn]["parts"]
        return b"".join(parts[i] for i in sorted(parts))

    def uploaded(self, request: httpx.Request) -> httpx.Response:
        if request.method != "PUT":
            return httpx.Response(405)
        kind, number = request.url.path.split("/")[-2:]
        if kind == "videos":
            urn = f"urn:li:video:C5505AQ{int(number):06d}"
            video = self.videos.get(urn)
            if video is None:
                return httpx.Response(404)
            index = int(request.url.params["part"])
            video["parts"][index] = request.content
            etag = f"/ambry-video/signedId/part{index}"
            video["etags"].append(etag)
            return httpx.Response(200, headers={"etag": etag})
        store = self.images if kind == "images" else self.documents
        prefix = "urn:li:image:" if kind == "images" else "urn:li:document:"
        urn = f"{prefix}D4E10AQ{int(number):06d}"
        if urn not in store:
            return httpx.Response(404)
        store[urn] = request.content
        return httpx.Response(201)

    def create_post(self, body: dict[str, Any]) -> httpx.Response:
        if body.get("author") != ORG or body.get("lifecycleState") != "PUBLISHED":
            return self.error(403, "error_403.json")
        commentary = body.get("commentary", "")
        duplicate = next(
            (o for o in self.own if o.commentary == commentary and not o.deleted), None
        )
        if duplicate is not None:
            refused = fixture("error_422_duplicate.json")
            refused["message"] = f"Content is a duplicate of {duplicate.urn}"
            return httpx.Response(422, json=refused)
        content = body.get("content")
        for entry in media_of(content):
            if entry.startswith("urn:li:video:"):
                if not self.videos.get(entry, {}).get("finalized"):
                    return self.error(400, "error_400_headers.json")
                continue
            store = self.images if entry.startswith("urn:li:image:") else self.documents
            if store.get(entry) is None:
                return self.error(400, "error_400_headers.json")
        number = next(self.sequence)
        urn = f"urn:li:share:{7400000000000000000 + number}"
        activity = f"urn:li:activity:{7500000000000000000 + number}"
        own = Own(urn, activity, commentary, dt.datetime.now(dt.UTC), content)
        self.own.append(own)
        if self.lose_next_answer:
            self.lose_next_answer = False
            return self.error(500, "error_500.json")
        return httpx.Response(201, headers={"x-restli-id": urn})

    def statistics(self, query: dict[str, str]) -> httpx.Response:
        if query.get("q") != "organizationalEntity" or query.get("organizationalEntity") != ORG:
            return self.error(403, "error_403.json")
        wanted = []
        for name in ("shares", "ugcPosts"):
            raw = query.get(name, "")
            if raw:
                assert raw.startswith("List(") and raw.endswith(")")
                wanted += raw[5:-1].split(",")
        if len(wanted) > 20:
            return self.error(400, "error_400_headers.json")
        template = fixture("share_statistics.json")["elements"][0]
        elements = []
        for urn in wanted:
            own = self.own_by_urn(urn)
            if own is None:
                continue  # LinkedIn says nothing of a deleted post
            stats = dict(template["totalShareStatistics"])
            stats.update(
                likeCount=own.likes,
                shareCount=own.shares,
                commentCount=own.comments,
                impressionCount=10 * own.likes,
            )
            elements.append(
                {"totalShareStatistics": stats, "share": urn, "organizationalEntity": ORG}
            )
        return httpx.Response(200, json={"paging": {"count": 10, "start": 0}, "elements": elements})

    def token(self, request: httpx.Request) -> httpx.Response:
        self.token_calls += 1
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return httpx.Response(
                401,
                json={
                    "error": "invalid_client",
                    "error_description": "Client authentication failed",
                },
            )
        grant = form.get("grant_type")
        if grant == "authorization_code":
            if form.get("code") not in self.codes:
                return httpx.Response(400, json=fixture("token_error.json"))
            self.codes.discard(form["code"])
            body = fixture("token.json")
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return httpx.Response(
                    400,
                    json={
                        "error": "invalid_request",
                        "error_description": "The provided refresh token is invalid or expired",
                    },
                )
            body = fixture("token.json")
            # The same refresh token comes back, with what is left of its year.
            body["refresh_token"] = form["refresh_token"]
            body["refresh_token_expires_in"] = 31535000
        else:
            return httpx.Response(400, json=fixture("token_error.json"))
        access = f"AQX-access-{len(self.tokens) + 1}"
        self.tokens.add(access)
        body["access_token"] = access
        return httpx.Response(200, json=body)


def media_of(content: Any) -> list[str]:
    if not isinstance(content, dict):
        return []
    if "media" in content:
        return [content["media"]["id"]]
    if "multiImage" in content:
        return [i["id"] for i in content["multiImage"]["images"]]
    return []


def unescape(commentary: str) -> str:
    """The text a person reads: hashtags as #word, escapes removed."""
    import re

    text = re.sub(r"\{hashtag\|\\#\|((?:\\.|[^}])*)\}", lambda m: "#" + m.group(1), commentary)
    return re.sub(r"\\(.)", r"\1", text)
