"""The inbox, moderation and publishing flows on a LinkedIn page, through the LinkedIn fake: a
comment on the page's post becomes a conversation, the reply goes out once even when the
worker dies between LinkedIn's answer and the record (LinkedIn has no idempotency key: the
reply is found again among the comments), a delete reaches LinkedIn, and scheduled posts
(text, link, image) are published once across a crash."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.connectors import http as connector_http
from parvis.connectors.linkedin import LinkedInConnector
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
from tests.connectors.fakes.instagram import tiny_jpeg
from tests.connectors.fakes.linkedin import MAIN, Comment, Fake

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
        workspace, None, network="linkedin", handle=spec["handle"], credentials=spec["credentials"]
    )


@pytest.fixture
def conversation(workspace, account, fake):
    fake.publish(Comment(text="Ma bougie a coulé, que faire ?", author="bob_durand"))
    source = do_create_source(workspace, kind="linkedin", name="Page", config={}, account=account)
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
    assert len(fake.org_comments) == 1  # LinkedIn has it; Parvis did not record it
    later = timezone.now() + sending.CLAIM + dt.timedelta(seconds=1)
    assert sending.send_reply(reply.pk, http_client=client, now=later) == ReplyState.SENT
    [mine] = fake.org_comments
    assert mine.parent == fake.external_id(fake.posts[0]) and mine.post == MAIN
    reply.refresh_from_db()
    assert reply.external_id == mine.urn
    assert conversation.messages.filter(direction=Direction.OUT).count() == 1


def test_a_delete_reaches_linkedin(conversation, owner, fake):
    message = Message.objects.get(conversation=conversation, direction=Direction.IN)
    action = moderation.do_hide(message, owner, Reason.INSULT, delete=True)
    client = REAL_CLIENT(transport=fake.transport())
    assert moderation_network.run_action(action.pk, http_client=client) == ActionState.DONE
    assert fake.posts[0].deleted


def publish_once(workspace, owner, account, fake, text, image=b""):
    at = timezone.now() + dt.timedelta(minutes=1)
    post = services.do_create_post(workspace, owner, text, variants={account.pk: ""})
    if image:
        media = services.do_upload_media(workspace, owner, image, filename="bougie.jpg")
        services.do_attach_media(post, owner, [media])
    services.do_schedule(post, owner, at)
    variant = Variant.objects.get(post=post)
    client = REAL_CLIENT(transport=fake.transport())

    def factory(acc):
        return LinkedInConnector.for_account(acc, http=client)

    with pytest.raises(Crash):
        engine.publish_variant(variant.pk, now=at, factory=factory, after_publish=die)
    later = at + engine.CLAIM + dt.timedelta(seconds=1)
    assert engine.run_due(later, factory=factory) == {Status.PUBLISHED: 1}
    variant.refresh_from_db()
    assert variant.status == Status.PUBLISHED
    return variant


def test_a_text_post_is_published_once_across_a_crash(workspace, owner, account, fake):
    variant = publish_once(workspace, owner, account, fake, "Atelier bougies (samedi) à Lyon")
    assert fake.published_texts() == ["Atelier bougies (samedi) à Lyon"]
    assert variant.external_id == fake.own[-1].urn
    assert variant.url == f"https://www.linkedin.com/feed/update/{fake.own[-1].urn}/"


def test_a_link_post_is_published_once_across_a_crash(workspace, owner, account, fake):
    publish_once(workspace, owner, account, fake, "Notre histoire : https://maison-lumiere.fr/h")
    assert fake.published_texts() == ["Notre histoire : https://maison-lumiere.fr/h"]
    assert fake.own[-1].content == {
        "article": {"source": "https://maison-lumiere.fr/h", "title": "maison-lumiere.fr"}
    }


def test_an_image_post_is_published_once_across_a_crash(workspace, owner, account, fake):
    publish_once(workspace, owner, account, fake, "Notre bougie #Noël", image=tiny_jpeg())
    assert fake.published_texts() == ["Notre bougie #Noël"]
    [made] = [o for o in fake.own[1:] if not o.deleted]
    assert fake.images[made.content["media"]["id"]] == tiny_jpeg()
    # The image uploaded on the first attempt is not posted twice.
    assert len(fake.own) == 2


def test_the_pages_own_reply_read_back_is_not_a_new_message(
    workspace, conversation, owner, fake, account
):
    queued = sending.do_queue_reply(conversation, owner, "Bonjour, nous regardons cela.")
    client = REAL_CLIENT(transport=fake.transport())
    assert sending.send_reply(queued.reply.pk, http_client=client) == ReplyState.SENT
    source = Source.objects.get()
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    run_source(source.pk, http_client=client)
    intake.take_pending(workspace)
    # The page's comment comes back from LinkedIn as the organization's: not a message to answer.
    assert Message.objects.filter(direction=Direction.IN).count() == 1
    assert Conversation.objects.count() == 1
