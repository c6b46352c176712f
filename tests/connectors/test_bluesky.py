"""The Bluesky connector: mapping, sessions, search passes, notifications, and the firehose
(frames built here as a relay builds them: DAG-CBOR header and body, a CAR v1 of blocks,
CIDs as tag 42, served over a real websocket on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import cbor2
import httpx
import pytest
from django.utils import timezone

from parvis.connectors import http
from parvis.connectors.base import PermanentError, RetryLater
from parvis.connectors.bluesky import BlueskyConnector, firehose, mapping, paging, xrpc
from parvis.connectors.services import do_connect_account
from parvis.listening.models import Mention, MonitoredQuery, QuarantinedItem, Source, SourceStatus
from parvis.listening.runner import fetch_context, run_source
from parvis.listening.sources import do_create_source
from tests.connectors.contract.harness import Post
from tests.connectors.fakes import bluesky as fake_bluesky

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


# --- mapping ------------------------------------------------------------------------------


def test_post_view_maps_to_a_mention_with_thread_ids_and_counts():
    page = fixture("searchPosts.json")
    profiles = {
        p["did"]: mapping.Profile.from_view(p) for p in fixture("getProfiles.json")["profiles"]
    }
    first, second = (mapping.from_post_view(v, profiles) for v in page["posts"])
    data = first.data
    assert data["external_id"] == page["posts"][0]["uri"]
    assert data["url"] == "https://bsky.app/profile/lea-dupont.bsky.social/post/3lb6zqyzgok2c"
    assert data["author"] == {
        "handle": "lea-dupont.bsky.social",
        "name": "Léa Dupont",
        "followers": 1843,
        "url": "https://bsky.app/profile/lea-dupont.bsky.social",
    }
    assert data["text"].endswith("sent vraiment bon 🕯️ #bougie")
    assert data["created_at"] == "2026-11-24T09:14:03.512Z"
    assert data["lang"] == "fr"
    assert data["parent_id"].endswith("/3lb6yxk3ves2a")
    assert data["root_id"].endswith("/3lb6xqh2ocs2n")
    # Quotes spread a post as reposts do.
    assert data["metrics"] == {"likes": 31, "reposts": 6, "replies": 2}
    assert first.payload == page["posts"][0]
    # An invalid handle: links name the DID, which bsky.app accepts; the first language wins.
    other = second.data
    assert other["url"].startswith("https://bsky.app/profile/did:plc:ragtjsm2j2vknwkz3zp4oxrd/")
    assert other["author"]["followers"] == 0
    assert other["lang"] == "en-us"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda v: v.pop("uri"), "without uri"),
        (lambda v: v.pop("record"), "without record"),
        (lambda v: v.update(uri="https://bsky.app/x"), "not an at:// URI"),
        (lambda v: v["record"].pop("createdAt") and v.pop("indexedAt"), "no createdAt"),
        (lambda v: v["record"].update(text=["not", "text"]), "text is not a string"),
    ],
)
def test_unmappable_posts_are_quarantined_with_the_reason(change, reason):
    view = fixture("searchPosts.json")["posts"][0]
    change(view)
    item = mapping.from_post_view(view)
    assert item.data is None and reason in item.error
    assert json.loads(item.raw)  # the raw post is kept for inspection


def test_a_broken_created_at_falls_back_to_when_the_post_was_indexed():
    view = fixture("searchPosts.json")["posts"][0]
    view["record"]["createdAt"] = "24/11/2026 09:14"
    assert mapping.from_post_view(view).data["created_at"] == view["indexedAt"]


@pytest.mark.parametrize(
    ("langs", "expected"),
    [(["fr"], "fr"), (["pt-BR"], "pt-br"), ([], ""), (["<script>"], ""), (["x" * 40], "")],
)
def test_language_is_the_first_valid_tag(langs, expected):
    assert mapping.record_lang({"langs": langs}) == expected


# --- XRPC errors --------------------------------------------------------------------------


def response(status: int, body: dict | None = None, **headers: str) -> httpx.Response:
    request = httpx.Request("GET", "https://bsky.social/xrpc/app.bsky.feed.searchPosts")
    return httpx.Response(status, json=body, headers=headers, request=request)


def test_rate_limit_waits_until_the_window_resets():
    now = 1_790_000_000
    limited = response(
        429,
        fixture("error_rate_limit.json"),
        **{"ratelimit-reset": str(now + 240), "ratelimit-remaining": "0"},
    )
    assert xrpc.retry_after(limited, now=now) == 240
    with pytest.raises(RetryLater) as raised:
        xrpc.check(limited, "app.bsky.feed.searchPosts")
    assert "RateLimitExceeded" in str(raised.value)
    assert xrpc.retry_after(response(503, **{"Retry-After": "30"})) == 30


def test_errors_say_what_to_do():
    with pytest.raises(xrpc.SessionRefused):
        xrpc.check(response(400, fixture("error_expired_token.json")), "x")
    with pytest.raises(xrpc.SessionRefused, match="new app password"):
        xrpc.check(response(401, fixture("error_authentication_required.json")), "x")
    with pytest.raises(PermanentError, match=r"taken down.*new app password"):
        xrpc.check(response(400, fixture("error_account_takedown.json")), "x")
    with pytest.raises(PermanentError, match="InvalidRequest: bad cursor") as raised:
        xrpc.check(response(400, {"error": "InvalidRequest", "message": "bad cursor"}), "x")
    assert not isinstance(raised.value, xrpc.SessionRefused)
    with pytest.raises(RetryLater):
        xrpc.check(response(502, None), "x")


# --- sources on the fake network ----------------------------------------------------------


@pytest.fixture
def fake() -> fake_bluesky.Fake:
    return fake_bluesky.Fake()


@pytest.fixture
def account(workspace, fake):
    spec = fake.account()
    return do_connect_account(
        workspace, None, network="bluesky", handle=spec["handle"], credentials=spec["credentials"]
    )


def make_source(workspace, account, **config) -> Source:
    return do_create_source(
        workspace, kind="bluesky", name="Bluesky", config=config, account=account
    )


def run(source: Source, transport: httpx.BaseTransport):
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    summary = run_source(source.pk, http_client=http.client(transport=transport))
    source.refresh_from_db()
    return summary


def nsids(fake: fake_bluesky.Fake) -> list[str]:
    return [r.url.path.removeprefix("/xrpc/") for r in fake.requests]


@pytest.fixture
def brand(workspace):
    return MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression='"maison lumiere"'
    )


@pytest.mark.django_db
def test_session_is_kept_between_runs_and_calls_are_proxied(workspace, account, fake, brand):
    source = make_source(workspace, account)
    fake.publish(Post())
    assert run(source, fake.transport()).stored == 1
    fake.publish(Post())
    assert run(source, fake.transport()).stored == 1
    assert fake.sessions_created == 1  # createSession is rate-limited: once, not every run
    stored = account.__class__.objects.get(pk=account.pk).credentials()
    assert stored["access_jwt"] == fake.access and stored["did"].startswith("did:plc:")
    search = [r for r in fake.requests if r.url.path.endswith("searchPosts")]
    assert {r.headers["atproto-proxy"] for r in search} == {fake_bluesky.APPVIEW_PROXY}
    params = parse_qs(search[0].url.query.decode())
    assert params["q"] == ['"maison lumiere"'] and params["sort"] == ["latest"]


@pytest.mark.django_db
def test_expired_token_is_refreshed_and_saved(workspace, account, fake, brand):
    source = make_source(workspace, account)
    run(source, fake.transport())
    fake.publish(Post())
    fake.expire_access = True
    assert run(source, fake.transport()).stored == 1
    assert "com.atproto.server.refreshSession" in nsids(fake)
    assert fake.sessions_created == 1
    stored = account.__class__.objects.get(pk=account.pk).credentials()
    assert stored["access_jwt"] == fake.access and stored["refresh_jwt"] == fake.refresh


@pytest.mark.django_db
def test_refused_refresh_logs_in_again_with_the_app_password(workspace, account, fake, brand):
    source = make_source(workspace, account)
    run(source, fake.transport())
    fake.expire_access = True
    fake.refresh = ""  # revoked
    fake.publish(Post())
    assert run(source, fake.transport()).stored == 1
    assert fake.sessions_created == 2


@pytest.mark.django_db
def test_a_session_renewed_by_another_source_is_adopted(workspace, account, fake, brand):
    first = make_source(workspace, account)
    second = make_source(workspace, account)
    run(first, fake.transport())
    run(second, fake.transport())
    # `second` renews the session while `first` still holds the old tokens in memory.
    connector = BlueskyConnector(
        Source.objects.select_related("account").get(pk=first.pk),
        http.client(transport=fake.transport()),
    )
    connector.session()
    fake.expire_access = True
    fake.publish(Post())
    run(second, fake.transport())
    assert fake.sessions_created == 1
    before = nsids(fake).count("com.atproto.server.refreshSession")
    # The old access token is refused: the stored one is taken.
    connector.fetch({}, fetch_context(connector.source, connector))
    assert nsids(fake).count("com.atproto.server.refreshSession") == before
    assert fake.sessions_created == 1


@pytest.mark.django_db
def test_revoked_app_password_pauses_without_leaking_secrets(workspace, account, fake, brand):
    source = make_source(workspace, account)
    run(source, fake.transport())
    fake.break_permanently()
    run(source, fake.transport())
    assert source.status == SourceStatus.PAUSED
    assert "app password" in source.last_error
    assert fake_bluesky.APP_PASSWORD not in source.last_error
    assert "eyJ" not in source.last_error
    assert nsids(fake)[-3:] == [
        "app.bsky.feed.searchPosts",
        "com.atproto.server.refreshSession",
        "com.atproto.server.createSession",
    ]


@pytest.mark.django_db
def test_anonymous_search_refused_asks_for_an_account(workspace, brand):
    def public_appview(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "public.api.bsky.app" and "Authorization" not in request.headers
        return httpx.Response(403, json={"error": "Forbidden", "message": "Forbidden"})

    source = make_source(workspace, None)
    run(source, httpx.MockTransport(public_appview))
    assert source.status == SourceStatus.PAUSED
    assert "connected Bluesky account" in source.last_error


# --- search passes ------------------------------------------------------------------------


def test_a_pass_commits_its_newest_only_when_it_ends():
    a, b, c = (
        paging.Ref(f"at://d/app.bsky.feed.post/{n}", f"2026-11-24T09:0{n}:00Z") for n in (3, 2, 1)
    )
    state, done = paging.step({}, [a, b], "next-page", max_pages=10)
    assert not done and "newest" not in state and state["pass"]["top"] == a.as_dict()
    state, done = paging.step(state, [c], None, max_pages=10)
    assert done and state == {"newest": a.as_dict()}
    # The next pass stops at the page that reaches what it had, cursor or not.
    newer = paging.Ref("at://d/app.bsky.feed.post/4", "2026-11-24T09:04:00Z")
    state, done = paging.step(state, [newer, a], "more", max_pages=10)
    assert done and state == {"newest": newer.as_dict()}


def test_search_results_sort_by_the_earlier_of_created_and_indexed():
    from parvis.connectors.bluesky import post_ref

    view = fixture("searchPosts.json")["posts"][0]
    assert post_ref(view).at == view["record"]["createdAt"]
    view["record"]["createdAt"] = "2030-01-01T00:00:00Z"  # a clock in the future
    assert post_ref(view).at == view["indexedAt"]
    view["record"]["createdAt"] = "not a date"
    assert post_ref(view).at == view["indexedAt"]


def test_a_pass_stops_below_a_deleted_newest_post_by_time():
    newest = {"uri": "at://d/app.bsky.feed.post/gone", "at": "2026-11-24T09:30:00Z"}
    close = paging.Ref("at://d/app.bsky.feed.post/x", "2026-11-24T09:29:00Z")
    old = paging.Ref("at://d/app.bsky.feed.post/y", "2026-11-24T09:10:00Z")
    assert not paging.reached(newest, [close])  # within the slack for late indexing
    assert paging.reached(newest, [close, old])


@pytest.mark.django_db
def test_rate_limit_in_the_middle_of_a_pass_loses_nothing(workspace, account, fake, brand):
    source = make_source(workspace, account)
    old = [Post() for _ in range(4)]
    fake.publish(*old)
    run(source, fake.transport())
    new = [Post() for _ in range(25)]
    fake.publish(*new)
    limited_after = 2  # search pages served before the rate limit

    served = {"pages": 0}
    original = fake.search_posts

    def search_then_limit(params):
        served["pages"] += 1
        if served["pages"] > limited_after:
            return fake.rate_limited(None, 60)
        return original(params)

    fake.search_posts = search_then_limit
    run(source, fake.transport())  # a failed run reports nothing, its pages are stored
    assert Mention.objects.count() == 4 + 20
    assert source.status == SourceStatus.RETRYING
    term = source.cursor["terms"]['"maison lumiere"']
    assert term["pass"]["cursor"] and term["newest"]["uri"] == fake.external_id(old[-1])
    fake.search_posts = original
    assert run(source, fake.transport()).stored == 5
    term = source.cursor["terms"]['"maison lumiere"']
    assert "pass" not in term and term["newest"]["uri"] == fake.external_id(new[-1])
    assert Mention.objects.count() == 29


@pytest.mark.django_db
def test_terms_take_turns_across_runs(workspace, account, fake):
    source = make_source(workspace, account, terms=["bougie", "lumiere", "cire"])
    connector = BlueskyConnector(source, http.client(transport=fake.transport()))
    assert connector.next_term(["bougie", "lumiere", "cire"], {"next": "cire"}) == "cire"
    connector._served.add("cire")
    assert connector.next_term(["bougie", "lumiere", "cire"], {"next": "cire"}) == "bougie"
    fake.publish(Post(text="une bougie"), Post(text="de la cire"))
    result = connector.fetch({"next": "lumiere"}, fetch_context(source, connector))
    assert result.cursor["next"] == "cire"  # lumiere is read to the end: cire is next
    assert result.more  # bougie has not had its turn in this run
    searched = [r for r in fake.requests if r.url.path.endswith("searchPosts")]
    assert [parse_qs(r.url.query.decode())["q"] for r in searched] == [["lumiere"]]
    result = connector.fetch(result.cursor, fetch_context(source, connector))
    assert result.cursor["next"] == "lumiere" and not result.more
    assert [m.data["text"] for m in result.items] == ["une bougie"]


@pytest.mark.django_db
def test_a_term_the_search_refuses_does_not_stop_the_others(workspace, account, fake):
    source = make_source(workspace, account, terms="bougie, ((, cire", keep_all=True)
    original = fake.search_posts

    def refuse_some(params):
        if params["q"][0] in refused:
            return fake_bluesky.xrpc_error(400, "InvalidRequest", "unbalanced parentheses")
        return original(params)

    fake.search_posts = refuse_some
    refused = {"(("}
    fake.publish(Post(text="une bougie"), Post(text="de la cire"))
    assert run(source, fake.transport()).stored == 2
    assert source.status == SourceStatus.OK
    refused = {"bougie", "((", "cire"}
    run(source, fake.transport())
    assert source.status == SourceStatus.PAUSED
    assert "refused every search term" in source.last_error


@pytest.mark.django_db
def test_a_refused_page_cursor_restarts_the_pass_instead_of_skipping(workspace, account, fake):
    source = make_source(workspace, account, terms="bougie", keep_all=True)
    old = Post(text="une bougie")
    fake.publish(old)
    run(source, fake.transport())
    fake.publish(*[Post(text=f"bougie {n}") for n in range(12)])
    state = {"newest": source.cursor["terms"]["bougie"]["newest"]}
    state["pass"] = {"cursor": "expired", "top": None, "pages": 1}
    Source.objects.filter(pk=source.pk).update(cursor={"terms": {"bougie": state}})
    assert run(source, fake.transport()).stored == 12  # the fake refuses the cursor
    assert source.status == SourceStatus.OK
    assert "pass" not in source.cursor["terms"]["bougie"]


@pytest.mark.django_db
def test_a_named_account_is_read_through_its_feed_too(workspace, account, fake):
    MonitoredQuery.objects.create(
        workspace=workspace, name="Lea", kind="brand", expression="@lea-dupont.bsky.social"
    )
    own = [Post(text=f"Mon atelier, jour {n}", author="lea_dupont") for n in range(3)]
    mention = Post(text="Merci @lea-dupont.bsky.social !", author="sam")
    other = Post(text="Rien à voir", author="sam")
    fake.publish(*own, mention, other)
    fake.reposts.append((other, "lea_dupont"))
    source = make_source(workspace, account)
    assert run(source, fake.transport()).stored == 4
    assert set(Mention.objects.values_list("external_id", flat=True)) == {
        fake.external_id(p) for p in [*own, mention]
    }
    feed = [r for r in fake.requests if r.url.path.endswith("getAuthorFeed")]
    assert parse_qs(feed[0].url.query.decode())["actor"] == ["lea-dupont.bsky.social"]
    assert set(source.cursor["terms"]) == {
        "@lea-dupont.bsky.social",
        "author:lea-dupont.bsky.social",
    }
    # The repost shown at the top of her feed is not hers: her newest post is where we are.
    newest = source.cursor["terms"]["author:lea-dupont.bsky.social"]["newest"]
    assert newest["uri"] == fake.external_id(own[-1])
    newer = Post(text="Nouveau jour", author="lea_dupont")
    fake.publish(newer)
    assert run(source, fake.transport()).stored == 1


# --- notifications ------------------------------------------------------------------------


@pytest.mark.django_db
def test_notifications_keep_replies_mentions_and_quotes(workspace, account, fake):
    ours = Post(text="Notre nouvelle collection", author=fake_bluesky.OUR_HANDLE)
    reply = Post(text="Elle est superbe", author="lea_dupont")
    mention = Post(text="Bravo @maisonlumiere.bsky.social", author="sam")
    quote = Post(text="À voir", author="noe")
    liked = Post(text="(a like has no post of its own)", author="ines")
    gone = Post(text="deleted since", author="ines")
    fake.publish(ours, mention, quote, liked, gone)
    fake.reply(reply, ours)
    for post, reason in [
        (reply, "reply"),
        (mention, "mention"),
        (quote, "quote"),
        (liked, "like"),
        (gone, "mention"),
    ]:
        fake.notify(post, reason)
    fake.delete(gone)
    fake.followers["sam"] = 9000
    source = make_source(workspace, account, mode="notifications")
    assert source.config["keep_all"] is True
    summary = run(source, fake.transport())
    assert source.status == SourceStatus.OK, source.last_error
    assert (summary.stored, summary.rejected) == (3, 0)
    stored = {m.external_id: m for m in Mention.objects.all()}
    assert set(stored) == {fake.external_id(p) for p in (reply, mention, quote)}
    answer = stored[fake.external_id(reply)]
    assert answer.parent_external_id == answer.root_external_id == fake.external_id(ours)
    assert answer.likes == reply.key * 2
    assert stored[fake.external_id(mention)].author.followers == 9000
    params = parse_qs(
        next(r for r in fake.requests if "listNotifications" in r.url.path).url.query.decode()
    )
    assert sorted(params["reasons"]) == ["mention", "quote", "reply"]
    # Nothing new: nothing stored; a new reply: stored.
    assert run(source, fake.transport()).stored == 0
    later = Post(text="Une autre question", author="lea_dupont")
    fake.reply(later, ours)
    fake.notify(later, "reply")
    assert run(source, fake.transport()).stored == 1


def test_session_answer_keeps_tokens_and_did_only():
    kept = xrpc.session_credentials(fixture("createSession.json"))
    assert set(kept) == {"access_jwt", "refresh_jwt", "did"}
    assert kept["did"] == "did:plc:4gkmwcbfdmvdnkrqs3pu7e5e"


@pytest.mark.django_db
def test_notifications_page_as_documented(workspace):
    """listNotifications as the lexicon shapes it: the like is left out, the reply is read
    back through getPosts (counts), and its author's followers through getProfiles."""
    page = fixture("listNotifications.json")
    reply = page["notifications"][0]
    view = {
        "uri": reply["uri"],
        "cid": reply["cid"],
        "author": reply["author"],
        "record": reply["record"],
        "replyCount": 0,
        "repostCount": 1,
        "likeCount": 4,
        "quoteCount": 0,
        "indexedAt": reply["indexedAt"],
        "labels": [],
    }
    asked: list[str] = []

    def pds(request: httpx.Request) -> httpx.Response:
        nsid = request.url.path.removeprefix("/xrpc/")
        asked.append(nsid)
        params = parse_qs(request.url.query.decode())
        if nsid == "com.atproto.server.createSession":
            return httpx.Response(200, json=fixture("createSession.json"))
        if nsid == "app.bsky.notification.listNotifications":
            return httpx.Response(
                200, json={**page, "cursor": None} if params.get("cursor") else page
            )
        if nsid == "app.bsky.feed.getPosts":
            assert params["uris"] == [reply["uri"]]
            return httpx.Response(200, json={"posts": [view]})
        if nsid == "app.bsky.actor.getProfiles":
            return httpx.Response(200, json=fixture("getProfiles.json"))
        return httpx.Response(501, json={"error": "MethodNotImplemented"})

    account = do_connect_account(
        workspace,
        None,
        network="bluesky",
        handle="maisonlumiere.bsky.social",
        credentials={"service_url": "https://bsky.social", "app_password": "a-b-c-d"},
    )
    source = make_source(workspace, account, mode="notifications")
    summary = run(source, httpx.MockTransport(pds))
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored == 1
    mention = Mention.objects.get()
    assert mention.external_id == reply["uri"] and mention.reposts == 1
    assert mention.author.followers == 1843
    assert mention.parent_external_id == reply["record"]["reply"]["parent"]["uri"]
    assert asked.count("app.bsky.notification.listNotifications") == 2  # its cursor was followed


