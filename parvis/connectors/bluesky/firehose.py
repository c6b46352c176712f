"""The repository event stream (com.atproto.sync.subscribeRepos), decoded by hand; and
Jetstream, its JSON rendition (`/subscribe`, events keyed by `time_us`).

A frame is two DAG-CBOR objects back to back: a header {"op": 1, "t": "#commit"} (op -1: an
error, body {"error", "message"}) and the event body. A #commit carries `ops` ({action,
path, cid}) and `blocks`, a CAR v1 file holding the records those ops point to. CIDs are CBOR
tag 42 over a byte string starting with 0x00 (the identity multibase prefix).

CAR v1: varint(len) + DAG-CBOR header {"version": 1, "roots": [CID]}, then sections of
varint(len) + binary CID + block bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import cbor2

from parvis.connectors import netguard
from parvis.connectors.base import PermanentError, RetryLater
from parvis.connectors.bluesky.mapping import POST_COLLECTION
from parvis.connectors.storable import storable_json

logger = logging.getLogger(__name__)

SUBSCRIBE_REPOS = "/xrpc/com.atproto.sync.subscribeRepos"
MAX_FRAME = 16 * 1024 * 1024  # commits are capped well below this (2 MB of blocks)


class FrameError(ValueError):
    """A frame, CAR file or block that does not decode."""


# --- CIDs, varints, DAG-CBOR ------------------------------------------------------------

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


@dataclass(frozen=True)
class CID:
    """A binary CID (no multibase prefix), printed as atproto prints it."""

    raw: bytes

    def __str__(self) -> str:
        if self.raw[:2] == b"\x12\x20" and len(self.raw) == 34:  # CIDv0: base58btc
            number = int.from_bytes(self.raw, "big")
            digits = ""
            while number:
                number, rest = divmod(number, 58)
                digits = B58[rest] + digits
            return digits
        # CIDv1: multibase "b" (base32, lower case, no padding).
        return "b" + base64.b32encode(self.raw).decode().lower().rstrip("=")


def tag_hook(decoder: Any, tag: Any) -> Any:
    if tag.tag == 42:
        value = tag.value
        if not isinstance(value, bytes) or not value or value[0] != 0:
            raise FrameError("a CID (tag 42) that is not 0x00 + binary CID")
        return CID(value[1:])
    return tag


def decode(data: bytes) -> Any:
    try:
        return cbor2.loads(data, tag_hook=tag_hook)
    except (cbor2.CBORDecodeError, ValueError, TypeError, EOFError) as exc:
        raise FrameError(f"not DAG-CBOR: {exc}") from exc


def varint(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 varint at `pos`: (value, position after it)."""
    value = shift = 0
    while True:
        if pos >= len(data):
            raise FrameError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise FrameError("varint too long")


def cid_length(data: bytes, pos: int) -> int:
    """Length of the binary CID starting at `pos` (v0: a bare sha2-256 multihash)."""
    if data[pos : pos + 2] == b"\x12\x20":
        return 34
    start = pos
    version, pos = varint(data, pos)
    if version != 1:
        raise FrameError(f"unknown CID version {version}")
    _codec, pos = varint(data, pos)
    _hash, pos = varint(data, pos)
    size, pos = varint(data, pos)
    return pos + size - start


def read_car(data: bytes) -> tuple[list[Any], dict[bytes, bytes]]:
    """(roots, {binary CID: block bytes}) of a CAR v1 file."""
    if not isinstance(data, bytes):
        raise FrameError("blocks is not a byte string")
    size, pos = varint(data, 0)
    header = decode(data[pos : pos + size])
    pos += size
    if not isinstance(header, dict) or header.get("version") != 1:
        raise FrameError("not a CAR v1 header")
    blocks: dict[bytes, bytes] = {}
    while pos < len(data):
        size, pos = varint(data, pos)
        end = pos + size
        if end > len(data):
            raise FrameError("truncated CAR section")
        cid_end = pos + cid_length(data, pos)
        if cid_end > end:
            raise FrameError("CAR section shorter than its CID")
        blocks[data[pos:cid_end]] = data[cid_end:end]
        pos = end
    return list(header.get("roots") or []), blocks


