"""What a connector's fake network provides to the shared contract suite.

Each connector has one fake in tests/connectors/fakes/<kind>.py, a subclass of FakeNetwork
named `Fake`. It answers httpx requests exactly as the network's API documents them (payload
shapes, pagination, error bodies, rate-limit headers), from the posts a test publishes on it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx

BASE_TIME = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
_keys = itertools.count(1)


@dataclass
class Post:
    """A post on the fake network. `key` is unique there; the fake decides the external id."""

    text: str = "J'adore la nouvelle bougie de Maison Lumière"
    author: str = "lea_dupont"
    key: int = field(default_factory=lambda: next(_keys))
    created_at: dt.datetime | None = None
    deleted: bool = False
    malformed: bool = False
    hostile: str = ""  # one of HOSTILE: what the fake writes into this post's payload

    def __post_init__(self) -> None:
        if self.created_at is None:
            self.created_at = BASE_TIME + dt.timedelta(minutes=self.key)


# Hostile values inside an otherwise documented payload. No JSON encoder writes a lone
# surrogate, a NUL escape or Infinity from Python, so the fake writes markers that __call__
# turns into those bytes, as a hostile server would send them.
SURROGATE, NUL, INFINITY = "XXLONESURROGATEXX", "XXNULXX", "XXINFINITYXX"
FAR_FUTURE = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
HOSTILE = ("date", "surrogate", "nul", "count", "infinity")


def hostile_post(kind: str) -> Post:
    """A post whose payload carries the hostile value `kind` (one of HOSTILE)."""
    text = Post.text
    if kind == "surrogate":
        text += f" {SURROGATE}"
    elif kind == "nul":
        text += f" {NUL}"
    created_at = FAR_FUTURE if kind == "date" else None
    return Post(text=text, created_at=created_at, hostile=kind)


class FakeNetwork:
    kind: ClassVar[str]
    # The hostile values this network's payloads can carry (a feed has no counts).
    hostile_kinds: ClassVar[tuple[str, ...]] = HOSTILE
    # Items per page the fake serves, small so that pagination is exercised; None when the
    # network serves everything at once (a feed).
    page_size: ClassVar[int | None] = 10

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.requests: list[httpx.Request] = []
        self.rate_limit_seconds: int | None = None
        self.broken = False

    # --- what a test does on the network ------------------------------------------------

    def publish(self, *posts: Post) -> None:
        self.posts.extend(posts)

    def delete(self, post: Post) -> None:
        post.deleted = True

    def rate_limit_next(self, seconds: int) -> None:
        """The next request answers the network's rate-limit response, asking for `seconds`."""
        self.rate_limit_seconds = seconds

    def break_permanently(self) -> None:
        """From now on the network refuses for good (revoked token, deleted account, gone)."""
        self.broken = True

    def visible(self) -> list[Post]:
        """Live posts, newest first, as search APIs return them."""
        return sorted(self.posts, key=lambda p: p.created_at, reverse=True)

    # --- the connector's side -------------------------------------------------------------

    def source_config(self) -> dict[str, Any]:
        raise NotImplementedError

    def account(self) -> dict[str, Any] | None:
        """{"handle", "credentials"} of the connected account the source needs, or None."""
        return None

    def external_id(self, post: Post) -> str:
        raise NotImplementedError

    def configure(self, settings: Any) -> None:
        """Set what the connector needs of the server's settings (pytest-django's `settings`,
        restored after the test): Instagram's public address for media."""

    def post_media(self) -> tuple[Any, ...]:
        """The media a post needs on this network (Instagram has no text-only post): none."""
        return ()

    def published_texts(self) -> list[str]:
        """The texts of the posts the connected account has on the network (publishing)."""
        raise NotImplementedError

    def give_counts(self, external_id: str, likes: int, reposts: int, replies: int) -> None:
        """One of the account's own posts (as publish returned it) now has these counts."""
        raise NotImplementedError

    def delete_own(self, external_id: str) -> None:
        """One of the account's own posts is deleted on the network."""
        raise NotImplementedError

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.rate_limit_seconds is not None:
            seconds, self.rate_limit_seconds = self.rate_limit_seconds, None
            return self.rate_limited(request, seconds)
        if self.broken:
            return self.refused(request)
        return self.spoiled(self.respond(request))

    def count(self, post: Post, value: Any) -> Any:
        """A count as served: `value`, or for a hostile post 10^30 or Infinity."""
        if post.hostile == "count":
            return 10**30
        if post.hostile == "infinity":
            return INFINITY
        return value

    def spoil(self, body: bytes) -> bytes:
        """The markers as JSON writes them: "\\ud800", "\\u0000", Infinity."""
        body = body.replace(SURROGATE.encode(), b"\\ud800").replace(NUL.encode(), b"\\u0000")
        return body.replace(f'"{INFINITY}"'.encode(), b"Infinity")

    def spoiled(self, response: httpx.Response) -> httpx.Response:
        if not isinstance(response.stream, httpx.ByteStream):
            return response  # a stream the fake writes as it goes
        body = b"".join(response.stream)
        if not any(m.encode() in body for m in (SURROGATE, NUL, INFINITY)):
            return response
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx.Response(response.status_code, headers=headers, content=self.spoil(body))

    def respond(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError

    def rate_limited(self, request: httpx.Request, seconds: int) -> httpx.Response:
        raise NotImplementedError

    def refused(self, request: httpx.Request) -> httpx.Response:
        raise NotImplementedError


def discover() -> list[type[FakeNetwork]]:
    folder = Path(__file__).resolve().parent.parent / "fakes"
    fakes = []
    for path in sorted(folder.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        module = importlib.import_module(f"tests.connectors.fakes.{path.stem}")
        fakes.append(module.Fake)
    return fakes
