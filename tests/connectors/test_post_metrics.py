"""What each network's counts of the account's posts look like past the shared contract:
Mastodon before 4.3 (one status a request, a 404 for a deleted one, remembered), figures a
network should not send (10^30, a string, a negative count), the demo's made-up figures."""

from __future__ import annotations

import datetime as dt

import pytest

from parvis.connectors import http
from parvis.connectors.base import MetricsContext, OutgoingPost, PostMetrics, PublishContext, get
from parvis.connectors.mastodon import metrics as mastodon_metrics
from parvis.connectors.services import do_connect_account
from tests.connectors.fakes import bluesky, mastodon

pytestmark = pytest.mark.django_db


def connect(workspace, fake):
    spec = fake.account()
    account = do_connect_account(
        workspace,
        None,
        network=spec["network"],
        handle=spec["handle"],
        credentials=spec["credentials"],
    )
    return get(fake.kind).for_account(account, http=http.client(transport=fake.transport()))


@pytest.fixture(autouse=True)
def _forget():
    mastodon_metrics.forget()
    yield
    mastodon_metrics.forget()


def publish(connector, n):
    return [
        connector.publish(
            OutgoingPost(text=f"n°{i}"), PublishContext(idempotency_key=f"k{i}")
        ).external_id
        for i in range(n)
    ]


def test_mastodon_before_4_3_reads_one_status_at_a_time(workspace):
    fake = mastodon.Fake()
    fake.bulk_statuses = False
    connector = connect(workspace, fake)
    ids = publish(connector, 3)
    fake.give_counts(ids[0], likes=7, reposts=1, replies=4)
    fake.delete_own(ids[1])
    before = len(fake.requests)
    answers = connector.post_metrics(ids, MetricsContext())
    paths = [r.url.path for r in fake.requests[before:]]
    assert paths[0] == "/api/v1/statuses"  # tried once, a 404
    assert sorted(paths[1:]) == sorted(f"/api/v1/statuses/{i.rpartition(':')[2]}" for i in ids)
    assert answers[0] == PostMetrics(ids[0], likes=7, reposts=1, replies=4)
    assert answers[1] == PostMetrics(ids[1], gone=True)
    assert answers[2].likes == 0 and answers[2].quotes is None and answers[2].views is None
    # Remembered: the next reading goes straight to one status a request.
    before = len(fake.requests)
    connector.post_metrics(ids[:1], MetricsContext())
    assert [r.url.path for r in fake.requests[before:]] == [
        f"/api/v1/statuses/{ids[0].rpartition(':')[2]}"
    ]


def test_mastodon_4_3_reads_twenty_at_once(workspace):
    fake = mastodon.Fake()
    connector = connect(workspace, fake)
    ids = publish(connector, 25)
    before = len(fake.requests)
    answers = connector.post_metrics(ids, MetricsContext())
    sent = fake.requests[before:]
    assert [r.url.path for r in sent] == ["/api/v1/statuses", "/api/v1/statuses"]
    assert [len(r.url.params.get_list("id[]")) for r in sent] == [20, 5]
    assert len(answers) == 25 and not any(a.gone for a in answers)


def test_impossible_counts_are_unknown_not_stored(workspace):
    fake = bluesky.Fake()
    connector = connect(workspace, fake)
    ids = publish(connector, 1)
    fake.own_counts[ids[0]] = {
        "likeCount": 10**30,
        "repostCount": "12",
        "replyCount": -3,
        "quoteCount": True,
    }
    [answer] = connector.post_metrics(ids, MetricsContext())
    assert answer == PostMetrics(ids[0])  # every figure unknown, the post still there


def test_the_demo_network_makes_up_steady_growing_figures(workspace):
    from parvis.demo.connector import demo_metrics

    published = dt.datetime(2026, 12, 3, 17, 30, tzinfo=dt.UTC)  # 18:30 in Paris, a Thursday
    early = demo_metrics("demo-post-1", published, published + dt.timedelta(hours=1))
    later = demo_metrics("demo-post-1", published, published + dt.timedelta(days=3))
    again = demo_metrics("demo-post-1", published, published + dt.timedelta(days=3))
    assert later == again  # deterministic
    assert 0 < early.likes < later.likes and later.views > later.likes > later.reposts
    night = demo_metrics("demo-post-1", published.replace(hour=2), published + dt.timedelta(days=3))
    assert night.likes < later.likes  # 3:00 in Paris: the audience sleeps
    assert demo_metrics("demo-post-1", published, published - dt.timedelta(hours=1)).likes == 0
