"""The Threads connector against the Threads API fake: connecting (OAuth, long-lived token,
refresh), reading replies, the error mapping, replying, hiding, publishing through
containers (text, image, carousel, video), the publishing quota and the insights."""

from __future__ import annotations

import datetime as dt
import json
import logging
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from parvis.connectors import base
from parvis.connectors import http as connector_http
from parvis.connectors.base import (
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
from parvis.connectors.facebook.models import FacebookSend
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account
from parvis.connectors.threads import ThreadsConnector, api, oauth, outgoing, token_expires_at
from parvis.core.models import AuditEvent
from parvis.listening.models import Mention, Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from tests.conftest import login
from tests.connectors.fakes import threads
from tests.connectors.fakes.threads import (
    APP_ID,
    APP_SECRET,
    AUTH_CODE,
    FIXTURES,
    REFRESHED_TOKEN,
    TOKEN,
    USER_ID,
    USERNAME,
    Fake,
    Reply,
)

pytestmark = pytest.mark.django_db

REAL_CLIENT = connector_http.client
CONNECT = "/w/lumiere/accounts/connect/"
CALLBACK = "/connect/oauth/callback/"
REDIRECT_URI = "http://testserver/connect/oauth/callback/"
TEXT = "Merci Léa, à très vite à la boutique !"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(outgoing, "sleep", waits.append)
    return waits


@pytest.fixture
def fake() -> Fake:
    return Fake()


@pytest.fixture
def account(workspace, fake) -> ConnectedAccount:
    spec = fake.account()
    return do_connect_account(
        workspace, None, network="threads", handle=spec["handle"], credentials=spec["credentials"]
    )


@pytest.fixture
def profile(account, fake) -> ThreadsConnector:
    return ThreadsConnector.for_account(account, http=REAL_CLIENT(transport=fake.transport()))


def since() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)


def through(fake: Fake):
    return mock.patch.object(
        connector_http, "client", lambda transport=None: REAL_CLIENT(transport=fake.transport())
    )


def response(name: str, status: int = 400, headers: dict | None = None) -> httpx.Response:
    body = json.loads((FIXTURES / f"{name}.json").read_text())
    request = httpx.Request("GET", f"{threads.API}{USER_ID}/threads")
    return httpx.Response(status, json=body, headers=headers or {}, request=request)


# --- what it says it does ------------------------------------------------------------------


def test_capabilities_and_pinned_version():
    cls = base.get("threads")
    assert cls is ThreadsConnector and cls.network == "threads"
    assert cls.auth == base.Auth.OAUTH2 and cls.needs_account
    assert cls.moderation_actions == {ModerationAction.HIDE, ModerationAction.RESTORE}
    assert api.API == threads.API == "https://graph.threads.net/v1.0/"
    assert ThreadsConnector.validate_config({}) == {"keep_all": True}
    with pytest.raises(ValueError):
        ThreadsConnector.validate_config({"posts": "1000"})


def test_the_publishing_test_network_keeps_its_place_on_threads():
    """tests/publishing's fake (kind pub_test, network threads) and this connector coexist:
    both are registered, and an account with no source still gets the fake there."""
    from parvis.publishing import engine
    from tests.publishing.pubcore_helpers import FakePublishNetwork

    kinds = {c.kind for c in base.load_all().values() if c.network == "threads"}
    assert {"threads", "pub_test"} <= kinds
    account = mock.Mock(network="threads")
    assert engine.connector_class(account, kinds=[]) is FakePublishNetwork


# --- connecting ------------------------------------------------------------------------------


def start(client, fake, **fields):
    data = {"kind": "threads", "app_id": APP_ID, "app_secret": APP_SECRET, **fields}
    page = client.post(CONNECT, data)
    assert page.status_code == 200, page.content[:300]
    return page.context["url"]