def decode_frame(frame: bytes) -> tuple[dict[str, Any], Any]:
    """(header, body) of one event-stream frame."""
    stream = io.BytesIO(frame)
    decoder = cbor2.CBORDecoder(stream, tag_hook=tag_hook)
    try:
        header = decoder.decode()
        body = decoder.decode()
    except (cbor2.CBORDecodeError, ValueError, TypeError, EOFError) as exc:
        raise FrameError(f"undecodable frame: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(body, dict):
        raise FrameError("a frame whose header or body is not a map")
    return header, body


def to_json(value: Any) -> Any:
    """DAG-CBOR data in atproto's JSON form: CIDs as {"$link"}, bytes as {"$bytes"}."""
    if isinstance(value, CID):
        return {"$link": str(value)}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode().rstrip("=")}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    return value


# --- events -----------------------------------------------------------------------------


@dataclass
class StreamPost:
    """A post created in a repository, or one that could not be read (error set)."""

    seq: int
    uri: str
    did: str
    record: Any
    time: str = ""
    error: str = ""

    @property
    def raw(self) -> dict[str, Any]:
        return {"uri": self.uri, "seq": self.seq, "time": self.time, "record": self.record}

    def as_dict(self) -> dict[str, Any]:
        return {**self.raw, "did": self.did}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StreamPost:
        return cls(
            seq=int(data.get("seq") or 0),
            uri=str(data.get("uri", "")),
            did=str(data.get("did", "")),
            record=data.get("record"),
            time=str(data.get("time") or ""),
        )


