"""The inbox, moderation and publishing flows on Threads, through the Threads API fake: a reply
to the profile's post read by its source becomes a conversation, the answer goes out once even
when the worker dies between Threads' answer and the record, a hide and an unhide reach
Threads, and a scheduled post is published once across a crash."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.connectors import http as connector_http
from parvis.connectors.services import do_connect_account
from parvis.connectors.threads import ThreadsConnector
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
from tests.connectors.fakes.threads import ROOT_POST, Fake, Reply

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
        workspace, None, network="threads", handle=spec["handle"], credentials=spec["credentials"]
    )


def read(workspace, account, fake) -> Source:
    source = do_create_source(workspace, kind="threads", name="Threads", config={}, account=account)
    Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now())
    run_source(source.pk, http_client=REAL_CLIENT(transport=fake.transport()))
    source.refresh_from_db()
    assert source.status == SourceStatus.OK, source.last_error
    intake.take_pending(workspace)
    return source


@pytest.fixture
def conversation(workspace, account, fake):
    fake.publish(Reply(text="Ma bougie a coulé, que faire ?", author="bob_durand"))
    read(workspace, account, fake)
    return Conversation.objects.get()


def test_replies_at_every_depth_reach_the_inbox(workspace, account, fake):
    first = Reply(text="Quand rouvrez-vous ?", author="bob_durand")
    nested = Reply(text="Je me pose la même question", author="lea_dupont", reply_to=first)
    fake.publish(first, nested)
    read(workspace, account, fake)
    inbound = Message.objects.filter(direction=Direction.IN)
    assert set(inbound.values_list("external_id", flat=True)) == {
        fake.external_id(first),
        fake.external_id(nested),
    }
    conversation = Conversation.objects.get()
    assert conversation.network == "threads"


def test_a_reply_goes_out_once_across_a_crash(conversation, owner, fake):
    queued = sending.do_queue_reply(conversation, owner, "Bonjour, nous vous envoyons une bougie.")
    reply = queued.reply
    assert reply is not None, queued.warnings
    client = REAL_CLIENT(transport=fake.transport())
    with pytest.raises(Crash):
        sending.send_reply(reply.pk, http_client=client, after_send=die)
    assert len(fake.own_replies()) == 1  # Threads has it; Parvis did not record it
    later = timezone.now() + sending.CLAIM + dt.timedelta(seconds=1)
    assert sending.send_reply(reply.pk, http_client=client, now=later) == ReplyState.SENT
    [mine] = fake.own_replies()
    assert mine["replied_to"] == {"id": fake.external_id(fake.posts[0])}
    assert mine["_form"]["media_type"] == "TEXT"
    reply.refresh_from_db()
    assert reply.external_id == mine["id"]
    assert conversation.messages.filter(direction=Direction.OUT).count() == 1


def test_a_hide_then_a_restore_reach_threads(conversation, owner, fake):
    message = Message.objects.get(conversation=conversation, direction=Direction.IN)
    action = moderation.do_hide(message, owner, Reason.INSULT)
    client = REAL_CLIENT(transport=fake.transport())
    assert moderation_network.run_action(action.pk, http_client=client) == ActionState.DONE
    reply_id = fake.external_id(fake.posts[0])
    assert fake.hidden[reply_id] is True
    message.refresh_from_db()
    restore = moderation.do_restore(message, owner, "Finalement acceptable")
    assert moderation_network.run_action(restore.pk, http_client=client) == ActionState.DONE
    assert fake.hidden[reply_id] is False
    posted = [r for r in fake.requests if r.url.path.endswith("/manage_reply")]
    assert [r.content for r in posted] == [b"hide=true", b"hide=false"]


def test_threads_has_no_delete_for_others_replies(conversation, owner, fake):
    message = Message.objects.get(conversation=conversation, direction=Direction.IN)
    action = moderation.do_hide(message, owner, Reason.SPAM, delete=True)
    client = REAL_CLIENT(transport=fake.transport())
    assert moderation_network.run_action(action.pk, http_client=client) == ActionState.MANUAL
    assert not [r for r in fake.requests if r.method == "DELETE"]


def test_a_scheduled_post_is_published_once_across_a_crash(workspace, owner, account, fake):
    at = timezone.now() + dt.timedelta(minutes=1)
    post = services.do_create_post(
        workspace, owner, "Atelier bougies samedi à Lyon", variants={account.pk: ""}
    )
    services.do_schedule(post, owner, at)
    variant = Variant.objects.get(post=post)
    client = REAL_CLIENT(transport=fake.transport())

    def factory(acc):
        return ThreadsConnector.for_account(acc, http=client)

    with pytest.raises(Crash):
        engine.publish_variant(variant.pk, now=at, factory=factory, after_publish=die)
    assert fake.published_texts() == ["Atelier bougies samedi à Lyon"]
    later = at + engine.CLAIM + dt.timedelta(seconds=1)
    assert engine.run_due(later, factory=factory) == {Status.PUBLISHED: 1}
    variant.refresh_from_db()
    assert variant.status == Status.PUBLISHED
    [published] = [p for p in fake.own if not p["is_reply"]]
    assert variant.external_id == published["id"]
    assert variant.url == published["permalink"]
    assert fake.published_texts() == ["Atelier bougies samedi à Lyon"]
    assert ROOT_POST not in {p["id"] for p in fake.own}
