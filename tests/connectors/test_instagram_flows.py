"""The inbox, moderation and publishing flows on Instagram, through the Graph API fake: a
comment read by the account's source becomes a conversation, the reply goes out once even when
the worker dies between Instagram's answer and the record, a hide reaches Instagram, and a
scheduled image post goes through its container and is published once across a crash."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.connectors import http as connector_http
from parvis.connectors.instagram import InstagramConnector
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
from parvis.publishing import engine, services
from parvis.publishing.models import Status, Variant
from tests.connectors.fakes.instagram import PUBLIC_URL, Comment, Fake, tiny_jpeg

pytestmark = pytest.mark.django_db

REAL_CLIENT = connector_http.client


class Crash(BaseException):
    """The worker dies: nothing in the flows may catch it."""


def die(*_args):
    raise Crash


@pytest.fixture(autouse=True)
def public_address(settings):
    settings.PUBLIC_URL = PUBLIC_URL


@pytest.fixture
def fake() -> Fake:
    return Fake()


@pytest.fixture
def account(workspace, fake):
    spec = fake.account()
    return do_connect_account(
        workspace, None, network="instagram", handle=spec["handle"], credentials=spec["credentials"]
    )


@pytest.fixture
def conversation(workspace, account, fake):
    fake.publish(Comment(text="Ma bougie a coulé, que faire ?", author="bob_durand"))
    source = do_create_source(
        workspace, kind="instagram", name="Instagram", config={"mode": "comments"}, account=account
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
    assert len(fake.own_comments) == 1  # Instagram has it; Parvis did not record it
    later = timezone.now() + sending.CLAIM + dt.timedelta(seconds=1)
    assert sending.send_reply(reply.pk, http_client=client, now=later) == ReplyState.SENT
    [mine] = fake.own_comments
    assert mine.reply_to is fake.posts[0] and mine.by_account
    reply.refresh_from_db()
    assert reply.external_id == fake.comment_id(mine)
    assert conversation.messages.filter(direction=Direction.OUT).count() == 1


def test_a_hide_reaches_instagram(conversation, owner, fake):
    message = Message.objects.get(conversation=conversation, direction=Direction.IN)
    action = moderation.do_hide(message, owner, Reason.INSULT)
    client = REAL_CLIENT(transport=fake.transport())
    assert moderation_network.run_action(action.pk, http_client=client) == ActionState.DONE
    assert fake.comment_id(fake.posts[0]) in fake.hidden_ids
    action.refresh_from_db()
    assert "hidden" in action.network_answer


def test_a_scheduled_image_is_published_once_across_a_crash(workspace, owner, account, fake):
    at = timezone.now() + dt.timedelta(minutes=1)
    post = services.do_create_post(
        workspace, owner, "Atelier bougies samedi à Lyon #MaisonLumiere", variants={account.pk: ""}
    )
    media = services.do_upload_media(workspace, owner, tiny_jpeg(), filename="bougie.jpg")
    services.do_attach_media(post, owner, [media])
    services.do_schedule(post, owner, at)
    variant = Variant.objects.get(post=post)
    client = REAL_CLIENT(transport=fake.transport())

    def factory(acc):
        connector = InstagramConnector.for_account(acc, http=client)
        connector.sleep = lambda _seconds: None  # type: ignore[method-assign]
        return connector

    with pytest.raises(Crash):
        engine.publish_variant(variant.pk, now=at, factory=factory, after_publish=die)
    assert fake.published_texts() == ["Atelier bougies samedi à Lyon #MaisonLumiere"]
    later = at + engine.CLAIM + dt.timedelta(seconds=1)
    assert engine.run_due(later, factory=factory) == {Status.PUBLISHED: 1}
    variant.refresh_from_db()
    assert variant.status == Status.PUBLISHED
    assert variant.external_id == fake.media_items[0]["id"]
    assert variant.url == fake.media_items[0]["permalink"]
    assert fake.published_texts() == ["Atelier bougies samedi à Lyon #MaisonLumiere"]
    assert len(fake.containers) == 1 and fake.quota_usage == 1
