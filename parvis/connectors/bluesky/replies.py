"""Replying on Bluesky: an app.bsky.feed.post record written to the account's repository with
com.atproto.repo.createRecord, its thread refs (root, parent) taken from the post answered.

Exactly once without bookkeeping: the record key is derived from the reply's idempotency key
(`rkey_for`, a valid TID), so every attempt of one reply writes the same at:// URI. A record
already there is the reply sent by an earlier attempt whose answer was lost: the PDS refuses
the second write (a 500 from the reference PDS, whose repository will not hold two values at
one key; an explicit refusal elsewhere), and getRecord of that key then finds it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from parvis.connectors.base import (
    ConnectorError,
    PermanentError,
    ReplyTarget,
    RetryLater,
    SentReply,
    parse_time,
    posted_since,
    same_text,
)
from parvis.connectors.bluesky import mapping, xrpc
from parvis.connectors.bluesky.profiles import Reader

CREATE = "com.atproto.repo.createRecord"
GET_RECORD = "com.atproto.repo.getRecord"
S32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, the TID alphabet
# A derived TID's time falls in these two years (2023-2024): a plausible past time, never
# one that sorts after the keys the account's own clock makes.
TID_EPOCH_US = 1_672_531_200_000_000
TID_SPAN_US = 2 * 365 * 24 * 3600 * 1_000_000
FEED_PAGES = 4  # getAuthorFeed pages read back by find_reply (100 posts each)


def rkey_for(idempotency_key: str) -> str:
    """A TID (13 characters: 53 bits of microseconds, 10 of clock id, top bit 0) that depends
    on the idempotency key alone."""
    digest = int.from_bytes(hashlib.sha256(idempotency_key.encode()).digest()[:8], "big")
    micros = TID_EPOCH_US + (digest >> 10) % TID_SPAN_US
    value = (micros << 10) | (digest & 1023)
    return "".join(S32[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def iso_now() -> str:
    now = dt.datetime.now(dt.UTC)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def strong_ref(value: Any) -> dict[str, str] | None:
    """{"uri", "cid"} of a com.atproto.repo.strongRef, or None when it is not one."""
    if not isinstance(value, dict):
        return None
    uri, cid = value.get("uri"), value.get("cid")
    if isinstance(uri, str) and uri.startswith("at://") and isinstance(cid, str) and cid:
        return {"uri": uri, "cid": cid}
    return None


def stored_post(target: ReplyTarget) -> tuple[str, str, dict[str, Any]]:
    """The answered post's uri, cid and record as the inbox stored them (a postView, a
    notification, a firehose record); cid and record are empty when the payload lacks them."""
    raw = target.raw if isinstance(target.raw, dict) else {}
    uri = target.external_id or str(raw.get("uri") or "")
    cid = raw.get("cid") if raw.get("uri") in (None, uri) else None
    record = raw.get("record") if isinstance(raw.get("record"), dict) else None
    if record is None and raw.get("$type") == mapping.POST_COLLECTION:
        record = raw  # a bare record
    return uri, cid if isinstance(cid, str) else "", record or {}


def thread_refs(reader: Reader, target: ReplyTarget) -> tuple[dict[str, str], dict[str, str]]:
    """(root, parent) strong refs for a reply to `target`; the post is read from the AppView
    (app.bsky.feed.getPosts) when the stored payload lacks its cid or record."""
    uri, cid, record = stored_post(target)
    try:
        mapping.split_uri(uri)
    except ValueError:
        raise PermanentError(
            f"cannot reply to {uri[:100]!r}: it is not a Bluesky post address (at://…)"
        ) from None
    if not cid or not record:
        body = reader.query("app.bsky.feed.getPosts", {"uris": [uri]})
        posts = body.get("posts")
        views = [
            v
            for v in (posts if isinstance(posts, list) else [])
            if isinstance(v, dict) and v.get("uri") == uri
        ]
        if not views or not isinstance(views[0].get("cid"), str):
            raise PermanentError(
                "the post answered is no longer on Bluesky (deleted, or its author blocks the "
                "account): there is nothing to reply to"
            )
        cid = views[0]["cid"]
        record = views[0].get("record") if isinstance(views[0].get("record"), dict) else {}
    parent = {"uri": uri, "cid": cid}
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    root = strong_ref(reply.get("root")) or parent
    return root, parent


def sent(uri: str, record: dict[str, Any], handle: str) -> SentReply:
    did, _collection, rkey = mapping.split_uri(uri)
    return SentReply(
        external_id=uri,
        url=mapping.post_url(mapping.Profile(did=did, handle=handle), rkey),
        published_at=parse_time(record.get("createdAt")),
    )


def own_record(session: xrpc.Session, rkey: str) -> tuple[str, dict[str, Any]] | None:
    """The account's post at this record key (uri, record), or None when there is none."""
    try:
        body = session.query(
            GET_RECORD, {"repo": session.did, "collection": mapping.POST_COLLECTION, "rkey": rkey}
        )
    except xrpc.BadRequest as exc:
        if "RecordNotFound" in str(exc) or "Could not locate record" in str(exc):
            return None
        raise
    value = body.get("value")
    if not isinstance(body.get("uri"), str) or not isinstance(value, dict):
        return None
    return body["uri"], value


