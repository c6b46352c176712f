"""The counts of published posts: which variants are read when (hourly under 48 h, daily to
30 days, once more past that, then never), the run account by account (one failing does not
stop the others, a rate limit leaves it for next time), a deleted post, figures a network does
not give, what the best-time map stands on, and the demo's figures."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import pytest
from django.utils import timezone

from parvis.connectors import base
from parvis.connectors.services import do_connect_account
from parvis.listening import activity, pipeline
from parvis.listening.models import Source
from parvis.publishing import metrics, services
from parvis.publishing.models import Status, Variant
from parvis.workspaces.zones import zone_of
from tests.listening.factories import mention

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


@base.register
class FakeMetricsNetwork(base.Connector):
    """Publishes nothing itself here (variants are written as published); answers counts from
    `counts` (external id -> likes), `gone`, and fails for the handles in `fail_for`."""

    kind = "metrics_test"
    label = "Metrics test network"
    network = "tiktok"
    web_ui = False
    auth = base.Auth.APP_PASSWORD
    capabilities = frozenset({base.Capability.PUBLISH, base.Capability.METRICS})
    metrics_batch = 2
    counts: ClassVar[dict[str, int]] = {}
    gone: ClassVar[set[str]] = set()
    fail_for: ClassVar[dict[str, Exception]] = {}
    calls: ClassVar[list[list[str]]] = []

    def post_metrics(self, external_ids, context):
        handle = self.account.handle
        if handle in self.fail_for:
            raise self.fail_for[handle]
        self.calls.append(list(external_ids))
        return [
            base.PostMetrics(i, gone=True)
            if i in self.gone
            else base.PostMetrics(i, likes=self.counts.get(i, 1), reposts=2, replies=None)
            for i in external_ids
            if not i.startswith("unknown")
        ]


@base.register
class PublishOnlyNetwork(base.Connector):
    """Publishes (here: never called) but reads no counts."""

    kind = "metrics_test_publish_only"
    label = "Publish-only test network"
    network = "tiktok"
    web_ui = False
    capabilities = frozenset({base.Capability.PUBLISH})


@pytest.fixture(autouse=True)
def _reset():
    for value in (FakeMetricsNetwork.counts, FakeMetricsNetwork.gone, FakeMetricsNetwork.fail_for):
        value.clear()
    FakeMetricsNetwork.calls.clear()


def account(workspace, handle="maison", network="tiktok"):
    return do_connect_account(
        workspace, None, network=network, handle=handle, credentials={"access_token": "t"}
    )


def published(workspace, owner, acc, at, external_id, **fields):
    post = services.do_create_post(workspace, owner, "Bougie", variants={acc.pk: ""})
    Variant.objects.filter(post=post).update(
        status=Status.PUBLISHED, published_at=at, external_id=external_id, **fields
    )
    return Variant.objects.get(post=post)


AGES = [dt.timedelta(minutes=m) for m in (-30, 10, 90, 47 * 60, 49 * 60, 29 * 1440, 31 * 1440)]
LAST_READS = [None, dt.timedelta(minutes=5), dt.timedelta(minutes=58), dt.timedelta(hours=23)]


def test_the_due_rule_and_its_query_agree(workspace, owner):
    acc = account(workspace)
    expected = {}
    for a, age in enumerate(AGES):
        for r, last in enumerate(LAST_READS):
            published_at = NOW - age
            metrics_at = None if last is None else NOW - last
            if metrics_at is not None and metrics_at < published_at:
                continue
            variant = published(
                workspace, owner, acc, published_at, f"p{a}-{r}", metrics_at=metrics_at
            )
            expected[variant.pk] = metrics.is_due(published_at, metrics_at, NOW)
    due = set(metrics.due_variants(NOW).values_list("pk", flat=True))
    assert due == {pk for pk, yes in expected.items() if yes}
    # The rule itself: hourly while young, daily to 30 days, one last reading, never again.
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    assert metrics.is_due(NOW - 10 * hour, NOW - 58 * dt.timedelta(minutes=1), NOW)
    assert not metrics.is_due(NOW - 10 * hour, NOW - 30 * dt.timedelta(minutes=1), NOW)
    assert not metrics.is_due(NOW - 3 * day, NOW - 5 * hour, NOW)
    assert metrics.is_due(NOW - 3 * day, NOW - 24 * hour, NOW)
    old = NOW - 40 * day
    assert metrics.is_due(old, old + 29 * day, NOW)  # read last before its 30th day
    assert not metrics.is_due(old, old + 31 * day, NOW)  # its final figures are in
    assert metrics.is_due(old, None, NOW)  # never read: once
    assert not metrics.is_due(NOW + hour, None, NOW)  # not out yet


def test_drafts_and_unpublished_variants_are_never_due(workspace, owner):
    acc = account(workspace)
    services.do_create_post(workspace, owner, "Brouillon", variants={acc.pk: ""})
    v = published(workspace, owner, acc, NOW - dt.timedelta(hours=2), "")  # no id: never sent
    assert list(metrics.due_variants(NOW)) == []
    Variant.objects.filter(pk=v.pk).update(external_id="x1", status=Status.FAILED)
    assert list(metrics.due_variants(NOW)) == []


def test_one_account_failing_does_not_stop_the_others(workspace, other_workspace, owner):
    slow, broken, fine = (
        account(workspace, "slow"),
        account(workspace, "broken"),
        account(workspace, "fine"),
    )
    elsewhere = account(other_workspace, "elsewhere")
    at = NOW - dt.timedelta(hours=3)
    published(workspace, owner, slow, at, "s1")
    published(workspace, owner, broken, at, "b1")
    good = [published(workspace, owner, fine, at, f"f{i}") for i in range(5)]
    published(other_workspace, owner, elsewhere, at, "e1")
    FakeMetricsNetwork.fail_for.update(
        {"slow": base.RetryLater("429", 60), "broken": base.PermanentError("reconnect")}
    )
    FakeMetricsNetwork.counts.update({"f0": 40, "f3": 7})
    outcome = metrics.refresh_metrics(NOW, workspace=workspace)
    assert outcome.read == 5 and outcome.accounts == 3
    assert set(outcome.failed) == {slow.pk, broken.pk}
    assert "reconnect" in outcome.failed[broken.pk]
    # Batches of the connector's size (2), oldest reading first.
    assert [len(c) for c in FakeMetricsNetwork.calls] == [2, 2, 1]
    rows = {v.external_id: v for v in Variant.objects.filter(account=fine)}
    assert rows["f0"].likes == 40 and rows["f3"].likes == 7 and rows["f1"].likes == 1
    assert rows["f0"].reposts == 2 and rows["f0"].replies is None
    assert all(v.metrics_at == NOW for v in rows.values())
    # The failed ones stay due; the read ones are not due again within the hour; the other
    # workspace was not touched.
    due = set(
        metrics.due_variants(NOW + dt.timedelta(minutes=10)).values_list("external_id", flat=True)
    )
    assert due == {"s1", "b1", "e1"}
    assert good[0].pk in {v.pk for v in metrics.due_variants(NOW + dt.timedelta(hours=1))}


def test_a_deleted_post_keeps_its_counts_and_an_unknown_figure_its_value(workspace, owner):
    acc = account(workspace)
    at = NOW - dt.timedelta(days=3)
    gone = published(workspace, owner, acc, at, "g1", likes=12, reposts=3, replies=4)
    kept = published(workspace, owner, acc, at, "k1", replies=9)
    unknown = published(workspace, owner, acc, at, "unknown-1")
    FakeMetricsNetwork.gone.add("g1")
    outcome = metrics.refresh_metrics(NOW, account=acc)
    assert outcome.read == 2 and outcome.gone == 1
    gone.refresh_from_db()
    assert (gone.likes, gone.reposts, gone.replies, gone.metrics_at) == (12, 3, 4, NOW)
    kept.refresh_from_db()
    assert (kept.likes, kept.replies) == (1, 9)  # replies: the network gave none
    unknown.refresh_from_db()
    assert unknown.metrics_at is None  # not answered: still due


def test_a_network_without_counts_is_skipped(workspace, owner):
    # The account publishes through the kind of its source, which reads no counts. (This
    # test used a network whose only publishing connector was another module's fake: it
    # passed only when that module had been imported first.)
    acc = account(workspace, handle="publish-only")
    Source.objects.create(
        workspace=workspace, kind=PublishOnlyNetwork.kind, name="P", config={}, account=acc
    )
    published(workspace, owner, acc, NOW - dt.timedelta(hours=1), "t1")
    outcome = metrics.refresh_metrics(NOW)
    assert outcome.unsupported == [acc.pk] and outcome.read == 0


def store_mentions(workspace, moments, network="tiktok", start=900):
    items = [
        base.Incoming(mention(start + i, network=network, created_at=m.isoformat()))
        for i, m in enumerate(moments)
    ]
    pipeline.run(workspace, items, keep_unmatched=True)


def test_mentions_are_counted_per_utc_hour(workspace):
    now = timezone.now().replace(minute=30, second=0, microsecond=0)
    hours = [now - dt.timedelta(hours=h, minutes=m) for h in (2, 2, 5) for m in (0, 10)]
    store_mentions(workspace, hours)
    store_mentions(workspace, [now - dt.timedelta(hours=1)], network="bluesky", start=950)
    counted = activity.mention_times(workspace, now - dt.timedelta(days=1), now, network="tiktok")
    assert [n for _h, n in counted] == [2, 4]
    assert all(h.minute == 0 and h.utcoffset() == dt.timedelta(0) for h, _n in counted)
    assert activity.total(activity.mention_times(workspace, now - dt.timedelta(days=1), now)) == 7
    assert len(list(activity.expand(counted))) == 6
    assert len(list(activity.expand(counted, cap=3))) == 3  # shares kept, scaled down


def test_the_map_stands_on_read_posts_and_the_networks_mentions(workspace, owner):
    acc = account(workspace)
    now = timezone.now()
    base_day = now - dt.timedelta(days=20)
    for d in range(6):
        published(
            workspace, owner, acc, base_day + dt.timedelta(days=d), f"m{d}", likes=5, metrics_at=now
        )
    published(workspace, owner, acc, base_day, "unread")  # never read: not in the map
    published(workspace, owner, acc, now - dt.timedelta(days=200), "old", likes=9, metrics_at=now)
    store_mentions(workspace, [now - dt.timedelta(hours=3)] * 1 + [now - dt.timedelta(hours=4)])
    found = metrics.account_map(acc, now)
    assert found.heat.posts == 6 and found.mentions == 2 and found.days == metrics.DAYS
    assert found.heat.confidence == "not_enough"
    assert found.heat.time_zone == zone_of(workspace).key


def test_the_hourly_task_runs_the_refresh(workspace, owner):
    from parvis.publishing.tasks import refresh_metrics_task

    acc = account(workspace)
    published(workspace, owner, acc, timezone.now() - dt.timedelta(hours=2), "t1")
    assert refresh_metrics_task.call_local() == {"read": 1, "accounts": 1, "failed": 0}
    assert Variant.objects.get(external_id="t1").likes == 1
