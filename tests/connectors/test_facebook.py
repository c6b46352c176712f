"""Facebook Pages (Graph API) against its HTTP fake: connecting through the pages, reading
comments and mentions, the error codes, replying, moderating, publishing, the webhook."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from parvis.connectors import http as connector_http
from parvis.connectors.base import (
    Capability,
    MediaFile,
    MetricsContext,
    ModerationAction,
    ModerationContext,
    OutgoingPost,
    PermanentError,
    PostMetrics,
    PublishContext,
    ReplyContext,
    ReplyTarget,
    RetryLater,
    get,
)
from parvis.connectors.facebook import FacebookConnector, graph, oauth, webhook
from parvis.connectors.facebook.models import FacebookDelivery, FacebookSend
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account
from parvis.core.models import AuditEvent
from parvis.listening.models import Mention, Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from tests.conftest import login
from tests.connectors.contract.harness import Post
from tests.connectors.fakes import facebook
from tests.connectors.fakes.facebook import (
    APP_ID,
    APP_SECRET,
    FIXTURES,
    PAGE_ID,
    PAGE_POST,
    PAGE_TOKEN,
    Comment,
    Fake,
)

pytestmark = pytest.mark.django_db

REAL_CLIENT = connector_http.client
CONNECT = "/w/lumiere/accounts/connect/"
CALLBACK = "/connect/oauth/callback/"
REDIRECT_URI = "http://testserver/connect/oauth/callback/"
HOOK = "/hooks/facebook/"
TEXT = "Merci Léa, à très vite à la boutique !"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def fake() -> Fake:
    return Fake()


@pytest.fixture
def account(workspace, fake) -> ConnectedAccount:
    spec = fake.account()
    return do_connect_account(
        workspace, None, network="facebook", handle=spec["handle"], credentials=spec["credentials"]
    )


@pytest.fixture
def page(account, fake) -> FacebookConnector:
    return FacebookConnector.for_account(account, http=REAL_CLIENT(transport=fake.transport()))


def since() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)


def through(fake: Fake):
    return mock.patch.object(
        connector_http, "client", lambda transport=None: REAL_CLIENT(transport=fake.transport())
    )


def response(name: str, status: int = 400, headers: dict | None = None) -> httpx.Response:
    body = json.loads((FIXTURES / f"{name}.json").read_text())
    request = httpx.Request("GET", f"{facebook.GRAPH}{PAGE_ID}/feed")
    return httpx.Response(status, json=body, headers=headers or {}, request=request)


# --- what it says it does ------------------------------------------------------------------


def test_capabilities_and_pinned_version():
    cls = get("facebook")
    assert cls is FacebookConnector
    assert cls.capabilities == {
        Capability.OWN_ACTIVITY,
        Capability.REPLY,
        Capability.PUBLISH,
        Capability.MODERATE,
        Capability.METRICS,
    }
    assert cls.moderation_actions == {
        ModerationAction.HIDE,
        ModerationAction.RESTORE,
        ModerationAction.DELETE,
    }
    assert graph.GRAPH_VERSION == facebook.VERSION
    assert f"https://graph.facebook.com/{facebook.VERSION}/" == graph.GRAPH
    assert cls.reads_own_activity({"mode": "comments"})


def test_settings_are_checked():
    assert FacebookConnector.validate_config({}) == {"mode": "comments", "keep_all": True}
    clean = FacebookConnector.validate_config({"mode": "mentions", "posts": "10"})
    assert clean == {"mode": "mentions", "keep_all": True, "posts": 10}
    for bad in ({"mode": "search"}, {"posts": 0}, {"posts": "2**64"}, {"backfill_pages": 10**9}):
        with pytest.raises(ValueError):
            FacebookConnector.validate_config(bad)


# --- connecting through the pages ----------------------------------------------------------


def start(client, fake, **fields):
    data = {"kind": "facebook", "app_id": APP_ID, "app_secret": APP_SECRET, **fields}
    page = client.post(CONNECT, data)
    assert page.status_code == 200, page.content[:300]
    return page.context["url"]


def test_the_page_is_connected_through_facebook_login(workspace, owner, fake):
    client = login(owner)
    with through(fake):
        form = client.get(CONNECT, {"network": "facebook"})
        assert form.context["connector"].kind == "facebook" and form.context["oauth"]
        shown = form.content.decode()
        for permission, _why in oauth.PERMISSIONS:
            assert permission in shown  # the permission list, before connecting
        url = start(client, fake)
        parts = urlsplit(url)
        assert parts.netloc == "www.facebook.com"
        assert parts.path == f"/{facebook.VERSION}/dialog/oauth"
        query = parse_qs(parts.query)
        assert query["redirect_uri"] == [REDIRECT_URI]
        assert set(query["scope"][0].split(",")) >= {
            "pages_show_list",
            "pages_read_engagement",
            "pages_manage_engagement",
            "pages_manage_posts",
        }
        assert APP_SECRET not in url
        done = client.get(CALLBACK, {"code": fake.authorize(url), "state": query["state"][0]})
    assert done.status_code == 302, done.content[:500]
    account = ConnectedAccount.objects.get()
    assert (account.network, account.handle, account.display_name) == (
        "facebook",
        PAGE_ID,
        facebook.PAGE_NAME,
    )
    credentials = account.credentials()
    assert credentials["page_access_token"] == PAGE_TOKEN
    assert credentials["page_id"] == PAGE_ID
    # The long-lived user token is not kept; when it would have ended is.
    assert facebook.USER_TOKEN_LONG not in json.dumps(credentials)
    expires = dt.datetime.fromisoformat(credentials["user_token_expires_at"])
    assert dt.timedelta(days=59) < expires - dt.datetime.now(dt.UTC) < dt.timedelta(days=61)
    assert PAGE_TOKEN.encode() not in bytes(account.credentials_encrypted)
    for event in AuditEvent.objects.all():
        dumped = json.dumps(event.details)
        assert PAGE_TOKEN not in dumped and APP_SECRET not in dumped
    # The token exchange sent no token in a URL.
    for request in fake.requests:
        assert PAGE_TOKEN not in str(request.url) and facebook.USER_TOKEN_LONG not in str(
            request.url
        )


def test_login_for_business_configuration_replaces_the_scope(workspace, owner, fake):
    with through(fake):
        url = start(login(owner), fake, config_id="987654321")
    query = parse_qs(urlsplit(url).query)
    assert query["config_id"] == ["987654321"] and "scope" not in query


def test_several_pages_need_a_choice(workspace, owner, fake):
    fake.pages.append({**fake.pages[0], "id": "104857600000002", "name": "Café Bohème"})
    client = login(owner)
    with through(fake):
        url = start(client, fake)
        state = parse_qs(urlsplit(url).query)["state"][0]
        refused = client.get(CALLBACK, {"code": fake.authorize(url), "state": state})
        assert refused.status_code == 400
        assert "Café Bohème" in refused.content.decode()
        assert not ConnectedAccount.objects.exists()
        url = start(client, fake, page="café bohème")
        state = parse_qs(urlsplit(url).query)["state"][0]
        done = client.get(CALLBACK, {"code": fake.authorize(url), "state": state})
    assert done.status_code == 302
    assert ConnectedAccount.objects.get().handle == "104857600000002"


def test_a_wrong_app_secret_is_refused_without_echoing_it(workspace, owner, fake):
    client = login(owner)
    with through(fake):
        url = start(client, fake, app_secret="wrong-secret-123")
        state = parse_qs(urlsplit(url).query)["state"][0]
        page = client.get(CALLBACK, {"code": fake.authorize(url), "state": state})
    assert page.status_code == 400
    body = page.content.decode()
    assert "app id and secret" in body and "wrong-secret-123" not in body
    assert not ConnectedAccount.objects.exists()


def test_bad_fields_are_refused_before_leaving(workspace, owner, fake):
    with through(fake):
        page = login(owner).post(
            CONNECT, {"kind": "facebook", "app_id": "x" * 5000, "app_secret": "s"}
        )
    assert page.status_code == 200 and "url" not in page.context
    assert not fake.requests


# --- reading -------------------------------------------------------------------------------


def source_for(workspace, account, **config) -> Source:
    return do_create_source(
        workspace,
        kind="facebook",
        name="Page",
        config={"mode": "comments", **config},
        account=account,
    )


def run(source: Source, fake: Fake):
    Source.objects.filter(pk=source.pk).update(next_run_at=dt.datetime.now(dt.UTC))
    summary = run_source(source.pk, http_client=REAL_CLIENT(transport=fake.transport()))
    source.refresh_from_db()
    return summary


def test_comments_and_replies_are_read_with_their_thread(workspace, account, fake):
    top = Comment(text="Quand ouvre la boutique de Lyon ?")
    reply = Comment(text="Elle ouvre samedi", reply_to=top, author="hugo_martin")
    top.replies.append(reply)
    fake.publish(top, reply)
    source = source_for(workspace, account)
    assert run(source, fake).stored == 2
    stored = {m.external_id: m for m in Mention.objects.all()}
    first, second = stored[fake.comment_id(top)], stored[fake.comment_id(reply)]
    assert first.parent_external_id == PAGE_POST
    assert second.parent_external_id == fake.comment_id(top)
    assert second.root_external_id == PAGE_POST
    assert first.url.startswith("https://www.facebook.com/")
    comments = [r for r in fake.requests if r.url.path.endswith("/comments")]
    query = parse_qs(comments[0].url.query.decode())
    assert query["filter"] == ["stream"] and query["order"] == ["reverse_chronological"]
    assert all("appsecret_proof" in parse_qs(r.url.query.decode()) for r in fake.requests)


def test_a_new_comment_on_an_old_post_is_read_next_time(workspace, account, fake):
    fake.publish(Comment(text="Premier"))
    source = source_for(workspace, account)
    assert run(source, fake).stored == 1
    fake.requests.clear()
    assert run(source, fake).stored == 0
    fake.publish(Comment(text="Deuxième"))
    assert run(source, fake).stored == 1


def test_mentions_of_the_page_are_read(workspace, account, fake):
    fake.tagged.extend([Post(text="Soirée chez @Maison Lumière"), Post(text="Merci @Maison")])
    source = source_for(workspace, account, mode="mentions")
    assert run(source, fake).stored == 2
    assert run(source, fake).stored == 0
    assert Mention.objects.filter(network="facebook").count() == 2


def test_an_expired_token_pauses_the_source_saying_reconnect(workspace, account, fake):
    fake.publish(Comment())
    fake.error_next("error_190_463")
    source = source_for(workspace, account)
    run(source, fake)
    assert source.status == SourceStatus.PAUSED
    assert "token expired" in source.last_error and "reconnect" in source.last_error
    assert PAGE_TOKEN not in source.last_error


# --- error codes ---------------------------------------------------------------------------

BUC = {
    PAGE_ID: [
        {
            "type": "pages",
            "call_count": 100,
            "total_cputime": 30,
            "total_time": 45,
            "estimated_time_to_regain_access": 7,
        }
    ]
}


@pytest.mark.parametrize(
    ("name", "headers", "wait"),
    [
        ("error_32", {"X-Business-Use-Case-Usage": json.dumps(BUC)}, 420.0),
        ("error_80001", {"X-Business-Use-Case-Usage": json.dumps(BUC)}, 420.0),
        ("error_80001", {}, graph.BUC_WAIT),
        (
            "error_4",
            {"X-App-Usage": '{"call_count":100,"total_cputime":20,"total_time":25}'},
            600.0,
        ),
        ("error_17", {}, 600.0),
        ("error_613", {}, 3600.0),
        ("error_368", {}, graph.POLICY_WAIT),
        ("error_2", {}, None),
        ("error_1", {}, None),
    ],
)
def test_throttling_and_temporary_errors_are_retry_later(name, headers, wait):
    error = graph.refusal(response(name, 400, headers))
    assert isinstance(error, RetryLater)
    assert error.retry_after == wait


@pytest.mark.parametrize(
    ("name", "doing", "words"),
    [
        ("error_190_460", "read", ["password", "reconnect"]),
        ("error_190_463", "read", ["token expired", "reconnect"]),
        ("error_10", "read", ["pages_read_engagement", "reconnect"]),
        ("error_200", "moderate", ["pages_manage_engagement"]),
        ("error_200", "publish", ["pages_manage_posts"]),
        ("error_506", "publish", ["duplicate", "change the text"]),
        ("error_100_33", "read", ["no longer has"]),
    ],
)
def test_refusals_are_permanent_and_say_what_to_do(name, doing, words):
    error = graph.refusal(response(name), doing)
    assert isinstance(error, PermanentError)
    for word in words:
        assert word in str(error)


def test_usage_headers_are_read_defensively():
    hostile = {
        "X-Business-Use-Case-Usage": '{"1": [{"estimated_time_to_regain_access": Infinity}]}',
        "X-App-Usage": "[1, 2",
    }
    error = graph.refusal(response("error_32", 400, hostile))
    assert isinstance(error, RetryLater) and error.retry_after == graph.DEFAULT_WAIT[32]
    mixed = {
        "X-App-Usage": '{"call_count": 12, "total_time": 97}',
        "X-Business-Use-Case-Usage": json.dumps(BUC),
    }
    assert graph.usage_percent(response("error_32", 400, mixed)) == 100.0
    assert (
        graph.usage_percent(response("error_32", 400, {"X-App-Usage": '{"call_count": 12}'})) == 12
    )


def test_a_server_error_without_body_is_retry_later(page, fake):
    fake.error_next("error_2", 500)
    with pytest.raises(RetryLater):
        page.publish(OutgoingPost(text=TEXT), PublishContext(idempotency_key="e"))


# --- replying ------------------------------------------------------------------------------


def target_of(fake: Fake, post: Post) -> ReplyTarget:
    return ReplyTarget(
        network="facebook", external_id=fake.comment_id(post), raw=fake.comment(post)
    )


def test_reply_is_a_comment_under_the_comment(page, fake):
    top = Comment(text="Vous livrez à Lille ?")
    fake.publish(top)
    start = since()
    sent = page.reply(target_of(fake, top), TEXT, ReplyContext(idempotency_key="r1"))
    [mine] = fake.own_comments
    assert mine.reply_to is top and mine.text == TEXT
    assert sent.external_id == fake.comment_id(mine)
    assert page.find_reply(target_of(fake, top), TEXT, start, ReplyContext()) is not None
    assert page.find_reply(target_of(fake, top), "autre", start, ReplyContext()) is None
    # The same key again sends nothing new.
    again = page.reply(target_of(fake, top), TEXT, ReplyContext(idempotency_key="r1"))
    assert again.external_id == sent.external_id and len(fake.own_comments) == 1


def test_an_answer_to_a_reply_goes_under_its_parent(page, fake):
    top = Comment(text="Question")
    reply = Comment(text="Moi aussi", reply_to=top)
    fake.publish(top, reply)
    page.reply(target_of(fake, reply), TEXT, ReplyContext(idempotency_key="r2"))
    assert fake.own_comments[0].reply_to is top


def test_a_lost_reply_answer_then_a_retry_replies_once(page, fake):
    top = Comment(text="Question")
    fake.publish(top)
    fake.lose_next_answer = True
    with pytest.raises(RetryLater):
        page.reply(target_of(fake, top), TEXT, ReplyContext(idempotency_key="r3"))
    again = page.reply(target_of(fake, top), TEXT, ReplyContext(idempotency_key="r3"))
    assert len(fake.own_comments) == 1
    assert again.external_id == fake.comment_id(fake.own_comments[0])
    row = FacebookSend.objects.get(key="r3")
    assert row.external_id == again.external_id and row.kind == "reply"


def test_replying_to_a_deleted_comment_is_permanent(page, fake):
    top = Comment(text="Question")
    fake.publish(top)
    fake.delete(top)
    with pytest.raises(PermanentError, match="no longer has"):
        page.reply(target_of(fake, top), TEXT, ReplyContext(idempotency_key="r4"))


def test_replying_needs_a_connected_account(workspace):
    connector = FacebookConnector(
        type(
            "S",
            (),
            {"workspace_id": workspace.pk, "account_id": None, "account": None, "config": {}},
        )()
    )
    with pytest.raises(PermanentError, match="connect"):
        connector.reply(ReplyTarget("facebook", "1_2"), TEXT, ReplyContext())


# --- moderating ----------------------------------------------------------------------------


def test_hide_checks_can_hide_then_hides_and_restores(page, fake):
    rude = Comment(text="Arnaque !")
    fake.publish(rude)
    context = ModerationContext(idempotency_key="m1")
    result = page.moderate(target_of(fake, rude), ModerationAction.HIDE, context)
    assert result.done and rude.hidden
    posts = [r for r in fake.requests if r.method == "POST"]
    assert [parse_qs(r.content.decode()) for r in posts] == [{"is_hidden": ["true"]}]
    again = page.moderate(target_of(fake, rude), ModerationAction.HIDE, context)
    assert again.done and "already" in again.message
    assert len([r for r in fake.requests if r.method == "POST"]) == 1
    restored = page.moderate(target_of(fake, rude), ModerationAction.RESTORE, context)
    assert restored.done and not rude.hidden


def test_what_the_page_cannot_hide_is_for_a_person(page, fake):
    locked = Comment(text="Sur une pub", can_hide=False)
    fake.publish(locked)
    result = page.moderate(target_of(fake, locked), ModerationAction.HIDE, ModerationContext())
    assert not result.done and "on Facebook" in result.message
    assert not locked.hidden and not [r for r in fake.requests if r.method == "POST"]


def test_delete_and_a_comment_gone_already(page, fake):
    spam = Comment(text="Gagnez un iPhone")
    fake.publish(spam)
    result = page.moderate(target_of(fake, spam), ModerationAction.DELETE, ModerationContext())
    assert result.done and spam.deleted
    gone = page.moderate(target_of(fake, spam), ModerationAction.HIDE, ModerationContext())
    assert gone.done and "no longer" in gone.message
    back = page.moderate(target_of(fake, spam), ModerationAction.RESTORE, ModerationContext())
    assert not back.done


def test_moderating_without_the_permission_says_which(page, fake):
    rude = Comment(text="Arnaque !")
    fake.publish(rude)
    fake.error_next("error_200", 403)
    with pytest.raises(PermanentError, match="pages_manage_engagement"):
        page.moderate(target_of(fake, rude), ModerationAction.HIDE, ModerationContext())


# --- publishing ----------------------------------------------------------------------------


def image(tmp_path, name="bougie.png") -> MediaFile:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    return MediaFile(path=str(path), mime_type="image/png", size=72)


def test_a_link_post_sends_the_link(page, fake):
    text = "Nouvelle collection https://maison-lumiere.example/noel à découvrir"
    post = page.publish(OutgoingPost(text=text), PublishContext(idempotency_key="p1"))
    assert fake.page_posts[0]["_link"] == "https://maison-lumiere.example/noel"
    assert post.url == fake.page_posts[0]["permalink_url"]


def test_one_photo_and_several_photos(page, fake, tmp_path):
    one = page.publish(
        OutgoingPost(text="Une photo", media=(image(tmp_path),)),
        PublishContext(idempotency_key="p2"),
    )
    assert one.external_id == fake.page_posts[0]["id"] and len(fake.page_posts[0]["_photos"]) == 1
    two = page.publish(
        OutgoingPost(
            text="Deux photos", media=(image(tmp_path, "a.png"), image(tmp_path, "b.png"))
        ),
        PublishContext(idempotency_key="p3"),
    )
    assert two.external_id == fake.page_posts[1]["id"]
    assert len(fake.page_posts[1]["_photos"]) == 2
    assert [u["published"] for u in fake.uploads] == [None, "false", "false"]


def test_a_video_is_refused_with_what_to_do(page, fake, tmp_path):
    video = MediaFile(path=str(tmp_path / "v.mp4"), mime_type="video/mp4", size=10)
    with pytest.raises(PermanentError, match="video"):
        page.publish(OutgoingPost(text="x", media=(video,)), PublishContext(idempotency_key="v"))
    assert fake.page_posts == []


def test_publishing_without_permission_names_it(page, fake):
    fake.error_next("error_200", 403)
    with pytest.raises(PermanentError, match="pages_manage_posts"):
        page.publish(OutgoingPost(text=TEXT), PublishContext(idempotency_key="p4"))


# --- the webhook ---------------------------------------------------------------------------

DELIVERY = (FIXTURES / "webhook_feed_comment.json").read_bytes()
# Computed apart (openssl dgst -sha256 -hmac fb-app-secret-NEVER-SHOWN on the fixture file).
DELIVERY_SIGNATURE = "sha256=036488896ebbbce3f06d1cb16e8269b88b981e2f76bccc9cad35d3b32f7595d7"


def test_signature_known_answers():
    # openssl dgst -sha256 -hmac parvis-test-secret on '{"object":"page","entry":[]}'
    assert webhook.signature(b'{"object":"page","entry":[]}', "parvis-test-secret") == (
        "sha256=6508d699c570e4bbbe197eab6cd81580124d064d158c03ce8cca3c14e7405d88"
    )
    assert webhook.signature(DELIVERY, APP_SECRET) == DELIVERY_SIGNATURE
    assert webhook.signed_by(DELIVERY, DELIVERY_SIGNATURE, ["other", APP_SECRET])
    assert not webhook.signed_by(DELIVERY, DELIVERY_SIGNATURE, ["other"])
    assert not webhook.signed_by(DELIVERY, DELIVERY_SIGNATURE.upper(), [APP_SECRET])
    assert not webhook.signed_by(DELIVERY, "sha1=" + "0" * 40, [APP_SECRET])
    assert not webhook.signed_by(DELIVERY, "", [APP_SECRET])


def test_subscription_verification(client, settings):
    settings.FACEBOOK_VERIFY_TOKEN = "meatyhamhock"
    query = {
        "hub.mode": "subscribe",
        "hub.challenge": "1158201444",
        "hub.verify_token": "meatyhamhock",
    }
    answer = client.get(HOOK, query)
    assert answer.status_code == 200 and answer.content == b"1158201444"
    assert client.get(HOOK, {**query, "hub.verify_token": "wrong"}).status_code == 403
    assert client.get(HOOK, {**query, "hub.challenge": "<script>"}).status_code == 403
    settings.FACEBOOK_VERIFY_TOKEN = ""
    assert client.get(HOOK, {**query, "hub.verify_token": ""}).status_code == 403


def deliver(client, body: bytes, signature: str):
    return client.post(
        HOOK, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
    )


def test_a_signed_delivery_is_stored_once_and_reaches_the_pipeline(
    client, workspace, account, fake
):
    assert deliver(client, DELIVERY, DELIVERY_SIGNATURE).status_code == 200
    assert FacebookDelivery.objects.count() == 1
    # A replay stores nothing new.
    assert deliver(client, DELIVERY, DELIVERY_SIGNATURE).status_code == 200
    assert FacebookDelivery.objects.count() == 1
    source = source_for(workspace, account)
    assert run(source, fake).stored == 1
    mention = Mention.objects.get()
    assert mention.external_id == "200000000000001_300000000000099"
    assert mention.text == "Maison Lumière, livraison en retard ?"
    # The next run takes nothing twice, and a replay after it stores nothing.
    deliver(client, DELIVERY, DELIVERY_SIGNATURE)
    assert run(source, fake).stored == 0
    assert Mention.objects.count() == 1


def test_a_new_delivery_brings_the_pages_sources_forward_to_the_next_tick(
    client, workspace, other_workspace, account, fake, django_capture_on_commit_callbacks
):
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    source = source_for(workspace, account)
    paused = source_for(workspace, account, mode="messages")
    Source.objects.filter(pk=paused.pk).update(status=SourceStatus.PAUSED)
    elsewhere = ConnectedAccount.objects.create(
        workspace=other_workspace, network="facebook", handle="999000999", display_name="Other"
    )
    unrelated = source_for(other_workspace, elsewhere)
    Source.objects.update(next_run_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, DELIVERY, DELIVERY_SIGNATURE).content == b"stored 1"
    now = dt.datetime.now(dt.UTC)
    assert Source.objects.get(pk=source.pk).next_run_at <= now
    assert Source.objects.get(pk=paused.pk).next_run_at == later
    assert Source.objects.get(pk=unrelated.pk).next_run_at == later
    # A replay is nothing new: the slot the tick gave the source stays.
    Source.objects.filter(pk=source.pk).update(next_run_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, DELIVERY, DELIVERY_SIGNATURE).content == b"stored 0"
    assert Source.objects.get(pk=source.pk).next_run_at == later
    assert run(source, fake).stored == 1


def test_a_tampered_or_unsigned_delivery_is_refused(client, account):
    tampered = DELIVERY.replace(b"en retard", "annulée".encode())
    assert deliver(client, tampered, DELIVERY_SIGNATURE).status_code == 403
    assert deliver(client, DELIVERY, "").status_code == 403
    assert deliver(client, b"[" * 100_000, DELIVERY_SIGNATURE).status_code in (400, 403)
    assert deliver(client, b"\xff\xfe", DELIVERY_SIGNATURE).status_code == 400
    assert not FacebookDelivery.objects.exists()


def test_a_delivery_for_a_page_not_connected_is_refused(client):
    assert deliver(client, DELIVERY, DELIVERY_SIGNATURE).status_code == 403
    assert not FacebookDelivery.objects.exists()


def test_no_secret_or_token_travels_in_a_url(workspace, owner, fake):
    client = login(owner)
    with through(fake):
        url = start(client, fake)
        state = parse_qs(urlsplit(url).query)["state"][0]
        client.get(CALLBACK, {"code": fake.authorize(url), "state": state})
    assert ConnectedAccount.objects.exists()
    for request in fake.requests:
        for secret in (APP_SECRET, facebook.AUTH_CODE, facebook.USER_TOKEN_SHORT, PAGE_TOKEN):
            assert secret not in str(request.url)


def test_a_comment_both_pushed_and_polled_is_stored_once(client, workspace, account, fake):
    polled = Comment(text="Maison Lumière, livraison en retard ?", key=99)
    fake.publish(polled)
    assert fake.comment_id(polled) == "200000000000001_300000000000099"
    deliver(client, DELIVERY, DELIVERY_SIGNATURE)
    source = source_for(workspace, account)
    assert run(source, fake).stored == 1
    assert Mention.objects.get().external_id == fake.comment_id(polled)


# --- metrics -------------------------------------------------------------------------------


def posts(page, n: int) -> list[str]:
    return [
        page.publish(
            OutgoingPost(text=f"Soldes {i}"), PublishContext(idempotency_key=f"m{i}")
        ).external_id
        for i in range(n)
    ]


def id_reads(fake, since: int = 0) -> list[dict[str, list[str]]]:
    """The multiple-ids reads (GET /?ids=...) since request `since`, their queries parsed."""
    return [
        parse_qs(r.url.query.decode())
        for r in fake.requests[since:]
        if r.url.path == f"/{facebook.VERSION}/"
    ]


def test_counts_and_reach_come_in_one_request(page, fake):
    ids = posts(page, 2)
    fake.figures[ids[0]] = {"reactions": 12, "comments": 3, "shares": 2, "reach": 480}
    fake.figures[ids[1]] = {"reactions": 1, "comments": 0, "shares": 0, "reach": 9}
    before = len(fake.requests)
    answers = page.post_metrics(ids, MetricsContext())
    assert answers == [
        PostMetrics(ids[0], likes=12, reposts=2, replies=3, views=480),
        PostMetrics(ids[1], likes=1, reposts=0, replies=0, views=9),  # no `shares`: none
    ]
    [query] = id_reads(fake, before)
    assert query["ids"] == [",".join(ids)]
    assert "insights.metric(post_total_media_view_unique).period(lifetime)" in query["fields"][0]
    assert len(fake.requests) == before + 1


def test_a_retired_reach_metric_leaves_views_unknown_and_the_counts_come(page, fake):
    ids = posts(page, 60)
    fake.give_counts(ids[55], likes=4, reposts=1, replies=2)
    fake.retired.add("post_total_media_view_unique")
    before = len(fake.requests)
    answers = page.post_metrics(ids, MetricsContext())
    assert len(answers) == 60 and answers[55] == PostMetrics(ids[55], 4, 1, 2)
    assert all(a.views is None for a in answers)
    # Refused once with the reach, then both batches without it.
    fields = [q["fields"][0] for q in id_reads(fake, before)]
    assert ["insights" in f for f in fields] == [True, False, False]


def test_hostile_counts_are_no_figure(page, fake):
    ids = posts(page, 4)
    for external_id, value in zip(ids, (10**30, "12", -1, 2.5), strict=True):
        fake.figures[external_id] = {"reactions": value, "comments": 1, "shares": 0, "reach": 5}
    answers = page.post_metrics(ids, MetricsContext())
    assert [a.likes for a in answers] == [None, None, None, None]
    assert [a.replies for a in answers] == [1, 1, 1, 1]


def test_fifty_ids_a_request_in_the_order_asked(page, fake):
    ids = posts(page, 120)
    for i, external_id in enumerate(ids):
        fake.give_counts(external_id, likes=i, reposts=0, replies=0)
    before = len(fake.requests)
    answers = page.post_metrics(list(reversed(ids)) + ids[:3], MetricsContext())
    assert [a.likes for a in answers] == list(range(119, -1, -1))  # each once
    assert [len(q["ids"][0].split(",")) for q in id_reads(fake, before)] == [50, 50, 20]


def test_a_thread_part_is_read_without_shares_or_reach(page, fake):
    [head] = posts(page, 1)
    part = page.publish(
        OutgoingPost(text="La suite", reply_to=ReplyTarget("facebook", head)),
        PublishContext(idempotency_key="part"),
    ).external_id
    assert not part.startswith(f"{PAGE_ID}_")  # a comment of the Page under its post
    fake.publish(Comment(text="Super", reply_to=fake.own_comments[0]))
    fake.give_counts(head, likes=5, reposts=1, replies=1)
    before = len(fake.requests)
    answers = page.post_metrics([part, head], MetricsContext())
    assert answers == [
        PostMetrics(part, likes=0, reposts=None, replies=1, views=None),
        PostMetrics(head, likes=5, reposts=1, replies=1, views=0),
    ]
    fields = {q["ids"][0]: q["fields"][0] for q in id_reads(fake, before)}
    assert "shares" not in fields[part] and "insights" not in fields[part]


def test_a_deleted_post_named_by_facebook_costs_one_more_request(page, fake):
    ids = posts(page, 5)
    fake.delete_own(ids[1])
    before = len(fake.requests)
    answers = page.post_metrics(ids, MetricsContext())
    assert [a.gone for a in answers] == [False, True, False, False, False]
    assert [len(q["ids"][0].split(",")) for q in id_reads(fake, before)] == [5, 4]


def test_deleted_posts_facebook_does_not_name_are_found_by_halving(page, fake):
    fake.unnamed_missing = True
    ids = posts(page, 10)
    fake.delete_own(ids[2])
    fake.delete_own(ids[7])
    fake.give_counts(ids[9], likes=3, reposts=0, replies=0)
    before = len(fake.requests)
    answers = page.post_metrics(ids, MetricsContext())
    assert [a.external_id for a in answers if a.gone] == [ids[2], ids[7]]
    assert answers[9].likes == 3
    assert len(fake.requests) - before < 2 * len(ids)


def test_an_id_left_out_of_the_answer_or_unknown_is_gone(page, fake):
    ids = posts(page, 3)
    fake.drop_missing = True
    fake.delete_own(ids[0])
    answers = page.post_metrics(ids, MetricsContext())
    assert [a.gone for a in answers] == [True, False, False]
    # 803: an id Facebook does not know at all, named in the message.
    fake.drop_missing = False
    fake.error_next("error_803", 404)
    answers = page.post_metrics(ids[:2], MetricsContext())
    assert answers[0] == PostMetrics(ids[0], gone=True) and not answers[1].gone


def test_reading_stops_when_the_pages_calls_are_nearly_spent(page, fake):
    ids = posts(page, 60)
    fake.app_usage = {"call_count": 95, "total_cputime": 10, "total_time": 10}
    answers = page.post_metrics(ids, MetricsContext())
    assert [a.external_id for a in answers] == ids[:50]  # the rest stays due for next time


def test_counts_without_read_insights_say_which_permission(page, fake):
    ids = posts(page, 1)
    fake.error_next("error_10", 403)
    with pytest.raises(PermanentError, match="read_insights"):
        page.post_metrics(ids, MetricsContext())


def test_the_pages_daily_figures(page, fake):
    fake.page_insights = {
        "page_follows": [("2026-11-20T08:00:00+0000", 1200), ("2026-11-21T08:00:00+0000", 1210)],
        "page_total_media_view_unique": [("2026-11-21T08:00:00+0000", 5400)],
    }
    days = page.page_metrics(dt.date(2026, 11, 20), dt.date(2026, 11, 21))
    assert days == {
        "page_follows": [(dt.date(2026, 11, 20), 1200), (dt.date(2026, 11, 21), 1210)],
        "page_total_media_view_unique": [(dt.date(2026, 11, 21), 5400)],
    }
    insights = [r for r in fake.requests if r.url.path.endswith(f"{PAGE_ID}/insights")]
    query = parse_qs(insights[0].url.query.decode())
    assert query["period"] == ["day"] and query["since"] == ["2026-11-20"]


def test_metrics_without_read_insights_say_which_permission(page, fake):
    fake.error_next("error_10", 403)
    with pytest.raises(PermanentError, match="read_insights"):
        page.page_metrics(dt.date(2026, 11, 1), dt.date(2026, 11, 2))


def test_a_signed_change_no_database_could_keep_is_skipped(client, account):
    for hostile in (b"\\ud800", b"\\u0000"):
        body = DELIVERY.replace(b"en retard", b"en retard " + hostile)
        answer = deliver(client, body, webhook.signature(body, APP_SECRET))
        assert answer.status_code == 200 and answer.content == b"stored 0"
    assert not FacebookDelivery.objects.exists()


# --- Messenger -----------------------------------------------------------------------------


def test_messenger_conversations_are_read_as_private_messages(workspace, account, fake):
    fake.message_from("julie_petit", "Bonjour, ma commande n'est pas arrivée")
    fake.message_from("julie_petit", "Commande 4521")
    source = source_for(workspace, account, mode="messages")
    assert run(source, fake).stored == 2
    mention = Mention.objects.get(text="Commande 4521")
    assert FacebookConnector.is_private(mention.raw)
    assert mention.root_external_id == fake.conversations[0]["id"]
    assert not FacebookConnector.is_private(fake.comment(Comment()))
    query = parse_qs(fake.requests[-1].url.query.decode())
    assert query["platform"] == ["messenger"]
    assert run(source, fake).stored == 0


def message_target(fake: Fake, message: dict) -> ReplyTarget:
    return ReplyTarget(
        network="facebook",
        external_id=message["id"],
        root_external_id=fake.conversations[0]["id"],
        author_handle=message["from"]["id"],
        private=True,
        raw=message,
    )


def test_a_private_answer_goes_through_the_send_api_once(page, fake):
    message = fake.message_from("julie_petit", "Ma commande ?")
    start = since()
    target = message_target(fake, message)
    sent = page.reply(target, TEXT, ReplyContext(idempotency_key="dm1"))
    [mine] = fake.page_messages()
    assert sent.external_id == mine["id"] and mine["message"] == TEXT
    posted = next(r for r in fake.requests if r.method == "POST")
    form = parse_qs(posted.content.decode())
    assert form["messaging_type"] == ["RESPONSE"]
    assert json.loads(form["recipient"][0]) == {"id": message["from"]["id"]}
    assert page.find_reply(target, TEXT, start, ReplyContext()).external_id == mine["id"]
    fake.lose_next_answer = True
    with pytest.raises(RetryLater):
        page.reply(target, "Autre réponse", ReplyContext(idempotency_key="dm2"))
    again = page.reply(target, "Autre réponse", ReplyContext(idempotency_key="dm2"))
    assert len(fake.page_messages()) == 2 and again.external_id == fake.page_messages()[1]["id"]


def test_past_the_24_hour_window_a_person_must_answer_in_messenger(page, fake):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)
    message = fake.message_from("julie_petit", "Ma commande ?", at=old)
    with pytest.raises(PermanentError, match="24 hours"):
        page.reply(message_target(fake, message), TEXT, ReplyContext(idempotency_key="dm3"))
    assert fake.page_messages() == []


def test_messenger_is_asked_for_only_when_chosen(workspace, owner, fake):
    with through(fake):
        plain = start(login(owner), fake)
        chosen = start(login(owner), fake, messenger="on")
    assert "pages_messaging" not in parse_qs(urlsplit(plain).query)["scope"][0]
    assert "pages_messaging" in parse_qs(urlsplit(chosen).query)["scope"][0].split(",")


def test_near_the_usage_limit_a_run_stops_paging_and_the_next_goes_on(workspace, account, fake):
    fake.publish(*[Comment(text=f"Commentaire {n}") for n in range(23)])
    source = source_for(workspace, account, backfill_pages=5)
    fake.app_usage = {"call_count": 95, "total_cputime": 10, "total_time": 12}
    first = run(source, fake)
    assert source.status == SourceStatus.OK, source.last_error
    assert first.stored == 10  # one page of the fake's 10, then the run stopped
    assert "pass" in source.cursor
    fake.app_usage = {"call_count": 20, "total_cputime": 10, "total_time": 12}
    second = run(source, fake)
    assert second.stored == 13 and "pass" not in source.cursor


@pytest.mark.parametrize(
    "bad", ["../me/accounts", "1_2?fields=access_token", "1%2F2", "1#x", "", "é"]
)
def test_an_id_never_reaches_another_endpoint(page, fake, bad):
    target = ReplyTarget(network="facebook", external_id=bad)
    with pytest.raises(PermanentError):
        page.moderate(target, ModerationAction.HIDE, ModerationContext())
    with pytest.raises(PermanentError):
        page.reply(target, TEXT, ReplyContext(idempotency_key=f"id-{bad}"))
    assert not fake.requests


MESSAGING = (FIXTURES / "webhook_messaging.json").read_bytes()
# openssl dgst -sha256 -hmac fb-app-secret-NEVER-SHOWN on the fixture file.
MESSAGING_SIGNATURE = "sha256=d36088f70359e856f80f45e4436feefedeb8b39a127adc219f617247bcf0206c"


def test_a_pushed_messenger_message_reaches_the_messages_source_once(
    client, workspace, account, fake
):
    assert webhook.signature(MESSAGING, APP_SECRET) == MESSAGING_SIGNATURE
    assert deliver(client, MESSAGING, MESSAGING_SIGNATURE).content == b"stored 1"  # echo left out
    assert deliver(client, MESSAGING, MESSAGING_SIGNATURE).content == b"stored 0"
    comments = source_for(workspace, account)
    assert run(comments, fake).stored == 0  # not a comment
    messages = source_for(workspace, account, mode="messages")
    assert run(messages, fake).stored == 1
    mention = Mention.objects.get()
    assert mention.text == "Bonjour, avez-vous la bougie Figuier en stock ?"
    assert mention.external_id.startswith("m_") and FacebookConnector.is_private(mention.raw)
    assert run(messages, fake).stored == 0


def test_hostile_shapes_in_a_signed_delivery_are_no_500(client, account):
    for payload in (
        {"object": "page", "entry": [{"id": PAGE_ID, "changes": 5, "messaging": "x"}]},
        {"object": "page", "entry": [{"id": PAGE_ID, "changes": [{"field": "feed", "value": 3}]}]},
        {"object": "page", "entry": [{"id": PAGE_ID, "messaging": [{"message": [1]}]}]},
    ):
        body = json.dumps(payload).encode()
        answer = deliver(client, body, webhook.signature(body, APP_SECRET))
        assert answer.status_code == 200