def test_the_profile_is_connected_through_threads_oauth(workspace, owner, fake):
    client = login(owner)
    with through(fake):
        form = client.get(CONNECT, {"network": "threads"})
        assert form.context["connector"].kind == "threads" and form.context["oauth"]
        shown = form.content.decode()
        for permission, _why in oauth.PERMISSIONS:
            assert permission in shown  # the permission list, before connecting
        url = start(client, fake)
        parts = urlsplit(url)
        assert (parts.netloc, parts.path) == ("threads.net", "/oauth/authorize")
        query = parse_qs(parts.query)
        assert query["redirect_uri"] == [REDIRECT_URI]
        assert set(query["scope"][0].split(",")) == {
            "threads_basic",
            "threads_read_replies",
            "threads_manage_replies",
            "threads_content_publish",
            "threads_manage_insights",
        }
        assert APP_SECRET not in url
        done = client.get(CALLBACK, {"code": fake.authorize(url), "state": query["state"][0]})
    assert done.status_code == 302, done.content[:500]
    account = ConnectedAccount.objects.get()
    assert (account.network, account.handle, account.display_name) == (
        "threads",
        USERNAME,
        "Maison Lumière",
    )
    credentials = account.credentials()
    assert credentials["access_token"] == TOKEN  # the long-lived one, not the short
    assert credentials["user_id"] == USER_ID
    expires = token_expires_at(credentials)
    assert expires is not None
    assert dt.timedelta(days=59) < expires - dt.datetime.now(dt.UTC) < dt.timedelta(days=61)
    assert TOKEN.encode() not in bytes(account.credentials_encrypted)
    for event in AuditEvent.objects.all():
        dumped = json.dumps(event.details)
        assert TOKEN not in dumped and APP_SECRET not in dumped
    # Outside the documented GET token endpoints, no token travels in a URL.
    for request in fake.requests:
        if request.url.path not in ("/access_token", "/refresh_access_token"):
            assert TOKEN not in str(request.url) and threads.SHORT_TOKEN not in str(request.url)


def test_no_secret_or_token_reaches_the_logs(workspace, owner, fake, caplog, account):
    caplog.set_level(logging.INFO, logger="httpx")
    client = login(owner)
    with through(fake):
        url = start(client, fake)
        state = parse_qs(urlsplit(url).query)["state"][0]
        client.get(CALLBACK, {"code": fake.authorize(url), "state": state})
    aged(account, expires_in=dt.timedelta(days=10), refreshed_ago=dt.timedelta(days=50))
    ThreadsConnector.for_account(
        account, http=REAL_CLIENT(transport=fake.transport())
    ).publish_limits()
    assert fake.refreshes == 1
    logged = caplog.text
    assert "/access_token?" in logged and "/refresh_access_token?" in logged
    for secret in (APP_SECRET, TOKEN, threads.SHORT_TOKEN, AUTH_CODE, REFRESHED_TOKEN):
        assert secret not in logged


def test_a_wrong_app_secret_is_refused_without_echoing_it(workspace, owner, fake):
    client = login(owner)
    with through(fake):
        url = start(client, fake, app_secret="wrong-secret-123")
        state = parse_qs(urlsplit(url).query)["state"][0]
        page = client.get(CALLBACK, {"code": fake.authorize(url), "state": state})
    assert page.status_code == 400
    body = page.content.decode()
    assert "app id, the app secret" in body and "wrong-secret-123" not in body
    assert not ConnectedAccount.objects.exists()


def test_bad_fields_are_refused_before_leaving(workspace, owner, fake):
    with through(fake):
        page = login(owner).post(
            CONNECT, {"kind": "threads", "app_id": "9" * 5000, "app_secret": "s"}
        )
    assert page.status_code == 200 and "url" not in page.context
    assert not fake.requests


def aged(account: ConnectedAccount, *, expires_in: dt.timedelta, refreshed_ago: dt.timedelta):
    now = dt.datetime.now(dt.UTC)
    credentials = account.credentials()
    credentials["token_expires_at"] = (now + expires_in).isoformat()
    credentials["refreshed_at"] = (now - refreshed_ago).isoformat()
    from parvis.connectors.services import do_refresh_credentials

    do_refresh_credentials(account, credentials)
    account.refresh_from_db()


def test_a_token_near_its_end_is_refreshed_and_kept_encrypted(account, fake):
    aged(account, expires_in=dt.timedelta(days=10), refreshed_ago=dt.timedelta(days=50))
    connector = ThreadsConnector.for_account(account, http=REAL_CLIENT(transport=fake.transport()))
    assert connector.publish_limits().posts_left == 246
    assert fake.refreshes == 1
    account.refresh_from_db()
    credentials = account.credentials()
    assert credentials["access_token"] == REFRESHED_TOKEN
    assert REFRESHED_TOKEN.encode() not in bytes(account.credentials_encrypted)
    left = token_expires_at(credentials) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=59) < left < dt.timedelta(days=61)
    # The next call uses the new token and does not refresh again.
    connector = ThreadsConnector.for_account(account, http=REAL_CLIENT(transport=fake.transport()))
    assert connector.publish_limits().posts_left == 246 and fake.refreshes == 1