@pytest.mark.django_db
def test_notifications_cursor_refused_restarts_from_the_newest(workspace, account, fake):
    ours = Post(text="Notre collection", author=fake_bluesky.OUR_HANDLE)
    fake.publish(ours)
    replies = [Post(text=f"réponse {n}", author="lea_dupont") for n in range(3)]
    for post in replies:
        fake.reply(post, ours)
        fake.notify(post, "reply")
    source = make_source(workspace, account, mode="notifications")
    state = {"pass": {"cursor": "2026-11-24T09:20:00.000Z", "top": None, "pages": 1}}
    Source.objects.filter(pk=source.pk).update(cursor={"notifications": state})
    assert run(source, fake.transport()).stored == 3
    assert source.status == SourceStatus.OK, source.last_error
    assert source.cursor["notifications"]["newest"]["uri"] == fake.external_id(replies[-1])


@pytest.mark.django_db
def test_notifications_need_an_account(workspace):
    source = make_source(workspace, None, mode="notifications")
    run(source, httpx.MockTransport(lambda r: httpx.Response(500)))
    assert source.status == SourceStatus.PAUSED and "account" in source.last_error


# --- connecting an account ----------------------------------------------------------------


def test_login_returns_the_session_and_display_name(fake):
    info = BlueskyConnector.login(
        http.client(transport=fake.transport()),
        {
            "handle": "@" + fake_bluesky.OUR_HANDLE,
            "app_password": fake_bluesky.APP_PASSWORD,
            "service_url": "https://bsky.social/",
        },
    )
    assert info.handle == fake_bluesky.OUR_HANDLE
    assert info.display_name == "Maisonlumiere.Bsky.Social"
    assert info.credentials["access_jwt"] == fake.access
    assert info.credentials["service_url"] == "https://bsky.social"


