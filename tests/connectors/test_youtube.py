import base64
import datetime as dt
import hashlib
import json
from pathlib import Path

import httpx
import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from parvis.connectors import http
from parvis.connectors.base import PermanentError, RetryLater
from parvis.connectors.services import do_connect_account, do_refresh_credentials
from parvis.connectors.youtube import YouTubeConnector, YouTubeOAuthConnector, quota
from parvis.connectors.youtube.models import YouTubeQuotaUsage
from parvis.listening import runner as runner_module
from parvis.listening.models import Mention, MonitoredQuery, QuarantinedItem, Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from tests.connectors.contract import test_contract as contract
from tests.connectors.contract.harness import Post
from tests.connectors.fakes.youtube import (
    API_KEY,
    AUTH_CODE,
    CHANNEL_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    Fake,
    SearchFake,
)

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
UTC = dt.UTC


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class FixtureServer:
    """Answers each resource with its fixture file, or a given error fixture and status."""

    def __init__(self, **routes: tuple[int, str]) -> None:
        self.routes = {
            "commentThreads": (200, "comment_threads.json"),
            "search": (200, "search.json"),
            "videos": (200, "videos.json"),
            "channels": (200, "channels.json"),
            "search_page2": (200, "search_page2.json"),
            "channel_statistics": (200, "channels_statistics.json"),
            **routes,
        }
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        resource = request.url.path.rsplit("/", 1)[-1]
        if resource == "search" and request.url.params.get("pageToken") == "CAMQAA":
            resource = "search_page2"
        if resource == "channels" and request.url.params.get("part") == "statistics":
            resource = "channel_statistics"
        status, name = self.routes[resource]
        return httpx.Response(status, json=fixture(name))

    def client(self) -> httpx.Client:
        return http.client(transport=httpx.MockTransport(self))


@pytest.fixture
def account(workspace):
    return do_connect_account(
        workspace,
        None,
        network="youtube",
        handle="@maisonlumiere",
        credentials={"api_key": API_KEY, "channel_id": CHANNEL_ID},
    )


@pytest.fixture
def brand_query(workspace):
    return MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression='"maison lumiere"'
    )


def make_source(workspace, account, **config) -> Source:
    return do_create_source(
        workspace, kind="youtube", name="YouTube", config=config, account=account
    )


def run(source: Source, server) -> object:
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    transport = server.transport() if hasattr(server, "transport") else httpx.MockTransport(server)
    summary = run_source(source.pk, http_client=http.client(transport=transport))
    source.refresh_from_db()
    return summary


# --- comments on the channel's videos -------------------------------------------------------


def test_comment_threads_become_comments_and_replies(workspace, account):
    server = FixtureServer()
    source = make_source(workspace, account, mode="comments")
    summary = run(source, server)
    # 2 threads, one reply; a thread without date quarantined; a non-public thread skipped.
    assert (summary.stored, summary.rejected) == (3, 1)
    top = Mention.objects.get(external_id="UgxKREWxIgDrw8w2e_Z4AaABAg")
    assert top.text == "La bougie Figue noire de Maison Lumière sent divinement bon 🕯️ <3"
    assert top.url == "https://www.youtube.com/watch?v=mLvideo0001&lc=UgxKREWxIgDrw8w2e_Z4AaABAg"
    assert top.author.handle == "UC4lea0dupont0000000000A"
    assert top.author.name == "@lea_dupont"
    assert top.author.profile_url == "http://www.youtube.com/@lea_dupont"
    assert top.published_at == dt.datetime(2026, 11, 23, 18, 42, 10, tzinfo=UTC)
    assert (top.likes, top.replies) == (12, 1)
    assert (top.parent_external_id, top.root_external_id) == ("mLvideo0001", "mLvideo0001")
    reply = Mention.objects.get(external_id="UgxKREWxIgDrw8w2e_Z4AaABAg.9zKQm1vL2Xa9zKQnTtq3Yb")
    assert reply.parent_external_id == "UgxKREWxIgDrw8w2e_Z4AaABAg"
    assert reply.root_external_id == "mLvideo0001"
    assert reply.url.endswith("&lc=UgxKREWxIgDrw8w2e_Z4AaABAg.9zKQm1vL2Xa9zKQnTtq3Yb")
    assert not Mention.objects.filter(external_id="UgyHeldForReview000004AaABAg").exists()
    assert "publishedAt" in QuarantinedItem.objects.get().reason
    source.refresh_from_db()
    assert source.status == SourceStatus.OK
    assert source.cursor == {"since": "2026-11-23T18:42:10Z"}
    request = server.requests[0]
    assert request.url.path == "/youtube/v3/commentThreads"
    assert dict(request.url.params) == {
        "part": "snippet,replies",
        "allThreadsRelatedToChannelId": CHANNEL_ID,
        "order": "time",
        "maxResults": "100",
        "textFormat": "plainText",
    }
    # The key travels in a header, never in the URL (URLs end up in logs).
    assert request.headers["X-Goog-Api-Key"] == API_KEY and API_KEY not in str(request.url)


