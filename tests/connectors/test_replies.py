"""Replying (the `reply` capability): each network's request, reading the reply back, its
refusals, and a retry after a lost answer that posts nothing twice. HTTP is faked at the
transport (tests/connectors/fakes/)."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from urllib.parse import parse_qs

import httpx
import pytest

from parvis.connectors import http
from parvis.connectors.base import (
    Capability,
    PermanentError,
    ReplyContext,
    ReplyTarget,
    RetryLater,
    get,
)
from parvis.connectors.bluesky import BlueskyConnector
from parvis.connectors.bluesky.replies import rkey_for
from parvis.connectors.mastodon import MastodonConnector
from parvis.connectors.reddit import RedditConnector
from parvis.connectors.services import do_connect_account
from parvis.connectors.youtube import YouTubeConnector, YouTubeOAuthConnector
from parvis.connectors.youtube.models import YouTubeQuotaUsage
from tests.connectors.contract.harness import Post
from tests.connectors.fakes import bluesky, mastodon, reddit, youtube

pytestmark = pytest.mark.django_db

KEY = "inbox-reply-42"
TEXT = "Merci beaucoup, à bientôt à la boutique !"


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


def since() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)


def test_the_contract_names_and_capabilities():
    for kind in ("bluesky", "mastodon", "reddit", "youtube_oauth"):
        assert Capability.REPLY in get(kind).capabilities
    assert Capability.REPLY not in get("youtube").capabilities  # an API key cannot write
    assert BlueskyConnector.reads_own_activity({"mode": "notifications"})
    assert not BlueskyConnector.reads_own_activity({"mode": "search"})
    assert MastodonConnector.reads_own_activity({"mode": "notifications"})
    assert RedditConnector.reads_own_activity({"mode": "inbox"})
    assert YouTubeConnector.reads_own_activity({"mode": "comments"})
    assert not YouTubeOAuthConnector.reads_own_activity({"mode": "search"})
    assert MastodonConnector.is_private({"visibility": "direct"})
    assert not MastodonConnector.is_private({"visibility": "public"})
    assert RedditConnector.is_private({"kind": "t4", "data": {"name": "t4_abc"}})
    assert not RedditConnector.is_private({"kind": "t1", "data": {"name": "t1_abc"}})
    assert not BlueskyConnector.is_private({"uri": "at://x"})
    context = ReplyContext(workspace_id=3, idempotency_key="k")
    assert (context.workspace_id, context.idempotency_key) == (3, "k")


@pytest.mark.parametrize("cls", [BlueskyConnector, MastodonConnector, RedditConnector])
def test_replying_needs_a_connected_account(workspace, cls):
    from parvis.connectors.base import AccountSettings

    connector = cls(AccountSettings(workspace_id=workspace.pk, account_id=None, account=None))
    target = ReplyTarget(network=cls.network, external_id="x")
    with pytest.raises(PermanentError, match="connect an account"):
        connector.reply(target, TEXT, ReplyContext(idempotency_key=KEY))


# --- Bluesky ------------------------------------------------------------------------------


@pytest.fixture
def sky(workspace):
    fake = bluesky.Fake()
    account = connect(workspace, fake)
    return fake, BlueskyConnector.for_account(account, http=client(fake))


def sky_target(fake, post: Post, *, raw: bool = True) -> ReplyTarget:
    return ReplyTarget(
        network="bluesky",
        external_id=fake.external_id(post),
        author_handle=bluesky.handle_of(post.author),
        raw=fake.post_view(post) if raw else {},
    )


def test_bluesky_reply_writes_a_post_at_the_key_derived_from_the_idempotency_key(sky):
    fake, connector = sky
    root, parent = Post(author="lea_dupont"), Post(author="marc")
    fake.publish(root)
    fake.reply(parent, root)
    sent = connector.reply(sky_target(fake, parent), TEXT, ReplyContext(idempotency_key=KEY))
    creates = [r for r in fake.requests if r.url.path.endswith("createRecord")]
    assert len(creates) == 1
    body = json.loads(creates[0].content)
    rkey = rkey_for(KEY)
    assert re.fullmatch(r"[234567a-j][234567a-z]{12}", rkey) and rkey == rkey_for(KEY)
    assert creates[0].url == f"{bluesky.ENTRYWAY}/xrpc/com.atproto.repo.createRecord"
    assert body["repo"] == bluesky.did_of(bluesky.OUR_HANDLE)
    assert body["collection"] == "app.bsky.feed.post" and body["rkey"] == rkey
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post" and record["text"] == TEXT
    assert record["createdAt"].endswith("Z")
    assert record["reply"] == {
        "root": {"uri": fake.external_id(root), "cid": fake.cid(root)},
        "parent": {"uri": fake.external_id(parent), "cid": fake.cid(parent)},
    }
    assert (
        sent.external_id == f"at://{bluesky.did_of(bluesky.OUR_HANDLE)}/app.bsky.feed.post/{rkey}"
    )
    assert sent.url == f"https://bsky.app/profile/{bluesky.OUR_HANDLE}/post/{rkey}"
    assert sent.published_at is not None


def test_bluesky_reply_to_a_top_level_post_without_its_cid_reads_it_first(sky):
    fake, connector = sky
    post = Post()
    fake.publish(post)
    connector.reply(sky_target(fake, post, raw=False), TEXT, ReplyContext(idempotency_key=KEY))
    assert any(r.url.path.endswith("getPosts") for r in fake.requests)
    record = next(iter(fake.own_records.values()))["value"]
    ref = {"uri": fake.external_id(post), "cid": fake.cid(post)}
    assert record["reply"] == {"root": ref, "parent": ref}


def test_bluesky_retry_after_a_lost_answer_returns_the_first_post(sky):
    fake, connector = sky
    post = Post()
    fake.publish(post)
    fake.lose_next_answer = True  # written, answer lost: the record at the key says "sent"
    first = connector.reply(sky_target(fake, post), TEXT, ReplyContext(idempotency_key=KEY))
    # Another attempt of the same reply (a worker killed before recording it).
    again = connector.reply(sky_target(fake, post), TEXT, ReplyContext(idempotency_key=KEY))
    assert len(fake.own_records) == 1  # the PDS refused the second write (500), nothing new
    assert first.external_id == again.external_id == next(iter(fake.own_records.values()))["uri"]
    assert len([r for r in fake.requests if r.url.path.endswith("createRecord")]) == 2


def test_bluesky_find_reply_finds_it_or_says_none(sky):
    fake, connector = sky
    post, other = Post(), Post()
    fake.publish(post, other)
    context = ReplyContext(idempotency_key=KEY)
    start = since()
    assert connector.find_reply(sky_target(fake, post), TEXT, start, context) is None
    sent = connector.reply(sky_target(fake, post), TEXT, context)
    assert connector.find_reply(sky_target(fake, post), TEXT, start, context) == sent
    # Without the key (another attempt's): read back from the account's feed.
    no_key = ReplyContext()
    assert connector.find_reply(sky_target(fake, post), TEXT, start, no_key) == sent
    assert connector.find_reply(sky_target(fake, other), TEXT, start, no_key) is None
    assert connector.find_reply(sky_target(fake, post), "autre", start, no_key) is None
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert connector.find_reply(sky_target(fake, post), TEXT, later, no_key) is None


def test_bluesky_refusals(sky):
    fake, connector = sky
    post = Post()
    fake.publish(post)
    with pytest.raises(PermanentError, match="300"):
        connector.reply(sky_target(fake, post), "x" * 301, ReplyContext(idempotency_key="a"))
    gone = Post()
    with pytest.raises(PermanentError, match="no longer on Bluesky"):
        connector.reply(sky_target(fake, gone, raw=False), TEXT, ReplyContext(idempotency_key="b"))
    fake.rate_limit_next(30)
    with pytest.raises(RetryLater) as waited:
        connector.reply(sky_target(fake, post), TEXT, ReplyContext(idempotency_key="c"))
    assert 25 <= waited.value.retry_after <= 31
    fake.break_permanently()
    with pytest.raises(PermanentError, match="app password"):
        connector.reply(sky_target(fake, post), TEXT, ReplyContext(idempotency_key="d"))


# --- Mastodon -----------------------------------------------------------------------------


@pytest.fixture
def toots(workspace):
    fake = mastodon.Fake()
    account = connect(workspace, fake)
    return fake, MastodonConnector.for_account(account, http=client(fake))


def toot_target(fake, post, *, private=False) -> ReplyTarget:
    raw = fake.status(post)
    if private:
        raw["visibility"] = "direct"
    return ReplyTarget(
        network="mastodon",
        external_id=fake.external_id(post),
        author_handle=f"@{post.author}@{mastodon.HOST}",
        private=private,
        raw=raw,
    )


def test_mastodon_reply_posts_a_status_with_the_idempotency_key(toots):
    fake, connector = toots
    post = mastodon.Toot(author="lea_dupont")
    fake.publish(post)
    sent = connector.reply(toot_target(fake, post), TEXT, ReplyContext(idempotency_key=KEY))
    request = next(r for r in fake.requests if r.method == "POST")
    assert request.url == f"{mastodon.INSTANCE}/api/v1/statuses"
    assert request.headers["Idempotency-Key"] == KEY
    assert request.headers["Authorization"] == f"Bearer {mastodon.TOKEN}"
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form == {
        "status": f"@lea_dupont@{mastodon.HOST} {TEXT}",
        "in_reply_to_id": fake.status_id(post),
        "visibility": "public",
    }
    assert sent.external_id == f"{mastodon.HOST}:{fake.sent[0]['id']}"
    assert sent.url == fake.sent[0]["url"] and sent.published_at is not None


def test_mastodon_private_reply_is_direct_and_keeps_a_mention_already_there(toots):
    fake, connector = toots
    post = mastodon.Toot(author="lea_dupont")
    fake.publish(post)
    text = f"@lea_dupont@{mastodon.HOST} {TEXT}"
    connector.reply(toot_target(fake, post, private=True), text, ReplyContext(idempotency_key=KEY))
    form = parse_qs(next(r for r in fake.requests if r.method == "POST").content.decode())
    assert form["visibility"] == ["direct"] and form["status"] == [text]


def test_mastodon_retry_with_the_same_key_posts_once(toots):
    fake, connector = toots
    post = mastodon.Toot()
    fake.publish(post)
    fake.lose_next_answer = True
    with pytest.raises(RetryLater):
        connector.reply(toot_target(fake, post), TEXT, ReplyContext(idempotency_key=KEY))
    sent = connector.reply(toot_target(fake, post), TEXT, ReplyContext(idempotency_key=KEY))
    assert len(fake.sent) == 1 and sent.external_id.endswith(fake.sent[0]["id"])


def test_mastodon_find_reply_matches_the_parent_and_text_past_the_mention(toots):
    fake, connector = toots
    post, other = mastodon.Toot(author="lea_dupont"), mastodon.Toot()
    fake.publish(post, other)
    start = since()
    context = ReplyContext(idempotency_key=KEY)
    assert connector.find_reply(toot_target(fake, post), TEXT, start, context) is None
    sent = connector.reply(toot_target(fake, post), TEXT, context)
    assert connector.find_reply(toot_target(fake, post), TEXT, start, context) == sent
    assert connector.find_reply(toot_target(fake, other), TEXT, start, context) is None
    assert connector.find_reply(toot_target(fake, post), "autre", start, context) is None
    paths = {r.url.path for r in fake.requests if r.method == "GET"}
    me = fake.account_entity("parvis")["id"]
    assert {"/api/v1/accounts/verify_credentials", f"/api/v1/accounts/{me}/statuses"} <= paths


def test_mastodon_refusals(toots):
    fake, connector = toots
    post = mastodon.Toot()
    fake.publish(post)
    with pytest.raises(PermanentError, match="change the text"):
        connector.reply(toot_target(fake, post), "x" * 600, ReplyContext(idempotency_key="a"))
    gone = mastodon.Toot()
    with pytest.raises(PermanentError, match="no longer has the message"):
        connector.reply(toot_target(fake, gone), TEXT, ReplyContext(idempotency_key="b"))
    fake.rate_limit_next(120)
    with pytest.raises(RetryLater) as waited:
        connector.reply(toot_target(fake, post), TEXT, ReplyContext(idempotency_key="c"))
    assert 100 <= waited.value.retry_after <= 121
    fake.break_permanently()
    with pytest.raises(PermanentError, match="reconnect the Mastodon account"):
        connector.reply(toot_target(fake, post), TEXT, ReplyContext(idempotency_key="d"))


# --- Reddit -------------------------------------------------------------------------------


@pytest.fixture
def threads(workspace):
    fake = reddit.Fake()
    account = connect(workspace, fake)
    return fake, RedditConnector.for_account(account, http=client(fake))


def test_reddit_reply_posts_a_comment(threads):
    fake, connector = threads
    post = Post()
    fake.publish(post)
    target = ReplyTarget(network="reddit", external_id=fake.external_id(post))
    sent = connector.reply(target, TEXT, ReplyContext(idempotency_key=KEY))
    request = next(r for r in fake.requests if r.method == "POST")
    assert request.url == "https://oauth.reddit.com/api/comment"
    assert request.headers["Authorization"] == "bearer initial-access-token"
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form == {
        "thing_id": fake.external_id(post),
        "text": TEXT,
        "api_type": "json",
        "raw_json": "1",
    }
    assert sent.external_id == fake.comments[0]["data"]["name"] and sent.external_id[:3] == "t1_"
    assert sent.url.startswith("https://www.reddit.com/r/france/comments/")


def test_reddit_private_message_is_answered_through_api_comment(threads):
    fake, connector = threads
    target = ReplyTarget(network="reddit", external_id="t4_2ab9xq", private=True)
    sent = connector.reply(target, TEXT, ReplyContext(idempotency_key=KEY))
    assert sent.external_id.startswith("t4_")
    assert sent.url == f"https://www.reddit.com/message/messages/{sent.external_id[3:]}"
    start = since()
    assert connector.find_reply(target, TEXT, start, ReplyContext()) == sent
    assert any(r.url.path == "/message/sent" for r in fake.requests)


def test_reddit_retry_after_a_lost_answer_is_reconciled_by_find_reply(threads):
    fake, connector = threads
    post = Post()
    fake.publish(post)
    target = ReplyTarget(network="reddit", external_id=fake.external_id(post))
    start = since()
    assert connector.find_reply(target, TEXT, start, ReplyContext()) is None
    fake.lose_next_answer = True
    with pytest.raises(RetryLater):
        connector.reply(target, TEXT, ReplyContext(idempotency_key=KEY))
    found = connector.find_reply(target, TEXT, start, ReplyContext(idempotency_key=KEY))
    assert found is not None and found.external_id == fake.comments[0]["data"]["name"]
    assert any(r.url.path == "/user/maison_lumiere/comments" for r in fake.requests)
    other = ReplyTarget(network="reddit", external_id="t3_zzzzzz")
    assert connector.find_reply(other, TEXT, start, ReplyContext()) is None


@pytest.mark.parametrize(
    ("error", "raised", "words"),
    [
        (
            [
                "RATELIMIT",
                "Looks like you've been doing that a lot. Take a break for 5 minutes "
                "before trying again.",
                "ratelimit",
            ],
            RetryLater,
            "wait",
        ),
        (["THREAD_LOCKED", "Comments are locked.", "parent"], PermanentError, "locked"),
        (["DELETED_COMMENT", "that comment has been deleted", "parent"], PermanentError, "deleted"),
    ],
)
def test_reddit_refusals_in_the_answer(threads, error, raised, words):
    fake, connector = threads
    fake.next_errors = [error]
    target = ReplyTarget(network="reddit", external_id="t1_abcdef")
    with pytest.raises(raised, match=words) as caught:
        connector.reply(target, TEXT, ReplyContext(idempotency_key=KEY))
    if raised is RetryLater:
        assert caught.value.retry_after == pytest.approx(299.2)


def test_reddit_ratelimit_without_the_seconds_field_reads_the_message():
    from parvis.connectors.reddit.replies import wait_seconds

    assert wait_seconds("you are doing that too much. try again in 5 minutes.") == 300
    assert wait_seconds("try again in 30 seconds") == 30
    assert wait_seconds("no time here") == 600


def test_reddit_http_refusals(threads):
    fake, connector = threads
    target = ReplyTarget(network="reddit", external_id="t1_abcdef")
    fake.rate_limit_next(42)
    with pytest.raises(RetryLater) as waited:
        connector.reply(target, TEXT, ReplyContext(idempotency_key=KEY))
    assert waited.value.retry_after == 42
    fake.break_permanently()
    with pytest.raises(PermanentError, match="connect the Reddit account again"):
        connector.reply(target, TEXT, ReplyContext(idempotency_key=KEY))
    with pytest.raises(PermanentError, match="not a post, comment or message"):
        connector.reply(ReplyTarget("reddit", "abc"), TEXT, ReplyContext())


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
    connector = YouTubeOAuthConnector.for_account(account, http=client(fake))
    return fake, connector, workspace


def tube_target(fake, post: Post, reply_to: Post | None = None) -> ReplyTarget:
    if reply_to is None:
        raw = fake.comment(post, fake.external_id(post))
        return ReplyTarget("youtube", fake.external_id(post), raw=raw)
    reply_id = fake.reply_id(post, reply_to)
    raw = fake.comment(reply_to, reply_id, parent_id=fake.external_id(post))
    return ReplyTarget("youtube", reply_id, root_external_id=fake.external_id(post), raw=raw)


def test_youtube_reply_inserts_a_comment_under_the_top_level_comment(tube):
    fake, connector, workspace = tube
    top, answer = Post(), Post(author="marc")
    fake.publish(top)
    fake.reply(top, answer)
    sent = connector.reply(tube_target(fake, top, answer), TEXT, ReplyContext(idempotency_key=KEY))
    request = next(r for r in fake.requests if r.method == "POST")
    assert str(request.url) == f"{youtube.API}comments?part=snippet"
    assert request.headers["Authorization"] == "Bearer ya29.fake-access-0"
    assert json.loads(request.content) == {
        "snippet": {"parentId": fake.external_id(top), "textOriginal": TEXT}
    }
    assert sent.external_id.startswith(fake.external_id(top) + ".")
    assert sent.url == f"https://www.youtube.com/watch?v={youtube.VIDEO_ID}&lc={sent.external_id}"
    usage = YouTubeQuotaUsage.objects.get(workspace=workspace)
    assert usage.units == 50 and usage.calls == 1


def test_youtube_find_reply_reads_the_threads_replies(tube):
    fake, connector, _ = tube
    top, other = Post(), Post()
    fake.publish(top, other)
    start = since()
    target = tube_target(fake, top)
    assert connector.find_reply(target, TEXT, start, ReplyContext()) is None
    fake.lose_next_answer = True
    with pytest.raises(RetryLater):
        connector.reply(target, TEXT, ReplyContext(idempotency_key=KEY))
    found = connector.find_reply(target, TEXT, start, ReplyContext(idempotency_key=KEY))
    assert found is not None
    assert found.external_id == fake.inserted[fake.external_id(top)][0]["id"]
    assert connector.find_reply(tube_target(fake, other), TEXT, start, ReplyContext()) is None
    assert connector.find_reply(target, "autre", start, ReplyContext()) is None


@pytest.mark.parametrize(
    ("status", "reason", "domain", "raised", "words"),
    [
        (403, "commentsDisabled", "youtube.commentThread", PermanentError, "turn comments on"),
        (403, "forbidden", "youtube.comment", PermanentError, "does not let the channel"),
        (403, "insufficientPermissions", "global", PermanentError, "reconnect"),
        (403, "quotaExceeded", "youtube.quota", RetryLater, "resets at midnight"),
        (404, "parentCommentNotFound", "youtube.comment", PermanentError, "deleted"),
    ],
)
def test_youtube_refusals(tube, status, reason, domain, raised, words):
    fake, connector, _ = tube
    top = Post()
    fake.publish(top)
    fake.insert_refusal = youtube.error(status, reason, f"The request failed: {reason}", domain)
    with pytest.raises(raised, match=words) as caught:
        connector.reply(tube_target(fake, top), TEXT, ReplyContext(idempotency_key=KEY))
    if raised is RetryLater:
        assert caught.value.retry_after > 0


def test_youtube_an_expired_token_is_renewed_before_replying(tube):
    fake, connector, _ = tube
    top = Post()
    fake.publish(top)
    fake.access_token = "ya29.rotated-by-google"  # the stored one is refused: 401, renew
    connector.reply(tube_target(fake, top), TEXT, ReplyContext(idempotency_key=KEY))
    assert fake.token_forms and fake.token_forms[-1]["grant_type"] == "refresh_token"
    assert len(fake.inserted[fake.external_id(top)]) == 1


def test_youtube_with_an_api_key_cannot_reply(workspace):
    fake = youtube.Fake()
    account = connect(workspace, fake)
    connector = YouTubeOAuthConnector.for_account(account, http=client(fake))
    with pytest.raises(PermanentError, match="Google sign-in"):
        connector.reply(ReplyTarget("youtube", "Ugz1"), TEXT, ReplyContext())


def test_for_account_gives_the_account_and_config(workspace):
    fake = mastodon.Fake()
    account = connect(workspace, fake)
    connector = MastodonConnector.for_account(account, {"mode": "notifications"})
    assert connector.account == account
    assert connector.source.workspace_id == workspace.pk
    assert connector.source.config == {"mode": "notifications"}
    assert time.time() > 0
