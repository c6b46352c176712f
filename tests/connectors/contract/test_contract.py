"""The contract every network connector passes: the same tests, one run per connector fake."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from parvis.connectors import http
from parvis.connectors.services import do_connect_account
from parvis.listening.models import Mention, MonitoredQuery, QuarantinedItem, Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from tests.conftest import login

from .harness import HOSTILE, FakeNetwork, Post, discover, hostile_post

pytestmark = pytest.mark.django_db


@pytest.fixture(params=discover(), ids=lambda cls: cls.kind)
def fake(request) -> FakeNetwork:
    return request.param()


@pytest.fixture
def source(workspace, fake) -> Source:
    MonitoredQuery.objects.create(
        workspace=workspace, name="Marque", kind="brand", expression='"maison lumiere"'
    )
    account = None
    if (spec := fake.account()) is not None:
        account = do_connect_account(
            workspace,
            None,
            network=spec["network"],
            handle=spec["handle"],
            credentials=spec["credentials"],
        )
    return do_create_source(
        workspace,
        kind=fake.kind,
        name=f"{fake.kind} contract",
        config=fake.source_config(),
        account=account,
    )


def run(source: Source, fake: FakeNetwork):
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    summary = run_source(source.pk, http_client=http.client(transport=fake.transport()))
    source.refresh_from_db()
    return summary


def stored_ids(fake: FakeNetwork) -> set[str]:
    mentions = Mention.objects.filter(network=fake_network(fake))
    return set(mentions.values_list("external_id", flat=True))


def fake_network(fake: FakeNetwork) -> str:
    from parvis.connectors.base import get

    return get(fake.kind).network or fake.kind


def test_pagination_reads_every_page(fake, source):
    count = 2 * fake.page_size + 3 if fake.page_size else 25
    posts = [Post() for _ in range(count)]
    fake.publish(*posts)
    summary = run(source, fake)
    assert source.status == SourceStatus.OK, source.last_error
    assert summary.stored == count
    assert stored_ids(fake) == {fake.external_id(p) for p in posts}
    if fake.page_size:
        assert len(fake.requests) >= 3


def test_cursor_resume_neither_loses_nor_repeats(fake, source):
    first = [Post() for _ in range(5)]
    fake.publish(*first)
    assert run(source, fake).stored == 5
    later = [Post() for _ in range(3)]
    fake.publish(*later)
    assert run(source, fake).stored == 3
    # A restart from the stored cursor repeats nothing.
    assert run(source, fake).stored == 0
    assert Mention.objects.count() == 8
    assert stored_ids(fake) == {fake.external_id(p) for p in first + later}


def test_rate_limit_backs_off_as_the_network_asks(fake, source):
    fake.publish(*[Post() for _ in range(3)])
    fake.rate_limit_next(600)
    before = timezone.now()
    assert run(source, fake).stored == 0
    assert source.status == SourceStatus.RETRYING
    assert source.next_run_at >= before + dt.timedelta(seconds=590)
    assert run(source, fake).stored == 3
    assert source.status == SourceStatus.OK and source.consecutive_failures == 0


def test_permanent_refusal_pauses_the_source_with_what_to_do(fake, source):
    fake.publish(Post())
    fake.break_permanently()
    run(source, fake)
    assert source.status == SourceStatus.PAUSED and source.next_run_at is None
    assert source.last_error


def test_malformed_item_is_quarantined_and_the_rest_stored(fake, source):
    good = [Post() for _ in range(3)]
    bad = Post(malformed=True)
    fake.publish(good[0], bad, *good[1:])
    summary = run(source, fake)
    assert (summary.stored, summary.rejected) == (3, 1)
    item = QuarantinedItem.objects.get()
    assert item.reason and item.raw and item.source_id == source.pk
    assert source.status == SourceStatus.OK


# What the quarantine says of each hostile item (the pipeline's validation, for every network).
HOSTILE_REASONS = {
    "date": "in the future",
    "surrogate": "lone surrogate",
    "nul": "NUL",
    "count": "larger than",
    "infinity": "",  # each network's mapping words it its own way
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_item_is_quarantined_and_the_rest_stored(fake, source, kind):
    """A date in year 9999, a lone surrogate or NUL in the text, a count of 10^30 or Infinity,
    inside an otherwise documented page: that item is quarantined with the reason, the others
    are stored, the source stays healthy and its cursor still reads what comes next."""
    if kind not in fake.hostile_kinds:
        pytest.skip(f"{fake.kind} payloads have no place for this ({kind})")
    good = [Post() for _ in range(3)]
    fake.publish(good[0], hostile_post(kind), *good[1:])
    summary = run(source, fake)
    assert source.status == SourceStatus.OK, source.last_error
    assert (summary.stored, summary.rejected) == (3, 1)
    item = QuarantinedItem.objects.get()
    assert HOSTILE_REASONS[kind] in item.reason and item.raw and item.source_id == source.pk
    later = Post()
    fake.publish(later)
    run(source, fake)
    assert source.status == SourceStatus.OK, source.last_error
    assert stored_ids(fake) == {fake.external_id(p) for p in [*good, later]}


def test_deleted_post_is_not_ingested(fake, source):
    posts = [Post() for _ in range(3)]
    fake.publish(*posts)
    fake.delete(posts[1])
    summary = run(source, fake)
    assert summary.rejected == 0 and source.status == SourceStatus.OK
    assert stored_ids(fake) == {fake.external_id(posts[0]), fake.external_id(posts[2])}


def test_unicode_emoji_and_very_long_text_arrive_whole(fake, source):
    emoji = Post(text="Maison Lumière 🕯️✨ « très » cœur 日本語 \U0001d54f 👩🏽‍🎨 fin")
    long = Post(text="Maison Lumière " + "é🕯 " * 6000 + "fin du texte")
    fake.publish(emoji, long)
    run(source, fake)
    texts = {m.external_id: m.text for m in Mention.objects.all()}
    assert texts[fake.external_id(emoji)].strip() == emoji.text
    stored_long = texts[fake.external_id(long)]
    assert stored_long.startswith("Maison Lumière é🕯")
    assert stored_long.rstrip().endswith("fin du texte")


def test_html_in_text_is_inert(fake, source, owner, workspace):
    hostile = Post(
        text='Maison Lumière <script>alert("x")</script><img src=x onerror=alert(1)> <b>fin</b>'
    )
    fake.publish(hostile)
    run(source, fake)
    mention = Mention.objects.get(external_id=fake.external_id(hostile))
    assert "Maison Lumière" in mention.text
    url = reverse("listening:mention", kwargs={"slug": workspace.slug, "mention_id": mention.pk})
    body = login(owner).get(url).content.decode()
    assert "Maison Lumière" in body
    assert "<script>alert" not in body and "<img src=x" not in body