def test_login_with_a_wrong_password_says_so(fake):
    with pytest.raises(PermanentError, match="app password"):
        BlueskyConnector.login(
            http.client(transport=fake.transport()),
            {"handle": fake_bluesky.OUR_HANDLE, "app_password": "wrong"},
        )


def test_settings_are_checked():
    config = BlueskyConnector.validate_config({"mode": "search", "terms": "bougie\nmaison, cire"})
    assert config["terms"] == "bougie, maison, cire" and not config["keep_all"]
    # What the settings form shows back is read the same way.
    assert BlueskyConnector.validate_config(config)["terms"] == config["terms"]
    for bad in [
        {"mode": "timeline"},
        {"firehose_url": "ftp://relay"},
        {"window_seconds": 0},
        {"page_size": "many"},
        {"appview_did": "api.bsky.app"},
    ]:
        with pytest.raises(ValueError):
            BlueskyConnector.validate_config(bad)


# --- firehose -----------------------------------------------------------------------------


def cid_for(block: bytes) -> bytes:
    """CIDv1, dag-cbor (0x71), sha2-256 multihash: what a repository names its blocks by."""
    return b"\x01\x71\x12\x20" + hashlib.sha256(block).digest()


def link(cid: bytes) -> cbor2.CBORTag:
    return cbor2.CBORTag(42, b"\x00" + cid)


