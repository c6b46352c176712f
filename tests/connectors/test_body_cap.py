"""Answers are read up to a cap per kind of connector, and no further: a 400 MB feed (or a
small gzip inflating to gigabytes) pauses its source with the reason instead of filling the
worker's memory."""

from __future__ import annotations

import gzip
import json
import zlib

import httpx
import pytest

from parvis import config
from parvis.connectors import base, http, netguard
from parvis.connectors.apps import check_body_caps
from parvis.connectors.base import Incoming, PermanentError
from parvis.listening import pipeline
from parvis.listening.models import Mention, QuarantinedItem, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from tests.listening.factories import mention

MB = http.MB
CHUNK = 64 * 1024


class Endless(httpx.SyncByteStream):
    """A body of `size` bytes produced as it is read, counting what was taken."""

    def __init__(self, size: int, head: bytes = b"") -> None:
        self.size, self.head, self.sent = size, head, 0

    def __iter__(self):
        if self.head:
            self.sent += len(self.head)
            yield self.head
        while self.sent < self.size:
            piece = b"x" * min(CHUNK, self.size - self.sent)
            self.sent += len(piece)
            yield piece


def serving(stream: httpx.SyncByteStream, headers: dict[str, str] | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers or {}, stream=stream)

    return httpx.MockTransport(handler)


def test_a_streamed_body_over_the_cap_stops_being_read_there():
    body = Endless(400 * MB)  # no Content-Length: only counting can stop it
    with (
        http.client(serving(body), max_body=2 * MB, max_body_setting="PARVIS_RSS_MAX_BODY_MB") as c,
        pytest.raises(http.BodyTooLarge) as caught,
    ):
        c.get("https://feed.example/huge.xml")
    assert isinstance(caught.value, PermanentError)  # the source is paused, not retried
    assert "larger than 2 MB" in str(caught.value) and "PARVIS_RSS_MAX_BODY_MB" in str(caught.value)
    assert body.sent <= 2 * MB + CHUNK


def test_a_declared_length_over_the_cap_is_refused_before_reading():
    body = Endless(400 * MB)
    transport = serving(body, {"Content-Length": str(400 * MB)})
    with http.client(transport, max_body=2 * MB) as c, pytest.raises(http.BodyTooLarge):
        c.get("https://feed.example/huge.xml")
    assert body.sent == 0


def test_a_gzip_bomb_is_stopped_on_its_inflated_size():
    bomb = gzip.compress(b"\0" * (40 * MB))  # about 40 KB on the wire
    assert len(bomb) < 1 * MB
    transport = serving(httpx.ByteStream(bomb), {"Content-Encoding": "gzip"})
    with http.client(transport, max_body=1 * MB) as c, pytest.raises(http.BodyTooLarge):
        c.get("https://feed.example/bomb.xml")


def raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("", lambda b: b),
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", raw_deflate),  # as some servers send it
    ],
)
def test_bodies_under_the_cap_read_as_before(encoding, compress):
    text = "<rss>" + "é" * 100_000 + "</rss>"
    headers = {"Content-Encoding": encoding} if encoding else {}
    transport = serving(httpx.ByteStream(compress(text.encode())), headers)
    with http.client(transport, max_body=1 * MB) as c:
        response = c.get("https://feed.example/feed.xml")
    assert response.text == text


def test_only_compressions_parvis_inflates_itself_are_asked_for_and_read():
    asked = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers["Accept-Encoding"])
        return httpx.Response(200, headers={"Content-Encoding": "br"}, content=b"\x0b\x00")

    with http.client(httpx.MockTransport(handler)) as c, pytest.raises(PermanentError):
        c.get("https://feed.example/feed.xml")
    assert asked == ["gzip, deflate"]


def test_the_body_of_a_redirect_is_capped_too():
    body = Endless(400 * MB)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"}, stream=body)
        return httpx.Response(200, content=b"<rss/>")

    client = http.client(httpx.MockTransport(handler), max_body=1 * MB)
    with client as c, pytest.raises(http.BodyTooLarge):
        c.get("https://feed.example/old")
    assert body.sent <= 1 * MB + CHUNK


@pytest.mark.django_db
def test_an_oversized_feed_pauses_its_source_with_the_reason(workspace, monkeypatch, settings):
    settings.CONNECTOR_MAX_BODY_MB = {"rss": 1}
    body = Endless(50 * MB, head=b'<?xml version="1.0"?><rss version="2.0"><channel>')
    # The runner's own client (the connector's cap), over a fake network.
    monkeypatch.setattr(netguard, "guarded_transport", lambda: serving(body))
    source = do_create_source(
        workspace, kind="rss", name="huge", config={"url": "https://feed.example/feed.xml"}
    )
    run_source(source.pk)
    source.refresh_from_db()
    assert source.status == SourceStatus.PAUSED
    assert "larger than 1 MB" in source.last_error
    assert "PARVIS_RSS_MAX_BODY_MB" in source.last_error
    assert body.sent <= 1 * MB + CHUNK


def test_each_kind_has_its_default_and_the_setting_overrides_it(settings):
    rss, reddit = base.get("rss"), base.get("reddit")
    settings.CONNECTOR_MAX_BODY_MB = {}
    assert rss.max_body_mb == 16 and reddit.max_body_mb == 8
    settings.CONNECTOR_MAX_BODY_MB = {"reddit": 3}
    with reddit.http_client() as c:
        assert c._transport.limit == 3 * MB  # the cap the runner's client was given
    with rss.http_client() as c:
        assert c._transport.limit == 16 * MB


def test_cap_settings_are_checked_at_start(monkeypatch):
    monkeypatch.setenv("PARVIS_RSS_MAX_BODY_MB", "40")
    monkeypatch.setenv("PARVIS_REDDIT_MAX_BODY_MB", "2")
    monkeypatch.setenv("PARVIS_YOUTUBE_OAUTH_MAX_BODY_MB", "3")
    assert config.connector_body_caps() == {"reddit": 2, "rss": 40, "youtube_oauth": 3}
    monkeypatch.setenv("PARVIS_RSS_MAX_BODY_MB", "lots")
    with pytest.raises(config.ConfigError, match="PARVIS_RSS_MAX_BODY_MB"):
        config.connector_body_caps()
    with pytest.raises(config.ConfigError, match="PARVIS_RSSS_MAX_BODY_MB"):
        check_body_caps({"rsss": 40})  # a typo in the kind
    check_body_caps({"rss": 40, "youtube": 2, "youtube_oauth": 3})


@pytest.mark.django_db
def test_one_oversized_item_in_a_page_is_quarantined_and_the_others_stored(workspace):
    huge = mention(2, text="x")
    huge["padding"] = "y" * (pipeline.MAX_ITEM + 10)  # a field no mapping reads
    items = [
        Incoming(mention(1)),
        Incoming(huge, raw=json.dumps(huge)),
        Incoming(mention(3)),
    ]
    summary = pipeline.run(workspace, items, keep_unmatched=True)
    assert (summary.stored, summary.rejected) == (2, 1)
    assert Mention.objects.count() == 2
    kept = QuarantinedItem.objects.get()
    assert "over the limit" in kept.reason and len(kept.raw) == pipeline.MAX_ITEM
