"""Moderating on Bluesky: hiding a reply in one of the account's threads.

Bluesky has no way to delete someone else's post. What the author of a thread can do is hide
replies in it: the at:// URIs listed in `hiddenReplies` of the thread's
`app.bsky.feed.threadgate` record. That record lives in the account's repository, its record
key is the root post's, and it may also hold reply rules (`allow`), which are kept as they are.

Read-modify-write without losing a concurrent change: the record is read with
com.atproto.repo.getRecord (its cid) and written with com.atproto.repo.putRecord and
`swapRecord` = that cid (null: there must be no record yet). The PDS refuses a write whose
swap no longer matches (400 InvalidSwap): the record is read again and the change made again,
a few times, then RetryLater.

The lexicon caps `hiddenReplies` at 300 URIs per thread (maxLength 300): past it the PDS
refuses the record, so a 301st hide is answered done=False with what to do.
"""

from __future__ import annotations

from typing import Any

from parvis.connectors.base import (
    ModerationAction,
    ModerationResult,
    ReplyTarget,
    RetryLater,
    not_allowed,
)
from parvis.connectors.bluesky import mapping, xrpc
from parvis.connectors.bluesky.profiles import Reader
from parvis.connectors.bluesky.replies import GET_RECORD, iso_now, stored_post

THREADGATE = "app.bsky.feed.threadgate"
PUT = "com.atproto.repo.putRecord"
MAX_HIDDEN = 300  # app.bsky.feed.threadgate: hiddenReplies maxLength
ATTEMPTS = 5  # reads and writes before a repeated InvalidSwap becomes RetryLater


def item_url(uri: str, handle: str = "") -> str:
    """The bsky.app address of a post (the DID stands in for an unknown handle)."""
    try:
        did, _collection, rkey = mapping.split_uri(uri)
    except ValueError:
        return ""
    handle = handle.removeprefix("@").strip()
    return mapping.post_url(mapping.Profile(did=did, handle=handle), rkey)


def thread_root(reader: Reader, target: ReplyTarget) -> str:
    """The at:// URI of the thread's first post: the stored root, else the stored record's
    reply.root, else the AppView's copy of the post; the post itself when it is no reply."""
    uri, _cid, record = stored_post(target)
    if target.root_external_id.startswith("at://"):
        return target.root_external_id
    if not record:
        body = reader.query("app.bsky.feed.getPosts", {"uris": [uri]})
        views = [v for v in body.get("posts") or [] if isinstance(v, dict) and v.get("uri") == uri]
        record = (
            views[0].get("record") if views and isinstance(views[0].get("record"), dict) else {}
        )
    _parent, root = mapping.reply_refs(record)
    return root or uri


def read_gate(session: xrpc.Session, rkey: str) -> tuple[dict[str, Any] | None, str | None]:
    """The account's threadgate at this key (its record and cid), or (None, None)."""
    try:
        body = session.query(
            GET_RECORD, {"repo": session.did, "collection": THREADGATE, "rkey": rkey}
        )
    except xrpc.BadRequest as exc:
        if "RecordNotFound" in str(exc) or "Could not locate record" in str(exc):
            return None, None
        raise
    value, cid = body.get("value"), body.get("cid")
    if not isinstance(value, dict) or not isinstance(cid, str):
        raise RetryLater("getRecord answered the threadgate without its record or cid")
    return value, cid


def hidden_list(record: dict[str, Any] | None) -> list[str]:
    found = (record or {}).get("hiddenReplies")
    return [u for u in found if isinstance(u, str)] if isinstance(found, list) else []


def moderate(
    session: xrpc.Session, reader: Reader, target: ReplyTarget, action: ModerationAction
) -> ModerationResult:
    if not session.did:
        session.login()
    uri = target.external_id or stored_post(target)[0]
    url = item_url(uri, target.author_handle)
    try:
        author, collection, _rkey = mapping.split_uri(uri)
    except ValueError:
        return not_allowed(
            action, f"{uri[:100]!r} is not a Bluesky post address (at://…): nothing to moderate"
        )
    if collection != mapping.POST_COLLECTION:
        return not_allowed(action, "only posts can be hidden on Bluesky", url)
    if action == ModerationAction.DELETE:
        return not_allowed(
            action,
            "Bluesky does not let an account delete someone else's post: hide the reply "
            "instead, or report it to Bluesky's moderation from the app",
            url,
        )
    if author == session.did:
        return not_allowed(
            action, "this is the account's own post: Bluesky hides others' replies only", url
        )
    root = thread_root(reader, target)
    root_did, _root_collection, root_rkey = mapping.split_uri(root)
    if root == uri:
        return not_allowed(
            action,
            "this post is not a reply in a thread of the account: Bluesky only lets the author "
            "of a thread hide replies in it. Mute or block its author, or report it, on Bluesky",
            url,
        )
    if root_did != session.did:
        return not_allowed(
            action,
            "Bluesky only lets the author of a thread hide replies in it, and this thread is "
            "someone else's: mute or block the author, or report the post, on Bluesky",
            url,
        )
    for _attempt in range(ATTEMPTS):
        record, cid = read_gate(session, root_rkey)
        hidden = hidden_list(record)
        if action == ModerationAction.HIDE:
            if uri in hidden:
                return ModerationResult(
                    str(action), message="already hidden in the thread", url=url
                )
            if len(hidden) >= MAX_HIDDEN:
                return not_allowed(
                    action,
                    f"Bluesky hides at most {MAX_HIDDEN} replies per thread and this thread has "
                    f"{len(hidden)}: restore one, or block the author or report the post on "
                    "Bluesky",
                    url,
                )
            hidden.append(uri)
        else:  # RESTORE
            if uri not in hidden:
                return ModerationResult(str(action), message="the reply was not hidden", url=url)
            hidden = [u for u in hidden if u != uri]
        gate = dict(record or {})  # keeps the reply rules (allow) and anything else there
        gate.update({"$type": THREADGATE, "post": root, "hiddenReplies": hidden})
        gate.setdefault("createdAt", iso_now())
        try:
            session.procedure(
                PUT,
                {
                    "repo": session.did,
                    "collection": THREADGATE,
                    "rkey": root_rkey,
                    "record": gate,
                    "swapRecord": cid,  # null: create only if there is none yet
                },
            )
        except xrpc.BadRequest as exc:
            if "InvalidSwap" in str(exc):
                continue  # changed since we read it: read it again
            raise
        words = (
            "hidden: out of the thread's public view"
            if action == ModerationAction.HIDE
            else ("restored: visible in the thread again")
        )
        return ModerationResult(str(action), message=words, url=url)
    raise RetryLater(
        f"the thread's threadgate kept changing while Parvis wrote it ({ATTEMPTS} tries): "
        "trying again later",
        5.0,
    )