def leb128(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def car(root: bytes, blocks: list[bytes]) -> bytes:
    header = cbor2.dumps({"version": 1, "roots": [link(root)]})
    out = leb128(len(header)) + header
    for block in blocks:
        section = cid_for(block) + block
        out += leb128(len(section)) + section
    return out


def commit_frame(seq: int, did: str, posts: dict[str, dict]) -> bytes:
    """A #commit event creating these records (path → record), as a relay sends it."""
    blocks = [cbor2.dumps(record) for record in posts.values()]
    commit = cbor2.dumps(
        {"did": did, "version": 3, "data": link(cid_for(blocks[0])), "rev": "3lb7"}
    )
    ops = [
        {"action": "create", "path": path, "cid": link(cid_for(block))}
        for path, block in zip(posts, blocks, strict=True)
    ]
    body = {
        "seq": seq,
        "rebase": False,
        "tooBig": False,
        "repo": did,
        "commit": link(cid_for(commit)),
        "rev": "3lb7aaaaaaa2k",
        "since": None,
        "blocks": car(cid_for(commit), [commit, *blocks]),
        "ops": ops,
        "blobs": [],
        "time": "2026-11-24T10:00:00.000Z",
    }
    return cbor2.dumps({"op": 1, "t": "#commit"}) + cbor2.dumps(body)


def delete_frame(seq: int, did: str, path: str, time: str = "2026-11-24T10:00:05.000Z") -> bytes:
    commit = cbor2.dumps({"did": did, "version": 3, "rev": "3lb8"})
    body = {
        "seq": seq,
        "rebase": False,
        "tooBig": False,
        "repo": did,
        "commit": link(cid_for(commit)),
        "rev": "3lb8aaaaaaa2k",
        "since": "3lb7aaaaaaa2k",
        "blocks": car(cid_for(commit), [commit]),
        "ops": [{"action": "delete", "path": path, "cid": None}],
        "blobs": [],
        "time": time,
    }
    return cbor2.dumps({"op": 1, "t": "#commit"}) + cbor2.dumps(body)


def post_record(text: str, langs: list[str] | None = None, **extra) -> dict:
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-11-24T10:00:00Z"}
    if langs is not None:
        record["langs"] = langs
    record.update(extra)
    return record


LEA = "did:plc:z72i7hdynmk6r22z27h6tvur"
SAM = "did:plc:ragtjsm2j2vknwkz3zp4oxrd"


def test_commit_frame_decodes_to_posts_with_cids_as_links():
    image = cid_for(b"an image")
    record = post_record(
        "Maison Lumière 🕯️",
        ["fr"],
        embed={"$type": "app.bsky.embed.images", "images": [{"image": {"ref": link(image)}}]},
    )
    frame = commit_frame(7, LEA, {"app.bsky.feed.post/3lb7abc": record})
    header, body = firehose.decode_frame(frame)
    assert header == {"op": 1, "t": "#commit"} and body["seq"] == 7
    roots, blocks = firehose.read_car(body["blocks"])
    assert roots == [body["commit"]] and len(blocks) == 2
    [post] = firehose.commit_posts(body)
    assert post.uri == f"at://{LEA}/app.bsky.feed.post/3lb7abc" and not post.error
    assert post.record["text"] == "Maison Lumière 🕯️"
    ref = post.record["embed"]["images"][0]["image"]["ref"]["$link"]
    assert ref.startswith("bafyrei") and ref == str(firehose.CID(image))


def test_frame_without_post_creates_gives_nothing_and_broken_blocks_are_reported():
    like = {"$type": "app.bsky.feed.like", "createdAt": "2026-11-24T10:00:00Z"}
    _, body = firehose.decode_frame(commit_frame(8, SAM, {"app.bsky.feed.like/3lb7x": like}))
    assert firehose.commit_posts(body) == []
    _, body = firehose.decode_frame(
        commit_frame(9, SAM, {"app.bsky.feed.post/3lb7y": post_record("x")})
    )
    body["blocks"] = body["blocks"][:-5]
    [post] = firehose.commit_posts(body)
    assert post.error


def test_stream_url_names_subscribe_repos_with_the_cursor():
    assert (
        firehose.stream_url("wss://bsky.network", 42)
        == "wss://bsky.network/xrpc/com.atproto.sync.subscribeRepos?cursor=42"
    )
    assert firehose.stream_url("http://127.0.0.1:2583/", None) == (
        "ws://127.0.0.1:2583/xrpc/com.atproto.sync.subscribeRepos"
    )


class Relay:
    """A websocket server on 127.0.0.1 serving frames after the client's cursor, then idling."""

    def __init__(self, frames: list[tuple[int, bytes]]) -> None:
        from websockets.sync.server import serve

        self.frames = frames
        self.cursors: list[str | None] = []
        self.paths: list[str] = []
        self.server = serve(self.handle, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}"

    def handle(self, connection) -> None:
        self.paths.append(connection.request.path)
        query = parse_qs(urlsplit(connection.request.path).query)
        cursor = query.get("cursor", [None])[0]
        self.cursors.append(cursor)
        # Without a cursor a stream starts from now: none of what it already sent.
        after = int(cursor) if cursor is not None else max((s for s, _ in self.frames), default=0)
        for seq, frame in self.frames:
            if seq > after:
                connection.send(frame)
        try:
            connection.recv(timeout=10)  # until the client hangs up
        except Exception:  # closed or timed out: either ends this connection
            return


@pytest.fixture
def relay() -> Iterator[Relay]:
    frames = [
        (
            1,
            commit_frame(
                1, LEA, {"app.bsky.feed.post/3lb7a": post_record("Maison Lumière, enfin !", ["fr"])}
            ),
        ),
        (
            2,
            commit_frame(
                2, SAM, {"app.bsky.feed.post/3lb7b": post_record("nothing about us", ["en"])}
            ),
        ),
        (
            3,
            cbor2.dumps({"op": 1, "t": "#identity"})
            + cbor2.dumps(
                {"seq": 3, "did": SAM, "handle": "sam.example.com", "time": "2026-11-24T10:00:01Z"}
            ),
        ),
        (
            4,
            commit_frame(
                4, SAM, {"app.bsky.feed.post/3lb7c": post_record("maison lumiere sans langue")}
            ),
        ),
        (
            5,
            commit_frame(
                5, SAM, {"app.bsky.feed.post/3lb7d": post_record("sans rapport non plus")}
            ),
        ),
    ]
    server = Relay(frames)
    server.thread.start()
    yield server
    server.server.shutdown()


def appview(profiles_status: int = 200):
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/xrpc/app.bsky.actor.getProfiles"
        if profiles_status != 200:
            return httpx.Response(profiles_status, json={"error": "InternalServerError"})
        body = fixture("getProfiles.json")
        return httpx.Response(200, json=body)

    return httpx.MockTransport(answer)


@pytest.mark.django_db
def test_firehose_stores_matching_posts_and_resumes_after_its_seq(workspace, brand, relay):
    source = make_source(
        workspace,
        None,
        mode="firehose",
        firehose_url=relay.url,
        window_seconds=1,
        appview_url="https://appview.test",
    )
    Source.objects.filter(pk=source.pk).update(cursor={"seq": 0})
    summary = run(source, appview())
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored == 2 and source.cursor == {"seq": 5}
    lea = Mention.objects.get(external_id=f"at://{LEA}/app.bsky.feed.post/3lb7a")
    assert lea.author.handle == "lea-dupont.bsky.social" and lea.author.followers == 1843
    assert lea.url == "https://bsky.app/profile/lea-dupont.bsky.social/post/3lb7a"
    # The #identity event named SAM's handle even though the AppView did not know him.
    sam = Mention.objects.get(external_id=f"at://{SAM}/app.bsky.feed.post/3lb7c")
    assert sam.author.handle == "sam.example.com"
    assert run(source, appview()).stored == 0
    assert relay.cursors == ["0", "5"]


@pytest.mark.django_db
def test_firehose_reads_from_now_unless_asked_to_start_at_the_oldest_event(workspace, brand, relay):
    live = make_source(
        workspace,
        None,
        mode="firehose",
        firehose_url=relay.url,
        window_seconds=1,
        appview_url="https://appview.test",
    )
    assert run(live, appview()).stored == 0
    oldest = make_source(
        workspace,
        None,
        mode="firehose",
        firehose_url=relay.url,
        window_seconds=1,
        appview_url="https://appview.test",
        from_start=True,
    )
    assert run(oldest, appview()).stored == 2
    assert relay.cursors == [None, "0"]


@pytest.mark.django_db
def test_firehose_event_budget_pages_and_profile_failure_keeps_dids(workspace, brand, relay):
    source = make_source(
        workspace,
        None,
        mode="firehose",
        firehose_url=relay.url,
        window_seconds=1,
        max_events=2,
        appview_url="https://appview.test",
    )
    Source.objects.filter(pk=source.pk).update(cursor={"seq": 0})
    summary = run(source, appview(profiles_status=500))
    assert summary.stored == 2 and source.status == SourceStatus.OK
    assert relay.cursors == ["0", "2", "4"]
    assert (
        Mention.objects.get(external_id=f"at://{LEA}/app.bsky.feed.post/3lb7a").author.handle == LEA
    )
    assert not QuarantinedItem.objects.exists()


@pytest.mark.django_db
def test_firehose_error_frame_for_a_future_cursor_restarts_live(workspace, brand):
    error = cbor2.dumps({"op": -1}) + cbor2.dumps(
        {"error": "FutureCursor", "message": "Cursor in the future."}
    )
    server = Relay([(10**9, error)])
    server.thread.start()
    try:
        source = make_source(
            workspace, None, mode="firehose", firehose_url=server.url, window_seconds=1
        )
        Source.objects.filter(pk=source.pk).update(cursor={"seq": 99})
        run(source, appview())
        assert source.status == SourceStatus.OK and source.cursor == {}
    finally:
        server.server.shutdown()


@pytest.mark.django_db
def test_firehose_that_cannot_be_reached_is_retried(workspace, brand):
    source = make_source(
        workspace, None, mode="firehose", firehose_url="ws://127.0.0.1:9", window_seconds=1
    )
    run(source, appview())
    assert source.status == SourceStatus.RETRYING and "firehose" in source.last_error


def test_window_budget_marks_more(relay):
    window = firehose.read_window(
        relay.url + "/xrpc/com.atproto.sync.subscribeRepos?cursor=0", seconds=2, max_events=3
    )
    assert window.full and window.events == 3 and window.seq == 3
    assert window.handles == {SAM: "sam.example.com"}
    assert [p.uri.rsplit("/", 1)[1] for p in window.posts] == ["3lb7a", "3lb7b"]


def test_timestamps_parse():
    assert paging.parse_at("2026-11-24T09:00:00Z") == dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC)
    assert paging.parse_at("yesterday") is None


