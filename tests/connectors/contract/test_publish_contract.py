"""The publishing contract: every connector that says it publishes (Capability.PUBLISH) passes
the same tests against its fake network, at the HTTP boundary."""

from __future__ import annotations

import datetime as dt

import pytest

from parvis.connectors import http
from parvis.connectors.base import (
    Capability,
    Connector,
    OutgoingPost,
    PermanentError,
    PublishContext,
    PublishLimits,
    ReplyTarget,
    RetryLater,
    get,
)
from parvis.connectors.services import do_connect_account

from .harness import FakeNetwork, discover

pytestmark = pytest.mark.django_db

PUBLISHERS = [cls for cls in discover() if Capability.PUBLISH in get(cls.kind).capabilities]
TEXT = "Atelier bougies samedi 🕯️ à Lyon, « places limitées » #Noël"


@pytest.fixture(params=PUBLISHERS, ids=lambda cls: cls.kind)
def fake(request) -> FakeNetwork:
    return request.param()


@pytest.fixture
def connector(workspace, fake, settings) -> Connector:
    spec = fake.account()
    assert spec is not None, "a connector that publishes needs an account"
    fake.configure(settings)
    account = do_connect_account(
        workspace,
        None,
        network=spec["network"],
        handle=spec["handle"],
        credentials=spec["credentials"],
    )
    cls = get(fake.kind)
    return cls.for_account(account, http=http.client(transport=fake.transport()))


def since() -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)


def test_the_networks_that_publish_have_a_fake():
    assert {cls.kind for cls in PUBLISHERS} >= {"bluesky", "mastodon"}


def test_a_post_is_published_then_found_again(fake, connector):
    start = since()
    context = PublishContext(idempotency_key="contract-1")
    post = connector.publish(
        OutgoingPost(text=TEXT, language="fr", media=fake.post_media()), context
    )
    assert post.external_id and post.url.startswith("https://")
    assert post.published_at is not None and post.published_at >= start - dt.timedelta(minutes=2)
    assert fake.published_texts() == [TEXT]
    assert connector.find_post(OutgoingPost(text=TEXT), start, context) == post
    assert connector.find_post(OutgoingPost(text=TEXT), start, PublishContext()) == post
    assert connector.find_post(OutgoingPost(text="autre chose"), start, PublishContext()) is None


def test_the_same_key_again_publishes_nothing_new(fake, connector):
    context = PublishContext(idempotency_key="contract-2")
    first = connector.publish(OutgoingPost(text=TEXT, media=fake.post_media()), context)
    again = connector.publish(OutgoingPost(text=TEXT, media=fake.post_media()), context)
    assert again.external_id == first.external_id
    assert fake.published_texts() == [TEXT]


def test_a_lost_answer_then_a_retry_publishes_once(fake, connector):
    fake.lose_next_answer = True
    context = PublishContext(idempotency_key="contract-3")
    try:
        first = connector.publish(OutgoingPost(text=TEXT, media=fake.post_media()), context)
    except RetryLater:
        first = None
    again = connector.publish(OutgoingPost(text=TEXT, media=fake.post_media()), context)
    assert first is None or first.external_id == again.external_id
    assert fake.published_texts() == [TEXT]


def test_a_thread_part_is_found_under_its_parent_only(fake, connector):
    start = since()
    head = connector.publish(
        OutgoingPost(text="1/2 " + TEXT, media=fake.post_media()),
        PublishContext(idempotency_key="t1"),
    )
    parent = ReplyTarget(network=fake.kind, external_id=head.external_id, raw=head.raw)
    part = OutgoingPost(text="2/2 fin", reply_to=parent)
    tail = connector.publish(part, PublishContext(idempotency_key="t2"))
    assert tail.external_id != head.external_id
    assert connector.find_post(part, start, PublishContext()) == tail
    assert connector.find_post(OutgoingPost(text="2/2 fin"), start, PublishContext()) is None


def test_rate_limit_is_retry_later_with_the_wait(fake, connector):
    fake.rate_limit_next(90)
    with pytest.raises(RetryLater) as waited:
        connector.publish(
            OutgoingPost(text=TEXT, media=fake.post_media()), PublishContext(idempotency_key="r")
        )
    assert waited.value.retry_after is not None and 60 <= waited.value.retry_after <= 91
    assert fake.published_texts() == []


def test_permanent_refusal_says_what_to_do(fake, connector):
    fake.break_permanently()
    with pytest.raises(PermanentError, match="reconnect"):
        connector.publish(
            OutgoingPost(text=TEXT, media=fake.post_media()), PublishContext(idempotency_key="p")
        )


def test_limits_are_given(fake, connector):
    limits = connector.publish_limits()
    assert isinstance(limits, PublishLimits)
    # X's 280 weighted characters is the smallest limit a network documents.
    assert limits.max_characters and limits.max_characters >= 280
    assert limits.max_media and limits.max_media >= 1