def post_ops(body: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [
        op
        for op in body.get("ops") or []
        if isinstance(op, dict)
        and op.get("action") == action
        and str(op.get("path", "")).startswith(POST_COLLECTION + "/")
    ]


def commit_deletes(body: dict[str, Any]) -> list[str]:
    """URIs of the posts a #commit deletes."""
    repo = body.get("repo")
    if not isinstance(repo, str):
        return []
    return [f"at://{repo}/{op['path']}" for op in post_ops(body, "delete")]


def commit_posts(body: dict[str, Any]) -> list[StreamPost]:
    """Posts created by one #commit event (updates and deletes are not new mentions)."""
    repo, seq, when = body.get("repo"), body.get("seq"), body.get("time") or ""
    creates = post_ops(body, "create")
    if not creates or not isinstance(repo, str):
        return []
    if body.get("tooBig"):
        logger.info("firehose commit %s too big to carry its blocks: skipped", seq)
        return []
    try:
        _roots, blocks = read_car(body.get("blocks"))
    except FrameError as exc:
        return [
            StreamPost(seq, f"at://{repo}/{op['path']}", repo, None, when, str(exc))
            for op in creates
        ]
    posts = []
    for op in creates:
        uri = f"at://{repo}/{op['path']}"
        cid = op.get("cid")
        block = blocks.get(cid.raw) if isinstance(cid, CID) else None
        if block is None:
            posts.append(StreamPost(seq, uri, repo, None, when, "the record's block is missing"))
            continue
        try:
            record = to_json(decode(block))
        except FrameError as exc:
            posts.append(StreamPost(seq, uri, repo, None, when, str(exc)))
            continue
        posts.append(StreamPost(seq, uri, repo, record, when))
    return posts


@dataclass
class Window:
    """What one bounded read of the stream gave."""

    posts: list[StreamPost] = field(default_factory=list)
    seq: int | None = None  # the last event read: the next read starts after it
    events: int = 0
    full: bool = False  # stopped on the event budget: more is waiting
    handles: dict[str, str] = field(default_factory=dict)  # #identity events
    deleted: set[str] = field(default_factory=set)  # posts deleted in this window
    last_time: str = ""  # the `time` of the last event read
    reset: bool = False  # the server refused our cursor: start from now next time

    def take(self, header: dict[str, Any], body: dict[str, Any]) -> None:
        """Account for one decoded event."""
        if header.get("op") == -1:
            self.error(body)
            return
        seq = body.get("seq")
        if isinstance(seq, int) and not isinstance(seq, bool):
            self.seq = seq if self.seq is None else max(self.seq, seq)
        if isinstance(body.get("time"), str):
            self.last_time = body["time"]
        kind = header.get("t")
        if kind == "#commit":
            self.posts.extend(commit_posts(body))
            self.deleted.update(commit_deletes(body))
        elif kind == "#identity" and isinstance(body.get("handle"), str):
            self.handles[str(body.get("did"))] = body["handle"]
        elif kind == "#info" and body.get("name") == "OutdatedCursor":
            logger.warning("firehose cursor too old: some events were missed")

    def take_jetstream(self, message: bytes | str) -> None:
        """Account for one Jetstream event (JSON; `time_us` is its cursor)."""
        try:
            event = json.loads(message)
        except ValueError as exc:
            raise FrameError(f"not JSON: {exc}") from exc
        if not isinstance(event, dict) or not isinstance(event.get("did"), str):
            raise FrameError("a Jetstream event without did")
        did, stamp = event["did"], event.get("time_us")
        when = ""
        if isinstance(stamp, int) and not isinstance(stamp, bool):
            self.seq = stamp if self.seq is None else max(self.seq, stamp)
            moment = dt.datetime.fromtimestamp(stamp / 1_000_000, tz=dt.UTC)
            when = self.last_time = moment.isoformat().replace("+00:00", "Z")
        kind = event.get("kind")
        if kind == "identity" and isinstance(event.get("identity"), dict):
            if isinstance(handle := event["identity"].get("handle"), str):
                self.handles[did] = handle
            return
        commit = event.get("commit")
        if kind != "commit" or not isinstance(commit, dict):
            return
        if commit.get("collection") != POST_COLLECTION or not commit.get("rkey"):
            return
        uri = f"at://{did}/{POST_COLLECTION}/{commit['rkey']}"
        if commit.get("operation") == "delete":
            self.deleted.add(uri)
        elif commit.get("operation") == "create":
            record = commit.get("record")
            error = "" if isinstance(record, dict) else "a create without its record"
            self.posts.append(StreamPost(self.seq or 0, uri, did, record, when, error))

    def error(self, body: dict[str, Any]) -> None:
        name = str(body.get("error", ""))
        if name == "FutureCursor":
            self.reset = True
            return
        if self.events == 0:
            raise RetryLater(f"the firehose answered an error: {name} {body.get('message', '')}")


# A matched post waits until the stream has moved this far past it before it is stored, so that
# a post deleted right after it was sent is never stored.
HOLD = dt.timedelta(seconds=10)
MAX_PENDING = 200  # posts waiting in the cursor; beyond, the oldest are stored at once


def settle(pending: list[StreamPost], window: Window) -> tuple[list[StreamPost], list[StreamPost]]:
    """(posts to store now, posts to keep waiting) once `window` was read.

    Posts deleted in the window are dropped. When the window ended on time (we caught up with
    the stream) every post left is stored; when it ended on its event budget, only those the
    stream has moved HOLD past. Waiting posts ride in the source's cursor, which commits with
    each page: nothing is lost or repeated if the worker stops in between."""
    alive = [p for p in pending if p.uri not in window.deleted]
    if not window.full:
        return alive, []
    horizon = parse_time(window.last_time)
    ready: list[StreamPost] = []
    waiting: list[StreamPost] = []
    for post in alive:
        when = parse_time(post.time)
        held = horizon is not None and when is not None and when > horizon - HOLD
        # A post the cursor cannot hold (NUL, NaN…) goes now: the pipeline quarantines it.
        held = held and not storable_json(post.as_dict())[1]
        (waiting if held else ready).append(post)
    if len(waiting) > MAX_PENDING:
        ready.extend(waiting[:-MAX_PENDING])
        waiting = waiting[-MAX_PENDING:]
    return ready, waiting


def parse_time(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def stream_url(base: str, cursor: int | None) -> str:
    """The subscribeRepos address for a relay or PDS (`wss://bsky.network`, a full URL, or
    http(s) spelled), with the cursor."""
    parts = urlsplit(base.strip())
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    if scheme not in {"ws", "wss"} or not parts.hostname:
        raise PermanentError(f"the firehose address is not a ws(s):// URL: {base[:100]!r}")
    path = parts.path.rstrip("/")
    if not path.endswith("com.atproto.sync.subscribeRepos"):
        path += SUBSCRIBE_REPOS
    query = urlencode({"cursor": cursor}) if cursor is not None else ""
    return urlunsplit((scheme, parts.netloc, path, query, ""))


def is_jetstream(base: str) -> bool:
    """Jetstream (JSON events) serves `/subscribe`; relays and PDSes serve subscribeRepos."""
    return urlsplit(base.strip()).path.rstrip("/").endswith("/subscribe")


def jetstream_url(base: str, cursor: int | None) -> str:
    """A Jetstream address asking for posts only, from `cursor` (Unix microseconds)."""
    parts = urlsplit(base.strip())
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    if scheme not in {"ws", "wss"} or not parts.hostname:
        raise PermanentError(f"the Jetstream address is not a ws(s):// URL: {base[:100]!r}")
    query = [("wantedCollections", POST_COLLECTION)]
    if cursor is not None:
        query.append(("cursor", str(cursor)))
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), urlencode(query), ""))