def test_a_token_younger_than_a_day_or_far_from_its_end_is_not_refreshed(account, fake):
    aged(account, expires_in=dt.timedelta(days=10), refreshed_ago=dt.timedelta(hours=2))
    connector = ThreadsConnector.for_account(account, http=REAL_CLIENT(transport=fake.transport()))
    connector.publish_limits()
    aged(account, expires_in=dt.timedelta(days=55), refreshed_ago=dt.timedelta(days=5))
    connector = ThreadsConnector.for_account(account, http=REAL_CLIENT(transport=fake.transport()))
    connector.publish_limits()
    assert fake.refreshes == 0


def test_an_expired_token_says_reconnect_without_calling(account, fake):
    aged(account, expires_in=-dt.timedelta(days=1), refreshed_ago=dt.timedelta(days=61))
    connector = ThreadsConnector.for_account(account, http=REAL_CLIENT(transport=fake.transport()))
    with pytest.raises(PermanentError, match=r"expired.*reconnect"):
        connector.publish(OutgoingPost(text=TEXT), PublishContext(idempotency_key="x"))
    assert not fake.requests


# --- reading ---------------------------------------------------------------------------------


def run(source: Source, fake: Fake):
    Source.objects.filter(pk=source.pk).update(next_run_at=dt.datetime.now(dt.UTC))
    summary = run_source(source.pk, http_client=REAL_CLIENT(transport=fake.transport()))
    source.refresh_from_db()
    return summary


def test_replies_are_read_with_their_parent_and_root(workspace, account, fake):
    first = Reply(text="Vous livrez à Lyon ?", author="bob_durand")
    nested = Reply(text="Oui, je confirme", author="lea_dupont", reply_to=first)
    fake.publish(first, nested)
    source = do_create_source(workspace, kind="threads", name="T", config={}, account=account)
    assert run(source, fake).stored == 2
    mention = Mention.objects.get(external_id=fake.external_id(nested))
    assert mention.parent_external_id == fake.external_id(first)
    assert mention.root_external_id == threads.ROOT_POST
    assert mention.author.handle == "lea_dupont"
    assert mention.url.startswith("https://www.threads.net/@lea_dupont/post/")
    asked = [r for r in fake.requests if r.url.path.endswith("/conversation")]
    assert asked and parse_qs(asked[0].url.query.decode())["reverse"] == ["true"]


def test_near_the_usage_limit_a_run_stops_paging_and_the_next_goes_on(workspace, account, fake):
    replies = [Reply() for _ in range(23)]  # three pages of the fake's ten
    fake.publish(*replies)
    fake.app_usage = {"call_count": 95, "total_cputime": 10, "total_time": 12}
    source = do_create_source(workspace, kind="threads", name="T", config={}, account=account)
    first = run(source, fake)
    assert source.status == SourceStatus.OK and first.stored == 10
    fake.app_usage = None
    run(source, fake)
    assert Mention.objects.count() == 23


def test_an_expired_token_pauses_the_source_saying_reconnect(workspace, account, fake):
    fake.publish(Reply())
    fake.break_permanently()
    source = do_create_source(workspace, kind="threads", name="T", config={}, account=account)
    run(source, fake)
    assert source.status == SourceStatus.PAUSED
    assert "reconnect the Threads account" in source.last_error


# --- the error mapping -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "headers", "wait"),
    [
        ("error_4", 400, {}, 600.0),
        ("error_17", 400, {}, 600.0),
        (
            "error_4",
            400,
            {
                "X-Business-Use-Case-Usage": json.dumps(
                    {USER_ID: [{"call_count": 100, "estimated_time_to_regain_access": 7}]}
                )
            },
            420.0,
        ),
        ("error_2", 500, {}, None),
        ("error_2", 503, {"Retry-After": "30"}, 30.0),
    ],
)
def test_throttling_and_temporary_errors_are_retry_later(name, status, headers, wait):
    error = api.refusal(response(name, status, headers))
    assert isinstance(error, RetryLater) and error.retry_after == wait
    assert "Threads" in str(error)