def test_comments_keep_everything_even_without_a_matching_query(workspace, account, brand_query):
    source = make_source(workspace, account, mode="comments")
    assert source.config["keep_all"] is True
    run(source, FixtureServer())
    # "Livraison reçue cassée" names no brand but is on our channel: kept.
    assert Mention.objects.filter(external_id="UgzQ8Qm2xXc9b3Vr1Zh4AaABAg").exists()


def test_replies_from_the_fake_arrive_with_their_parent(workspace, account):
    fake = Fake()
    parent = Post()
    fake.publish(parent)
    fake.reply(parent, Post(text="Merci !", author="maisonlumiere"))
    source = make_source(workspace, account, mode="comments", channel_id=CHANNEL_ID)
    assert run(source, fake).stored == 2
    reply = Mention.objects.exclude(external_id=fake.external_id(parent)).get()
    assert reply.parent_external_id == fake.external_id(parent)
    assert Mention.objects.get(external_id=fake.external_id(parent)).replies == 1


def test_threads_with_more_replies_than_they_carry_are_read_whole(workspace, account):
    fake = Fake()
    busy, quiet = Post(), Post()
    fake.publish(busy, quiet)
    fake.reply(busy, *[Post(text=f"réponse {i}") for i in range(23)])
    fake.reply(quiet, Post(text="merci"))
    source = make_source(workspace, account, mode="comments")
    assert run(source, fake).stored == 2 + 23 + 1
    asked = [(r.url.path.rsplit("/", 1)[-1], r.url.params.get("parentId")) for r in fake.requests]
    busy_id = fake.external_id(busy)
    # The quiet thread carries its one reply: no comments.list call for it.
    assert asked == [("commentThreads", None)] + [("comments", busy_id)] * 3
    assert source.cursor["replies"] == {busy_id: 23}
    # Nothing new: the busy thread's 23 replies are not asked for again.
    fake.requests.clear()
    assert run(source, fake).stored == 0 and len(fake.requests) == 1
    fake.reply(busy, Post(text="une de plus", created_at=dt.datetime(2026, 11, 25, tzinfo=UTC)))
    assert run(source, fake).stored == 1
    assert source.cursor["replies"] == {busy_id: 24}


def test_a_new_reply_to_an_old_thread_arrives_with_the_next_pass(workspace, account):
    fake = Fake()
    older, newer = Post(), Post()
    fake.publish(older, newer)
    source = make_source(workspace, account, mode="comments")
    assert run(source, fake).stored == 2
    fake.reply(
        older, Post(text="Toujours dispo ?", created_at=dt.datetime(2026, 11, 25, tzinfo=UTC))
    )
    assert run(source, fake).stored == 1
    assert len(fake.requests) == 2  # one page each time: the page ends past the mark


def test_a_crash_mid_pass_resumes_from_the_last_committed_page(workspace, account, monkeypatch):
    fake = Fake()
    fake.publish(*[Post() for _ in range(25)])
    source = make_source(workspace, account, mode="comments")
    monkeypatch.setattr(runner_module, "MAX_PAGES_PER_RUN", 1)  # the worker dies after a page
    assert run(source, fake).stored == 10
    newest = fake.visible()[0].created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Mid-pass: the old mark (none) and the pass position; the new mark waits for the end.
    assert source.cursor["since"] == "" and source.cursor["pass"]["top"] == newest
    assert source.cursor["pass"]["token"]
    fake.publish(Post(created_at=dt.datetime(2026, 11, 25, tzinfo=UTC)))  # arrives meanwhile
    # The fake's page tokens are offsets: the newcomer pushes one comment onto the next page
    # again (a repeat, dropped), never off it.
    assert run(source, fake).stored + run(source, fake).stored == 15
    assert source.cursor == {"since": newest}
    # The comment that arrived during the pass is newer than the mark: the next pass has it.
    assert run(source, fake).stored == 1
    assert Mention.objects.count() == 26


