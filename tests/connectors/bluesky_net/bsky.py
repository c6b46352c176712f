"""The network side of the Bluesky integration tests: what people do on the network (create an
account, post, reply, mention, delete), through plain XRPC calls with httpx, as any client does.

Nothing here goes through Parvis: these helpers play the other users of the network. The AppView
indexes what the PDS stores a little later (60-420 ms on this machine), so the `wait_for_*`
helpers poll the AppView until it shows the change instead of sleeping a fixed time.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

POST = "app.bsky.feed.post"
MENTION = "app.bsky.richtext.facet#mention"
# How long the AppView may take to show a change. Indexing takes 60-800 ms on an idle machine;
# with the whole suite on two cores it has taken more than 5 s. Polls return as soon as the
# change shows, so the margin costs nothing when all goes well.
INDEX_TIMEOUT = 20.0


@dataclass(frozen=True)
class Network:
    """What start.js prints once every service answers."""

    pds: str
    appview: str
    plc: str
    firehose: str
    appview_did: str
    pds_did: str = ""
    ozone: str = ""
    ozone_did: str = ""
    handle_domain: str = ".test"
    pid: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Network:
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def appview_proxy(self) -> str:
        """The atproto-proxy header value that sends a PDS call on to this AppView."""
        return f"{self.appview_did}#bsky_appview"


@dataclass
class Account:
    handle: str
    did: str
    password: str
    access_jwt: str = field(repr=False)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_jwt}"}


@dataclass(frozen=True)
class PostRef:
    """A strong reference to a record: what replies and quotes point at."""

    uri: str
    cid: str

    @property
    def rkey(self) -> str:
        return self.uri.rsplit("/", 1)[1]

    @property
    def did(self) -> str:
        return self.uri.removeprefix("at://").split("/", 1)[0]

    def strong(self) -> dict[str, str]:
        return {"uri": self.uri, "cid": self.cid}


class XrpcError(AssertionError):
    """An XRPC call the test relied on failed: the test cannot go on."""


def xrpc(
    http: httpx.Client,
    base: str,
    method: str,
    *,
    params: dict[str, Any] | None = None,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """One XRPC call: a procedure (POST with a JSON body) when `body` is given, else a query."""
    url = f"{base}/xrpc/{method}"
    if body is None:
        response = http.get(url, params=params, headers=headers)
    else:
        response = http.post(url, json=body, headers=headers)
    if response.status_code >= 400:
        raise XrpcError(f"{method}: HTTP {response.status_code} {response.text[:500]}")
    return response.json() if response.content else {}


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def create_account(http: httpx.Client, net: Network, name: str) -> Account:
    """A new account `<name>.test` on the PDS (no invite code needed on this PDS)."""
    handle = f"{name}{net.handle_domain}"
    password = secrets.token_urlsafe(16)
    data = xrpc(
        http,
        net.pds,
        "com.atproto.server.createAccount",
        body={"handle": handle, "email": f"{name}@example.test", "password": password},
    )
    return Account(
        handle=data["handle"], did=data["did"], password=password, access_jwt=data["accessJwt"]
    )


def create_app_password(http: httpx.Client, net: Network, account: Account, name: str) -> str:
    """An app password, what a person pastes into Parvis to connect the account."""
    data = xrpc(
        http,
        net.pds,
        "com.atproto.server.createAppPassword",
        body={"name": name},
        headers=account.auth,
    )
    return data["password"]


def mention_facets(text: str, mentions: dict[str, str]) -> list[dict[str, Any]]:
    """Facets for each "@handle" of `mentions` (handle -> did) found in `text`. Facet indexes
    count UTF-8 bytes, not characters: "Lumière" before a mention shifts it by one byte more."""
    facets = []
    for handle, did in mentions.items():
        for match in re.finditer(re.escape(f"@{handle}"), text):
            start = len(text[: match.start()].encode())
            end = start + len(match.group().encode())
            facets.append(
                {
                    "index": {"byteStart": start, "byteEnd": end},
                    "features": [{"$type": MENTION, "did": did}],
                }
            )
    if len(facets) < len(mentions):
        raise ValueError(f"not every mention of {sorted(mentions)} is in {text!r}")
    return facets


def create_post(
    http: httpx.Client,
    net: Network,
    author: Account,
    text: str,
    *,
    reply_to: PostRef | None = None,
    root: PostRef | None = None,
    mentions: dict[str, str] | None = None,
    quote: PostRef | None = None,
    langs: tuple[str, ...] = ("fr",),
) -> PostRef:
    """A post by `author`. A reply names its parent (`reply_to`) and the thread's first post
    (`root`, the parent itself when replying to a top-level post). `mentions` maps the handles
    written "@handle" in the text to their DIDs, which become mention facets; `quote` embeds
    another post."""
    record: dict[str, Any] = {"text": text, "langs": list(langs)}
    if mentions:
        record["facets"] = mention_facets(text, mentions)
    if quote is not None:
        wait_for_posts(http, net, quote)
        record["embed"] = {"$type": "app.bsky.embed.record", "record": quote.strong()}
    if reply_to is not None:
        # A person replies to a post their app shows. Replying before the AppView has indexed
        # the parent (possible only for a script) leaves the AppView without the reply's
        # notification: it indexes repositories in parallel and drops the notification of a
        # reply whose parent it has not seen yet.
        wait_for_posts(http, net, reply_to, *([root] if root else []))
        record["reply"] = {"root": (root or reply_to).strong(), "parent": reply_to.strong()}
    return create_record(http, net, author, POST, record)


def delete_post(http: httpx.Client, net: Network, author: Account, post: PostRef) -> None:
    xrpc(
        http,
        net.pds,
        "com.atproto.repo.deleteRecord",
        body={"repo": author.did, "collection": POST, "rkey": post.rkey},
        headers=author.auth,
    )


def create_record(
    http: httpx.Client, net: Network, author: Account, collection: str, record: dict[str, Any]
) -> PostRef:
    data = xrpc(
        http,
        net.pds,
        "com.atproto.repo.createRecord",
        body={
            "repo": author.did,
            "collection": collection,
            "record": {"$type": collection, "createdAt": now_iso(), **record},
        },
        headers=author.auth,
    )
    return PostRef(uri=data["uri"], cid=data["cid"])


def like(http: httpx.Client, net: Network, who: Account, post: PostRef) -> PostRef:
    return create_record(http, net, who, "app.bsky.feed.like", {"subject": post.strong()})


def follow(http: httpx.Client, net: Network, who: Account, whom: Account) -> PostRef:
    return create_record(http, net, who, "app.bsky.graph.follow", {"subject": whom.did})


def wait_until(check: Callable[[], T | None], what: str, timeout: float = INDEX_TIMEOUT) -> T:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout:.0f} s the AppView still does not show {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def appview_posts(http: httpx.Client, net: Network, uris: list[str]) -> dict[str, dict]:
    """The posts the AppView knows among `uris` (public query, no session)."""
    data = xrpc(http, net.appview, "app.bsky.feed.getPosts", params={"uris": uris})
    return {post["uri"]: post for post in data["posts"]}


def wait_for_posts(http: httpx.Client, net: Network, *posts: PostRef) -> None:
    """Until the AppView shows every one of `posts` (in batches of 25, getPosts' maximum)."""
    uris = [p.uri for p in posts]
    for i in range(0, len(uris), 25):
        batch = uris[i : i + 25]
        wait_until(
            lambda batch=batch: len(appview_posts(http, net, batch)) == len(batch),
            f"the posts {batch}",
        )


def wait_until_gone(http: httpx.Client, net: Network, post: PostRef) -> None:
    wait_until(lambda: not appview_posts(http, net, [post.uri]), f"{post.uri} deleted")


def search_uris(http: httpx.Client, net: Network, query: str) -> set[str]:
    data = xrpc(http, net.appview, "app.bsky.feed.searchPosts", params={"q": query, "limit": 100})
    return {post["uri"] for post in data["posts"]}


def wait_for_search(http: httpx.Client, net: Network, query: str, *posts: PostRef) -> None:
    """Until the AppView's search for `query` finds every one of `posts`."""
    wanted = {p.uri for p in posts}
    wait_until(
        lambda: wanted <= search_uris(http, net, query),
        f"{sorted(wanted)} in a search for {query!r}",
    )


def notification_uris(http: httpx.Client, net: Network, account: Account) -> set[str]:
    """The URIs of `account`'s notifications, asked of its PDS, which proxies to the AppView."""
    data = xrpc(
        http,
        net.pds,
        "app.bsky.notification.listNotifications",
        params={"limit": 100},
        headers={**account.auth, "atproto-proxy": net.appview_proxy},
    )
    return {n["uri"] for n in data["notifications"]}


def wait_for_notifications(
    http: httpx.Client, net: Network, account: Account, *posts: PostRef
) -> None:
    wanted = {p.uri for p in posts}
    wait_until(
        lambda: wanted <= notification_uris(http, net, account),
        f"{sorted(wanted)} in {account.handle}'s notifications",
    )


def firehose_seq(net: Network, quiet: float = 1.0, timeout: float = 20.0) -> int:
    """The sequence number of the PDS's latest event: a firehose cursor from which a reader
    gets exactly what happens next. Replays the stream from the start (a test PDS holds
    little) until it has been quiet for `quiet` seconds."""
    import io

    import cbor2
    from websockets.sync.client import connect

    url = f"{net.firehose}/xrpc/com.atproto.sync.subscribeRepos?cursor=0"
    last = 0
    deadline = time.monotonic() + timeout
    with connect(url, open_timeout=10, max_size=16 * 1024 * 1024) as stream:
        while time.monotonic() < deadline:
            try:
                frame = stream.recv(timeout=quiet)
            except TimeoutError:
                return last
            decoder = cbor2.CBORDecoder(io.BytesIO(frame))
            header, body = decoder.decode(), decoder.decode()
            if header.get("op") == -1:
                raise XrpcError(f"subscribeRepos: {body}")
            last = max(last, int(body.get("seq", 0)))
    raise AssertionError(f"the firehose kept sending events for {timeout:.0f} s")