@pytest.mark.parametrize(
    ("name", "doing", "words", "kind"),
    [
        (
            "error_190_463",
            "read",
            "the token expired; reconnect the Threads account",
            PermanentError,
        ),
        ("error_190", "read", "reconnect the Threads account", PermanentError),
        ("error_10", "publish", "threads_content_publish", PermanentError),
        ("error_10", "moderate", "threads_manage_replies", PermanentError),
        ("error_10", "metrics", "threads_manage_insights", PermanentError),
        ("error_100_33", "read", "no longer has this item", api.Gone),
        ("error_100_text", "publish", "code 100", PermanentError),
    ],
)
def test_refusals_are_permanent_and_say_what_to_do(name, doing, words, kind):
    error = api.refusal(response(name), doing)
    assert type(error) is kind and words in str(error)


def test_an_answer_that_is_not_json_or_a_timeout_is_retry_later(account):
    def broken(request):
        if "threads_publishing_limit" in request.url.path:
            return httpx.Response(200, text="<html>oops</html>")
        raise httpx.ConnectTimeout("slow", request=request)

    connector = ThreadsConnector.for_account(
        account, http=REAL_CLIENT(transport=httpx.MockTransport(broken))
    )
    with pytest.raises(RetryLater, match="not JSON"):
        connector.publish_limits()
    with pytest.raises(RetryLater, match="ConnectTimeout"):
        connector.post_metrics(["18000000000000001"], MetricsContext())


@pytest.mark.parametrize("bad", ["../me", "1/../../x", "123?x=1", "abc", "1" * 40, ""])
def test_an_id_never_reaches_another_endpoint(profile, fake, bad):
    target = ReplyTarget(network="threads", external_id=bad)
    with pytest.raises(PermanentError):
        profile.reply(target, TEXT, ReplyContext(idempotency_key="k"))
    with pytest.raises(PermanentError):
        profile.moderate(target, ModerationAction.HIDE, ModerationContext())
    assert not [r for r in fake.requests if r.method == "POST"]


# --- replying and hiding ---------------------------------------------------------------------


def test_a_reply_is_a_text_container_answering_the_reply(profile, fake):
    theirs = Reply(text="Vous ouvrez dimanche ?", author="bob_durand")
    fake.publish(theirs)
    target = ReplyTarget(network="threads", external_id=fake.external_id(theirs))
    start = since()
    sent = profile.reply(target, TEXT, ReplyContext(idempotency_key="r1"))
    [mine] = fake.own_replies()
    assert mine["_form"] == {"media_type": "TEXT", "text": TEXT, "reply_to_id": target.external_id}
    assert sent.external_id == mine["id"] and sent.url == mine["permalink"]
    assert profile.find_reply(target, TEXT, start, ReplyContext()) == sent
    assert profile.find_reply(target, "autre chose", start, ReplyContext()) is None
    # The same key again sends nothing more.
    assert profile.reply(target, TEXT, ReplyContext(idempotency_key="r1")) == sent
    assert len(fake.own_replies()) == 1
    assert FacebookSend.objects.get(key="r1").external_id == sent.external_id


def test_a_lost_reply_answer_then_a_retry_replies_once(profile, fake):
    theirs = Reply(text="Et la livraison ?", author="bob_durand")
    fake.publish(theirs)
    target = ReplyTarget(network="threads", external_id=fake.external_id(theirs))
    fake.lose_next_answer = True
    with pytest.raises(RetryLater):
        profile.reply(target, TEXT, ReplyContext(idempotency_key="lost"))
    again = profile.reply(target, TEXT, ReplyContext(idempotency_key="lost"))
    assert [r["id"] for r in fake.own_replies()] == [again.external_id]


def test_replying_to_a_deleted_reply_is_permanent(profile, fake):
    theirs = Reply(text="Effacé bientôt", author="bob_durand")
    fake.publish(theirs)
    fake.delete(theirs)
    target = ReplyTarget(network="threads", external_id=fake.external_id(theirs))
    with pytest.raises(PermanentError, match="no longer has"):
        profile.reply(target, TEXT, ReplyContext(idempotency_key="gone"))