def frames(connection: Any, deadline: float) -> Iterator[bytes | str]:
    """Messages until the deadline passes or the server closes."""
    from websockets.exceptions import ConnectionClosed

    while (remaining := deadline - time.monotonic()) > 0:
        try:
            message = connection.recv(timeout=remaining)
        except TimeoutError:
            return
        except ConnectionClosed as exc:
            logger.info("firehose closed the connection: %s", exc)
            return
        yield message


def read_window(
    url: str,
    *,
    seconds: float,
    max_events: int,
    user_agent: str = "",
    jetstream: bool = False,
) -> Window:
    """Read events for at most `seconds` or `max_events` events, whichever comes first."""
    from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
    from websockets.sync.client import connect

    window = Window()
    deadline = time.monotonic() + seconds
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise PermanentError("the firehose address is not valid: it names no host")
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    try:
        # Checked before connecting, then connected to the checked address (netguard.py).
        sock = None if netguard.private_allowed() else netguard.connect_checked(host, port, 10)
        connection = connect(
            url,
            sock=sock,
            open_timeout=10,
            max_size=MAX_FRAME,
            user_agent_header=user_agent or None,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        if status == 429 or status >= 500:
            raise RetryLater(f"the firehose at {host} answered HTTP {status}") from exc
        raise PermanentError(
            f"the firehose at {host} answered HTTP {status}: check the firehose address"
        ) from exc
    except InvalidURI as exc:
        raise PermanentError(f"the firehose address is not valid: {host}") from exc
    except (OSError, TimeoutError, InvalidHandshake) as exc:
        raise RetryLater(f"{type(exc).__name__} reaching the firehose at {host}") from exc
    with connection:
        for message in frames(connection, deadline):
            try:
                if jetstream:
                    window.take_jetstream(message)
                elif isinstance(message, bytes):
                    window.take(*decode_frame(message))
                else:
                    raise FrameError("a text message on a binary event stream")
            except FrameError as exc:
                logger.warning("undecodable firehose message skipped: %s", exc)
                continue
            window.events += 1
            if window.reset:
                break
            if window.events >= max_events:
                window.full = True
                break
    return window