def test_a_refused_page_token_restarts_the_pass(workspace, account):
    fake = Fake()
    fake.publish(*[Post() for _ in range(12)])
    source = make_source(workspace, account, mode="comments")
    Source.objects.filter(pk=source.pk).update(
        cursor={"since": "", "pass": {"token": "expired!", "top": "", "pages": 1}}
    )
    assert run(source, fake).stored == 12
    assert source.status == SourceStatus.OK and "pass" not in source.cursor


def test_first_pass_reads_at_most_the_backfill_pages(workspace, account):
    fake = Fake()
    fake.publish(*[Post() for _ in range(35)])
    source = make_source(workspace, account, mode="comments", backfill_pages=2)
    assert run(source, fake).stored == 20
    assert "pass" not in source.cursor and len(fake.requests) == 2


@pytest.mark.parametrize(
    ("status", "name", "words"),
    [
        (403, "error_forbidden.json", "forbidden"),
        (401, "error_auth.json", "reconnect"),
        (400, "error_key_invalid.json", "API key is not valid"),
        (404, "error_channel_not_found.json", "channel was not found"),
    ],
)
def test_refusals_pause_the_source_with_what_to_do(workspace, account, status, name, words):
    source = make_source(workspace, account, mode="comments")
    run(source, FixtureServer(commentThreads=(status, name)))
    assert source.status == SourceStatus.PAUSED and source.next_run_at is None
    assert words in source.last_error
    assert API_KEY not in source.last_error


def test_comments_disabled_skips_without_failing(workspace, account):
    source = make_source(workspace, account, mode="comments")
    summary = run(source, FixtureServer(commentThreads=(403, "error_comments_disabled.json")))
    assert summary.stored == 0 and source.status == SourceStatus.OK


def test_chosen_videos_each_keep_a_mark_and_disabled_comments_skip_one_video(workspace, account):
    fake = Fake()
    first, second = [Post() for _ in range(12)], [Post() for _ in range(3)]
    fake.publish(*first, *second)
    fake.videos_of.update({p.key: "mLvideo0002" for p in second})
    fake.disabled_videos.add("mLdisabled1")
    source = make_source(
        workspace,
        account,
        mode="comments",
        videos="https://www.youtube.com/watch?v=mLvideo0001&t=3s, mLdisabled1\n"
        "https://youtu.be/mLvideo0002 mLmissing01",
    )
    assert source.config["videos"] == "mLvideo0001 mLdisabled1 mLvideo0002 mLmissing01"
    assert run(source, fake).stored == 15
    assert source.status == SourceStatus.OK
    asked = [r.url.params["videoId"] for r in fake.requests]
    assert asked == ["mLvideo0001", "mLvideo0001", "mLdisabled1", "mLvideo0002", "mLmissing01"]
    assert set(source.cursor["videos"]) == {"mLvideo0001", "mLvideo0002"}
    assert "queue" not in source.cursor
    comment = Mention.objects.get(external_id=fake.external_id(second[0]))
    assert comment.root_external_id == "mLvideo0002"
    fake.publish(Post())
    assert run(source, fake).stored == 1


def test_channel_id_comes_from_the_account_when_the_source_has_none(workspace, account):
    server = FixtureServer()
    run(make_source(workspace, account, mode="comments"), server)
    assert server.requests[0].url.params["allThreadsRelatedToChannelId"] == CHANNEL_ID


# --- quota ----------------------------------------------------------------------------------


def test_quota_exceeded_waits_for_the_next_pacific_midnight(workspace, account):
    source = make_source(workspace, account, mode="comments")
    before = timezone.now()
    run(source, FixtureServer(commentThreads=(403, "error_quota_exceeded.json")))
    assert source.status == SourceStatus.RETRYING  # not paused: it comes back by itself
    reset = quota.next_reset(before)
    assert reset <= source.next_run_at <= reset + dt.timedelta(minutes=11)
    assert "quota" in source.last_error