def test_hide_and_unhide_are_idempotent(profile, fake):
    theirs = Reply(text="Arnaque !!!", author="spam_bot")
    fake.publish(theirs)
    target = ReplyTarget(network="threads", external_id=fake.external_id(theirs))
    for _twice in range(2):
        done = profile.moderate(target, ModerationAction.HIDE, ModerationContext())
        assert done.done and fake.hidden[target.external_id] is True
    done = profile.moderate(target, ModerationAction.RESTORE, ModerationContext())
    assert done.done and fake.hidden[target.external_id] is False
    refused = profile.moderate(target, ModerationAction.DELETE, ModerationContext())
    assert not refused.done and "hide" in refused.message


def test_hiding_without_the_permission_names_it(profile, fake):
    theirs = Reply()
    fake.publish(theirs)
    fake.error_next("error_10", 403)
    target = ReplyTarget(network="threads", external_id=fake.external_id(theirs))
    with pytest.raises(PermanentError, match="threads_manage_replies"):
        profile.moderate(target, ModerationAction.HIDE, ModerationContext())


# --- publishing ------------------------------------------------------------------------------


def media(settings, name: str, mime: str, size: int = 1000, alt: str = "") -> MediaFile:
    from pathlib import Path

    folder = Path(settings.DATA_DIR) / "publishing" / "media" / "ab"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"x" * 10)
    return MediaFile(path=str(path), mime_type=mime, alt_text=alt, size=size)


def test_media_without_a_public_address_are_refused_naming_the_setting(
    profile, fake, settings, monkeypatch
):
    monkeypatch.delenv("PARVIS_THREADS_MEDIA_URL", raising=False)
    settings.THREADS_MEDIA_URL = ""
    settings.PUBLIC_URL = ""
    post = OutgoingPost(text=TEXT, media=(media(settings, "a.jpg", "image/jpeg"),))
    with pytest.raises(PermanentError, match="PARVIS_PUBLIC_URL"):
        profile.publish(post, PublishContext(idempotency_key="m"))
    assert fake.published_texts() == [] and not fake.containers


def test_an_image_is_published_from_parvis_signed_address(profile, fake, settings):
    from django.test import Client

    settings.PUBLIC_URL = "https://parvis.lumiere.example"
    settings.THREADS_MEDIA_URL = "https://media.lumiere.example/parvis/"  # the older one: unused
    one = media(settings, "signed.jpg", "image/jpeg", alt="Une bougie")
    profile.publish(OutgoingPost(text=TEXT, media=(one,)), PublishContext(idempotency_key="s"))
    address = fake.own[-1]["_form"]["image_url"]
    assert address.startswith("https://parvis.lumiere.example/hooks/instagram/media/")
    # What Threads fetches there is the file itself.
    served = Client().get(address.removeprefix("https://parvis.lumiere.example"))
    assert served.status_code == 200 and b"".join(served.streaming_content) == b"x" * 10


def test_an_image_and_a_carousel_are_published_from_the_public_address(profile, fake, settings):
    settings.PUBLIC_URL = ""  # the older reverse-proxy folder, kept as a fallback
    settings.THREADS_MEDIA_URL = "https://media.lumiere.example/parvis/"
    one = media(settings, "abc.jpg", "image/jpeg", alt="Une bougie")
    profile.publish(OutgoingPost(text=TEXT, media=(one,)), PublishContext(idempotency_key="i"))
    image = fake.own[-1]["_form"]
    assert image == {
        "text": TEXT,
        "media_type": "IMAGE",
        "image_url": "https://media.lumiere.example/parvis/ab/abc.jpg",
        "alt_text": "Une bougie",
    }
    two = media(settings, "def.png", "image/png")
    carousel = OutgoingPost(text="Deux photos", media=(one, two))
    published = profile.publish(carousel, PublishContext(idempotency_key="c"))
    assert fake.own[-1]["media_type"] == "CAROUSEL_ALBUM"
    assert published.external_id == fake.own[-1]["id"]
    children = fake.own[-1]["_children"]
    assert [c["image_url"].rsplit("/", 1)[1] for c in children] == ["abc.jpg", "def.png"]
    assert all(c["is_carousel_item"] == "true" for c in children)
    assert fake.published_texts() == [TEXT, "Deux photos"]


