"""The inbox, moderation and publishing flows on X, through the X API fake: a mention read by
the account's source becomes a conversation, the reply goes out once even when the worker
dies between X's answer and the record (X has no idempotency key: the reply is found again
among the account's posts), a hide reaches X, and a scheduled post is published once across a
crash."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.connectors import http as connector_http
from parvis.connectors.services import do_connect_account
from parvis.connectors.x import XConnector
from parvis.inbox import intake, sending
from parvis.inbox.models import Conversation, Direction, Message, ReplyState
from parvis.listening.models import Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from parvis.moderation import network as moderation_network
from parvis.moderation import services as moderation
from parvis.moderation.models import ActionState
from parvis.moderation.reasons import Reason
from parvis.publishing import engine, services
from parvis.publishing.models import Status, Variant
from tests.connectors.fakes.x import Fake, Own, Tweet, snowflake

pytestmark = pytest.mark.django_db

REAL_CLIENT = connector_http.client


class Crash(BaseException):
    """The worker dies: nothing in the flows may catch it."""


def die(*_args):
    raise Crash


@pytest.fixture
def fake() -> Fake:
    return Fake()


@pytest.fixture
def account(workspace, fake):
    spec = fake.account()
    return do_connect_account(
        workspace, None, network="x", handle=spec["handle"], credentials=spec["credentials"]
    )


@pytest.fixture
def conversation(workspace, account, fake):
    now = dt.datetime.now(dt.UTC)
    ours = Own(snowflake(now, 9), "Notre nouvelle bougie", now)
    fake.own.append(ours)
    fake.publish(
        Tweet(
            text="@maisonlumiere ma bougie a coulé, que faire ?",
            author="bob_durand",
            in_reply_to=ours.id,
        )
    )
    source = do_create_source(
        workspace, kind="x", name="Mentions", config={"mode": "mentions"}, account=account
    )
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    run_source(source.pk, http_client=REAL_CLIENT(transport=fake.transport()))
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    intake.take_pending(workspace)
    return Conversation.objects.get()


def replies_on_x(fake: Fake) -> list[Own]:
    return [o for o in fake.own if o.reply_to and not o.deleted]


def test_a_reply_goes_out_once_across_a_crash(conversation, owner, fake):
    queued = sending.do_queue_reply(conversation, owner, "Bonjour, nous vous envoyons une bougie.")
    reply = queued.reply
    assert reply is not None, queued.warnings
    client = REAL_CLIENT(transport=fake.transport())
    with pytest.raises(Crash):
        sending.send_reply(reply.pk, http_client=client, after_send=die)
    assert len(replies_on_x(fake)) == 1  # X has it; Parvis did not record it
    later = timezone.now() + sending.CLAIM + dt.timedelta(seconds=1)
    assert sending.send_reply(reply.pk, http_client=client, now=later) == ReplyState.SENT
    [mine] = replies_on_x(fake)
    assert mine.reply_to == fake.external_id(fake.posts[0])
    reply.refresh_from_db()
    assert reply.external_id == mine.id
    assert conversation.messages.filter(direction=Direction.OUT).count() == 1


def test_a_hide_reaches_x(conversation, owner, fake):
    message = Message.objects.get(conversation=conversation, direction=Direction.IN)
    action = moderation.do_hide(message, owner, Reason.INSULT)
    client = REAL_CLIENT(transport=fake.transport())
    assert moderation_network.run_action(action.pk, http_client=client) == ActionState.DONE
    assert fake.hidden[fake.external_id(fake.posts[0])] is True


def test_a_scheduled_post_is_published_once_across_a_crash(workspace, owner, account, fake):
    at = timezone.now() + dt.timedelta(minutes=1)
    post = services.do_create_post(
        workspace, owner, "Atelier bougies samedi à Lyon", variants={account.pk: ""}
    )
    services.do_schedule(post, owner, at)
    variant = Variant.objects.get(post=post)
    client = REAL_CLIENT(transport=fake.transport())

    def factory(acc):
        return XConnector.for_account(acc, http=client)

    with pytest.raises(Crash):
        engine.publish_variant(variant.pk, now=at, factory=factory, after_publish=die)
    assert fake.published_texts() == ["Atelier bougies samedi à Lyon"]
    later = at + engine.CLAIM + dt.timedelta(seconds=1)
    assert engine.run_due(later, factory=factory) == {Status.PUBLISHED: 1}
    variant.refresh_from_db()
    assert variant.status == Status.PUBLISHED
    assert variant.external_id == fake.own[0].id
    assert variant.url == f"https://x.com/maisonlumiere/status/{fake.own[0].id}"
    assert fake.published_texts() == ["Atelier bougies samedi à Lyon"]


def test_a_post_over_280_weighted_characters_cannot_be_scheduled(workspace, owner, account, fake):
    from django.core.exceptions import ValidationError

    # CJK characters weigh 2 on X: 141 of them are 282, one too many; 140 fit.
    post = services.do_create_post(workspace, owner, "日" * 141, variants={account.pk: ""})
    with pytest.raises(ValidationError):
        services.do_schedule(post, owner, timezone.now() + dt.timedelta(minutes=5))
    fits = services.do_create_post(workspace, owner, "日" * 140, variants={account.pk: ""})
    services.do_schedule(fits, owner, timezone.now() + dt.timedelta(minutes=5))
    assert fake.published_texts() == []