def test_every_call_is_counted_and_the_budget_stops_before_a_call(workspace, account):
    fake = Fake()
    fake.publish(*[Post() for _ in range(25)])
    source = make_source(workspace, account, mode="comments", daily_quota=2)
    run(source, fake)  # pages before the refusal are committed, each with its cursor
    assert Mention.objects.count() == 20 and len(fake.requests) == 2  # no third call sent
    assert source.status == SourceStatus.RETRYING
    assert "quota" in source.last_error
    wait = (source.next_run_at - timezone.now()).total_seconds()
    assert wait >= quota.seconds_until_reset() - 5
    row = YouTubeQuotaUsage.objects.get()
    assert (row.units, row.calls, row.searches) == (2, 2, 0)
    assert row.project.startswith("key:") and API_KEY not in row.project
    assert row.day == quota.pacific_day()


def test_budget_from_the_server_settings(workspace, account, settings):
    # PARVIS_YOUTUBE_DAILY_QUOTA, read and checked at start (tests/test_config.py)
    settings.PARVIS_YOUTUBE = {"DAILY_QUOTA": 1, "DAILY_SEARCHES": 100}
    fake = Fake()
    fake.publish(*[Post() for _ in range(15)])
    source = make_source(workspace, account, mode="comments")
    run(source, fake)
    assert Mention.objects.count() == 10 and len(fake.requests) == 1
    assert quota.budget_for({"daily_quota": 50}).units == 50  # the source's setting wins


def test_usage_is_per_pacific_day():
    # 07:59 UTC on 24 Nov is 23:59 in Los Angeles (PST, UTC-8): still the 23rd there.
    late = dt.datetime(2026, 11, 24, 7, 59, tzinfo=UTC)
    assert quota.pacific_day(late) == dt.date(2026, 11, 23)
    assert quota.next_reset(late) == dt.datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    # Summer time (PDT, UTC-7): midnight is 07:00 UTC.
    summer = dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert quota.next_reset(summer) == dt.datetime(2026, 7, 2, 7, 0, tzinfo=UTC)
    assert quota.seconds_until_reset(late) == 60 + 600


def test_charge_refuses_past_the_budget_and_counts_buckets_apart(workspace):
    budget = quota.Budget(units=2, searches=1)
    now = dt.datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    quota.charge(workspace.pk, "key:x", quota.SEARCH, budget, now)
    quota.charge(workspace.pk, "key:x", quota.LIST, budget, now)
    with pytest.raises(quota.QuotaExhausted) as refused:
        quota.charge(workspace.pk, "key:x", quota.SEARCH, budget, now)
    assert refused.value.retry_after == quota.seconds_until_reset(now)
    quota.charge(workspace.pk, "key:x", quota.LIST, budget, now)
    with pytest.raises(RetryLater):
        quota.charge(workspace.pk, "key:x", quota.LIST, budget, now)
    # The next Pacific day starts from zero.
    quota.charge(workspace.pk, "key:x", quota.SEARCH, budget, now + dt.timedelta(days=1))
    assert quota.usage(workspace.pk, "key:x", now) == {"units": 2, "searches": 1, "calls": 3}


def test_quota_status_for_the_page(workspace, account, settings):
    source = make_source(workspace, account, mode="comments", daily_quota=500)
    run(source, FixtureServer())
    [status] = quota.quota_for_workspace(workspace)
    assert status.account == "@maisonlumiere"
    assert (status.units_used, status.units_limit, status.units_left) == (1, 500, 499)
    assert (status.searches_used, status.searches_left) == (0, 100)
    assert quota.quota_for_source(source) == status
    with translation.override("fr"):
        html = render_to_string("connectors/youtube_quota.html", {"quotas": [status]})
    assert "@maisonlumiere" in html and "499" in html
    assert 'value="1"' in html and 'max="500"' in html
    assert "Quota YouTube" in html  # translated


# --- searches -------------------------------------------------------------------------------