@pytest.mark.django_db
def test_firehose_post_deleted_a_page_later_is_never_stored(workspace, brand):
    like = {"$type": "app.bsky.feed.like", "createdAt": "2026-11-24T10:00:02Z"}
    frames = [
        (
            1,
            commit_frame(
                1, LEA, {"app.bsky.feed.post/3lb7a": post_record("Maison Lumière promo", ["fr"])}
            ),
        ),
        (
            2,
            commit_frame(
                2, SAM, {"app.bsky.feed.post/3lb7b": post_record("Maison Lumière !", ["fr"])}
            ),
        ),
        (3, commit_frame(3, SAM, {"app.bsky.feed.like/3lb7l": like})),
        (4, delete_frame(4, LEA, "app.bsky.feed.post/3lb7a")),
    ]
    server = Relay(frames)
    server.thread.start()
    try:
        source = make_source(
            workspace,
            None,
            mode="firehose",
            firehose_url=server.url,
            window_seconds=1,
            max_events=2,
            appview_url="https://appview.test",
        )
        Source.objects.filter(pk=source.pk).update(cursor={"seq": 0})
        assert run(source, appview()).stored == 1
        assert set(Mention.objects.values_list("external_id", flat=True)) == {
            f"at://{SAM}/app.bsky.feed.post/3lb7b"
        }
        assert source.cursor == {"seq": 4}  # nothing left waiting
    finally:
        server.server.shutdown()


