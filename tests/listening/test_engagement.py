"""Young mentions' counts read again (parvis/listening/engagement.py): which mentions are due,
the counts replaced and the author's total moved by the difference, one failing source not
stopping the others, and Bluesky's getPosts through the HTTP fake."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import pytest

from parvis.connectors import base
from parvis.connectors import http as connector_http
from parvis.connectors.services import do_connect_account
from parvis.listening import engagement, freshness, pipeline
from parvis.listening.models import Author, Mention, Source
from parvis.listening.sources import do_create_source
from parvis.listening.tasks import refresh_engagement_task
from tests.connectors.contract.harness import Post
from tests.connectors.fakes import bluesky as fake_bluesky
from tests.listening.factories import mention

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


@base.register
class CountsNetwork(base.Connector):
    """Answers counts from `counts` (external id -> likes); fails for sources named in
    `fail_for`; `metrics_of_others` as the class attribute says."""

    kind = "engagement_test"
    label = "Engagement test network"
    network = "tiktok"
    web_ui = False
    metrics_of_others = True
    counts: ClassVar[dict[str, int]] = {}
    fail_for: ClassVar[dict[str, Exception]] = {}
    calls: ClassVar[list[list[str]]] = []

    def fetch(self, cursor, context):  # pragma: no cover (never run here)
        raise NotImplementedError

    def post_metrics(self, external_ids, context):
        if self.source.name in self.fail_for:
            raise self.fail_for[self.source.name]
        self.calls.append(list(external_ids))
        return [
            base.PostMetrics(i, likes=self.counts[i], reposts=10**30, replies=1)
            for i in external_ids
            if i in self.counts
        ]


@base.register
class NoCountsNetwork(CountsNetwork):
    kind = "engagement_test_closed"
    metrics_of_others = False


@pytest.fixture(autouse=True)
def _reset():
    for value in (CountsNetwork.counts, CountsNetwork.fail_for):
        value.clear()
    CountsNetwork.calls.clear()


def source(workspace, name="S", kind="engagement_test") -> Source:
    return Source.objects.create(workspace=workspace, kind=kind, name=name, config={})


def store(workspace, src, ages_hours, start=100, author=None):
    items = []
    for i, hours in enumerate(ages_hours):
        overrides = {
            "network": "tiktok",
            "external_id": f"post-{src.pk}-{start + i}",
            "created_at": (NOW - dt.timedelta(hours=hours)).isoformat(),
            "metrics": {"likes": 1, "reposts": 2, "replies": 0},
        }
        if author:
            overrides["author"] = {"handle": author, "name": author, "followers": 10}
        items.append(base.Incoming(mention(start + i, **overrides)))
    pipeline.run(workspace, items, source=src, keep_unmatched=True)
    return [f"post-{src.pk}-{start + i}" for i in range(len(ages_hours))]


def test_a_mention_is_due_in_the_hour_after_each_checkpoint(workspace):
    src = source(workspace)
    ages = [0.5, 1.0, 1.5, 2.5, 6.2, 12, 24.9, 25.1, 47.5, 48.5, 100]
    ids = dict(zip(store(workspace, src, ages), ages, strict=True))
    due = {ids[m] for m in engagement.due_mentions(NOW).values_list("external_id", flat=True)}
    assert due == {1.0, 1.5, 6.2, 24.9, 47.5}


def test_counts_are_replaced_and_the_author_total_moves_by_the_difference(workspace):
    src = source(workspace)
    first, second = store(workspace, src, [1.5, 6.5], author="lea")
    author = Author.objects.get(workspace=workspace, handle="lea")
    before = author.engagement
    assert before == 2 * 3
    version = freshness.version(workspace.pk)
    CountsNetwork.counts.update({first: 40, second: 0})
    outcome = engagement.refresh_engagement(NOW)
    assert (outcome.read, outcome.changed, outcome.sources) == (2, 2, 1)
    one = Mention.objects.get(external_id=first)
    # A count past 64 bits is no count: the stored reposts stay.
    assert (one.likes, one.reposts, one.replies, one.engagement) == (40, 2, 1, 43)
    two = Mention.objects.get(external_id=second)
    assert (two.likes, two.engagement) == (0, 3)
    author.refresh_from_db()
    assert author.engagement == before + (43 - 3) + (3 - 3)
    assert freshness.version(workspace.pk) != version
    # The same answers again change nothing.
    assert engagement.refresh_engagement(NOW).changed == 0
    author.refresh_from_db()
    assert author.engagement == before + 40


def test_one_source_failing_leaves_the_others_and_closed_networks_are_skipped(
    workspace, other_workspace
):
    broken, fine = source(workspace, "broken"), source(other_workspace, "fine")
    closed = source(workspace, "closed", kind="engagement_test_closed")
    store(workspace, broken, [1.5], start=1)
    (ok,) = store(other_workspace, fine, [1.5], start=2)
    (shut,) = store(workspace, closed, [1.5], start=3)
    CountsNetwork.counts.update({ok: 9, shut: 9})
    CountsNetwork.fail_for["broken"] = base.RetryLater("rate limited", 60)
    outcome = engagement.refresh_engagement(NOW)
    assert list(outcome.failed) == [broken.pk] and outcome.changed == 1
    assert Mention.objects.get(external_id=ok).likes == 9
    assert Mention.objects.get(external_id=shut).likes == 1  # never asked
    assert all(shut not in call for call in CountsNetwork.calls)


def test_the_hourly_task_runs_it(workspace, monkeypatch):
    src = source(workspace)
    (one,) = store(workspace, src, [1.5])
    CountsNetwork.counts[one] = 7
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)
    assert refresh_engagement_task.call_local() == {"read": 1, "changed": 1, "failed": 0}


def test_bluesky_mentions_are_read_again_through_the_sources_account(workspace):
    fake = fake_bluesky.Fake()
    post = Post(created_at=NOW - dt.timedelta(minutes=90))
    fake.publish(post)
    spec = fake.account()
    account = do_connect_account(
        workspace, None, network="bluesky", handle=spec["handle"], credentials=spec["credentials"]
    )
    src = do_create_source(
        workspace, kind="bluesky", name="Bluesky", config={"keep_all": True}, account=account
    )
    uri = fake.external_id(post)
    item = mention(
        5,
        external_id=uri,
        created_at=post.created_at.isoformat(),
        metrics={"likes": 0, "reposts": 0, "replies": 0},
    )
    pipeline.run(workspace, [base.Incoming(item)], source=src, keep_unmatched=True)
    client = connector_http.client(transport=fake.transport())
    outcome = engagement.refresh_engagement(NOW, http=client)
    assert outcome.failed == {} and outcome.changed == 1
    stored = Mention.objects.get(external_id=uri)
    assert stored.likes == post.key * 2 and stored.reposts == post.key % 3
    assert any(r.url.path.endswith("app.bsky.feed.getPosts") for r in fake.requests)
