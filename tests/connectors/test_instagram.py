"""Instagram professional accounts (Instagram Graph API through the linked Page) against the
HTTP fake: connecting through the pages, reading comments and tags, the error codes, replying,
moderating, publishing through containers from the public media address, the publishing
limit, the counts and the webhook."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import override_settings

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
from parvis.connectors.facebook import webhook as fb_webhook
from parvis.connectors.facebook.models import FacebookDelivery, FacebookSend
from parvis.connectors.instagram import InstagramConnector, api, connect, media_url, publishing
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.services import do_connect_account
from parvis.listening.models import Mention, QuarantinedItem, Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from tests.conftest import login
from tests.connectors.contract.harness import Post
from tests.connectors.fakes import instagram
from tests.connectors.fakes.instagram import (
    APP_ID,
    APP_SECRET,
    FIXTURES,
    IG_USER_ID,
    PAGE_TOKEN,
    PUBLIC_URL,
    THE_MEDIA,
    USERNAME,
    Comment,
    Fake,
    tiny_jpeg,
)

pytestmark = pytest.mark.django_db

REAL_CLIENT = connector_http.client
CONNECT = "/w/lumiere/accounts/connect/"
CALLBACK = "/connect/oauth/callback/"
REDIRECT_URI = "http://testserver/connect/oauth/callback/"
HOOK = "/hooks/instagram/"
TEXT = "Merci Léa, à très vite à la boutique !"
CAPTION = "Atelier bougies samedi 🕯️ #MaisonLumiere"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.PUBLIC_URL = PUBLIC_URL


@pytest.fixture
def fake() -> Fake:
    return Fake()


@pytest.fixture
def account(workspace, fake) -> ConnectedAccount:
    spec = fake.account()
    return do_connect_account(
        workspace, None, network="instagram", handle=spec["handle"], credentials=spec["credentials"]
    )


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def ig(account, fake) -> InstagramConnector:
    connector = InstagramConnector.for_account(
        account, http=REAL_CLIENT(transport=fake.transport())
    )
    connector.sleep = Sleeps()  # type: ignore[method-assign]
    return connector


def since() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)


def through(fake: Fake):
    return mock.patch.object(
        connector_http, "client", lambda transport=None: REAL_CLIENT(transport=fake.transport())
    )


def response(name: str, status: int = 400, headers: dict | None = None) -> httpx.Response:
    body = json.loads((FIXTURES / f"{name}.json").read_text())
    request = httpx.Request("GET", f"{instagram.GRAPH}{IG_USER_ID}/media")
    return httpx.Response(status, json=body, headers=headers or {}, request=request)


def refusal(name: str, doing: str = "read", headers: dict | None = None) -> Exception:
    client = api.Api(httpx.Client(), PAGE_TOKEN)
    return client.refusal(response(name, headers=headers), doing)


def jpeg(settings, name: str = "a") -> MediaFile:
    data = tiny_jpeg() + name.encode()
    folder = settings.DATA_DIR / "publishing" / "media" / "ab"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.jpg"
    path.write_bytes(data)
    return MediaFile(str(path), "image/jpeg", f"alt {name}", len(data), 1080, 1080)


def video(settings, name: str = "reel") -> MediaFile:
    folder = settings.DATA_DIR / "publishing" / "media" / "cd"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + name.encode())
    return MediaFile(str(path), "video/mp4", "", path.stat().st_size)


# --- what it says it does ------------------------------------------------------------------


def test_capabilities_and_the_shared_graph_client():
    cls = get("instagram")
    assert cls is InstagramConnector
    assert cls.network == "instagram"
    assert {Capability.OWN_ACTIVITY, Capability.REPLY, Capability.PUBLISH} <= cls.capabilities
    assert {Capability.MODERATE, Capability.METRICS} <= cls.capabilities
    assert set(cls.moderation_actions) == {"hide", "restore", "delete"}
    # The Facebook connector's client, pinned version included: not a copy.
    from parvis.connectors.facebook import graph

    assert issubclass(api.Api, graph.Api) and instagram.VERSION == graph.GRAPH_VERSION


def test_settings_are_checked():
    assert InstagramConnector.validate_config({})["mode"] == "comments"
    assert InstagramConnector.validate_config({"mode": "mentions", "posts": "5"})["posts"] == 5
    for bad in ({"mode": "messages"}, {"posts": "0"}, {"posts": "9" * 40}, {"posts": "x"}):
        with pytest.raises(ValueError):
            InstagramConnector.validate_config(bad)


# --- connecting ----------------------------------------------------------------------------


def start(client, fake, **fields):
    data = {"kind": "instagram", "app_id": APP_ID, "app_secret": APP_SECRET, **fields}
    page = client.post(CONNECT, data)
    assert page.status_code == 200, page.content[:300]
    return page.context["url"]


def finish(client, fake, url):
    state = parse_qs(urlsplit(url).query)["state"][0]
    return client.get(CALLBACK, {"code": fake.authorize(url), "state": state})


def test_the_account_is_found_through_its_page(workspace, owner, fake):
    client = login(owner)
    with through(fake):
        form = client.get(CONNECT, {"network": "instagram"})
        assert form.context["connector"].kind == "instagram" and form.context["oauth"]
        shown = form.content.decode()
        for permission in (
            "instagram_basic",
            "instagram_manage_comments",
            "instagram_content_publish",
            "instagram_manage_insights",
            "pages_show_list",
            "pages_read_engagement",
        ):
            assert permission in shown  # listed before connecting
        url = start(client, fake)
        query = parse_qs(urlsplit(url).query)
        assert urlsplit(url).netloc == "www.facebook.com"
        assert set(query["scope"][0].split(",")) == {name for name, _ in connect.PERMISSIONS}
        assert APP_SECRET not in url
        done = finish(client, fake, url)
    assert done.status_code == 302, done.content[:500]
    # Of the two Pages, only Maison Lumière has an Instagram account linked.
    account = ConnectedAccount.objects.get()
    assert (account.network, account.handle, account.display_name) == (
        "instagram",
        IG_USER_ID,
        f"@{USERNAME}",
    )
    credentials = account.credentials()
    assert credentials["ig_user_id"] == IG_USER_ID and credentials["username"] == USERNAME
    assert credentials["page_access_token"] == PAGE_TOKEN
    assert instagram.USER_TOKEN_LONG not in json.dumps(credentials)
    for request in fake.requests:
        for secret in (APP_SECRET, PAGE_TOKEN, instagram.USER_TOKEN_LONG, instagram.AUTH_CODE):
            assert secret not in str(request.url)


def test_login_for_business_configuration_replaces_the_scope(workspace, owner, fake):
    with through(fake):
        url = start(login(owner), fake, config_id="987654321")
    query = parse_qs(urlsplit(url).query)
    assert query["config_id"] == ["987654321"] and "scope" not in query


def test_a_page_without_instagram_says_how_to_link_one(workspace, owner, fake):
    fake.pages = [fake.pages[1]]  # Café Bohème: no Instagram account
    client = login(owner)
    with through(fake):
        page = finish(client, fake, start(client, fake))
    assert page.status_code == 400
    body = page.content.decode()
    assert "no Instagram account" in body and "Linked" in body
    assert not ConnectedAccount.objects.exists()


def test_several_accounts_need_a_choice_by_username(workspace, owner, fake):
    second = {
        **fake.pages[1],
        "instagram_business_account": {"id": "17841400000000002", "username": "cafeboheme"},
    }
    fake.pages = [fake.pages[0], second]
    client = login(owner)
    with through(fake):
        refused = finish(client, fake, start(client, fake))
        assert refused.status_code == 400 and "@cafeboheme" in refused.content.decode()
        done = finish(client, fake, start(client, fake, page="@CafeBoheme"))
    assert done.status_code == 302
    assert ConnectedAccount.objects.get().handle == "17841400000000002"


def test_bad_fields_are_refused_before_leaving(workspace, owner, fake):
    with through(fake):
        page = login(owner).post(CONNECT, {"kind": "instagram", "app_id": "١٢٣", "app_secret": "s"})
    assert page.status_code == 200 and "url" not in page.context
    assert not fake.requests


# --- reading -------------------------------------------------------------------------------


def source_for(workspace, account, **config) -> Source:
    return do_create_source(
        workspace,
        kind="instagram",
        name="Instagram",
        config={"mode": "comments", **config},
        account=account,
    )


def run(source: Source, fake: Fake):
    Source.objects.filter(pk=source.pk).update(next_run_at=dt.datetime.now(dt.UTC))
    summary = run_source(source.pk, http_client=REAL_CLIENT(transport=fake.transport()))
    source.refresh_from_db()
    return summary


def test_comments_and_their_replies_are_read(workspace, account, fake):
    top = Comment(text="Quand ouvre la boutique de Lyon ?")
    reply = Comment(text="Elle ouvre samedi", reply_to=top, author="hugo_martin")
    fake.publish(top, reply)
    source = source_for(workspace, account)
    assert run(source, fake).stored == 2
    stored = {m.external_id: m for m in Mention.objects.all()}
    first, second = stored[fake.comment_id(top)], stored[fake.comment_id(reply)]
    assert first.network == "instagram" and first.author.handle == top.author
    assert first.url == instagram.THE_PERMALINK
    assert first.parent_external_id == THE_MEDIA and first.root_external_id == THE_MEDIA
    assert second.parent_external_id == fake.comment_id(top)
    assert first.raw["media"]["id"] == THE_MEDIA


def test_a_new_comment_is_read_next_time_and_nothing_twice(workspace, account, fake):
    fake.publish(*[Comment(text=f"Commentaire {i}") for i in range(23)])
    source = source_for(workspace, account)
    assert run(source, fake).stored == 23
    fake.publish(Comment(text="Et la livraison ?", created_at=dt.datetime.now(dt.UTC)))
    assert run(source, fake).stored == 1
    assert Mention.objects.count() == 24


def test_media_without_comments_cost_no_call(workspace, account, fake, ig):
    ig.publish(OutgoingPost(text=CAPTION, media=fake.post_media()), PublishContext())
    source = source_for(workspace, account)
    fake.requests.clear()
    run(source, fake)
    paths = [r.url.path for r in fake.requests]
    assert paths == [f"/{instagram.VERSION}/{IG_USER_ID}/media"]  # both have 0 comments


def test_a_malformed_comment_is_quarantined_and_the_rest_stored(workspace, account, fake):
    fake.publish(Comment(text="Bien reçu"), Comment(text="cassé", malformed=True))
    source = source_for(workspace, account)
    assert run(source, fake).stored == 1
    assert QuarantinedItem.objects.count() == 1
    assert source.status == SourceStatus.OK


def test_posts_the_account_is_tagged_in_are_read(workspace, account, fake):
    fake.tagged = [Post(text="Chez @maisonlumiere", author="julie_petit") for _ in range(12)]
    source = source_for(workspace, account, mode="mentions")
    assert run(source, fake).stored == 12
    mention = Mention.objects.filter(text="Chez @maisonlumiere").first()
    assert mention is not None and mention.url.startswith("https://www.instagram.com/p/TAG")


def test_an_invalidated_token_pauses_the_source_saying_reconnect(workspace, account, fake):
    fake.break_permanently()
    source = source_for(workspace, account)
    run(source, fake)
    assert source.status == SourceStatus.PAUSED
    assert "reconnect the Instagram account" in source.last_error


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "wait"),
    [
        ("error_9007", api.NOT_READY_WAIT),
        ("error_9_2207042", api.LIMIT_WAIT),
        ("error_4_2207051", api.BLOCKED_WAIT),
        ("error_4", 600.0),
        ("error_2", None),
    ],
)
def test_waits_are_retry_later(name, wait):
    error = refusal(name, "publish")
    assert isinstance(error, RetryLater) and error.retry_after == wait


def test_the_business_use_case_header_gives_the_wait():
    usage = {
        IG_USER_ID: [{"type": "instagram", "call_count": 100, "estimated_time_to_regain_access": 7}]
    }
    error = refusal("error_80002", headers={"X-Business-Use-Case-Usage": json.dumps(usage)})
    assert isinstance(error, RetryLater) and error.retry_after == 420


@pytest.mark.parametrize(
    ("name", "doing", "words"),
    [
        ("error_9004", "publish", "PARVIS_PUBLIC_URL"),
        ("error_36003", "publish", "aspect ratio"),
        ("error_352", "publish", "format"),
        ("error_25", "read", "restricted or inactive"),
        ("error_190_460", "read", "reconnect the Instagram account"),
        ("error_190_463", "read", "the token expired"),
        ("error_10", "reply", "instagram_manage_comments"),
        ("error_200", "publish", "instagram_content_publish"),
        ("error_200", "metrics", "instagram_manage_insights"),
        ("error_100_33", "read", "no longer has this item"),
    ],
)
def test_refusals_are_permanent_and_say_what_to_do(name, doing, words):
    error = refusal(name, doing)
    assert isinstance(error, PermanentError) and words in str(error)


# --- replying and moderating ---------------------------------------------------------------


def target_of(fake: Fake, post: Post) -> ReplyTarget:
    mention_raw = fake.comment(post)
    mention_raw["media"] = {"id": THE_MEDIA, "permalink": instagram.THE_PERMALINK}
    mention_raw["root_id"] = THE_MEDIA
    return ReplyTarget(network="instagram", external_id=fake.comment_id(post), raw=mention_raw)


def test_reply_goes_under_the_comment_and_is_found_again(ig, fake):
    question = Comment(text="Livrez-vous à Lyon ?")
    fake.publish(question)
    start = since()
    sent = ig.reply(target_of(fake, question), TEXT, ReplyContext(idempotency_key="r1"))
    [mine] = fake.own_comments
    assert mine.reply_to is question and mine.text == TEXT
    assert sent.external_id == fake.comment_id(mine) and sent.url == instagram.THE_PERMALINK
    found = ig.find_reply(target_of(fake, question), TEXT, start, ReplyContext())
    assert found is not None and found.external_id == sent.external_id
    assert ig.find_reply(target_of(fake, question), "autre", start, ReplyContext()) is None


def test_an_answer_to_a_reply_goes_under_its_top_comment(ig, fake):
    top = Comment(text="Question")
    answer = Comment(text="Moi aussi !", reply_to=top, author="hugo_martin")
    fake.publish(top, answer)
    ig.reply(target_of(fake, answer), TEXT, ReplyContext(idempotency_key="r2"))
    assert fake.own_comments[0].reply_to is top


def test_a_lost_reply_answer_then_a_retry_replies_once(ig, fake):
    question = Comment(text="Livrez-vous à Lyon ?")
    fake.publish(question)
    fake.lose_next_answer = True
    with pytest.raises(RetryLater):
        ig.reply(target_of(fake, question), TEXT, ReplyContext(idempotency_key="r3"))
    again = ig.reply(target_of(fake, question), TEXT, ReplyContext(idempotency_key="r3"))
    assert len(fake.own_comments) == 1 and again.external_id == fake.comment_id(
        fake.own_comments[0]
    )
    assert FacebookSend.objects.get(kind="reply").external_id == again.external_id


def test_hide_unhide_and_delete(ig, fake):
    comment = Comment(text="Arnaque !!!")
    fake.publish(comment)
    target = target_of(fake, comment)
    context = ModerationContext(idempotency_key="m")
    hidden = ig.moderate(target, ModerationAction.HIDE, context)
    assert hidden.done and fake.comment_id(comment) in fake.hidden_ids
    assert "hidden already" in ig.moderate(target, ModerationAction.HIDE, context).message
    assert ig.moderate(target, ModerationAction.RESTORE, context).done
    assert fake.comment_id(comment) not in fake.hidden_ids
    posts = [r for r in fake.requests if r.method == "POST"]
    assert [parse_qs(r.content.decode())["hide"] for r in posts] == [["true"], ["false"]]
    assert ig.moderate(target, ModerationAction.DELETE, context).done
    assert comment.deleted
    gone = ig.moderate(target, ModerationAction.DELETE, context)
    assert gone.done and "no longer has" in gone.message
    assert not ig.moderate(target, ModerationAction.RESTORE, context).done


def test_the_accounts_own_comment_cannot_be_hidden(ig, fake):
    question = Comment(text="?")
    fake.publish(question)
    mine = ig.reply(target_of(fake, question), TEXT, ReplyContext())
    target = ReplyTarget(network="instagram", external_id=mine.external_id)
    result = ig.moderate(target, ModerationAction.HIDE, ModerationContext())
    assert not result.done and "delete" in result.message


# --- publishing ----------------------------------------------------------------------------


def test_an_image_goes_through_a_container_fetched_from_the_public_address(ig, fake, settings):
    fake.processing_reads = 2
    image = jpeg(settings)
    post = ig.publish(
        OutgoingPost(text=CAPTION, media=(image,)), PublishContext(idempotency_key="k")
    )
    [item] = fake.media_items
    assert post.external_id == item["id"] and post.url == item["permalink"]
    [box] = [b for b in fake.containers.values()]
    assert box["kind"] == "IMAGE" and box["caption"] == CAPTION and box["alt_text"] == "alt a"
    [address] = fake.fetched
    assert address.startswith(f"{PUBLIC_URL}/hooks/instagram/media/")
    assert ig.sleep == [2.0, 2.0]  # read IN_PROGRESS twice, then FINISHED
    assert fake.quota_usage == 1


def test_a_carousel_and_a_reel(ig, fake, settings):
    images = (jpeg(settings, "a"), jpeg(settings, "b"), video(settings, "clip"))
    ig.publish(OutgoingPost(text="Trois", media=images), PublishContext())
    kinds = sorted((b["kind"], b["child"]) for b in fake.containers.values())
    assert kinds == [("CAROUSEL", False), ("IMAGE", True), ("IMAGE", True), ("VIDEO", True)]
    carousel = next(b for b in fake.containers.values() if b["kind"] == "CAROUSEL")
    assert len(carousel["children"].split(",")) == 3 and carousel["caption"] == "Trois"
    ig.publish(OutgoingPost(text="Le reel", media=(video(settings),)), PublishContext())
    assert [m["media_type"] for m in fake.media_items] == ["CAROUSEL", "VIDEO"]


def test_without_a_public_address_publishing_refuses_saying_what_to_set(ig, fake, settings):
    settings.PUBLIC_URL = ""
    with pytest.raises(PermanentError, match="PARVIS_PUBLIC_URL"):
        ig.publish(OutgoingPost(text=CAPTION, media=(jpeg(settings),)), PublishContext())
    assert not fake.containers and not fake.media_items


def test_what_instagram_cannot_publish_is_refused_before_any_call(ig, fake, settings):
    png = MediaFile(jpeg(settings).path, "image/png", size=10)
    for post, words in (
        (OutgoingPost(text="Texte seul"), "no text-only posts"),
        (OutgoingPost(text="x", media=(png,)), "JPEG"),
        (OutgoingPost(text="x", media=(jpeg(settings),) * 11), "at most 10"),
    ):
        with pytest.raises(PermanentError, match=words):
            ig.publish(post, PublishContext())
    assert not fake.requests


def test_a_media_instagram_cannot_process_is_permanent(ig, fake, settings):
    fake.container_fails = True
    with pytest.raises(PermanentError, match="could not process"):
        ig.publish(OutgoingPost(text="x", media=(video(settings),)), PublishContext())
    assert not fake.media_items


def test_a_container_still_processing_is_retried_later(ig, fake, settings):
    fake.processing_reads = 100
    with pytest.raises(RetryLater) as waited:
        ig.publish(OutgoingPost(text="x", media=(jpeg(settings),)), PublishContext())
    assert waited.value.retry_after == 60 and len(ig.sleep) == publishing.POLLS["image"][0] - 1
    assert not fake.media_items


def test_an_unreachable_address_is_error_9004(ig, fake, settings):
    image = jpeg(settings)
    with (
        mock.patch.object(media_url, "MAX_AGE", -1),  # every token has expired
        pytest.raises(PermanentError, match="PARVIS_PUBLIC_URL"),
    ):
        ig.publish(OutgoingPost(text="x", media=(image,)), PublishContext())


def test_the_publishing_limit_is_read_and_honoured(ig, fake, settings):
    fake.quota_usage = 98
    limits = ig.publish_limits()
    assert (limits.posts_per_window, limits.posts_left) == (100, 2)
    assert limits.max_characters == 2200 and limits.max_media == 10
    fake.quota_usage = 100
    with pytest.raises(RetryLater) as waited:
        ig.publish(OutgoingPost(text="x", media=(jpeg(settings),)), PublishContext())
    assert "publishing limit" in str(waited.value) and waited.value.retry_after == api.LIMIT_WAIT
    assert not fake.containers  # checked before any container is made
    assert ig.publish_limits().posts_left == 0
    # Reached between the check and media_publish (another tool published): 2207042 waits too.
    stale = publishing.PublishLimits(posts_per_window=100, posts_left=1, window_seconds=86_400)
    with (
        mock.patch.object(publishing, "limits", lambda _api, _user: stale),
        pytest.raises(RetryLater, match="publishing limit") as waited,
    ):
        ig.publish(OutgoingPost(text="x", media=(jpeg(settings),)), PublishContext())
    assert waited.value.retry_after == api.LIMIT_WAIT and not fake.media_items


def test_a_crash_after_the_container_publishes_once(ig, fake, settings):
    fake.lose_next_answer = True  # media_publish worked; its answer is lost
    image = jpeg(settings)
    with pytest.raises(RetryLater):
        ig.publish(
            OutgoingPost(text=CAPTION, media=(image,)), PublishContext(idempotency_key="once")
        )
    assert len(fake.media_items) == 1
    again = ig.publish(
        OutgoingPost(text=CAPTION, media=(image,)), PublishContext(idempotency_key="once")
    )
    assert len(fake.media_items) == 1 and again.external_id == fake.media_items[0]["id"]
    assert fake.quota_usage == 1


def test_a_thread_part_is_a_comment_of_the_account(ig, fake, settings):
    head = ig.publish(
        OutgoingPost(text="1/2", media=(jpeg(settings),)), PublishContext(idempotency_key="t1")
    )
    parent = ReplyTarget(network="instagram", external_id=head.external_id, raw=head.raw)
    tail = ig.publish(
        OutgoingPost(text="2/2", reply_to=parent), PublishContext(idempotency_key="t2")
    )
    [mine] = fake.own_comments
    assert mine.on == head.external_id and tail.external_id == fake.comment_id(mine)


# --- the public media address --------------------------------------------------------------


def test_the_media_address_serves_the_file_and_nothing_else(client, settings):
    image = jpeg(settings)
    address = media_url.address(image)
    path = urlsplit(address).path
    answer = client.get(path)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
    assert b"".join(answer.streaming_content) == Path(image.path).read_bytes()
    assert client.get(path[:-3] + "xx/").status_code == 404
    assert client.get("/hooks/instagram/media/" + "A" * 5000 + "/").status_code == 404
    assert client.post(path).status_code == 405
    # A signed path outside the media folder is refused too.
    from django.core import signing

    forged = signing.TimestampSigner(salt=media_url.SALT).sign("../../etc/passwd")
    token = signing.b64_encode(forged.encode()).decode()
    assert client.get(f"/hooks/instagram/media/{token}/").status_code == 404
    outside = signing.b64_encode(
        signing.TimestampSigner(salt=media_url.SALT).sign("secret.key").encode()
    ).decode()
    assert client.get(f"/hooks/instagram/media/{outside}/").status_code == 404


def test_a_file_outside_the_data_directory_gets_no_address(tmp_path):
    stray = tmp_path / "x.jpg"
    stray.write_bytes(tiny_jpeg())
    with (
        override_settings(PUBLIC_URL=PUBLIC_URL),
        pytest.raises(PermanentError, match="data directory"),
    ):
        media_url.address(MediaFile(str(stray), "image/jpeg"))


# --- counts --------------------------------------------------------------------------------


def test_counts_views_and_a_retired_metric(ig, fake, settings):
    post = ig.publish(OutgoingPost(text="x", media=(jpeg(settings),)), PublishContext())
    fake.figures[post.external_id] = {
        "likes": 40,
        "comments": 5,
        "shares": 2,
        "reach": 300,
        "views": 900,
    }
    [counts] = ig.post_metrics([post.external_id], MetricsContext())
    assert counts == PostMetrics(post.external_id, likes=40, reposts=2, replies=5, views=900)
    fake.retired = {"views"}
    [counts] = ig.post_metrics([post.external_id], MetricsContext())
    assert (counts.likes, counts.views, counts.reposts) == (40, None, None)


def test_a_hostile_count_is_no_figure(ig, fake, settings):
    post = ig.publish(OutgoingPost(text="x", media=(jpeg(settings),)), PublishContext())
    fake.figures[post.external_id] = {"likes": 10**30, "comments": -1}
    [counts] = ig.post_metrics([post.external_id], MetricsContext())
    assert counts.likes is None and counts.replies is None


def test_the_accounts_daily_figures(ig, fake):
    fake.account_insights = {
        "reach": [("2026-11-20T08:00:00+0000", 1200), ("2026-11-21T08:00:00+0000", 1500)],
        "follower_count": [("2026-11-21T08:00:00+0000", 11_842), ("2026-11-22T08:00:00+0000", -4)],
    }
    days = ig.account_metrics(dt.date(2026, 9, 1), dt.date(2026, 11, 22))
    assert days == {
        "reach": [(dt.date(2026, 11, 20), 1200), (dt.date(2026, 11, 21), 1500)],
        "follower_count": [(dt.date(2026, 11, 21), 11_842)],  # a negative count is no figure
    }
    [asked] = [r for r in fake.requests if r.url.path.endswith(f"{IG_USER_ID}/insights")]
    assert asked.url.params["since"] == "2026-10-23"  # 30 days at most
    with pytest.raises(ValueError):
        ig.account_metrics(dt.date(2026, 11, 22), dt.date(2026, 11, 1))


# --- webhooks ------------------------------------------------------------------------------

COMMENTS = (FIXTURES / "webhook_comments.json").read_bytes()
COMMENTS_SIGNATURE = "sha256=f0f28bf32588d039c8de4f401ae8ac4b65bafbd591ca1462329420c4890b1aff"
MENTIONS = (FIXTURES / "webhook_mentions.json").read_bytes()
MENTIONS_SIGNATURE = "sha256=99d1e749f06741e0174dde6f10545ffa18955e55c470a77ddc88250c22153261"


def test_signature_known_answers():
    # printf '%s' BODY | openssl dgst -sha256 -hmac parvis-test-secret, BODY as below
    assert fb_webhook.signature(b'{"object":"instagram","entry":[]}', "parvis-test-secret") == (
        "sha256=7aecc67814384296318e6db6c086b4b5f415e654b878aa4d772b1d149eb95979"
    )
    # openssl dgst -sha256 -hmac fb-app-secret-NEVER-SHOWN < webhook_comments.json
    assert fb_webhook.signature(COMMENTS, APP_SECRET) == COMMENTS_SIGNATURE
    assert fb_webhook.signature(MENTIONS, APP_SECRET) == MENTIONS_SIGNATURE


def deliver(client, body: bytes, signature: str):
    return client.post(
        HOOK, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=signature
    )


def test_subscription_verification_is_the_facebook_one(client, settings):
    settings.FACEBOOK_VERIFY_TOKEN = "meatyhamhock"
    query = {
        "hub.mode": "subscribe",
        "hub.challenge": "1158201444",
        "hub.verify_token": "meatyhamhock",
    }
    answer = client.get(HOOK, query)
    assert answer.status_code == 200 and answer.content == b"1158201444"
    assert client.get(HOOK, {**query, "hub.verify_token": "wrong"}).status_code == 403
    assert client.get(HOOK, {**query, "hub.challenge": "<b>"}).status_code == 403


def test_a_pushed_comment_is_stored_once_even_replayed(client, workspace, account, fake):
    assert deliver(client, COMMENTS, COMMENTS_SIGNATURE).status_code == 200
    assert deliver(client, COMMENTS, COMMENTS_SIGNATURE).status_code == 200  # a replay
    assert FacebookDelivery.objects.filter(page_id=IG_USER_ID).count() == 1
    source = source_for(workspace, account)
    assert run(source, fake).stored == 1
    mention = Mention.objects.get()
    assert mention.external_id == "17865799348089039" and mention.author.handle == "lea_dupont"
    assert mention.text == "Elle sent divinement bon, cette bougie !"
    deliver(client, COMMENTS, COMMENTS_SIGNATURE)
    assert run(source, fake).stored == 0 and Mention.objects.count() == 1


def test_a_pushed_mention_in_a_comment_is_read_through_the_account(
    client, workspace, account, fake
):
    # On someone else's media: only the webhook can bring it.
    mentioning = Comment(text="@maisonlumiere regardez ça", key=40, on="17900000000000999")
    fake.publish(mentioning)
    assert fake.comment_id(mentioning) == "17858893269000040"
    assert deliver(client, MENTIONS, MENTIONS_SIGNATURE).status_code == 200
    source = source_for(workspace, account)
    run(source, fake)
    assert Mention.objects.filter(external_id="17858893269000040").exists()
    asked = [r for r in fake.requests if r.url.path.endswith(f"/{IG_USER_ID}")]
    assert "mentioned_comment.comment_id(17858893269000040)" in asked[0].url.params["fields"]


def test_a_new_delivery_brings_the_accounts_source_forward(
    client, workspace, account, django_capture_on_commit_callbacks
):
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=15)
    source = source_for(workspace, account)
    Source.objects.filter(pk=source.pk).update(next_run_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, COMMENTS, COMMENTS_SIGNATURE).status_code == 200
    assert Source.objects.get(pk=source.pk).next_run_at <= dt.datetime.now(dt.UTC)


def test_a_tampered_unsigned_or_unknown_delivery_is_refused(client, account):
    tampered = COMMENTS.replace(b"divinement", b"affreusement")
    assert deliver(client, tampered, COMMENTS_SIGNATURE).status_code == 403
    assert deliver(client, COMMENTS, "").status_code == 403
    assert (
        deliver(
            client, COMMENTS.replace(b'"instagram"', b'"page"', 1), COMMENTS_SIGNATURE
        ).status_code
        == 403
    )
    assert deliver(client, b"[" * 100_000, COMMENTS_SIGNATURE).status_code in (400, 403)
    assert deliver(client, b"\xff\xfe", COMMENTS_SIGNATURE).status_code == 400
    assert not FacebookDelivery.objects.exists()


def test_a_delivery_for_an_account_not_connected_is_refused(client):
    assert deliver(client, COMMENTS, COMMENTS_SIGNATURE).status_code == 403


def test_hostile_shapes_in_a_signed_delivery_are_no_500(client, workspace, account, fake):
    entries = [
        {"id": IG_USER_ID, "time": 2**64, "changes": [{"field": "comments", "value": {"id": 1}}]},
        {"id": IG_USER_ID, "time": 1, "changes": [{"field": "comments", "value": "texte"}]},
        {"id": IG_USER_ID, "changes": [{"field": "mentions", "value": {"comment_id": "../x"}}]},
        {"id": IG_USER_ID, "changes": [{"field": "mentions", "value": {"media_id": 12}}]},
        {"id": IG_USER_ID, "changes": "pas une liste"},
        {"id": 42, "changes": []},
        "pas un objet",
    ]
    body = json.dumps({"object": "instagram", "entry": entries}).encode()
    answer = deliver(client, body, fb_webhook.signature(body, APP_SECRET))
    assert answer.status_code == 200
    source = source_for(workspace, account)
    summary = run(source, fake)
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored == 0 and QuarantinedItem.objects.count() == 4
    # A lone surrogate, once signed, is no 500 either (nothing keeps it).
    odd = b'{"object":"instagram","entry":[{"id":"' + IG_USER_ID.encode() + b'","changes":'
    odd += b'[{"field":"comments","value":{"text":"\\ud800"}}]}]}'
    assert deliver(client, odd, fb_webhook.signature(odd, APP_SECRET)).status_code == 200


def test_a_reel_still_processing_is_waited_for_not_made_again(ig, fake, settings):
    fake.processing_reads = 40  # longer than one attempt watches a video
    reel = OutgoingPost(text="Le reel", media=(video(settings),))
    with pytest.raises(RetryLater):
        ig.publish(reel, PublishContext(idempotency_key="reel"))
    assert len(fake.containers) == 1 and not fake.media_items
    again = ig.publish(reel, PublishContext(idempotency_key="reel"))
    assert len(fake.containers) == 1  # the same container, its processing not started over
    [item] = fake.media_items
    assert again.external_id == item["id"] and item["media_type"] == "VIDEO"
    assert FacebookSend.objects.get(kind="post").url == item["permalink"]


def test_an_expired_container_is_made_again(ig, fake, settings):
    fake.processing_reads = 40
    post = OutgoingPost(text="x", media=(jpeg(settings),))
    with pytest.raises(RetryLater):
        ig.publish(post, PublishContext(idempotency_key="exp"))
    [first] = fake.containers.values()
    first["status"] = "EXPIRED"
    fake.processing_reads = 0
    ig.publish(post, PublishContext(idempotency_key="exp"))
    assert len(fake.containers) == 2 and len(fake.media_items) == 1


def test_a_published_container_not_yet_listed_is_never_published_again(ig, fake, settings):
    post = OutgoingPost(text=CAPTION, media=(jpeg(settings),))
    fake.lose_next_answer = True
    fake.listing_lag = True
    with pytest.raises(RetryLater):
        ig.publish(post, PublishContext(idempotency_key="lag"))
    with pytest.raises(RetryLater, match="waiting to read it back"):
        ig.publish(post, PublishContext(idempotency_key="lag"))
    assert len(fake.media_items) == 1 and fake.quota_usage == 1
    fake.listing_lag = False
    found = ig.publish(post, PublishContext(idempotency_key="lag"))
    assert found.external_id == fake.media_items[0]["id"] and len(fake.media_items) == 1


def test_a_pushed_mention_in_a_caption_is_read_through_the_account(
    client, workspace, account, fake
):
    captioned = Post(text="Mon salon avec les bougies de @maisonlumiere", author="julie_petit")
    fake.tagged = [captioned]  # the fake serves it as mentioned_media
    media_id = str(17930000000000000 + captioned.key)
    body = json.dumps(
        {
            "object": "instagram",
            "entry": [
                {
                    "id": IG_USER_ID,
                    "time": 1795683780,
                    "changes": [{"field": "mentions", "value": {"media_id": media_id}}],
                }
            ],
        }
    ).encode()
    assert deliver(client, body, fb_webhook.signature(body, APP_SECRET)).status_code == 200
    source = source_for(workspace, account)
    assert run(source, fake).stored == 1
    mention = Mention.objects.get()
    assert (mention.external_id, mention.author.handle) == (media_id, "julie_petit")
    # Gone by the time the source reads it: quarantined, the run goes on.
    captioned.deleted = True
    body2 = body.replace(b"1795683780", b"1795683781")
    deliver(client, body2, fb_webhook.signature(body2, APP_SECRET))
    assert run(source, fake).stored == 0 and QuarantinedItem.objects.count() == 1
    assert source.status == SourceStatus.OK