@pytest.mark.django_db
def test_firehose_posts_waiting_in_the_cursor_are_stored_by_the_next_run(workspace, brand):
    waiting = firehose.StreamPost(
        7,
        f"at://{LEA}/app.bsky.feed.post/3lb7w",
        LEA,
        post_record("Maison Lumière", ["fr"]),
        "2026-11-24T10:00:00Z",
    )
    server = Relay([])
    server.thread.start()
    try:
        source = make_source(
            workspace,
            None,
            mode="firehose",
            firehose_url=server.url,
            window_seconds=1,
            appview_url="https://appview.test",
        )
        Source.objects.filter(pk=source.pk).update(
            cursor={"seq": 7, "pending": [waiting.as_dict()]}
        )
        assert run(source, appview()).stored == 1
        assert source.cursor == {"seq": 7} and server.cursors == ["7"]
    finally:
        server.server.shutdown()


def test_settle_holds_recent_posts_while_the_stream_is_busy():
    def post(n: int, second: int) -> firehose.StreamPost:
        return firehose.StreamPost(
            n, f"at://{LEA}/app.bsky.feed.post/{n}", LEA, {}, f"2026-11-24T10:00:{second:02d}Z"
        )

    old, recent, deleted = post(1, 0), post(2, 25), post(3, 1)
    busy = firehose.Window(full=True, last_time="2026-11-24T10:00:30Z", deleted={deleted.uri})
    assert firehose.settle([old, recent, deleted], busy) == ([old], [recent])
    caught_up = firehose.Window(full=False, last_time="2026-11-24T10:00:30Z")
    assert firehose.settle([old, recent], caught_up) == ([old, recent], [])


