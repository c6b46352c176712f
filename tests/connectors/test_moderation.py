"""Moderating (the `moderate` capability): each network's request, idempotency, restoring, its
refusals, and what the networks do not allow (done=False with what a person must do). HTTP
is faked at the transport (tests/connectors/fakes/), as for replying."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs

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
from parvis.connectors.mastodon import MastodonConnector
from parvis.connectors.reddit import RedditConnector
from parvis.connectors.services import do_connect_account
from parvis.connectors.youtube import YouTubeConnector, YouTubeOAuthConnector
from parvis.connectors.youtube.models import YouTubeQuotaUsage
from tests.connectors.contract.harness import Post
from tests.connectors.fakes import bluesky, mastodon, reddit, youtube

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
    assert get("youtube_oauth").moderation_actions == {HIDE, RESTORE, DELETE}
    assert get("youtube").moderation_actions == frozenset()  # a key cannot write
    assert get("reddit").moderation_actions == {HIDE, RESTORE}
    assert get("mastodon").moderation_actions == frozenset()
    assert get("demo").moderation_actions == {HIDE, RESTORE, DELETE}
    for kind in ("bluesky", "youtube_oauth", "reddit", "demo"):
        assert Capability.MODERATE in get(kind).capabilities
    for kind in ("mastodon", "youtube", "rss", "hackernews"):
        assert Capability.MODERATE not in get(kind).capabilities


def test_a_connector_without_moderation_says_so(workspace):
    connector = get("rss")(
        AccountSettings(workspace_id=workspace.pk, account_id=None, account=None)
    )
    result = connector.moderate(ReplyTarget("rss", "x"), HIDE, CONTEXT)
    assert not result.done and "cannot hide" in result.message


@pytest.mark.parametrize("cls", [BlueskyConnector, RedditConnector, YouTubeOAuthConnector])
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


# --- YouTube ------------------------------------------------------------------------------


@pytest.fixture
def tube(workspace):
    fake = youtube.Fake()
    fake.access_token = "ya29.fake-access-0"
    account = connect(
        workspace,
        fake,
        api_key="",
        access_token="ya29.fake-access-0",
        refresh_token=youtube.REFRESH_TOKEN,
        client_id=youtube.CLIENT_ID,
        client_secret=youtube.CLIENT_SECRET,
        expires_at=(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat(),
    )
    return fake, YouTubeOAuthConnector.for_account(account, http=client(fake)), workspace


def tube_target(fake, post: Post) -> ReplyTarget:
    return ReplyTarget(
        "youtube", fake.external_id(post), raw=fake.comment(post, fake.external_id(post))
    )


def moderation_requests(fake) -> list[httpx.Request]:
    return [r for r in fake.requests if r.url.path.endswith("/comments/setModerationStatus")]


@pytest.mark.parametrize(
    ("action", "status"),
    [(HIDE, "heldForReview"), (RESTORE, "published"), (DELETE, "rejected")],
)
def test_youtube_sets_the_moderation_status(tube, action, status):
    fake, connector, workspace = tube
    post = Post(author="troll_du_42")
    fake.publish(post)
    result = connector.moderate(tube_target(fake, post), action, CONTEXT)
    assert result.done and result.action == action.value
    (request,) = moderation_requests(fake)
    assert request.method == "POST" and request.content == b""
    assert str(request.url).startswith(f"{youtube.API}comments/setModerationStatus?")
    assert dict(request.url.params) == {
        "id": fake.external_id(post),
        "moderationStatus": status,
        "banAuthor": "false",
    }
    assert request.headers["Authorization"] == "Bearer ya29.fake-access-0"
    assert fake.moderation == {fake.external_id(post): status}
    assert result.url == (
        f"https://www.youtube.com/watch?v={fake.video_of(post)}&lc={fake.external_id(post)}"
    )
    usage = YouTubeQuotaUsage.objects.get(workspace=workspace)
    assert usage.units == 50 and usage.calls == 1


def test_youtube_hide_twice_is_harmless_and_restore_publishes(tube):
    fake, connector, workspace = tube
    post = Post()
    fake.publish(post)
    assert connector.moderate(tube_target(fake, post), HIDE, CONTEXT).done
    assert connector.moderate(tube_target(fake, post), HIDE, CONTEXT).done
    assert fake.moderation == {fake.external_id(post): "heldForReview"}
    assert connector.moderate(tube_target(fake, post), RESTORE, CONTEXT).done
    assert fake.moderation == {fake.external_id(post): "published"}
    assert YouTubeQuotaUsage.objects.get(workspace=workspace).units == 150


def test_youtube_not_the_owners_video_is_for_a_person(tube):
    fake, connector, _ = tube
    post = Post()
    fake.publish(post)
    fake.not_ours.add(fake.external_id(post))
    result = connector.moderate(tube_target(fake, post), HIDE, CONTEXT)
    assert not result.done and "only the owner of the channel or video" in result.message
    assert result.url.endswith(f"&lc={fake.external_id(post)}")
    assert fake.moderation == {}


def test_youtube_a_comment_gone_is_done_already(tube):
    fake, connector, _ = tube
    gone = Post()  # never published, or deleted by its author
    result = connector.moderate(tube_target(fake, gone), DELETE, CONTEXT)
    assert result.done and "no longer has this comment" in result.message
    result = connector.moderate(tube_target(fake, gone), HIDE, CONTEXT)
    assert result.done
    # Restoring what is gone cannot be done: a person should know.
    result = connector.moderate(tube_target(fake, gone), RESTORE, CONTEXT)
    assert not result.done and "cannot be published again" in result.message


def test_youtube_quota_exceeded_waits_for_the_reset(tube):
    fake, connector, _ = tube
    post = Post()
    fake.publish(post)
    fake.quota_exceeded = True
    with pytest.raises(RetryLater, match="resets at midnight") as waited:
        connector.moderate(tube_target(fake, post), HIDE, CONTEXT)
    assert waited.value.retry_after > 0


def test_youtube_our_own_quota_count_is_spent_before_calling(tube, settings):
    fake, connector, _ = tube
    post = Post()
    fake.publish(post)
    settings.PARVIS_YOUTUBE = {"DAILY_QUOTA": 60}
    connector = YouTubeOAuthConnector.for_account(connector.account, http=client(fake))
    assert connector.moderate(tube_target(fake, post), HIDE, CONTEXT).done
    with pytest.raises(RetryLater):
        connector.moderate(tube_target(fake, post), RESTORE, CONTEXT)
    assert len(moderation_requests(fake)) == 1


@pytest.mark.parametrize(
    ("status", "reason", "raised", "words"),
    [
        (403, "insufficientPermissions", PermanentError, "reconnect"),
        (400, "processingFailure", None, "could not process"),
        (400, "operationNotSupported", None, "does not allow"),
        (500, "backendError", RetryLater, "HTTP 500"),
    ],
)
def test_youtube_other_refusals(tube, status, reason, raised, words):
    fake, connector, _ = tube
    post = Post()
    fake.publish(post)
    fake.moderation_refusal = youtube.error(status, reason, f"The request failed: {reason}")
    if raised is None:
        result = connector.moderate(tube_target(fake, post), HIDE, CONTEXT)
        assert not result.done and words in result.message
    else:
        with pytest.raises(raised, match=words):
            connector.moderate(tube_target(fake, post), HIDE, CONTEXT)


def test_youtube_an_expired_token_is_renewed_before_moderating(tube):
    fake, connector, _ = tube
    post = Post()
    fake.publish(post)
    fake.access_token = "ya29.rotated-by-google"
    assert connector.moderate(tube_target(fake, post), HIDE, CONTEXT).done
    assert fake.token_forms[-1]["grant_type"] == "refresh_token"
    assert fake.moderation_calls == 1


def test_youtube_with_an_api_key_cannot_moderate(workspace):
    fake = youtube.Fake()
    account = connect(workspace, fake)
    connector = YouTubeOAuthConnector.for_account(account, http=client(fake))
    with pytest.raises(PermanentError, match="Google sign-in"):
        connector.moderate(ReplyTarget("youtube", "Ugz1"), HIDE, CONTEXT)
    plain = YouTubeConnector.for_account(account, http=client(fake))
    assert not plain.moderate(ReplyTarget("youtube", "Ugz1"), HIDE, CONTEXT).done
    assert not moderation_requests(fake)


# --- Reddit -------------------------------------------------------------------------------


@pytest.fixture
def threads(workspace):
    fake = reddit.Fake()
    account = connect(workspace, fake)
    return fake, RedditConnector.for_account(account, http=client(fake))


def thread_target(fake, post: Post) -> ReplyTarget:
    return ReplyTarget("reddit", fake.external_id(post), raw=fake.thing(post, raw=True))


def mod_posts(fake) -> list[httpx.Request]:
    return [r for r in fake.requests if r.url.path in {"/api/remove", "/api/approve"}]


def form_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_reddit_the_scopes_asked_include_modposts():
    from parvis.connectors.reddit import api

    assert api.SCOPES.split() == [
        "read",
        "identity",
        "history",
        "privatemessages",
        "submit",
        "modposts",
    ]


def test_reddit_hide_removes_and_restore_approves(threads):
    fake, connector = threads
    post = Post(author="troll_du_42")
    fake.publish(post)
    name = fake.external_id(post)
    hidden = connector.moderate(thread_target(fake, post), HIDE, CONTEXT)
    assert hidden.done and hidden.action == "hide" and fake.removed == {name}
    request = mod_posts(fake)[0]
    assert request.method == "POST" and request.url == "https://oauth.reddit.com/api/remove"
    assert request.headers["Authorization"] == "bearer initial-access-token"
    assert form_of(request) == {"id": name, "spam": "false"}
    assert hidden.url == f"https://www.reddit.com{fake.thing(post, raw=True)['data']['permalink']}"
    # Removing again is harmless: the same answer, still one removed item.
    assert connector.moderate(thread_target(fake, post), HIDE, CONTEXT).done
    assert fake.removed == {name}
    restored = connector.moderate(thread_target(fake, post), RESTORE, CONTEXT)
    assert restored.done and fake.removed == set()
    request = mod_posts(fake)[-1]
    assert request.url == "https://oauth.reddit.com/api/approve"
    assert form_of(request) == {"id": name}
    # Approving what is visible is harmless too.
    assert connector.moderate(thread_target(fake, post), RESTORE, CONTEXT).done


def test_reddit_not_a_moderator_of_the_subreddit_is_for_a_person(threads):
    fake, connector = threads
    post = Post()
    fake.publish(post)
    fake.moderated = set()
    result = connector.moderate(thread_target(fake, post), HIDE, CONTEXT)
    assert not result.done
    assert "only a moderator of r/france can remove it" in result.message
    assert result.url.startswith("https://www.reddit.com/r/france/comments/")
    assert fake.removed == set()


def test_reddit_an_account_connected_before_modposts_must_reconnect(threads):
    fake, connector = threads
    post = Post()
    fake.publish(post)
    fake.scope.discard("modposts")
    with pytest.raises(PermanentError, match=r"modposts.*connect the Reddit account again"):
        connector.moderate(thread_target(fake, post), HIDE, CONTEXT)


def test_reddit_what_a_moderator_cannot_do(threads):
    fake, connector = threads
    post = Post()
    fake.publish(post)
    result = connector.moderate(thread_target(fake, post), DELETE, CONTEXT)
    assert not result.done and "only its author" in result.message and result.url
    message = ReplyTarget("reddit", "t4_2ab9xq", private=True)
    result = connector.moderate(message, HIDE, CONTEXT)
    assert not result.done and "private message" in result.message
    assert not mod_posts(fake)


def test_reddit_errors(threads):
    fake, connector = threads
    post = Post()
    fake.publish(post)
    fake.rate_limit_next(42)
    with pytest.raises(RetryLater) as waited:
        connector.moderate(thread_target(fake, post), HIDE, CONTEXT)
    assert waited.value.retry_after == 42
    fake.tokens = set()  # the access token expired: renewed once, then the removal is made
    assert connector.moderate(thread_target(fake, post), HIDE, CONTEXT).done
    assert fake.issued == 1
    fake.break_permanently()
    with pytest.raises(PermanentError, match="connect the Reddit account again"):
        connector.moderate(thread_target(fake, post), HIDE, CONTEXT)


# --- Mastodon -----------------------------------------------------------------------------


def test_mastodon_cannot_hide_others_replies(workspace):
    fake = mastodon.Fake()
    account = connect(workspace, fake)
    connector = MastodonConnector.for_account(account, http=client(fake))
    post = mastodon.Toot(author="troll_du_42")
    fake.publish(post)
    raw = fake.status(post)
    target = ReplyTarget("mastodon", fake.external_id(post), raw=raw)
    for action in ModerationAction:
        result = connector.moderate(target, action, CONTEXT)
        assert not result.done and result.action == action.value
        assert result.message == (
            "Mastodon ne permet pas de masquer la réponse d'un autre compte : signalez-la à "
            "votre instance ou bloquez l'auteur"
        )
        assert result.url == raw["url"]
    assert not fake.requests  # nothing asked of the instance


# --- the demo -----------------------------------------------------------------------------


def test_demo_moderation_is_kept_per_item_and_idempotent(workspace):
    from parvis.demo.models import DemoModeration

    connector = get("demo")(
        AccountSettings(workspace_id=workspace.pk, account_id=None, account=None)
    )
    item = ReplyTarget("bluesky", "demo-mention-12")
    context = ModerationContext(workspace_id=workspace.pk, idempotency_key="m1")
    assert connector.moderate(item, HIDE, context).done
    assert connector.moderate(item, HIDE, context).done
    (row,) = DemoModeration.objects.filter(workspace=workspace)
    assert (row.external_id, row.state) == ("demo-mention-12", "hidden")
    assert connector.moderate(item, RESTORE, context).done
    assert connector.moderate(item, RESTORE, context).done  # restoring what is visible
    row.refresh_from_db()
    assert row.state == "visible"
    assert connector.moderate(item, DELETE, context).done
    assert connector.moderate(item, DELETE, context).done
    result = connector.moderate(item, RESTORE, context)
    assert not result.done and result.message
    assert DemoModeration.objects.filter(workspace=workspace).count() == 1
    assert DemoModeration.objects.get().state == "deleted"
    # Never visible before, restoring is fine and records it as visible.
    assert connector.moderate(ReplyTarget("demo", "other"), RESTORE, ModerationContext()).done
    assert DemoModeration.objects.filter(workspace=workspace).count() == 2
