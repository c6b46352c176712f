from pathlib import Path

import httpx
import pytest

from parvis.connectors import http
from parvis.connectors.base import RetryLater
from parvis.listening.models import Mention, MonitoredQuery, QuarantinedItem, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "rss"
FEED_URL = "https://www.deco-lyon.example/feed.xml"


class FakeFeedServer:
    """Answers like a web server: the feed with validators, 304 when they match."""

    def __init__(self, body: bytes, status: int = 200, headers: dict | None = None) -> None:
        self.body, self.status, self.headers = body, status, headers or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.status != 200:
            return httpx.Response(self.status, headers=self.headers, content=b"error")
        etag = '"v1"'
        if request.headers.get("If-None-Match") == etag:
            return httpx.Response(304)
        headers = {"ETag": etag, "Last-Modified": "Mon, 23 Nov 2026 08:30:00 GMT", **self.headers}
        return httpx.Response(200, headers=headers, content=self.body)


def client(server: FakeFeedServer) -> httpx.Client:
    return http.client(transport=httpx.MockTransport(server))


@pytest.fixture
def brand_query(workspace):
    return MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression='"maison lumiere"'
    )


def test_feed_items_matching_a_query_are_stored(workspace, brand_query):
    server = FakeFeedServer((FIXTURES / "blog.xml").read_bytes())
    source = do_create_source(workspace, kind="rss", name="Déco Lyon", config={"url": FEED_URL})
    summary = run_source(source.pk, http_client=client(server))
    # 2 of 3 identifiable articles name the brand; the one without id nor link is quarantined
    assert (summary.stored, summary.skipped, summary.rejected) == (2, 1, 1)
    article = Mention.objects.get(external_id="deco-lyon-1842")
    assert article.title == "Maison Lumière ouvre un atelier à la Croix-Rousse"
    assert "alert(" not in article.text and "<strong>" not in article.text
    assert "Visites le samedi." in article.text
    assert article.lang == "fr" and article.url.endswith("maison-lumiere-atelier")
    assert article.author.handle == "www.deco-lyon.example"
    assert article.published_at.isoformat() == "2026-11-23T07:30:00+00:00"
    assert "content" in article.raw  # the entry as received
    quarantined = QuarantinedItem.objects.get()
    assert quarantined.reason == "entry without id nor link" and quarantined.source == source
    source.refresh_from_db()
    assert source.status == SourceStatus.OK and source.cursor["etag"] == '"v1"'


def test_conditional_get_and_no_repeats(workspace, brand_query):
    server = FakeFeedServer((FIXTURES / "blog.xml").read_bytes())
    source = do_create_source(workspace, kind="rss", name="Déco Lyon", config={"url": FEED_URL})
    run_source(source.pk, http_client=client(server))
    again = run_source(source.pk, http_client=client(server))
    assert server.requests[1].headers["If-None-Match"] == '"v1"'
    assert again.stored == 0 and Mention.objects.count() == 2
    source.refresh_from_db()
    source.cursor = {}
    source.save(update_fields=["cursor"])
    third = run_source(source.pk, http_client=client(server))
    assert (third.stored, third.duplicates) == (0, 2) and Mention.objects.count() == 2


def test_atom_alert_feed_can_keep_everything(workspace):
    server = FakeFeedServer((FIXTURES / "alerts.atom").read_bytes())
    source = do_create_source(
        workspace, kind="rss", name="Alerte", config={"url": FEED_URL, "keep_all": True}
    )
    assert run_source(source.pk, http_client=client(server)).stored == 1
    mention = Mention.objects.get()
    assert mention.title == "Candles we love: Maison Lumière"
    assert "🕯️" in mention.text and mention.lang == "en"


def test_rate_limit_backs_off_and_honours_retry_after(workspace):
    server = FakeFeedServer(b"", status=429, headers={"Retry-After": "3600"})
    source = do_create_source(workspace, kind="rss", name="x", config={"url": FEED_URL})
    run_source(source.pk, http_client=client(server))
    source.refresh_from_db()
    assert source.status == SourceStatus.RETRYING and source.consecutive_failures == 1
    wait = (source.next_run_at - source.last_error_at).total_seconds()
    assert 3599 <= wait <= 3601
    assert "429" in source.last_error


