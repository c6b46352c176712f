"""Moderating (the `moderate` capability): each network's request, idempotency, restoring, its
refusals, and what the networks do not allow (done=False with what a person must do). HTTP
is faked at the transport (tests/connectors/fakes/), as for replying."""

from __future__ import annotations

import json

import httpx
import pytest

from parvis.connectors import http
from parvis.connectors.base import (
    AccountSettings,
    Capability,
    ModerationAction,
    ModerationContext,
    ModerationResult,
    PermanentError,
    ReplyTarget,
    RetryLater,
    get,
)
from parvis.connectors.bluesky import BlueskyConnector
from parvis.connectors.bluesky.moderation import MAX_HIDDEN
from parvis.connectors.services import do_connect_account
from tests.connectors.contract.harness import Post
from tests.connectors.fakes import bluesky

pytestmark = pytest.mark.django_db

HIDE, RESTORE, DELETE = ModerationAction.HIDE, ModerationAction.RESTORE, ModerationAction.DELETE
CONTEXT = ModerationContext(idempotency_key="moderation-7")


def connect(workspace, fake, **credentials):
    spec = fake.account()
    return do_connect_account(
        workspace,
        None,
        network=spec["network"],
        handle=spec["handle"],
        credentials={**spec["credentials"], **credentials},
    )


def client(fake) -> httpx.Client:
    return http.client(transport=fake.transport())


def test_the_contract_names():
    assert [a.value for a in ModerationAction] == ["hide", "restore", "delete"]
    result = ModerationResult(action="hide")
    assert (result.done, result.message, result.url) == (True, "", "")
    context = ModerationContext(workspace_id=3, idempotency_key="k")
    assert (context.workspace_id, context.idempotency_key) == (3, "k")
    assert ModerationContext().idempotency_key == ""
    assert get("bluesky").moderation_actions == {HIDE, RESTORE}
    assert get("mastodon").moderation_actions == frozenset()
    for kind in ("bluesky",):
        assert Capability.MODERATE in get(kind).capabilities
    for kind in ("mastodon", "youtube", "rss", "hackernews"):
        assert Capability.MODERATE not in get(kind).capabilities


def test_a_connector_without_moderation_says_so(workspace):
    connector = get("rss")(
        AccountSettings(workspace_id=workspace.pk, account_id=None, account=None)
    )
    result = connector.moderate(ReplyTarget("rss", "x"), HIDE, CONTEXT)
    assert not result.done and "cannot hide" in result.message


@pytest.mark.parametrize("cls", [BlueskyConnector])
def test_moderating_needs_a_connected_account(workspace, cls):
    connector = cls(AccountSettings(workspace_id=workspace.pk, account_id=None, account=None))
    with pytest.raises(PermanentError, match="connect"):
        connector.moderate(ReplyTarget(cls.network, "x"), HIDE, CONTEXT)


# --- Bluesky ------------------------------------------------------------------------------


@pytest.fixture
def sky(workspace):
    fake = bluesky.Fake()
    account = connect(workspace, fake)
    return fake, BlueskyConnector.for_account(account, http=client(fake))


def sky_thread(fake) -> tuple[Post, Post]:
    """The brand's post and a user's reply to it."""
    root, reply = Post(author=bluesky.OUR_HANDLE), Post(author="troll_du_42")
    fake.publish(root)
    fake.reply(reply, root)
    return root, reply


def sky_target(fake, post: Post, *, raw: bool = True) -> ReplyTarget:
    return ReplyTarget(
        network="bluesky",
        external_id=fake.external_id(post),
        author_handle=bluesky.handle_of(post.author),
        raw=fake.post_view(post) if raw else {},
    )


def gate_of(fake, root: Post) -> dict:
    rkey = fake.external_id(root).rsplit("/", 1)[1]
    return fake.gates[rkey]


def puts(fake) -> list[httpx.Request]:
    return [r for r in fake.requests if r.url.path.endswith("putRecord")]


def test_bluesky_hide_writes_the_roots_threadgate_with_swap_record(sky):
    fake, connector = sky
    root, reply = sky_thread(fake)
    result = connector.moderate(sky_target(fake, reply), HIDE, CONTEXT)
    assert result.done and result.action == "hide"
    rkey = fake.external_id(root).rsplit("/", 1)[1]
    assert result.url.startswith("https://bsky.app/profile/troll-du-42.bsky.social/post/")
    read = next(r for r in fake.requests if r.url.path.endswith("getRecord"))
    assert read.method == "GET"
    assert dict(read.url.params) == {
        "repo": bluesky.did_of(bluesky.OUR_HANDLE),
        "collection": "app.bsky.feed.threadgate",
        "rkey": rkey,
    }
    (put,) = puts(fake)
    assert put.method == "POST"
    assert put.url == f"{bluesky.ENTRYWAY}/xrpc/com.atproto.repo.putRecord"
    body = json.loads(put.content)
    assert body["repo"] == bluesky.did_of(bluesky.OUR_HANDLE)
    assert body["collection"] == "app.bsky.feed.threadgate" and body["rkey"] == rkey
    assert "swapRecord" in body and body["swapRecord"] is None  # none yet: create only
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.threadgate"
    assert record["post"] == fake.external_id(root)
    assert record["hiddenReplies"] == [fake.external_id(reply)]
    assert record["createdAt"].endswith("Z")