def create(
    session: xrpc.Session,
    reader: Reader,
    target: ReplyTarget,
    text: str,
    idempotency_key: str,
    handle: str,
) -> SentReply:
    """Post the reply; a second attempt of the same reply returns the first one's post."""
    if not session.did:
        session.login()
    root, parent = thread_refs(reader, target)
    record = {
        "$type": mapping.POST_COLLECTION,
        "text": text,
        "createdAt": iso_now(),
        "reply": {"root": root, "parent": parent},
    }
    rkey = rkey_for(idempotency_key) if idempotency_key else ""
    body: dict[str, Any] = {
        "repo": session.did,
        "collection": mapping.POST_COLLECTION,
        "record": record,
    }
    if rkey:
        body["rkey"] = rkey
    try:
        answer = session.procedure(CREATE, body)
    except ConnectorError as exc:
        if not rkey:
            raise
        # Written by an earlier attempt? Then this refusal (or lost answer) means "sent".
        try:
            found = own_record(session, rkey)
        except ConnectorError:
            found = None
        if found is None:
            if isinstance(exc, xrpc.BadRequest):
                raise PermanentError(
                    f"Bluesky refused the reply ({exc}): change the text (300 characters at "
                    "most), or check that the post answered still exists"
                ) from exc
            raise
        return sent(found[0], found[1], handle)
    uri = answer.get("uri")
    if not isinstance(uri, str):
        found = own_record(session, rkey) if rkey else None
        if found is None:
            raise RetryLater("createRecord answered without the new post's uri")
        return sent(found[0], found[1], handle)
    return sent(uri, record, handle)


def find(
    session: xrpc.Session,
    reader: Reader,
    target: ReplyTarget,
    text: str,
    since: dt.datetime,
    idempotency_key: str,
    handle: str,
) -> SentReply | None:
    """The account's reply to `target` with this text, posted at or after `since`: the record
    at the derived key first (exact, and indexed nowhere yet is fine), then the account's
    recent posts (getAuthorFeed, posts and replies)."""
    if not session.did:
        session.login()
    parent_uri, _cid, _record = stored_post(target)
    if idempotency_key:
        found = own_record(session, rkey_for(idempotency_key))
        if found is not None:
            return sent(found[0], found[1], handle)
    cursor: str | None = None
    for _page in range(FEED_PAGES):
        body = reader.query(
            "app.bsky.feed.getAuthorFeed",
            {"actor": session.did, "filter": "posts_with_replies", "limit": 100, "cursor": cursor},
        )
        older = False
        feed = body.get("feed")
        for item in feed if isinstance(feed, list) else []:
            post = item.get("post") if isinstance(item, dict) and not item.get("reason") else None
            if not isinstance(post, dict) or not isinstance(post.get("uri"), str):
                continue
            record = post.get("record") if isinstance(post.get("record"), dict) else {}
            published = parse_time(record.get("createdAt"))
            if not posted_since(published, since):
                older = True
                continue
            reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
            ref = reply.get("parent") if isinstance(reply.get("parent"), dict) else {}
            if ref.get("uri") == parent_uri and same_text(str(record.get("text") or ""), text):
                return sent(post["uri"], record, handle)
        cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
        if older or not cursor:
            break
    return None
