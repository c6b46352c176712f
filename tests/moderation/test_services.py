"""Rules applied to the inbox's new messages: hidden, reviewed, escalated, kept; once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from parvis.inbox import intake
from parvis.inbox.models import Message, Moderation
from parvis.listening.sources import do_create_source
from parvis.moderation import services
from parvis.moderation.models import Action, ActionState, Evaluation, ReviewItem, Rule
from tests.inbox.helpers import post, store

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(workspace):
    """Comments under the brand's posts, through the inbox, and their message ids."""
    source = do_create_source(
        workspace, kind="inbox_test", name="notifications", config={"own": True}
    )

    def receive(*texts: str) -> list[Message]:
        items = [post(text, handle=f"user{i}.bsky.social") for i, text in enumerate(texts)]
        store(workspace, items, source=source)
        intake.take_pending(workspace)
        ids = [i["external_id"] for i in items]
        return list(Message.objects.filter(external_id__in=ids).order_by("id"))

    return receive


def test_defaults_hide_abuse_escalate_threats_and_keep_criticism(workspace, owner, received):
    services.do_install_defaults(workspace, owner, enabled=True)
    messages = received(
        "Colis bloqué : payez les frais de livraison sur http://colis-fr.top/p",
        "Je sais où vous habitez, vous allez le regretter",
        "Livraison en retard de deux semaines, service client injoignable, très déçue.",
        "Bande de connards, vous êtes des merdes",
    )
    counts = services.moderate_messages(workspace, [m.pk for m in messages])
    scam, threat, criticism, insult = messages
    assert Action.objects.get(message=scam, kind="hide").state == ActionState.QUEUED
    assert Action.objects.get(message=scam, kind="hide").reason == "scam"
    assert Action.objects.filter(message=threat, kind="escalate").exists()
    assert not Action.objects.filter(message=threat, kind="hide").exists()
    threat.conversation.refresh_from_db()
    assert threat.conversation.escalated_role == "manager"
    assert not Action.objects.filter(message=criticism).exists()
    assert Action.objects.filter(message=insult, kind__in=["hide", "review"]).exists()
    assert counts["hide"] >= 1 and counts["keep"] == 1
    # Once: a second run (the catch-up, another worker) does nothing more.
    before = Action.objects.count()
    services.moderate_messages(workspace, [m.pk for m in messages])
    assert Action.objects.count() == before
    assert Evaluation.objects.count() == 4


def test_rules_off_by_default_for_a_new_workspace(workspace, owner, received):
    services.do_install_defaults(workspace, owner, enabled=False)
    assert Rule.objects.filter(workspace=workspace, enabled=True).count() == 0
    messages = received("Bande de connards")
    assert services.moderate_messages(workspace, [m.pk for m in messages]) == {}


def test_review_queue_decisions(workspace, owner, received):
    services.do_save_rule(
        workspace,
        owner,
        name="Insultes",
        reason="insult",
        enabled=True,
        conditions=[
            {"kind": "words", "words": ["nul"]},
            {"kind": "score", "name": "spam", "min": 0.99, "review_min": 0.0},
        ],
        actions=[{"kind": "hide"}],
    )
    (message,) = received("Franchement c'est nul")
    services.moderate_messages(workspace, [message.pk])
    review = ReviewItem.objects.get(message=message)
    message.refresh_from_db()
    assert message.moderation == Moderation.REVIEW
    assert review.why == ["nul"]
    services.do_review(review, owner, "keep", teach=True)
    message.refresh_from_db()
    review.refresh_from_db()
    assert review.state == "kept" and review.teach and message.moderation == ""
    assert Action.objects.filter(message=message, kind="approve", member=owner).exists()


def test_rules_are_checked_and_previewed(workspace, owner, received):
    with pytest.raises(ValidationError):
        services.do_save_rule(
            workspace,
            owner,
            name="x",
            reason="spam",
            conditions=[{"kind": "score", "name": "spam"}],
            actions=[{"kind": "hide"}],
        )
    with pytest.raises(ValidationError):
        services.do_save_rule(
            workspace,
            owner,
            name="x",
            reason="spam",
            conditions=[{"kind": "contains", "what": "link"}],
            actions=[{"kind": "assign", "username": "nobody"}],
        )
    received("promo sur bit.ly/abc", "bonjour", "voir www.promo.fr")
    found, looked_at = services.preview(workspace, [{"kind": "contains", "what": "link"}])
    assert looked_at == 3 and len(found) == 2


def test_restore_needs_a_reason_and_manual_items_come_back_at_once(workspace, owner, received):
    (message,) = received("à supprimer")
    with pytest.raises(ValidationError):
        services.do_restore(message, owner, "")
    from parvis.inbox.services import do_mark_moderated

    do_mark_moderated(message, Moderation.MANUAL, "Spam")
    services.do_restore(message, owner, "C'était un client")
    message.refresh_from_db()
    assert message.moderation == ""
    assert Action.objects.get(message=message, kind="restore").note == "C'était un client"


def test_rule_order_moves(workspace, owner):
    rules = services.do_install_defaults(workspace, owner, enabled=False)
    last = rules[-1]
    services.do_move_rule(last, -1)
    order = list(Rule.objects.filter(workspace=workspace).values_list("name", flat=True))
    assert order.index(last.name) == len(order) - 2


def test_rule_writes_take_the_workspace_lock(workspace, monkeypatch):
    """Saving and moving rules take the workspace's write lock first (PostgreSQL: two
    workers would otherwise both read the same last position, or both pass the name check
    and one hit the unique constraint as a 500)."""
    locked: list[int] = []
    monkeypatch.setattr(services, "lock_workspace", locked.append)
    words = [{"kind": "words", "words": ["arnaque"]}]
    first = services.do_save_rule(
        workspace, None, name="A", conditions=words, actions=[{"kind": "hide"}], reason="scam"
    )
    second = services.do_save_rule(
        workspace, None, name="B", conditions=words, actions=[{"kind": "hide"}], reason="scam"
    )
    assert (first.position, second.position) == (1, 2)
    services.do_move_rule(second, -1)
    assert locked == [workspace.pk] * 3
    with pytest.raises(ValidationError):
        services.do_save_rule(
            workspace, None, name="A", conditions=words, actions=[{"kind": "hide"}], reason="scam"
        )
    assert list(Rule.objects.order_by("position").values_list("name", flat=True)) == ["B", "A"]


def test_a_crash_while_applying_leaves_the_message_to_moderate_again(
    workspace, owner, received, monkeypatch
):
    services.do_install_defaults(workspace, owner, enabled=True)
    (insult,) = received("Bande de connards, vous êtes des merdes")
    real_apply = services.apply

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "apply", crash)
    with pytest.raises(RuntimeError):
        services.moderate_messages(workspace, [insult.pk])
    assert not Evaluation.objects.filter(message=insult).exists()
    monkeypatch.setattr(services, "apply", real_apply)
    services.moderate_messages(workspace, [insult.pk])
    assert Evaluation.objects.filter(message=insult).count() == 1
    assert Action.objects.filter(message=insult, kind__in=["hide", "review"]).exists()


def test_moving_a_rule_deleted_meanwhile_does_nothing(workspace):
    words = [{"kind": "words", "words": ["arnaque"]}]
    rule = services.do_save_rule(
        workspace, None, name="A", conditions=words, actions=[{"kind": "hide"}], reason="scam"
    )
    Rule.objects.filter(pk=rule.pk).delete()  # the instance the view fetched is now stale
    services.do_move_rule(rule, -1)  # was StopIteration, a 500
    assert not Rule.objects.exists()