def test_bluesky_hide_twice_keeps_one_entry_and_writes_once(sky):
    fake, connector = sky
    root, reply = sky_thread(fake)
    first = connector.moderate(sky_target(fake, reply), HIDE, CONTEXT)
    again = connector.moderate(sky_target(fake, reply), HIDE, CONTEXT)
    assert first.done and again.done and "already" in again.message
    assert gate_of(fake, root)["value"]["hiddenReplies"] == [fake.external_id(reply)]
    assert len(puts(fake)) == 1


def test_bluesky_hide_keeps_the_reply_rules_and_swaps_on_the_cid_read(sky):
    fake, connector = sky
    root, reply = sky_thread(fake)
    other = Post(author="marc")
    fake.reply(other, root)
    rkey = fake.external_id(root).rsplit("/", 1)[1]
    rules = [{"$type": "app.bsky.feed.threadgate#followingRule"}]
    existing = {
        "$type": "app.bsky.feed.threadgate",
        "post": fake.external_id(root),
        "createdAt": "2026-11-20T09:00:00.000Z",
        "allow": rules,
        "hiddenReplies": [fake.external_id(other)],
    }
    cid = fake.write_gate(rkey, existing)["cid"]
    connector.moderate(sky_target(fake, reply), HIDE, CONTEXT)
    body = json.loads(puts(fake)[0].content)
    assert body["swapRecord"] == cid
    assert body["record"] == {
        **existing,
        "hiddenReplies": [fake.external_id(other), fake.external_id(reply)],
    }


def test_bluesky_restore_removes_the_uri_and_restoring_again_is_fine(sky):
    fake, connector = sky
    root, reply = sky_thread(fake)
    other = Post(author="marc")
    fake.reply(other, root)
    connector.moderate(sky_target(fake, reply), HIDE, CONTEXT)
    connector.moderate(sky_target(fake, other), HIDE, CONTEXT)
    restored = connector.moderate(sky_target(fake, reply), RESTORE, CONTEXT)
    assert restored.done and restored.action == "restore"
    assert gate_of(fake, root)["value"]["hiddenReplies"] == [fake.external_id(other)]
    again = connector.moderate(sky_target(fake, reply), RESTORE, CONTEXT)
    assert again.done and "not hidden" in again.message
    assert len(puts(fake)) == 3
    # Restoring in a thread that has no threadgate at all writes nothing either.
    _root2, reply2 = sky_thread(fake)
    assert connector.moderate(sky_target(fake, reply2), RESTORE, CONTEXT).done
    assert len(puts(fake)) == 3


def test_bluesky_a_concurrent_change_is_read_again_not_lost(sky):
    fake, connector = sky
    root, reply = sky_thread(fake)
    other = Post(author="marc")
    fake.reply(other, root)
    rkey = fake.external_id(root).rsplit("/", 1)[1]
    other_uri = fake.external_id(other)

    def another_worker_hides_other():
        fake.after_gate_read = None
        value = dict(gate_of(fake, root)["value"]) if rkey in fake.gates else None
        hidden = [*(value or {}).get("hiddenReplies", []), other_uri]
        base = value or {
            "$type": "app.bsky.feed.threadgate",
            "post": fake.external_id(root),
            "createdAt": "2026-11-24T12:00:00.000Z",
        }
        theirs.append(fake.write_gate(rkey, {**base, "hiddenReplies": hidden})["cid"])

    theirs: list[str] = []
    # No record when we read it, one when we write: InvalidSwap, read again, write again.
    fake.after_gate_read = another_worker_hides_other
    connector.moderate(sky_target(fake, reply), HIDE, CONTEXT)
    assert set(gate_of(fake, root)["value"]["hiddenReplies"]) == {
        other_uri,
        fake.external_id(reply),
    }
    swaps = [json.loads(p.content)["swapRecord"] for p in puts(fake)]
    assert swaps == [None, theirs[0]]  # refused (InvalidSwap), then on the record read again


