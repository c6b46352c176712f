"""Hiding a reply on a real Bluesky network (PLC, PDS and AppView from @atproto/dev-env on
127.0.0.1; see conftest.py): the brand posts, users reply, Parvis's connector hides a reply
through the root post's threadgate, and another user's view of the thread changes.

What the real AppView does with a hidden reply, as these tests assert it:
- app.bsky.feed.getPostThread (the thread as apps have long read it) still lists the reply
  among `replies`; the answer's `threadgate.record.hiddenReplies` names it, and apps (bsky.app)
  leave it out of the thread from that list;
- app.bsky.unspecced.getPostThreadV2 (what bsky.app reads now) leaves it out of the thread
  and says `hasOtherReplies`; getPostThreadOtherV2 lists it with `hiddenByThreadgate: true`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import pytest

from parvis.connectors import base, http
from parvis.connectors.base import ModerationAction, ModerationContext, ReplyTarget
from parvis.connectors.bluesky import BlueskyConnector
from parvis.connectors.services import do_connect_account
from tests.connectors.bluesky_net import bsky
from tests.connectors.bluesky_net.bsky import Account, PostRef

pytestmark = pytest.mark.django_db(transaction=True)

THREADGATE = "app.bsky.feed.threadgate"


@dataclass
class Thread:
    net: bsky.Network
    brand: Account
    carol: Account  # replies
    dave: Account  # replies, and reads the thread
    app_password: str
    launch: PostRef
    rude: PostRef
    also_rude: PostRef
    kind: PostRef
    elsewhere_root: PostRef  # dave's own post
    elsewhere_reply: PostRef  # carol's reply mentioning the brand, in dave's thread


@pytest.fixture(scope="module")
def thread(bluesky_net: bsky.Network, xrpc_http) -> Thread:
    net, h = bluesky_net, xrpc_http
    brand = bsky.create_account(h, net, "atelierlumiere")
    carol = bsky.create_account(h, net, "carol")
    dave = bsky.create_account(h, net, "dave")
    launch = bsky.create_post(h, net, brand, "Atelier Lumière : nos bougies de printemps sont là.")
    post = lambda author, text, **kw: bsky.create_post(h, net, author, text, **kw)  # noqa: E731
    t = Thread(
        net=net,
        brand=brand,
        carol=carol,
        dave=dave,
        app_password=bsky.create_app_password(h, net, brand, "Parvis"),
        launch=launch,
        rude=post(carol, "Arnaque totale, fuyez.", reply_to=launch),
        also_rude=post(dave, "Nul nul nul.", reply_to=launch),
        kind=post(dave, "Superbes, bravo !", reply_to=launch),
        elsewhere_root=post(dave, "Quelqu'un connaît Atelier Lumière ?"),
        elsewhere_reply=None,  # type: ignore[arg-type]
    )
    t.elsewhere_reply = post(
        carol,
        f"@{brand.handle} c'est une arnaque",
        reply_to=t.elsewhere_root,
        mentions={brand.handle: brand.did},
    )
    bsky.wait_for_posts(h, net, t.rude, t.also_rude, t.kind, t.elsewhere_reply)
    return t


@pytest.fixture
def connector(workspace, owner, thread) -> BlueskyConnector:
    """The brand's account connected as a person does (handle + app password)."""
    with http.client() as client:
        info = base.get("bluesky").login(
            client,
            {
                "handle": thread.brand.handle,
                "app_password": thread.app_password,
                "service_url": thread.net.pds,
            },
        )
    account = do_connect_account(
        workspace,
        owner,
        network="bluesky",
        handle=info.handle,
        credentials=info.credentials,
    )
    config = {
        "mode": "notifications",
        "service_url": thread.net.pds,
        "appview_url": thread.net.appview,
        "appview_did": thread.net.appview_proxy,
    }
    return BlueskyConnector.for_account(account, config, http=http.client())


def target(post: PostRef, author: Account) -> ReplyTarget:
    # As the inbox stores a notification: no root given, the record read from the AppView.
    return ReplyTarget("bluesky", post.uri, author_handle=author.handle)


def as_user(h, t: Thread, who: Account, nsid: str, **params: Any) -> dict[str, Any]:
    """A query as `who`'s app sends it: to their PDS, proxied to the AppView."""
    headers = {**who.auth, "atproto-proxy": t.net.appview_proxy}
    return bsky.xrpc(h, t.net.pds, nsid, params=params, headers=headers)


def thread_v1(h, t: Thread, who: Account) -> dict[str, Any]:
    return as_user(h, t, who, "app.bsky.feed.getPostThread", uri=t.launch.uri, depth=3)


def reply_uris(view: dict[str, Any]) -> set[str]:
    return {r["post"]["uri"] for r in view["thread"].get("replies") or []}


def hidden_in(view: dict[str, Any]) -> set[str]:
    gate = view.get("threadgate") or {}
    return set((gate.get("record") or {}).get("hiddenReplies") or [])


def v2_uris(h, t: Thread, who: Account) -> set[str]:
    body = as_user(h, t, who, "app.bsky.unspecced.getPostThreadV2", anchor=t.launch.uri)
    return {item["uri"] for item in body["thread"]}