def test_search_results_become_videos_with_full_description_and_counts(
    workspace, account, brand_query
):
    server = FixtureServer()
    source = make_source(workspace, account, mode="search")
    summary = run(source, server)
    assert (summary.stored, summary.rejected) == (2, 0)  # the deleted video is skipped
    video = Mention.objects.get(external_id="Xk3Lm9Pq2Rs")
    assert video.title == "J'ai testé les bougies Maison Lumière"
    assert video.text.endswith("https://maison-lumiere.example/")
    assert video.url == "https://www.youtube.com/watch?v=Xk3Lm9Pq2Rs"
    assert video.author.handle == "UCdecoLyon00000000000000"
    assert video.author.name == "Déco Lyon"
    assert (video.likes, video.replies, video.lang) == (842, 97, "fr")
    assert video.author.followers == 12400
    hidden = Mention.objects.get(external_id="Ab1Cd2Ef3Gh")
    assert hidden.likes == 0 and hidden.text == ""  # likes and description hidden or empty
    assert hidden.author.followers == 0  # subscriber count hidden
    search, videos, channels, last_page = server.requests
    assert dict(channels.url.params) == {
        "part": "statistics",
        "id": "UCdecoLyon00000000000000,UChomeStyle0000000000000",
    }
    assert last_page.url.params["pageToken"] == "CAMQAA"
    assert dict(search.url.params) == {
        "part": "snippet",
        "q": '"maison lumiere"',
        "type": "video",
        "order": "date",
        "maxResults": "50",
    }
    assert dict(videos.url.params) == {
        "part": "snippet,statistics",
        "id": "Xk3Lm9Pq2Rs,Gone0000001,Ab1Cd2Ef3Gh",
    }
    source.refresh_from_db()
    assert source.cursor["terms"]['"maison lumiere"']["after"] == "2026-11-23T16:00:07Z"
    row = YouTubeQuotaUsage.objects.get()
    assert (row.searches, row.units) == (2, 2)  # two search pages, one videos, one channels


def test_search_looks_back_over_the_overlap_and_skips_videos_it_has(
    workspace, account, brand_query
):
    fake = SearchFake()
    fake.publish(*[Post() for _ in range(3)])
    source = make_source(workspace, account, mode="search", overlap_minutes=30)
    assert run(source, fake).stored == 3
    fake.requests.clear()
    assert run(source, fake).stored == 0
    # Only the search call: every result is still in the cursor's window, no videos call.
    [search] = fake.requests
    newest = fake.visible()[0].created_at - dt.timedelta(minutes=30)
    assert search.url.params["publishedAfter"] == newest.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_search_keeps_one_cursor_per_term(workspace, account, brand_query):
    MonitoredQuery.objects.create(
        workspace=workspace, name="Produit", kind="product", expression="bougie AND figue"
    )
    fake = SearchFake()
    fake.publish(Post(text="Maison Lumière"), Post(text="Une bougie à la figue"))
    source = make_source(workspace, account, mode="search", keep_all=True)
    assert run(source, fake).stored == 2
    assert set(source.cursor["terms"]) == {'"maison lumiere"', "bougie figue"}
    assert "queue" not in source.cursor


def test_search_without_terms_does_nothing(workspace, account):
    fake = SearchFake()
    source = make_source(workspace, account, mode="search")
    assert run(source, fake).stored == 0
    assert fake.requests == [] and source.status == SourceStatus.OK


def test_search_stops_when_the_search_bucket_is_spent(workspace, account, brand_query):
    fake = SearchFake()
    fake.publish(*[Post() for _ in range(25)])
    source = make_source(workspace, account, mode="search", daily_searches=2)
    run(source, fake)
    assert Mention.objects.count() == 20
    assert source.status == SourceStatus.RETRYING
    page = ["search", "videos", "channels"]
    assert [r.url.path.rsplit("/", 1)[-1] for r in fake.requests] == page + page


# --- accounts and settings --------------------------------------------------------------------


def test_login_checks_the_key_and_the_channel():
    server = FixtureServer()
    info = YouTubeConnector.login(
        server.client(),
        {"api_key": API_KEY, "channel_id": f"https://www.youtube.com/channel/{CHANNEL_ID}"},
    )
    assert info.handle == "@maisonlumiere" and info.display_name == "Maison Lumière"
    assert info.credentials == {"api_key": API_KEY, "channel_id": CHANNEL_ID}
    assert dict(server.requests[0].url.params) == {"part": "snippet", "id": CHANNEL_ID}