def test_bluesky_a_threadgate_that_keeps_changing_is_retry_later(sky):
    fake, connector = sky
    root, reply = sky_thread(fake)
    rkey = fake.external_id(root).rsplit("/", 1)[1]
    n = iter(range(100))

    def someone_writes():
        value = {
            "$type": "app.bsky.feed.threadgate",
            "post": fake.external_id(root),
            "createdAt": "2026-11-24T12:00:00.000Z",
            "hiddenReplies": [f"at://did:plc:x/app.bsky.feed.post/{next(n)}"],
        }
        fake.write_gate(rkey, value)

    fake.write_gate(rkey, {"$type": "app.bsky.feed.threadgate", "post": "x", "createdAt": "y"})
    fake.after_gate_read = someone_writes
    with pytest.raises(RetryLater, match="kept changing"):
        connector.moderate(sky_target(fake, reply), HIDE, CONTEXT)


def test_bluesky_the_hidden_list_cap(sky):
    fake, connector = sky
    root, reply = sky_thread(fake)
    rkey = fake.external_id(root).rsplit("/", 1)[1]
    full = [f"at://did:plc:someone/app.bsky.feed.post/{i:013d}" for i in range(MAX_HIDDEN)]
    fake.write_gate(
        rkey,
        {
            "$type": "app.bsky.feed.threadgate",
            "post": fake.external_id(root),
            "createdAt": "2026-11-20T09:00:00.000Z",
            "hiddenReplies": full,
        },
    )
    result = connector.moderate(sky_target(fake, reply), HIDE, CONTEXT)
    assert MAX_HIDDEN == 300
    assert not result.done and "at most 300" in result.message and result.url
    assert not puts(fake)
    # Restoring one makes room again.
    restored = ReplyTarget("bluesky", full[0], root_external_id=fake.external_id(root))
    assert connector.moderate(restored, RESTORE, CONTEXT).done
    assert connector.moderate(sky_target(fake, reply), HIDE, CONTEXT).done
    assert len(gate_of(fake, root)["value"]["hiddenReplies"]) == MAX_HIDDEN


def test_bluesky_the_pds_refusing_past_the_cap_is_its_message():
    fake = bluesky.Fake()
    request = httpx.Request(
        "POST",
        f"{bluesky.ENTRYWAY}/xrpc/com.atproto.repo.putRecord",
        json={
            "repo": bluesky.did_of(bluesky.OUR_HANDLE),
            "collection": "app.bsky.feed.threadgate",
            "rkey": "3lbbbbbbbbbbb",
            "record": {"post": "at://x", "createdAt": "y", "hiddenReplies": ["u"] * 301},
        },
    )
    answer = fake.put_record(request)
    assert answer.status_code == 400 and "300" in answer.json()["message"]


def test_bluesky_a_reply_deeper_in_the_thread_hides_under_the_root(sky):
    fake, connector = sky
    root, reply = sky_thread(fake)
    deeper = Post(author="troll_du_42")
    fake.reply(deeper, reply)
    # Without the stored payload: the AppView gives the record and its reply.root.
    connector.moderate(sky_target(fake, deeper, raw=False), HIDE, CONTEXT)
    assert any(r.url.path.endswith("getPosts") for r in fake.requests)
    assert gate_of(fake, root)["value"]["hiddenReplies"] == [fake.external_id(deeper)]


def test_bluesky_in_someone_elses_thread_a_person_must_act(sky):
    fake, connector = sky
    root, mention = Post(author="lea_dupont"), Post(author="troll_du_42")
    fake.publish(root)
    fake.reply(mention, root)
    result = connector.moderate(sky_target(fake, mention), HIDE, CONTEXT)
    assert not result.done and result.action == "hide"
    assert "only lets the author of a thread hide replies" in result.message
    rkey = fake.external_id(mention).rsplit("/", 1)[1]
    assert result.url == f"https://bsky.app/profile/troll-du-42.bsky.social/post/{rkey}"
    assert not puts(fake)
    # A top-level post mentioning the brand is no reply at all.
    top = Post(author="troll_du_42")
    fake.publish(top)
    result = connector.moderate(sky_target(fake, top), HIDE, CONTEXT)
    assert not result.done and "only lets the author of a thread" in result.message


def test_bluesky_cannot_delete_others_posts(sky):
    fake, connector = sky
    _root, reply = sky_thread(fake)
    result = connector.moderate(sky_target(fake, reply), DELETE, CONTEXT)
    assert not result.done and "delete" in result.message and result.url
    assert not puts(fake) and not fake.gates


def test_bluesky_errors(sky):
    fake, connector = sky
    _root, reply = sky_thread(fake)
    fake.rate_limit_next(30)
    with pytest.raises(RetryLater) as waited:
        connector.moderate(sky_target(fake, reply), HIDE, CONTEXT)
    assert 25 <= waited.value.retry_after <= 31
    fake.break_permanently()
    with pytest.raises(PermanentError, match="app password"):
        connector.moderate(sky_target(fake, reply), HIDE, CONTEXT)
