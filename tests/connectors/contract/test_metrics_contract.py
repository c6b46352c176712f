"""The metrics contract: every connector that reads the counts of its account's posts
(Capability.METRICS) passes the same tests against its fake network, at the HTTP boundary."""

from __future__ import annotations

import pytest

from parvis.connectors import http
from parvis.connectors.base import (
    Capability,
    Connector,
    MetricsContext,
    OutgoingPost,
    PermanentError,
    PostMetrics,
    PublishContext,
    RetryLater,
    get,
)
from parvis.connectors.services import do_connect_account

from .harness import FakeNetwork, discover

pytestmark = pytest.mark.django_db

READERS = [cls for cls in discover() if Capability.METRICS in get(cls.kind).capabilities]


@pytest.fixture(params=READERS, ids=lambda cls: cls.kind)
def fake(request) -> FakeNetwork:
    return request.param()


@pytest.fixture
def connector(workspace, fake, settings) -> Connector:
    spec = fake.account()
    fake.configure(settings)
    account = do_connect_account(
        workspace,
        None,
        network=spec["network"],
        handle=spec["handle"],
        credentials=spec["credentials"],
    )
    return get(fake.kind).for_account(account, http=http.client(transport=fake.transport()))


def published(connector: Connector, fake: FakeNetwork, n: int) -> list[str]:
    return [
        connector.publish(
            OutgoingPost(text=f"Post {i} #MaisonLumiere", media=fake.post_media()),
            PublishContext(idempotency_key=f"m{i}"),
        ).external_id
        for i in range(n)
    ]


def test_the_networks_that_read_counts_have_a_fake():
    assert {cls.kind for cls in READERS} >= {"bluesky", "mastodon"}


def test_counts_are_read_and_a_deleted_post_is_gone(fake, connector):
    ids = published(connector, fake, 3)
    fake.give_counts(ids[0], likes=12, reposts=3, replies=2)
    fake.give_counts(ids[1], likes=0, reposts=0, replies=0)
    fake.delete_own(ids[2])
    answers = {m.external_id: m for m in connector.post_metrics(ids, MetricsContext())}
    assert set(answers) == set(ids)
    first = answers[ids[0]]
    assert (first.likes, first.reposts, first.replies, first.gone) == (12, 3, 2, False)
    assert (answers[ids[1]].likes, answers[ids[1]].gone) == (0, False)
    assert answers[ids[2]] == PostMetrics(ids[2], gone=True)


def test_ids_that_are_not_the_accounts_posts_are_left_out(fake, connector):
    ids = published(connector, fake, 1)
    odd = ["", "not an id", "at://x", "other.example:123", "\ud800", "9" * 400]
    answers = connector.post_metrics(ids + odd, MetricsContext())
    assert [m.external_id for m in answers] == ids


def test_more_posts_than_one_request_takes(fake, connector):
    ids = published(connector, fake, 27)
    for i, external_id in enumerate(ids):
        fake.give_counts(external_id, likes=i, reposts=0, replies=0)
    answers = connector.post_metrics(ids, MetricsContext())
    assert [m.likes for m in answers] == list(range(27))


def test_rate_limit_is_retry_later(fake, connector):
    ids = published(connector, fake, 1)
    fake.rate_limit_next(90)
    with pytest.raises(RetryLater) as waited:
        connector.post_metrics(ids, MetricsContext())
    assert waited.value.retry_after is not None and 60 <= waited.value.retry_after <= 91


def test_a_revoked_account_is_a_permanent_error(fake, connector):
    ids = published(connector, fake, 1)
    fake.break_permanently()
    with pytest.raises(PermanentError, match="reconnect"):
        connector.post_metrics(ids, MetricsContext())