def test_server_errors_back_off_exponentially(workspace):
    server = FakeFeedServer(b"", status=503)
    source = do_create_source(workspace, kind="rss", name="x", config={"url": FEED_URL})
    waits = []
    for _ in range(6):
        source.refresh_from_db()
        source.status = SourceStatus.RETRYING
        run_source(source.pk, http_client=client(server))
        source.refresh_from_db()
        waits.append((source.next_run_at - source.last_error_at).total_seconds())
    assert waits[0] <= 60 < waits[3]
    assert source.status == SourceStatus.FAILING


def test_gone_feed_pauses_the_source_with_a_reason(workspace):
    server = FakeFeedServer(b"", status=410)
    source = do_create_source(workspace, kind="rss", name="x", config={"url": FEED_URL})
    run_source(source.pk, http_client=client(server))
    source.refresh_from_db()
    assert source.status == SourceStatus.PAUSED and source.next_run_at is None
    assert "gone" in source.last_error
    assert run_source(source.pk, http_client=client(server)).read == 0  # paused: not fetched


def test_malformed_feed_is_an_error_not_a_crash(workspace):
    server = FakeFeedServer((FIXTURES / "broken.xml").read_bytes())
    source = do_create_source(workspace, kind="rss", name="x", config={"url": FEED_URL})
    run_source(source.pk, http_client=client(server))
    source.refresh_from_db()
    assert source.status == SourceStatus.RETRYING and "could not be read" in source.last_error


def test_timeouts_are_retryable():
    def timeout(request):
        raise httpx.ConnectTimeout("slow", request=request)

    with pytest.raises(RetryLater):
        http.get(http.client(transport=httpx.MockTransport(timeout)), FEED_URL)


def test_retry_after_as_http_date():
    import datetime as dt

    response = httpx.Response(429, headers={"Retry-After": "Wed, 25 Nov 2026 10:00:30 GMT"})
    now = dt.datetime(2026, 11, 25, 10, 0, 0, tzinfo=dt.UTC)
    assert http.retry_after(response, now) == 30


def test_feed_address_is_validated(workspace):
    with pytest.raises(ValueError):
        do_create_source(workspace, kind="rss", name="x", config={"url": "file:///etc/passwd"})


def test_character_references_to_no_character_do_not_break_the_feed(workspace, brand_query):
    """feedparser raised on &#xD800; (a surrogate), &#x110000; and &#99999999999;: the whole feed
    failed at every run. They read as U+FFFD, as HTML reads them; the entries are stored."""
    body = (FIXTURES / "blog.xml").read_bytes()
    body = body.replace(b"ouvre un atelier", b"ouvre &#xD800; un &#x110000; atelier &#99999999999;")
    body = body.replace(b"Des c&#233;ramiques", b"Des c&#233;ramiques &#56320;")
    source = do_create_source(workspace, kind="rss", name="Déco Lyon", config={"url": FEED_URL})
    summary = run_source(source.pk, http_client=client(FakeFeedServer(body)))
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    assert (summary.stored, summary.rejected) == (2, 1)
    article = Mention.objects.get(external_id="deco-lyon-1842")
    assert article.title.startswith("Maison Lumière ouvre \ufffd un \ufffd atelier \ufffd à")


def test_a_pubdate_in_year_9999_is_quarantined_and_the_rest_stored(workspace, brand_query):
    body = (FIXTURES / "blog.xml").read_bytes()
    body = body.replace(b"Sun, 22 Nov 2026 18:00:00 +0100", b"Fri, 31 Dec 9999 23:59:59 GMT")
    source = do_create_source(workspace, kind="rss", name="Déco Lyon", config={"url": FEED_URL})
    summary = run_source(source.pk, http_client=client(FakeFeedServer(body)))
    assert (summary.stored, summary.rejected) == (1, 2)
    reasons = set(QuarantinedItem.objects.values_list("reason", flat=True))
    assert any("in the future" in r for r in reasons), reasons