def test_settle_never_keeps_in_the_cursor_a_post_the_cursor_cannot_hold():
    """The cursor is saved with every page: a waiting post with NUL or NaN in its record would
    fail that save on every run (PostgreSQL refuses NUL in jsonb, JSON has no NaN). Such a
    post goes to the pipeline at once, which quarantines it with the reason."""

    def post(n: int, record: dict) -> firehose.StreamPost:
        return firehose.StreamPost(
            n, f"at://{LEA}/app.bsky.feed.post/{n}", LEA, record, "2026-11-24T10:00:25Z"
        )

    fine = post(1, {"text": "Maison Lumière"})
    nul, nan = post(2, {"text": "Maison\x00Lumière"}), post(3, {"text": "x", "n": float("nan")})
    busy = firehose.Window(full=True, last_time="2026-11-24T10:00:30Z")
    assert firehose.settle([fine, nul, nan], busy) == ([nul, nan], [fine])


def jet(time_us: int, did: str, **event) -> tuple[int, str]:
    """A Jetstream event as its JSON text."""
    return time_us, json.dumps({"did": did, "time_us": time_us, **event})


def jet_post(time_us: int, did: str, rkey: str, text: str, langs=None) -> tuple[int, str]:
    commit = {
        "rev": "3l3qo2vutsw2b",
        "operation": "create",
        "collection": "app.bsky.feed.post",
        "rkey": rkey,
        "record": post_record(text, langs),
        "cid": "bafyreidwaivazkwu67xztlmuobx35hs2lnfh3kolmgfmucldvhd3sgzcqi",
    }
    return jet(time_us, did, kind="commit", commit=commit)


