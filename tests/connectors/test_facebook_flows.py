"""The inbox, moderation and publishing flows on Facebook, through the Graph API fake: a
comment read by the Page's source becomes a conversation, the reply goes out once even when
the worker dies between Facebook's answer and the record, a hide reaches Facebook after
`can_hide`, a scheduled post is published once across a crash, and its counts are read back."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from parvis.connectors import http as connector_http
from parvis.connectors.facebook import FacebookConnector
from parvis.connectors.services import do_connect_account
from parvis.inbox import intake, sending
from parvis.inbox.models import Conversation, Direction, Message, ReplyState
from parvis.listening.models import Source, SourceStatus
from parvis.listening.runner import run_source
from parvis.listening.sources import do_create_source
from parvis.moderation import network as moderation_network
from parvis.moderation import services as moderation
from parvis.moderation.models import ActionState
from parvis.moderation.reasons import Reason
from parvis.publishing import engine, metrics, services
from parvis.publishing.models import Status, Variant
from tests.connectors.fakes.facebook import Comment, Fake

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
        workspace, None, network="facebook", handle=spec["handle"], credentials=spec["credentials"]
    )


@pytest.fixture
def conversation(workspace, account, fake):
    fake.publish(Comment(text="Ma bougie a coulé, que faire ?", author="bob_durand"))
    source = do_create_source(
        workspace, kind="facebook", name="Page", config={"mode": "comments"}, account=account
    )
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    run_source(source.pk, http_client=REAL_CLIENT(transport=fake.transport()))
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    intake.take_pending(workspace)
    return Conversation.objects.get()


def test_a_reply_goes_out_once_across_a_crash(conversation, owner, fake):
    queued = sending.do_queue_reply(conversation, owner, "Bonjour, nous vous envoyons une bougie.")
    reply = queued.reply
    assert reply is not None, queued.warnings
    client = REAL_CLIENT(transport=fake.transport())
    with pytest.raises(Crash):
        sending.send_reply(reply.pk, http_client=client, after_send=die)
    assert len(fake.own_comments) == 1  # Facebook has it; Parvis did not record it
    later = timezone.now() + sending.CLAIM + dt.timedelta(seconds=1)
    assert sending.send_reply(reply.pk, http_client=client, now=later) == ReplyState.SENT
    assert len(fake.own_comments) == 1
    [mine] = fake.own_comments
    assert mine.reply_to is fake.posts[0] and mine.by_page
    reply.refresh_from_db()
    assert reply.external_id == fake.comment_id(mine)
    assert conversation.messages.filter(direction=Direction.OUT).count() == 1


def test_a_hide_reaches_facebook(conversation, owner, fake):
    message = Message.objects.get(conversation=conversation, direction=Direction.IN)
    action = moderation.do_hide(message, owner, Reason.INSULT)
    client = REAL_CLIENT(transport=fake.transport())
    assert moderation_network.run_action(action.pk, http_client=client) == ActionState.DONE
    assert fake.posts[0].hidden
    action.refresh_from_db()
    assert "hidden" in action.network_answer


def test_what_facebook_will_not_hide_is_left_to_a_person(conversation, owner, fake):
    fake.posts[0].can_hide = False
    message = Message.objects.get(conversation=conversation, direction=Direction.IN)
    action = moderation.do_hide(message, owner, Reason.SPAM)
    client = REAL_CLIENT(transport=fake.transport())
    assert moderation_network.run_action(action.pk, http_client=client) == ActionState.MANUAL
    assert not fake.posts[0].hidden


def test_a_scheduled_post_is_published_once_across_a_crash(workspace, owner, account, fake):
    at = timezone.now() + dt.timedelta(minutes=1)
    post = services.do_create_post(
        workspace, owner, "Atelier bougies samedi à Lyon", variants={account.pk: ""}
    )
    services.do_schedule(post, owner, at)
    variant = Variant.objects.get(post=post)
    client = REAL_CLIENT(transport=fake.transport())

    def factory(acc):
        return FacebookConnector.for_account(acc, http=client)

    with pytest.raises(Crash):
        engine.publish_variant(variant.pk, now=at, factory=factory, after_publish=die)
    assert fake.published_texts() == ["Atelier bougies samedi à Lyon"]
    later = at + engine.CLAIM + dt.timedelta(seconds=1)
    assert engine.run_due(later, factory=factory) == {Status.PUBLISHED: 1}
    variant.refresh_from_db()
    assert variant.status == Status.PUBLISHED
    assert variant.external_id == fake.page_posts[0]["id"]
    assert variant.url == fake.page_posts[0]["permalink_url"]
    assert fake.published_texts() == ["Atelier bougies samedi à Lyon"]


def test_a_messenger_message_is_answered_privately_once(workspace, account, owner, fake):
    fake.message_from("julie_petit", "Bonjour, ma commande n'est pas arrivée")
    source = do_create_source(
        workspace, kind="facebook", name="Messenger", config={"mode": "messages"}, account=account
    )
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    client = REAL_CLIENT(transport=fake.transport())
    run_source(source.pk, http_client=client)
    intake.take_pending(workspace)
    conversation = Conversation.objects.get()
    assert conversation.kind == "private"
    queued = sending.do_queue_reply(conversation, owner, "Bonjour Julie, nous regardons.")
    assert queued.reply is not None, queued.warnings
    with pytest.raises(Crash):
        sending.send_reply(queued.reply.pk, http_client=client, after_send=die)
    later = timezone.now() + sending.CLAIM + dt.timedelta(seconds=1)
    assert sending.send_reply(queued.reply.pk, http_client=client, now=later) == ReplyState.SENT
    assert [m["message"] for m in fake.page_messages()] == ["Bonjour Julie, nous regardons."]
    assert not fake.own_comments


def test_the_counts_of_published_facebook_posts_are_read_by_the_publishing_app(
    workspace, owner, account, fake
):
    """publishing.metrics.refresh_metrics on a Page: the connector it finds for the account,
    its batches, the counts saved, a deleted post answered gone (its last counts kept)."""
    client = REAL_CLIENT(transport=fake.transport())

    def factory(acc):
        return FacebookConnector.for_account(acc, http=client)

    at = timezone.now() + dt.timedelta(minutes=1)
    variants = []
    for text in ("Atelier bougies samedi", "Nouvelle collection", "Soldes d'hiver"):
        post = services.do_create_post(workspace, owner, text, variants={account.pk: ""})
        services.do_schedule(post, owner, at)
        variant = Variant.objects.get(post=post)
        engine.publish_variant(variant.pk, now=at, factory=factory)
        variant.refresh_from_db()
        assert variant.status == Status.PUBLISHED
        variants.append(variant)
    first, second, third = (v.external_id for v in variants)
    Variant.objects.filter(pk=variants[2].pk).update(likes=9)
    fake.give_counts(first, likes=14, reposts=2, replies=5)
    fake.figures[first]["reach"] = 730
    fake.delete_own(third)
    assert metrics.metrics_class(account) is FacebookConnector
    with mock.patch.object(engine, "http_client", lambda cls: client):
        outcome = metrics.refresh_metrics(at + dt.timedelta(hours=2), account=account)
    assert (outcome.read, outcome.gone, outcome.failed) == (3, 1, {})
    saved = {v.external_id: v for v in Variant.objects.filter(account=account)}
    assert (saved[first].likes, saved[first].reposts, saved[first].replies) == (14, 2, 5)
    assert saved[first].views == 730
    assert (saved[second].likes, saved[second].reposts) == (0, 0)
    assert saved[third].likes == 9 and saved[third].metrics_at is not None  # gone: kept