def test_a_video_waits_for_its_container_then_publishes(profile, fake, settings, no_waiting):
    settings.THREADS_MEDIA_URL = "https://media.lumiere.example"
    clip = media(settings, "v.mp4", "video/mp4")
    fake.processing_polls = 3
    profile.publish(
        OutgoingPost(text="La vidéo", media=(clip,)), PublishContext(idempotency_key="v")
    )
    assert fake.own[-1]["_form"]["video_url"] == "https://media.lumiere.example/ab/v.mp4"
    assert len(no_waiting) == 3


def test_a_container_still_processing_is_retried_later_and_one_in_error_is_permanent(
    profile, fake, settings
):
    settings.THREADS_MEDIA_URL = "https://media.lumiere.example"
    clip = media(settings, "v.mp4", "video/mp4")
    fake.processing_polls = 100
    with pytest.raises(RetryLater, match="still processing"):
        profile.publish(OutgoingPost(text="x", media=(clip,)), PublishContext(idempotency_key="p"))
    fake.processing_polls = 0
    fake.container_status = "ERROR"
    with pytest.raises(PermanentError, match="FAILED_DOWNLOADING_VIDEO"):
        profile.publish(OutgoingPost(text="y", media=(clip,)), PublishContext(idempotency_key="e"))
    assert fake.published_texts() == []


def test_media_threads_does_not_take_are_refused_before_any_call(profile, fake, settings):
    settings.THREADS_MEDIA_URL = "https://media.lumiere.example"
    gif = media(settings, "a.gif", "image/gif")
    big = media(settings, "b.jpg", "image/jpeg", size=9 * 1024 * 1024)
    for item in (gif, big):
        with pytest.raises(PermanentError):
            profile.publish(OutgoingPost(text="z", media=(item,)), PublishContext())
    assert not fake.requests


def test_the_quota_left_and_the_documented_limits(profile, fake, workspace):
    limits = profile.publish_limits()
    assert (limits.max_characters, limits.max_media) == (500, 10)
    assert (limits.posts_per_window, limits.posts_left, limits.window_seconds) == (250, 246, 86400)
    profile.publish(OutgoingPost(text=TEXT), PublishContext(idempotency_key="q"))
    assert profile.publish_limits().posts_left == 245
    # Without an account or a client, only the documented limits.
    bare = ThreadsConnector(base.AccountSettings(workspace.pk, None, None))
    assert bare.publish_limits().posts_left is None


def test_publishing_without_permission_names_it(profile, fake):
    fake.error_next("error_10", 403)
    with pytest.raises(PermanentError, match="threads_content_publish"):
        profile.publish(OutgoingPost(text=TEXT), PublishContext(idempotency_key="n"))


# --- metrics ---------------------------------------------------------------------------------


def test_insights_give_views_likes_replies_reposts_and_quotes(profile, fake):
    post = profile.publish(OutgoingPost(text=TEXT), PublishContext(idempotency_key="s"))
    fake.figures[post.external_id] = {
        "views": 1200,
        "likes": 40,
        "replies": 3,
        "reposts": 2,
        "quotes": 1,
    }
    [counts] = profile.post_metrics([post.external_id], MetricsContext())
    assert (counts.views, counts.likes, counts.replies, counts.reposts, counts.quotes) == (
        1200,
        40,
        3,
        2,
        1,
    )
    asked = [r for r in fake.requests if r.url.path.endswith("/insights")]
    assert parse_qs(asked[0].url.query.decode())["metric"] == ["views,likes,replies,reposts,quotes"]


def test_a_hostile_count_is_no_figure(profile, fake):
    post = profile.publish(OutgoingPost(text=TEXT), PublishContext(idempotency_key="h"))
    fake.figures[post.external_id] = {"likes": 10**30, "views": -4}
    [counts] = profile.post_metrics([post.external_id], MetricsContext())
    assert counts.likes is None and counts.views is None and counts.replies == 0


def test_metrics_without_the_permission_say_which(profile, fake):
    post = profile.publish(OutgoingPost(text=TEXT), PublishContext(idempotency_key="w"))
    fake.error_next("error_10", 403)
    with pytest.raises(PermanentError, match="threads_manage_insights"):
        profile.post_metrics([post.external_id], MetricsContext())