def test_login_finds_the_channel_by_its_handle():
    fake = Fake()
    client = http.client(transport=fake.transport())
    for typed in ("@MaisonLumiere", "https://www.youtube.com/@maisonlumiere"):
        info = YouTubeConnector.login(client, {"api_key": API_KEY, "channel_id": typed})
        assert info.credentials["channel_id"] == CHANNEL_ID and info.handle == "@maisonlumiere"
    assert fake.requests[-1].url.params["forHandle"] == "@maisonlumiere"
    with pytest.raises(PermanentError, match="no channel @personne"):
        YouTubeConnector.login(client, {"api_key": API_KEY, "channel_id": "@personne"})


def test_login_refusals_say_what_to_do():
    fake = Fake()
    client = http.client(transport=fake.transport())
    with pytest.raises(PermanentError, match="no channel"):
        YouTubeConnector.login(client, {"api_key": API_KEY, "channel_id": "UC" + "z" * 22})
    with pytest.raises(PermanentError, match="API key is not valid") as refused:
        YouTubeConnector.login(client, {"api_key": "AIza-wrong", "channel_id": CHANNEL_ID})
    assert "AIza-wrong" not in str(refused.value)
    with pytest.raises(ValueError):
        YouTubeConnector.login(client, {"api_key": API_KEY, "channel_id": "maison"})
    fake.quota_exceeded = True
    with pytest.raises(RetryLater):
        YouTubeConnector.login(client, {"api_key": API_KEY, "channel_id": CHANNEL_ID})


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def test_validate_config(english):
    clean = YouTubeConnector.validate_config(
        {"mode": "search", "channel_id": "", "daily_quota": "5000", "keep_all": True, "x": 1}
    )
    assert clean == {"mode": "search", "daily_quota": 5000, "keep_all": True}
    clean = YouTubeConnector.validate_config(
        {"mode": "comments", "channel_id": f"youtube.com/channel/{CHANNEL_ID}/videos"}
    )
    assert clean == {"mode": "comments", "channel_id": CHANNEL_ID, "keep_all": True}
    with pytest.raises(ValueError, match="comments or search"):
        YouTubeConnector.validate_config({"mode": "live"})
    with pytest.raises(ValueError, match="UC"):
        YouTubeConnector.validate_config({"mode": "comments", "channel_id": "@maisonlumiere"})
    with pytest.raises(ValueError, match="daily_quota"):
        YouTubeConnector.validate_config({"mode": "comments", "daily_quota": 0})
    with pytest.raises(ValueError, match="neither a video id"):
        YouTubeConnector.validate_config({"mode": "comments", "videos": "youtube.com/@maison"})
    with pytest.raises(ValueError, match="comments only"):
        YouTubeConnector.validate_config({"mode": "search", "videos": "mLvideo0001"})
    with pytest.raises(ValueError, match="backfill_pages"):
        YouTubeConnector.validate_config({"mode": "comments", "backfill_pages": "many"})


def test_a_source_needs_an_account(workspace):
    with pytest.raises(ValueError, match="account"):
        do_create_source(workspace, kind="youtube", name="YT", config={"mode": "comments"})


# --- the contract suite again, for the search mode ----------------------------------------------


@pytest.fixture
def fake():
    return SearchFake()


source = contract.source
test_search_pagination_reads_every_page = contract.test_pagination_reads_every_page
test_search_cursor_resume_neither_loses_nor_repeats = (
    contract.test_cursor_resume_neither_loses_nor_repeats
)
test_search_rate_limit_backs_off = contract.test_rate_limit_backs_off_as_the_network_asks
test_search_permanent_refusal_pauses = (
    contract.test_permanent_refusal_pauses_the_source_with_what_to_do
)
test_search_malformed_item_is_quarantined = (
    contract.test_malformed_item_is_quarantined_and_the_rest_stored
)
test_search_deleted_video_is_not_ingested = contract.test_deleted_post_is_not_ingested
test_search_unicode_and_long_text = contract.test_unicode_emoji_and_very_long_text_arrive_whole
test_search_html_is_inert = contract.test_html_in_text_is_inert


# --- Google sign-in (OAuth 2) -------------------------------------------------------------------


