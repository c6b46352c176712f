import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from django.utils import timezone, translation

from parvis.connectors import http
from parvis.connectors.hackernews import OVERLAP, HackerNewsConnector
from parvis.listening.models import Mention, MonitoredQuery, QuarantinedItem, Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from tests.connectors.contract.harness import BASE_TIME, Post
from tests.connectors.fakes.hackernews import Fake

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "hackernews"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


class Server:
    """Answers each request with the next queued response, recording the requests."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responses.pop(0)


def run(source: Source, handler) -> object:
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    summary = run_source(source.pk, http_client=http.client(transport=httpx.MockTransport(handler)))
    source.refresh_from_db()
    return summary


@pytest.fixture
def brand(workspace):
    return MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression='"maison lumiere"'
    )


@pytest.fixture
def source(workspace, brand):
    return do_create_source(workspace, kind="hackernews", name="HN", config={"since": "2026-11-01"})


def test_hits_map_to_mentions_and_deleted_comments_are_skipped(source):
    server = Server(httpx.Response(200, json=fixture("search_by_date.json")))
    summary = run(source, server)
    # 4 hits: 3 mentions, the deleted comment (no author, no text) is neither stored nor an error
    assert (summary.stored, summary.rejected) == (3, 0)
    assert not QuarantinedItem.objects.exists()
    comment = Mention.objects.get(external_id="46101301")
    assert comment.url == "https://news.ycombinator.com/item?id=46101301"
    assert comment.text.startswith("We switched to Maison Lumière candles last year.")
    assert "soy wax & cotton wick" in comment.text and "I'd buy again." in comment.text
    assert "https://maison-lumiere.example/" in comment.text and "<a" not in comment.text
    assert comment.title == ""
    assert (comment.parent_external_id, comment.root_external_id) == ("46101260", "46101234")
    assert comment.published_at == dt.datetime(2026, 11, 23, 14, 5, 9, tzinfo=dt.UTC)
    assert comment.author.handle == "jdupuis"
    assert comment.author.profile_url == "https://news.ycombinator.com/user?id=jdupuis"
    assert comment.author.followers == 0
    assert "_highlightResult" not in comment.raw and comment.raw["story_id"] == 46101234
    story = Mention.objects.get(external_id="46101234")
    assert story.title == "Show HN: Maison Lumière open-sources its wax blend calculator"
    assert story.text.startswith("Hi HN,\nwe make candles in Lyon & wrote a small tool")
    assert story.text.endswith("wax blends: soy, rapeseed, beeswax.")
    assert (story.likes, story.replies) == (187, 42)
    assert story.parent_external_id == "" and story.url.endswith("?id=46101234")
    link = Mention.objects.get(external_id="46100999")
    assert link.text == "" and link.title == "Maison Lumière raises a seed round"
    source.refresh_from_db()
    assert source.status == SourceStatus.OK
    state = source.cursor["terms"]['"maison lumiere"']
    assert state["since"] == 1795442709 and "window" not in state


def test_the_request_is_algolias_documented_search(source):
    server = Server(httpx.Response(200, json=fixture("search_by_date.json")))
    run(source, server)
    request = server.requests[0]
    assert str(request.url).startswith("https://hn.algolia.com/api/v1/search_by_date?")
    params = request.url.params
    since = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())
    assert params["query"] == '"maison lumiere"'
    assert params["advancedSyntax"] == "true"  # quotes make a phrase only with it
    assert params["tags"] == "(story,comment)"
    assert params["numericFilters"] == f"created_at_i>={since - OVERLAP}"
    assert (params["hitsPerPage"], params["page"]) == ("100", "0")
    assert "Parvis/" in request.headers["User-Agent"]


def test_next_run_starts_at_the_high_water_mark_minus_the_indexing_lag(source):
    first = Server(httpx.Response(200, json=fixture("search_by_date.json")))
    run(source, first)
    again = Server(httpx.Response(200, json=fixture("search_by_date.json")))
    summary = run(source, again)
    assert again.requests[0].url.params["numericFilters"] == f"created_at_i>={1795442709 - OVERLAP}"
    assert summary.stored == 0 and summary.duplicates == 3 and Mention.objects.count() == 3


def test_paging_narrows_the_upper_bound_and_keeps_items_of_the_same_second(workspace, brand):
    fake = Fake()
    source = do_create_source(workspace, kind="hackernews", name="HN", config=fake.source_config())
    # 25 comments in one second, 5 older ones: pages of 10 cannot move the bound inside it.
    second = BASE_TIME + dt.timedelta(days=2)
    same = [Post(created_at=second) for _ in range(25)]
    older = [Post(created_at=second - dt.timedelta(seconds=s)) for s in range(1, 6)]
    fake.publish(*same, *older)
    summary = run(source, fake)
    assert summary.stored == 30
    assert {m.external_id for m in Mention.objects.all()} == {
        fake.external_id(p) for p in same + older
    }
    filters = [r.url.params["numericFilters"] for r in fake.requests]
    pages = [r.url.params["page"] for r in fake.requests]
    top = int(second.timestamp())
    assert filters[1].endswith(f"created_at_i<={top}") and pages[1] == "0"
    assert pages[2] == "1"  # a page entirely at the bound's second: the page number moves
    assert source.cursor["terms"]['"maison lumiere"']["since"] == top


def test_a_crash_mid_window_keeps_the_mark_and_resumes_below_the_bound(workspace, brand):
    fake = Fake()
    source = do_create_source(workspace, kind="hackernews", name="HN", config=fake.source_config())
    posts = [Post() for _ in range(25)]
    fake.publish(*posts)
    calls = {"n": 0}

    def crash_on_second_page(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 2:
            raise httpx.ReadTimeout("worker killed", request=request)
        return fake(request)

    run(source, crash_on_second_page)
    assert Mention.objects.count() == 10  # the first page and its cursor committed together
    state = source.cursor["terms"]['"maison lumiere"']
    # The mark has not moved: only the open window says where paging stopped.
    assert state["since"] == int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp())
    newest = max(posts, key=lambda p: p.created_at)
    assert state["window"]["top"] == int(newest.created_at.timestamp())
    assert source.status == SourceStatus.RETRYING
    fake.requests.clear()
    summary = run(source, fake)
    assert summary.stored == 15 and Mention.objects.count() == 25
    assert (
        f"created_at_i<={state['window']['until']}" in fake.requests[0].url.params["numericFilters"]
    )
    assert source.cursor["terms"]['"maison lumiere"'] == {
        "since": state["window"]["top"],
        "done_at": source.cursor["terms"]['"maison lumiere"']["done_at"],
    }


def test_each_term_has_its_own_cursor_and_removed_terms_are_forgotten(workspace, source):
    MonitoredQuery.objects.create(
        workspace=workspace, name="Produit", kind="product", expression="bougie OR candle"
    )
    fake = Fake()
    fake.publish(Post(text="A Maison Lumière candle"), Post(text="bougie parfumée"))
    run(source, fake)
    queries = [r.url.params["query"] for r in fake.requests]
    assert queries == ['"maison lumiere"', "bougie", "candle"]
    assert set(source.cursor["terms"]) == {'"maison lumiere"', "bougie", "candle"}
    MonitoredQuery.objects.filter(name="Produit").update(is_active=False)
    run(source, fake)
    assert set(source.cursor["terms"]) == {'"maison lumiere"'}


def test_the_term_read_longest_ago_goes_first():
    connector = HackerNewsConnector.__new__(HackerNewsConnector)
    connector.finished = set()
    states = {"a": {"since": 1, "done_at": 50}, "b": {"since": 1, "done_at": 10}, "c": {"since": 1}}
    assert connector.next_term(["a", "b", "c"], states) == "c"  # never read
    states["c"]["done_at"] = 99
    assert connector.next_term(["a", "b", "c"], states) == "b"
    states["a"]["window"] = {"page": 0}
    assert connector.next_term(["a", "b", "c"], states) == "a"  # an open window first
    connector.finished = {"a", "b", "c"}
    assert connector.next_term(["a", "b", "c"], states) is None


def test_no_search_term_means_no_request(workspace):
    source = do_create_source(workspace, kind="hackernews", name="HN", config={})
    server = Server()
    run(source, server)
    assert server.requests == [] and source.status == SourceStatus.OK


@pytest.mark.parametrize(
    ("response", "status", "wait"),
    [
        (
            httpx.Response(429, headers={"Retry-After": "1200"}, json=fixture("error_429.json")),
            "retrying",
            1190,
        ),
        (httpx.Response(503, text="Service Unavailable"), "retrying", 0),
    ],
)
def test_rate_limit_and_server_errors_retry_later(source, response, status, wait):
    before = timezone.now()
    run(source, Server(response))
    assert source.status == status and source.next_run_at >= before + dt.timedelta(seconds=wait)
    assert "hn.algolia.com" in source.last_error


def test_a_blocked_address_pauses_the_source_with_what_to_do(source):
    refused = httpx.Response(403, json={"message": "Your IP has been blocked", "status": 403})
    run(source, Server(refused))
    assert source.status == SourceStatus.PAUSED
    assert (
        "10,000 requests an hour" in source.last_error
        and "support@algolia.com" in source.last_error
    )


def test_a_refused_search_pauses_with_algolias_message(source):
    run(source, Server(httpx.Response(400, json=fixture("error_400.json"))))
    assert source.status == SourceStatus.PAUSED
    assert "Invalid syntax for numeric condition" in source.last_error


def test_a_hit_without_id_is_quarantined(source):
    body = fixture("search_by_date.json")
    del body["hits"][0]["objectID"]
    summary = run(source, Server(httpx.Response(200, json=body)))
    assert (summary.stored, summary.rejected) == (2, 1)
    assert QuarantinedItem.objects.get().reason == "Hacker News hit without objectID"


def test_stories_only_setting(workspace, brand):
    source = do_create_source(
        workspace, kind="hackernews", name="HN", config={"tags": "story", "since": "2026-11-20"}
    )
    server = Server(httpx.Response(200, json=fixture("search_by_date.json")))
    run(source, server)
    assert server.requests[0].url.params["tags"] == "story"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"since": "last week"}, "date like 2026-11-01"),
        ({"since": "2999-01-01"}, "future"),
        ({"tags": "poll"}, "all, story, comment"),
    ],
)
def test_settings_are_checked_with_clear_errors(config, message):
    with translation.override("en"), pytest.raises(ValueError, match=message):
        HackerNewsConnector.validate_config(config)


def test_settings_are_normalised():
    assert HackerNewsConnector.validate_config({"since": " 2026-11-01 ", "x": 1}) == {
        "tags": "all",
        "since": "2026-11-01",
    }
    assert HackerNewsConnector.validate_config({}) == {"tags": "all"}
