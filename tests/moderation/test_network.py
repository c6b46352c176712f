"""Hide, restore and « by hand » on the networks: queued, carried out once, logged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from parvis.connectors import base
from parvis.inbox import intake
from parvis.inbox.models import Message, Moderation
from parvis.listening.sources import do_create_source
from parvis.moderation import network, services
from parvis.moderation.models import Action, ActionState
from tests.inbox.helpers import BRAND, FakeReplyNetwork, brand_account, post, store

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fake():
    for bucket in (FakeReplyNetwork.hidden, FakeReplyNetwork.calls, FakeReplyNetwork.fail_with):
        bucket.clear()
    yield FakeReplyNetwork
    FakeReplyNetwork.fail_with.clear()


@pytest.fixture
def message(workspace):
    source = do_create_source(workspace, kind="inbox_test", name="notifs", config={"own": True})
    store(
        workspace, [post("Gagnez un iPhone sur bit.ly/x", handle="spam.bsky.social")], source=source
    )
    intake.take_pending(workspace)
    return Message.objects.get()


def test_hide_then_restore_on_the_network(message, owner, fake):
    action = services.do_hide(message, owner, "spam")
    assert network.run_action(action.pk) == ActionState.DONE
    assert network.run_action(action.pk) == "skipped"  # a second task does nothing
    assert fake.hidden == {message.external_id} and len(fake.calls) == 1
    message.refresh_from_db()
    assert (message.moderation, message.moderation_reason) == (
        Moderation.HIDDEN,
        "Spam or advertising",
    )
    restore = services.do_restore(message, owner, "Un vrai client")
    assert network.run_action(restore.pk) == ActionState.DONE
    message.refresh_from_db()
    assert message.moderation == "" and fake.hidden == set()
    kinds = list(Action.objects.order_by("id").values_list("kind", "member__username", "state"))
    assert kinds == [("hide", owner.username, "done"), ("restore", owner.username, "done")]


def test_retry_later_and_an_expired_claim_are_tried_again(message, owner, fake):
    action = services.do_hide(message, owner, "spam")
    fake.fail_with.append(base.RetryLater("429", retry_after=30))
    now = timezone.now()
    assert network.run_action(action.pk, now=now) == ActionState.QUEUED
    assert action.pk not in network.due_actions(now)
    assert action.pk in network.due_actions(now + dt.timedelta(seconds=61))
    # A worker dies mid-call: the claim expires, the action is done again (hiding is a state).
    network.claim(action.pk, now + dt.timedelta(seconds=61))
    later = now + dt.timedelta(seconds=61) + network.CLAIM + dt.timedelta(seconds=1)
    assert action.pk in network.due_actions(later)
    assert network.run_action(action.pk, now=later) == ActionState.DONE
    assert fake.hidden == {message.external_id}


def test_a_network_that_cannot_act_leaves_it_to_do_by_hand(workspace, owner):
    brand_account(workspace)
    store(workspace, [post(f"@{BRAND} achetez mes followers", handle="spam.bsky.social")])
    intake.take_pending(workspace)
    message = Message.objects.get()
    action = services.do_hide(message, owner, "spam")
    assert network.run_action(action.pk) == ActionState.MANUAL
    message.refresh_from_db()
    action.refresh_from_db()
    assert message.moderation == Moderation.MANUAL
    assert "network" in action.network_answer.lower() or "réseau" in action.network_answer.lower()
    # Restoring an item hidden only in Parvis needs no network.
    services.do_restore(message, owner, "Erreur")
    message.refresh_from_db()
    assert message.moderation == ""


def test_a_permanent_error_is_logged_as_failed(message, owner, fake):
    action = services.do_hide(message, owner, "spam")
    fake.fail_with.append(base.PermanentError("token revoked: connect the account again"))
    assert network.run_action(action.pk) == ActionState.FAILED
    action.refresh_from_db()
    assert "connect the account again" in action.network_answer
    message.refresh_from_db()
    assert message.moderation == ""