def other_v2(h, t: Thread, who: Account) -> dict[str, dict]:
    body = as_user(h, t, who, "app.bsky.unspecced.getPostThreadOtherV2", anchor=t.launch.uri)
    return {item["uri"]: item["value"] for item in body["thread"]}


def gate_record(h, t: Thread) -> dict[str, Any] | None:
    try:
        return bsky.xrpc(
            h,
            t.net.pds,
            "com.atproto.repo.getRecord",
            params={"repo": t.brand.did, "collection": THREADGATE, "rkey": t.launch.rkey},
        )["value"]
    except bsky.XrpcError:
        return None


def test_moderation_hide_then_restore_as_another_user_sees_it(connector, thread, xrpc_http):
    h, t = xrpc_http, thread
    context = ModerationContext(idempotency_key="hide-rude")
    assert reply_uris(thread_v1(h, t, t.dave)) >= {t.rude.uri, t.kind.uri}

    hidden = connector.moderate(target(t.rude, t.carol), ModerationAction.HIDE, context)
    assert hidden.done and hidden.url.endswith(f"/post/{t.rude.rkey}")
    again = connector.moderate(target(t.rude, t.carol), ModerationAction.HIDE, context)
    assert again.done
    record = gate_record(h, t)
    assert record is not None and record["post"] == t.launch.uri
    assert record["hiddenReplies"] == [t.rude.uri]  # hidden twice, listed once

    # Once the AppView has indexed the threadgate:
    def indexed() -> dict[str, Any] | None:
        view = thread_v1(h, t, t.dave)
        return view if t.rude.uri in hidden_in(view) else None

    view = bsky.wait_until(indexed, "the threadgate hiding the reply")
    # getPostThread still lists it; the threadgate it returns says it is hidden.
    assert t.rude.uri in reply_uris(view) and hidden_in(view) == {t.rude.uri}
    # The thread as bsky.app reads it now: out of view, under « hidden replies ».
    assert t.rude.uri not in v2_uris(h, t, t.dave)
    assert t.kind.uri in v2_uris(h, t, t.dave)
    others = other_v2(h, t, t.dave)
    assert others[t.rude.uri]["hiddenByThreadgate"] is True
    # Its author still sees it in the thread.
    assert t.rude.uri in v2_uris(h, t, t.carol)

    restored = connector.moderate(target(t.rude, t.carol), ModerationAction.RESTORE, context)
    assert restored.done
    bsky.wait_until(
        lambda: t.rude.uri in v2_uris(h, t, t.dave) or None, "the restored reply in the thread"
    )
    assert t.rude.uri not in hidden_in(thread_v1(h, t, t.dave))
    assert t.rude.uri not in gate_record(h, t)["hiddenReplies"]
    again = connector.moderate(target(t.rude, t.carol), ModerationAction.RESTORE, context)
    assert again.done and "not hidden" in again.message


def test_moderation_two_hides_racing_both_end_up_hidden(connector, thread, xrpc_http, workspace):
    h, t = xrpc_http, thread
    account = connector.account
    # A second connector, as a second worker would build it (its own HTTP client and session).
    other = BlueskyConnector.for_account(account, connector.source.config, http=http.client())
    start = threading.Barrier(2)
    results: dict[str, Any] = {}

    def hide(name: str, conn: BlueskyConnector, post: PostRef, author: Account) -> None:
        from django.db import connection

        try:
            start.wait(timeout=10)
            results[name] = conn.moderate(
                target(post, author), ModerationAction.HIDE, ModerationContext()
            )
        except Exception as exc:  # reported by the assertion below
            results[name] = exc
        finally:
            connection.close()

    workers = [
        threading.Thread(target=hide, args=("a", connector, t.also_rude, t.dave)),
        threading.Thread(target=hide, args=("b", other, t.kind, t.dave)),
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert all(getattr(r, "done", False) for r in results.values()), results
    assert set(gate_record(h, t)["hiddenReplies"]) >= {t.also_rude.uri, t.kind.uri}
    for post in (t.also_rude, t.kind):
        connector.moderate(target(post, t.dave), ModerationAction.RESTORE, ModerationContext())
    left = set(gate_record(h, t)["hiddenReplies"])
    assert not left & {t.also_rude.uri, t.kind.uri}


def test_moderation_in_someone_elses_thread_is_for_a_person(connector, thread, xrpc_http):
    h, t = xrpc_http, thread
    result = connector.moderate(
        target(t.elsewhere_reply, t.carol), ModerationAction.HIDE, ModerationContext()
    )
    assert not result.done
    assert "only lets the author of a thread hide replies" in result.message
    assert result.url == (
        f"https://bsky.app/profile/{t.carol.handle}/post/{t.elsewhere_reply.rkey}"
    )
    rkey = t.elsewhere_root.rkey
    with pytest.raises(bsky.XrpcError):
        bsky.xrpc(
            h,
            t.net.pds,
            "com.atproto.repo.getRecord",
            params={"repo": t.brand.did, "collection": THREADGATE, "rkey": rkey},
        )