def test_oauth_start_sends_the_browser_to_google_with_pkce():
    url, pending = YouTubeOAuthConnector.oauth_start(
        http.client(),
        {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        "https://parvis.example/connect/callback",
        "state-123",
    )
    parsed = httpx.URL(url)
    assert str(parsed.copy_with(query=None)) == "https://accounts.google.com/o/oauth2/v2/auth"
    params = dict(parsed.params)
    digest = hashlib.sha256(pending["code_verifier"].encode()).digest()
    assert params == {
        "client_id": CLIENT_ID,
        "redirect_uri": "https://parvis.example/connect/callback",
        "response_type": "code",
        "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "state": "state-123",
        "code_challenge": base64.urlsafe_b64encode(digest).decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    assert pending["client_secret"] == CLIENT_SECRET and CLIENT_SECRET not in url


def test_oauth_finish_stores_tokens_for_the_signed_in_channel():
    fake = Fake()
    pending = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code_verifier": "v" * 64}
    info = YouTubeOAuthConnector.oauth_finish(
        http.client(transport=fake.transport()), pending, AUTH_CODE, "https://parvis.example/cb"
    )
    assert info.handle == "@maisonlumiere" and info.display_name == "Maison Lumière"
    assert info.credentials["channel_id"] == CHANNEL_ID
    assert info.credentials["access_token"] == fake.access_token
    assert info.credentials["refresh_token"] == REFRESH_TOKEN
    assert dt.datetime.fromisoformat(info.credentials["expires_at"]) > timezone.now()
    [form] = fake.token_forms
    assert form["code_verifier"] == "v" * 64 and form["redirect_uri"] == "https://parvis.example/cb"
    mine = fake.requests[-1]
    assert mine.url.params["mine"] == "true"
    assert mine.headers["Authorization"] == f"Bearer {fake.access_token}"
    with pytest.raises(PermanentError, match="reconnect"):
        YouTubeOAuthConnector.oauth_finish(
            http.client(transport=fake.transport()), pending, "used-code", "https://x/cb"
        )


@pytest.fixture
def signed_in(workspace):
    return do_connect_account(
        workspace,
        None,
        network="youtube",
        handle="@maisonlumiere",
        credentials={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "access_token": "ya29.expired",
            "refresh_token": REFRESH_TOKEN,
            "expires_at": "2026-01-01T00:00:00+00:00",
            "channel_id": CHANNEL_ID,
        },
    )


def test_an_expired_token_is_refreshed_and_kept(workspace, signed_in):
    fake = Fake()
    fake.publish(*[Post() for _ in range(3)])
    source = do_create_source(
        workspace, kind="youtube_oauth", name="YT", config={"mode": "comments"}, account=signed_in
    )
    assert run(source, fake).stored == 3
    assert source.status == SourceStatus.OK
    signed_in.refresh_from_db()
    assert signed_in.credentials()["access_token"] == fake.access_token != "ya29.expired"
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {fake.access_token}"
    assert YouTubeQuotaUsage.objects.get().project.startswith("client:")
    # Google revokes the access token early: one refresh, the same call again.
    fake.access_token = "ya29.revoked"
    fake.publish(Post())
    assert run(source, fake).stored == 1
    assert len(fake.token_forms) == 2


def test_a_refused_refresh_token_pauses_the_source(workspace, signed_in):
    fake = Fake()
    do_refresh_credentials(signed_in, {"refresh_token": "1//revoked"})
    source = make_source(workspace, signed_in, mode="comments")
    run(source, fake)
    assert source.status == SourceStatus.PAUSED and "reconnect" in source.last_error
    assert "1//revoked" not in source.last_error


def test_sources_page_shows_what_is_left_of_the_quota(workspace, account, owner, client):
    source = make_source(workspace, account, mode="comments", daily_quota=500)
    run(source, FixtureServer())
    client.force_login(owner)
    page = client.get(f"/w/{workspace.slug}/listening/sources/").content.decode()
    assert 'class="panel youtube-quota"' in page
    assert "@maisonlumiere" in page and 'value="1"' in page and 'max="500"' in page


def test_sources_page_without_a_youtube_account_has_no_quota_panel(workspace, owner, client):
    client.force_login(owner)
    page = client.get(f"/w/{workspace.slug}/listening/sources/").content.decode()
    assert "youtube-quota" not in page
