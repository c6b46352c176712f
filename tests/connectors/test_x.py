"""The X connector against its HTTP fake (tests/connectors/fakes/x.py): connecting through the
pages with PKCE, the refresh of rotating tokens (two workers included), every error body and
the rate-limit headers, mentions and recent search, replies and posts read back, media,
hiding, deleting and counts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from parvis.connectors import flow
from parvis.connectors import http as connector_http
from parvis.connectors.base import (
    FetchContext,
    MediaFile,
    MetricsContext,
    ModerationAction,
    ModerationContext,
    OutgoingPost,
    PermanentError,
    PublishContext,
    ReplyContext,
    ReplyTarget,
    RetryLater,
)
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account
from parvis.connectors.x import XConnector, api, oauth, search_query, snowflake_time, webhook
from parvis.listening.models import Mention, MonitoredQuery, QuarantinedItem, Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from tests.conftest import login
from tests.connectors.fakes.x import ME, REFRESH, TOKEN, Fake, Tweet, fixture

pytestmark = pytest.mark.django_db

REAL_CLIENT = connector_http.client
CONNECT = "/w/lumiere/accounts/connect/"
CALLBACK = "/connect/oauth/callback/"
SECRET = "x-client-secret-NEVER-SHOWN"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def fake() -> Fake:
    return Fake()


def client_for(fake: Fake) -> httpx.Client:
    return REAL_CLIENT(transport=fake.transport())


@pytest.fixture
def account(workspace, fake) -> ConnectedAccount:
    spec = fake.account()
    return do_connect_account(
        workspace, None, network="x", handle=spec["handle"], credentials=spec["credentials"]
    )


@pytest.fixture
def connector(account, fake) -> XConnector:
    return XConnector.for_account(account, http=client_for(fake))


def expire(account: ConnectedAccount, fake: Fake) -> None:
    from parvis.connectors.services import set_credentials

    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    set_credentials(account, fake.credentials(expires_at=past))
    account.save(update_fields=["credentials_encrypted", "credential_names"])


def response(status: int, name: str, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("GET", "https://api.x.com/2/tweets")
    return httpx.Response(status, json=fixture(name), headers=headers or {}, request=request)


# --- connecting ------------------------------------------------------------------------------


def test_connect_page_says_which_tier_each_feature_needs(workspace, owner):
    page = login(owner).get(CONNECT, {"kind": "x"}).content.decode()
    assert "Free: publish and delete only" in page
    assert "Basic: mentions, replies, recent search" in page
    assert "tweet.moderate.write" in page and "offline.access" in page


def test_connect_end_to_end_with_pkce(workspace, owner, fake):
    client = login(owner)
    with mock.patch.object(connector_http, "client", lambda **_kw: client_for(fake)):
        answer = client.post(
            CONNECT,
            {"kind": "x", "client_id": "cGFydmlzLWNsaWVudA", "client_secret": "", "tier": "basic"},
        )
        assert answer.status_code == 200, answer.content[:300]
        url = answer.context["url"]
        query = parse_qs(urlsplit(url).query)
        assert query["code_challenge_method"] == ["S256"] and "code_verifier" not in url
        # The verifier waits server-side, encrypted in the session (read here from a copy of
        # the stored session: the stored one is left for the callback).
        pending = flow.take(client.session, query["state"][0])
        verifier = pending.pending["code_verifier"]
        assert len(verifier) >= 43 and verifier not in json.dumps(dict(client.session))
        assert flow.SESSION_KEY in client.session
        back = urlsplit(fake.authorize(url))
        done = client.get(CALLBACK, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert done.status_code == 302
    account = ConnectedAccount.objects.get(network="x")
    assert account.handle == f"@{ME}"
    assert account.display_name == "Maison Lumière · X API Basic"
    stored = account.credentials()
    assert stored["tier"] == "basic" and stored["user_id"] == "1500000000000000001"
    assert stored["refresh_token"].startswith("x-refresh-token-")
    assert stored["access_token"] not in account.credentials_encrypted.decode("ascii", "ignore")
    page = client.get("/w/lumiere/accounts/").content.decode()
    assert "X API Basic" in page and stored["access_token"] not in page


def test_a_wrong_verifier_is_refused(fake):
    url, pending = XConnector.oauth_start(
        client_for(fake),
        {"client_id": "cGFydmlzLWNsaWVudA", "tier": "pro"},
        "http://testserver/connect/oauth/callback/",
        "state-1",
    )
    code = parse_qs(urlsplit(fake.authorize(url)).query)["code"][0]
    with pytest.raises(PermanentError, match="reconnect"):
        XConnector.oauth_finish(
            client_for(fake), {**pending, "code_verifier": "not-the-one"}, code, "http://x/cb"
        )


def test_a_confidential_client_sends_its_secret_by_basic_auth(fake):
    url, pending = XConnector.oauth_start(
        client_for(fake),
        {"client_id": "cGFydmlzLWNsaWVudA", "client_secret": SECRET, "tier": "basic"},
        "http://testserver/cb",
        "s",
    )
    code = parse_qs(urlsplit(fake.authorize(url)).query)["code"][0]
    info = XConnector.oauth_finish(client_for(fake), pending, code, "http://testserver/cb")
    token_request = [r for r in fake.requests if r.url.path == "/2/oauth2/token"][-1]
    assert token_request.headers["Authorization"].startswith("Basic ")
    assert SECRET.encode() not in token_request.content
    assert info.credentials["client_secret"] == SECRET


@pytest.mark.parametrize(
    "fields",
    [
        {"client_id": "", "tier": "basic"},
        {"client_id": "a b<", "tier": "basic"},
        {"client_id": "abc", "tier": "premium"},
    ],
)
def test_bad_connect_fields_are_refused(fields):
    with pytest.raises(ValueError):
        XConnector.oauth_start(REAL_CLIENT(), fields, "http://t/cb", "s")


# --- refreshing rotating tokens --------------------------------------------------------------


def test_an_expired_token_is_refreshed_and_the_rotated_one_stored(account, connector, fake):
    expire(account, fake)
    x, _user = connector.session("reading")
    assert x.token == "x-access-token-2"
    stored = ConnectedAccount.objects.get(pk=account.pk).credentials()
    assert stored["refresh_token"] == "x-refresh-token-2" and "refreshing_until" not in stored
    assert REFRESH in fake.dead_refresh and fake.token_calls == 1


def test_two_workers_refreshing_at_once_keep_the_new_refresh_token(account, fake):
    expire(account, fake)
    first = XConnector.for_account(
        ConnectedAccount.objects.get(pk=account.pk), http=client_for(fake)
    )
    second = XConnector.for_account(
        ConnectedAccount.objects.get(pk=account.pk), http=client_for(fake)
    )
    seen = {}

    def meanwhile():
        # The second worker arrives while X is rotating the first one's token: it waits.
        with pytest.raises(RetryLater) as waited:
            second.session("reading")
        seen["wait"] = waited.value.retry_after

    fake.on_token = meanwhile
    x, _user = first.session("reading")
    assert 0 < seen["wait"] <= oauth.LEASE.total_seconds()
    # Once stored, the second worker uses the first one's token: no second refresh.
    again, _user = second.session("reading")
    assert again.token == x.token == "x-access-token-2"
    assert fake.token_calls == 1
    stored = ConnectedAccount.objects.get(pk=account.pk).credentials()
    assert stored["refresh_token"] == "x-refresh-token-2"
    assert stored["refresh_token"] in fake.refresh_tokens


def test_a_dead_refresh_token_says_reconnect_and_frees_the_lease(account, connector, fake):
    expire(account, fake)
    fake.refresh_tokens.clear()
    with pytest.raises(PermanentError, match="reconnect"):
        connector.session("reading")
    stored = ConnectedAccount.objects.get(pk=account.pk).credentials()
    assert "refreshing_until" not in stored


def test_a_lease_left_by_a_dead_worker_expires(account, connector, fake):
    from parvis.connectors.services import set_credentials

    past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()
    old_lease = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    set_credentials(account, fake.credentials(expires_at=past, refreshing_until=old_lease))
    account.save(update_fields=["credentials_encrypted", "credential_names"])
    x, _user = connector.session("reading")
    assert x.token == "x-access-token-2"


# --- errors and rate limits ------------------------------------------------------------------


def test_rate_limit_headers_are_read_and_a_429_waits_for_the_reset():
    now = 1_800_000_000.0
    limited = response(
        429,
        "error_429.json",
        {
            "x-rate-limit-limit": "300",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(now) + 420),
        },
    )
    error = api.refusal(limited, now=now)
    assert isinstance(error, RetryLater) and error.retry_after == 420
    window = api.budget(limited)
    assert (window.limit, window.remaining, window.reset) == (300, 0, now + 420)
    no_reset = api.refusal(response(429, "error_429.json"), now=now)
    assert isinstance(no_reset, RetryLater) and no_reset.retry_after == api.WINDOW
    forged = response(429, "error_429.json", {"x-rate-limit-reset": "9" * 40})
    assert api.refusal(forged, now=now).retry_after == api.WINDOW


@pytest.mark.parametrize(
    ("status", "name", "kind", "words"),
    [
        (401, "error_401.json", PermanentError, "reconnect the X account"),
        (
            403,
            "error_403_client_not_enrolled.json",
            PermanentError,
            "your access tier does not allow this",
        ),
        (403, "error_403_duplicate.json", api.Duplicate, "duplicate"),
        (403, "error_403_scope.json", PermanentError, "reconnect"),
        (403, "error_403_hide.json", PermanentError, "not permitted"),
        (400, "error_400_invalid.json", PermanentError, "max_results"),
        (429, "error_429_usage_capped.json", RetryLater, "monthly cap"),
        (503, "error_503.json", RetryLater, "503"),
    ],
)
def test_every_error_body_maps_to_what_to_do(status, name, kind, words):
    error = api.refusal(response(status, name), needs="basic")
    assert type(error) is kind or isinstance(error, kind)
    assert words in str(error)
    if name == "error_403_client_not_enrolled.json":
        assert "Basic tier or above" in str(error)
    if name == "error_429_usage_capped.json":
        assert error.retry_after == api.CAPPED_WAIT


def test_a_free_tier_declared_is_told_before_reading(workspace, fake):
    fake.tier = "free"
    spec = fake.account()
    account = do_connect_account(
        workspace, None, network="x", handle=spec["handle"], credentials=spec["credentials"]
    )
    connector = XConnector.for_account(account, http=client_for(fake))
    with pytest.raises(PermanentError, match=r"tier \(Free\) does not allow reading mentions"):
        connector.fetch({}, FetchContext())
    assert fake.requests == []
    # Publishing is allowed on Free.
    post = connector.publish(OutgoingPost(text="Bonjour"), PublishContext())
    assert fake.published_texts() == ["Bonjour"] and post.external_id


def test_a_tier_declared_higher_than_the_projects_says_so(connector, fake):
    fake.tier = "free"  # the project is Free though Basic was declared
    with pytest.raises(PermanentError, match="your access tier does not allow this"):
        connector.fetch({}, FetchContext())


# --- reading ---------------------------------------------------------------------------------


def source_for(workspace, account, **config):
    source = do_create_source(workspace, kind="x", name="X", config=config, account=account)
    return source


def run(source, fake):
    from django.utils import timezone

    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    summary = run_source(source.pk, http_client=client_for(fake))
    source.refresh_from_db()
    return summary


def test_mentions_reach_listening_with_authors_and_threads(workspace, account, fake):
    mine = fake.own.append  # an own post the mention answers
    from tests.connectors.fakes.x import Own, snowflake

    parent = Own(snowflake(dt.datetime.now(dt.UTC), 1), "Nouvelle bougie", dt.datetime.now(dt.UTC))
    mine(parent)
    fake.publish(
        Tweet(
            text="@maisonlumiere superbe bougie",
            author="lea_dupont",
            in_reply_to=parent.id,
            likes=4,
        )
    )
    source = source_for(workspace, account, mode="mentions")
    assert run(source, fake).stored == 1
    mention = Mention.objects.get()
    assert mention.author.handle == "@lea_dupont"
    assert mention.url.startswith("https://x.com/lea_dupont/status/")
    assert mention.parent_external_id == parent.id
    assert source.cursor["since_id"] == fake.external_id(fake.posts[0])
    assert XConnector.reads_own_activity(source.config)


def test_recent_search_builds_the_query_from_the_monitored_queries(workspace, account, fake):
    MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression='"maison lumiere"'
    )
    fake.publish(
        Tweet(text="Maison Lumière, quelle bougie", mentions_me=False),
        Tweet(text="rien à voir", mentions_me=False),
    )
    source = source_for(workspace, account, mode="search")
    assert run(source, fake).stored == 1
    assert source.status == SourceStatus.OK, source.last_error
    searched = next(r for r in fake.requests if r.url.path == "/2/tweets/search/recent")
    assert searched.url.params["query"] == '"maison lumiere" -is:retweet'
    assert source.cursor["query"] == '"maison lumiere" -is:retweet'
    assert search_query(["bougie parfumee", '"maison lumiere"']) == (
        '(bougie parfumee) OR "maison lumiere" -is:retweet'
    )
    assert not XConnector.reads_own_activity(source.config)


def test_search_query_fits_in_512_characters():
    terms = [f"mot{i} autre{i}" for i in range(100)]
    query = search_query(terms)
    assert len(query) <= 512 and query.endswith(" -is:retweet")
    assert search_query([]) == ""


def test_a_malformed_mention_is_quarantined_and_the_page_kept(workspace, account, fake):
    fake.publish(Tweet(), Tweet(malformed=True), Tweet())
    source = source_for(workspace, account, mode="mentions")
    summary = run(source, fake)
    assert (summary.stored, summary.rejected) == (2, 1)
    assert "author" in QuarantinedItem.objects.get().reason


def test_a_spent_window_stops_paging_until_the_reset(connector, fake):
    fake.publish(*[Tweet() for _ in range(15)])
    fake.remaining = 1
    connector.source.config = {"mode": "mentions"}
    result = connector.fetch({}, FetchContext())
    assert result.more is False and result.notes["rate_limit_remaining"] == 0
    assert "pass" in result.cursor  # the next run goes on from there


def test_config_is_checked():
    assert XConnector.validate_config({"mode": "search", "query": "bougie"}) == {
        "mode": "search",
        "query": "bougie",
        "keep_all": False,
    }
    for bad in (
        {"mode": "firehose"},
        {"query": "x" * 513},
        {"backfill_pages": "0"},
        {"backfill_pages": "2**64"},
    ):
        with pytest.raises(ValueError):
            XConnector.validate_config(bad)


# --- replying, publishing, moderating, counts -----------------------------------------------


def target_of(fake: Fake, tweet: Tweet) -> ReplyTarget:
    return ReplyTarget(
        network="x", external_id=fake.external_id(tweet), author_handle=f"@{tweet.author}"
    )


def test_a_reply_with_a_link_is_found_again_despite_tco_and_the_handle(connector, fake):
    question = Tweet(text="Où acheter ?", author="bob_durand")
    fake.publish(question)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    text = "Bonjour, c'est ici : https://maison-lumiere.fr/boutique ou maison-lumiere.fr"
    sent = connector.reply(target_of(fake, question), text, ReplyContext())
    own = fake.own_by_id(sent.external_id)
    assert own is not None and own.reply_to == fake.external_id(question)
    found = connector.find_reply(target_of(fake, question), text, start, ReplyContext())
    assert found == sent
    other = Tweet(text="Et ici ?", author="bob_durand")
    fake.publish(other)
    assert connector.find_reply(target_of(fake, other), text, start, ReplyContext()) is None


def test_a_reply_refused_as_duplicate_is_found_not_sent_twice(connector, fake):
    question = Tweet(author="bob_durand")
    fake.publish(question)
    first = connector.reply(target_of(fake, question), "Merci !", ReplyContext())
    again = connector.reply(target_of(fake, question), "Merci !", ReplyContext())
    assert again == first and fake.published_texts() == ["Merci !"]


def test_a_duplicate_of_an_old_post_is_a_clear_refusal(connector, fake):
    from tests.connectors.fakes.x import Own, snowflake

    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    fake.own.append(Own(snowflake(old, 5), "Bonne année", old))
    with pytest.raises(PermanentError, match="change the text"):
        connector.publish(OutgoingPost(text="Bonne année"), PublishContext())


def test_images_are_uploaded_with_their_alt_text(connector, fake, tmp_path):
    image = tmp_path / "bougie.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    media = MediaFile(str(image), "image/png", alt_text="Une bougie allumée", size=108)
    post = connector.publish(OutgoingPost(text="Nouveauté", media=(media,)), PublishContext())
    own = fake.own_by_id(post.external_id)
    assert own is not None and len(own.media_ids) == 1
    assert fake.media[own.media_ids[0]]["alt_text"] == "Une bougie allumée"


def test_a_video_is_sent_in_chunks_and_waited_for(connector, fake, tmp_path, monkeypatch):
    from parvis.connectors.x import media as x_media

    monkeypatch.setattr(x_media, "SEGMENT", 1000)
    waits = []
    monkeypatch.setattr(connector, "sleep", waits.append)
    video = tmp_path / "atelier.mp4"
    video.write_bytes(bytes(range(256)) * 10)  # 2,560 bytes: 3 segments of 1,000
    item = MediaFile(str(video), "video/mp4", alt_text="L'atelier", size=2560)
    post = connector.publish(OutgoingPost(text="Film", media=(item,)), PublishContext())
    own = fake.own_by_id(post.external_id)
    assert own is not None and len(own.media_ids) == 1
    sent = fake.media[own.media_ids[0]]
    assert (sent["size"], sent["segments"], sent["checks"]) == (2560, [0, 1, 2], 2)
    assert sent["alt_text"] == "L'atelier" and waits == [1.0, 1.0]


def test_a_video_x_cannot_process_is_a_clear_refusal(connector, fake, tmp_path, monkeypatch):
    monkeypatch.setattr(connector, "sleep", lambda _s: None)
    fake.fail_processing = True
    video = tmp_path / "v.mp4"
    video.write_bytes(b"0" * 100)
    with pytest.raises(PermanentError, match="Unsupported video format"):
        connector.publish(
            OutgoingPost(text="Film", media=(MediaFile(str(video), "video/mp4"),)),
            PublishContext(),
        )
    assert fake.published_texts() == []


def test_a_gif_goes_alone_and_other_types_are_refused(connector, fake, tmp_path):
    gif = MediaFile(str(tmp_path / "a.gif"), "image/gif")
    png = MediaFile(str(tmp_path / "b.png"), "image/png")
    with pytest.raises(PermanentError, match="goes alone"):
        connector.publish(OutgoingPost(text="x", media=(gif, png)), PublishContext())
    with pytest.raises(PermanentError, match="does not take"):
        connector.publish(
            OutgoingPost(text="x", media=(MediaFile(str(tmp_path / "c.avi"), "video/avi"),)),
            PublishContext(),
        )
    assert fake.published_texts() == [] and fake.media == {}


def test_published_time_comes_from_the_post_id():
    moment = dt.datetime(2026, 12, 7, 22, 0, 5, tzinfo=dt.UTC)
    from tests.connectors.fakes.x import snowflake

    assert snowflake_time(snowflake(moment, 7)) == moment
    assert snowflake_time("9" * 400) is None


def test_hiding_a_reply_to_our_post_and_showing_it_again(connector, fake):
    from tests.connectors.fakes.x import Own, snowflake

    now = dt.datetime.now(dt.UTC)
    ours = Own(snowflake(now, 3), "Notre post", now)
    fake.own.append(ours)
    rude = Tweet(text="insulte", author="troll", in_reply_to=ours.id)
    fake.publish(rude)
    done = connector.moderate(target_of(fake, rude), ModerationAction.HIDE, ModerationContext())
    assert done.done and fake.hidden[fake.external_id(rude)] is True
    shown = connector.moderate(target_of(fake, rude), ModerationAction.RESTORE, ModerationContext())
    assert shown.done and fake.hidden[fake.external_id(rude)] is False


def test_what_x_will_not_hide_or_delete_is_left_to_a_person(connector, fake):
    stray = Tweet(text="pas une réponse", author="troll")
    fake.publish(stray)
    hidden = connector.moderate(target_of(fake, stray), ModerationAction.HIDE, ModerationContext())
    assert not hidden.done and "only replies to your posts" in hidden.message
    deleted = connector.moderate(
        target_of(fake, stray), ModerationAction.DELETE, ModerationContext()
    )
    assert not deleted.done and "others' posts" in deleted.message
    assert not stray.deleted


def test_our_own_post_is_deleted(connector, fake):
    post = connector.publish(OutgoingPost(text="Erreur"), PublishContext())
    target = ReplyTarget(network="x", external_id=post.external_id, author_handle=f"@{ME}")
    assert connector.moderate(target, ModerationAction.DELETE, ModerationContext()).done
    assert fake.published_texts() == []
    assert connector.delete_post(post.external_id) is True  # already gone: fine


def test_counts_include_quotes_and_impressions(connector, fake):
    post = connector.publish(OutgoingPost(text="Compte"), PublishContext())
    fake.give_counts(post.external_id, likes=7, reposts=2, replies=1)
    [counts] = connector.post_metrics([post.external_id], MetricsContext())
    assert (counts.likes, counts.reposts, counts.replies, counts.quotes, counts.views) == (
        7,
        2,
        1,
        0,
        70,
    )
    lookups = [r for r in fake.requests if r.url.path == "/2/tweets" and r.method == "GET"]
    assert lookups[-1].url.params["tweet.fields"] == "public_metrics"


def test_the_token_is_never_in_a_url(connector, fake):
    fake.publish(Tweet())
    connector.source.config = {"mode": "mentions"}
    connector.fetch({}, FetchContext())
    for request in fake.requests:
        assert TOKEN not in str(request.url)


def test_a_lone_surrogate_is_refused_before_x(connector, fake):
    with pytest.raises(PermanentError, match="lone surrogate"):
        connector.publish(OutgoingPost(text="Bonjour \ud800"), PublishContext())
    assert fake.published_texts() == []


def test_hostile_counts_are_unknown_not_huge(connector, fake):
    post = connector.publish(OutgoingPost(text="Compte"), PublishContext())
    fake.give_counts(post.external_id, likes=10**30, reposts=-1, replies=3)
    [counts] = connector.post_metrics([post.external_id], MetricsContext())
    assert (counts.likes, counts.reposts, counts.replies) == (None, None, 3)


# --- Account Activity webhooks (/hooks/x/) -------------------------------------------------

X_HOOK = "/hooks/x/"
X_SECRET = "parvis-x-consumer-secret"
X_DELIVERY = (Path(__file__).parent / "fixtures" / "x" / "webhook_tweet_create.json").read_bytes()
# Computed with openssl (`openssl dgst -sha256 -hmac SECRET -binary | base64`), not with the
# code under test.
X_DELIVERY_SIGNATURE = "sha256=i8+HuToAiDTebq0euROQ5YgD8SfzBhf2Lig40rEIsAM="
X_CRC_ANSWER = "sha256=YXa14DU5foiL6WRTtxoT5iwizfCvSqWfR11LxUoEn9M="  # crc_token parvis-crc-token-1


def x_deliver(client, body: bytes, signature: str):
    return client.post(
        X_HOOK, body, content_type="application/json", HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=signature
    )


def test_the_crc_check_is_answered_with_the_consumer_secret(client, settings):
    settings.X_CONSUMER_SECRET = X_SECRET
    answer = client.get(X_HOOK, {"crc_token": "parvis-crc-token-1"})
    assert answer.status_code == 200
    assert answer.json() == {"response_token": X_CRC_ANSWER}
    assert client.get(X_HOOK).status_code == 400
    assert client.get(X_HOOK, {"crc_token": "x" * 600}).status_code == 400


def test_without_a_consumer_secret_the_address_does_not_exist(client, settings):
    settings.X_CONSUMER_SECRET = ""
    assert client.get(X_HOOK, {"crc_token": "t"}).status_code == 404
    assert x_deliver(client, X_DELIVERY, X_DELIVERY_SIGNATURE).status_code == 404


def test_a_signed_delivery_wakes_the_accounts_source_which_reads_the_post_once(
    client, settings, workspace, account, fake, django_capture_on_commit_callbacks
):
    settings.X_CONSUMER_SECRET = X_SECRET
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    source = source_for(workspace, account)
    Source.objects.filter(pk=source.pk).update(next_run_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        answer = x_deliver(client, X_DELIVERY, X_DELIVERY_SIGNATURE)
    assert answer.status_code == 200 and answer.content == b"accounts 1"
    assert Source.objects.get(pk=source.pk).next_run_at <= dt.datetime.now(dt.UTC)
    # The source reads the post in the v2 shape, as always, once.
    fake.publish(Tweet(text="@maisonlumiere ma commande 4521 n'est toujours pas arrivée"))
    assert run(source, fake).stored == 1
    with django_capture_on_commit_callbacks(execute=True):
        x_deliver(client, X_DELIVERY, X_DELIVERY_SIGNATURE)  # a replay: one more poll
    assert run(source, fake).stored == 0
    assert Mention.objects.count() == 1


def test_a_tampered_unsigned_or_foreign_delivery_wakes_nothing(
    client, settings, workspace, account, django_capture_on_commit_callbacks
):
    settings.X_CONSUMER_SECRET = X_SECRET
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    source = source_for(workspace, account)
    Source.objects.filter(pk=source.pk).update(next_run_at=later)
    tampered = X_DELIVERY.replace(b"4521", b"4522")
    foreign = X_DELIVERY.replace(
        b'"1500000000000000001",\n  "user', b'"1500000000000000999",\n  "user'
    )
    assert foreign != X_DELIVERY
    likes = json.dumps({"for_user_id": "1500000000000000001", "favorite_events": [{}]}).encode()

    with django_capture_on_commit_callbacks(execute=True):
        assert x_deliver(client, tampered, X_DELIVERY_SIGNATURE).status_code == 403
        assert x_deliver(client, X_DELIVERY, "").status_code == 403
        assert (
            x_deliver(client, b"{not json", webhook.digest(X_SECRET, b"{not json")).status_code
            == 400
        )
        for body in (foreign, likes):
            answer = x_deliver(client, body, webhook.digest(X_SECRET, body))
            assert answer.status_code == 200 and answer.content == b"accounts 0"
    assert Source.objects.get(pk=source.pk).next_run_at == later