@pytest.mark.django_db
def test_jetstream_posts_deletes_and_handles(workspace, brand):
    t0 = 1_732_442_400_000_000
    delete = {
        "rev": "3l3r",
        "operation": "delete",
        "collection": "app.bsky.feed.post",
        "rkey": "3lb7x",
    }
    like = {
        "rev": "3l3s",
        "operation": "create",
        "collection": "app.bsky.feed.like",
        "rkey": "3lb7l",
        "record": {"$type": "app.bsky.feed.like"},
    }
    events = [
        jet_post(t0, LEA, "3lb7a", "Maison Lumière, enfin !", ["fr"]),
        jet_post(t0 + 1, LEA, "3lb7x", "Maison Lumière promo", ["fr"]),
        jet(
            t0 + 2,
            SAM,
            kind="identity",
            identity={
                "did": SAM,
                "handle": "sam.example.com",
                "seq": 9,
                "time": "2026-11-24T10:00:00Z",
            },
        ),
        jet_post(t0 + 3, SAM, "3lb7c", "maison lumiere sans langue"),
        jet(t0 + 4, LEA, kind="commit", commit=delete),
        jet(t0 + 5, SAM, kind="commit", commit=like),
    ]
    server = Relay(events)
    server.thread.start()
    try:
        source = make_source(
            workspace,
            None,
            mode="firehose",
            firehose_url=server.url + "/subscribe",
            window_seconds=1,
            appview_url="https://appview.test",
        )
        Source.objects.filter(pk=source.pk).update(cursor={"time_us": t0 - 1})
        assert run(source, appview()).stored == 2
        assert set(Mention.objects.values_list("external_id", flat=True)) == {
            f"at://{LEA}/app.bsky.feed.post/3lb7a",
            f"at://{SAM}/app.bsky.feed.post/3lb7c",
        }
        assert Mention.objects.get(external_id__endswith="3lb7c").author.handle == "sam.example.com"
        assert source.cursor == {"time_us": t0 + 5}
        assert run(source, appview()).stored == 0
        assert server.cursors == [str(t0 - 1), str(t0 + 5)]
        first = parse_qs(urlsplit(server.paths[0]).query)
        assert urlsplit(server.paths[0]).path == "/subscribe"
        assert first["wantedCollections"] == ["app.bsky.feed.post"]
    finally:
        server.server.shutdown()


def test_undecodable_messages_are_skipped_not_fatal():
    frames = [
        (1, "a text message where frames are binary"),
        (2, b"\xff\x00 not cbor"),
        (3, commit_frame(3, LEA, {"app.bsky.feed.post/3lb7a": post_record("ok", ["fr"])})),
    ]
    server = Relay(frames)
    server.thread.start()
    try:
        window = firehose.read_window(firehose.stream_url(server.url, 0), seconds=1, max_events=10)
    finally:
        server.server.shutdown()
    assert window.events == 1 and window.seq == 3 and len(window.posts) == 1


@pytest.mark.django_db
def test_an_unusable_pds_address_pauses_with_what_to_do(workspace, brand):
    account = do_connect_account(
        workspace,
        None,
        network="bluesky",
        handle="maisonlumiere.bsky.social",
        credentials={"service_url": "bsky.social", "app_password": "a-b-c-d"},
    )
    source = make_source(workspace, account)
    run(source, httpx.MockTransport(lambda r: httpx.Response(500)))
    assert source.status == SourceStatus.PAUSED
    assert "PDS address is not valid" in source.last_error and "a-b-c-d" not in source.last_error


def test_profiles_in_batches_of_25_a_refused_batch_does_not_stop_the_next():
    from parvis.connectors.bluesky.profiles import Profiles

    dids = [f"did:plc:{n:024d}" for n in range(30)]
    batches = []

    class Reader:
        def query(self, nsid, params=None):
            batches.append(params["actors"])
            if len(batches) == 1:
                raise xrpc.BadRequest("HTTP 400: InvalidRequest")
            return {
                "profiles": [
                    {"did": d, "handle": f"h{d[-2:]}.test", "followersCount": 7}
                    for d in params["actors"]
                ]
            }

    found = Profiles(Reader()).resolve(dids + dids[:3])
    assert [len(b) for b in batches] == [25, 5]
    assert found[dids[0]].handle == "" and found[dids[0]].did == dids[0]
    assert found[dids[29]].followers == 7


def test_cid_prints_as_multibase_base32():
    # The well-known CID of empty data (raw codec, sha2-256).
    empty = firehose.CID(b"\x01\x55\x12\x20" + hashlib.sha256(b"").digest())
    assert str(empty) == "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"


@pytest.mark.django_db
def test_firehose_sees_posts_by_an_account_a_query_names(workspace):
    MonitoredQuery.objects.create(
        workspace=workspace, name="Compte", kind="brand", expression="@lea-dupont.bsky.social"
    )
    frames = [
        (
            1,
            commit_frame(
                1, LEA, {"app.bsky.feed.post/3lb7a": post_record("Nouvelle collection", ["fr"])}
            ),
        ),
        (
            2,
            commit_frame(
                2, SAM, {"app.bsky.feed.post/3lb7b": post_record("Nouvelle collection", ["fr"])}
            ),
        ),
    ]
    server = Relay(frames)
    server.thread.start()

    def appview_with_handles(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/xrpc/com.atproto.identity.resolveHandle":
            assert parse_qs(request.url.query.decode())["handle"] == ["lea-dupont.bsky.social"]
            return httpx.Response(200, json={"did": LEA})
        return httpx.Response(200, json=fixture("getProfiles.json"))

    try:
        source = make_source(
            workspace,
            None,
            mode="firehose",
            firehose_url=server.url,
            window_seconds=1,
            appview_url="https://appview.test",
        )
        Source.objects.filter(pk=source.pk).update(cursor={"seq": 0})
        assert run(source, httpx.MockTransport(appview_with_handles)).stored == 1
        mention = Mention.objects.get()
        assert mention.external_id.endswith("/3lb7a")
        assert mention.author.handle == "lea-dupont.bsky.social"
    finally:
        server.server.shutdown()
