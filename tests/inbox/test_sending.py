"""Replies: checked against the editorial line, sent exactly once, failures shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.connectors import base
from parvis.inbox import intake, sending
from parvis.inbox.models import Conversation, Direction, Event, Notification, Reply, ReplyState
from parvis.listening.sources import do_create_source
from parvis.workspaces.models import Strategy

from .helpers import FakeReplyNetwork, post, store

pytestmark = pytest.mark.django_db


class Crash(BaseException):
    """The worker dies: not an Exception, nothing in send_reply may catch it."""


@pytest.fixture(autouse=True)
def network():
    FakeReplyNetwork.posts.clear()
    FakeReplyNetwork.fail_with.clear()
    yield FakeReplyNetwork
    FakeReplyNetwork.posts.clear()
    FakeReplyNetwork.fail_with.clear()


@pytest.fixture
def conversation(workspace):
    source = do_create_source(
        workspace, kind="inbox_test", name="notifications", config={"own": True}
    )
    store(
        workspace, [post("Ma bougie a coulé, que faire ?", handle="bob.bsky.social")], source=source
    )
    intake.take_pending(workspace)
    return Conversation.objects.get()


def queue(conversation, user, text="Bonjour, nous vous envoyons une nouvelle bougie.", **kw):
    queued = sending.do_queue_reply(conversation, user, text, **kw)
    assert queued.reply is not None, queued.warnings
    return queued.reply


def test_a_reply_is_sent_once_and_shows_in_the_thread(conversation, owner, network):
    reply = queue(conversation, owner)
    assert sending.send_reply(reply.pk) == ReplyState.SENT
    assert sending.send_reply(reply.pk) == "skipped"  # a second task for it sends nothing
    assert len(network.posts) == 1
    reply.refresh_from_db()
    out = conversation.messages.get(direction=Direction.OUT)
    assert reply.message == out and out.member == owner and out.text == reply.text
    conversation.refresh_from_db()
    assert conversation.first_response_at == out.sent_at
    assert conversation.first_responder == owner
    assert conversation.status == "waiting" and conversation.clock == ""


def test_a_crash_between_the_network_and_the_record_does_not_send_twice(
    conversation, owner, network
):
    reply = queue(conversation, owner)

    def die(sent):
        raise Crash

    with pytest.raises(Crash):
        sending.send_reply(reply.pk, after_send=die)
    assert len(network.posts) == 1
    reply.refresh_from_db()
    assert reply.state == ReplyState.SENDING  # in doubt
    # Another worker before the claim expires leaves it alone …
    assert sending.send_reply(reply.pk) == "skipped"
    # … after, the reconciliation reads it back from the network instead of posting again.
    later = timezone.now() + sending.CLAIM + dt.timedelta(seconds=1)
    assert reply.pk in sending.due_replies(later)
    assert sending.send_reply(reply.pk, now=later) == ReplyState.SENT
    assert len(network.posts) == 1
    reply.refresh_from_db()
    assert reply.external_id == network.posts[0]["id"]
    assert conversation.messages.filter(direction=Direction.OUT).count() == 1


def test_retry_later_then_sent(conversation, owner, network):
    reply = queue(conversation, owner)
    network.fail_with.append(base.RetryLater("rate limited", retry_after=120))
    now = timezone.now()
    assert sending.send_reply(reply.pk, now=now) == ReplyState.QUEUED
    reply.refresh_from_db()
    assert reply.next_attempt_at >= now + dt.timedelta(seconds=120)
    assert reply.pk not in sending.due_replies(now)
    assert reply.pk in sending.due_replies(now + dt.timedelta(seconds=121))
    assert sending.send_reply(reply.pk) == ReplyState.SENT
    assert len(network.posts) == 1


def test_a_permanent_error_fails_with_the_reason_and_can_be_retried(conversation, owner, network):
    reply = queue(conversation, owner)
    network.fail_with.append(base.PermanentError("token revoked: connect the account again"))
    assert sending.send_reply(reply.pk) == ReplyState.FAILED
    reply.refresh_from_db()
    assert "connect the account again" in reply.last_error
    assert Event.objects.filter(conversation=conversation, kind="reply_failed").exists()
    assert Notification.objects.filter(user=owner, kind="reply_failed").exists()
    sending.do_retry(reply)
    assert sending.send_reply(reply.pk) == ReplyState.SENT


def test_editorial_line_warnings_and_force(conversation, owner, workspace):
    Strategy.objects.update_or_create(
        workspace=workspace, defaults={"address_form": "vous", "words_to_avoid": ["pas de chance"]}
    )
    queued = sending.do_queue_reply(conversation, owner, "Pas de chance, tu peux nous écrire ?")
    assert queued.reply is None
    assert {w["code"] for w in queued.warnings} == {"address_form", "avoid"}
    forced = sending.do_queue_reply(
        conversation, owner, "Pas de chance, tu peux nous écrire ?", force=True
    )
    assert forced.reply is not None and forced.reply.warnings
    # Over the network's limit is never sent, even forced.
    too_long = sending.do_queue_reply(conversation, owner, "a" * 301, force=True)
    assert too_long.reply is None and too_long.warnings[0]["code"] == "length"


def test_a_second_member_is_warned_of_a_collision(conversation, owner, member_factory):
    other = member_factory(username="camille")
    seen = conversation.version
    reply = queue(conversation, other, seen_version=seen)
    sending.send_reply(reply.pk)
    conversation.refresh_from_db()
    clash = sending.do_queue_reply(conversation, owner, "Bonjour !", seen_version=seen)
    assert clash.reply is None
    assert clash.warnings[0]["code"] == "collision"
    assert "camille" in clash.warnings[0]["message"]


def test_no_account_and_no_replying_source_fails_clearly(workspace, owner):
    from .helpers import BRAND, brand_account

    brand_account(workspace)
    store(workspace, [post(f"@{BRAND} bonjour ?", handle="bob.bsky.social")])
    intake.take_pending(workspace)
    reply = queue(Conversation.objects.get(), owner, "Bonjour !")
    assert sending.send_reply(reply.pk) == ReplyState.FAILED
    reply.refresh_from_db()
    assert "connect" in reply.last_error.lower()
    assert Reply.objects.filter(state=ReplyState.FAILED).count() == 1
