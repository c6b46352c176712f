"""What the inbox takes from stored mentions, and how it groups them."""

from __future__ import annotations

import pytest

from parvis.inbox import intake
from parvis.inbox.models import Conversation, Direction, IntakeCursor, Kind, Message, Status
from parvis.listening.sources import do_create_source

from .helpers import BRAND, brand_account, post, store

pytestmark = pytest.mark.django_db


def test_mentions_of_the_brand_handle_and_replies_to_its_posts_come_in(workspace):
    brand_account(workspace)
    ours = post("Nouvelle collection d'hiver !", handle=BRAND, name="Maison Lumière")
    store(workspace, [ours])
    items = [
        post(f"@{BRAND} ma commande n'est pas arrivée", handle="bob.bsky.social"),
        post("Elle est superbe", handle="carla.bsky.social", parent=ours["external_id"]),
        post("Rien à voir avec la marque, juste une bougie", handle="dan.bsky.social"),
        post(f"email@{BRAND} n'est pas une mention", handle="eve.bsky.social"),
    ]
    store(workspace, items)
    summary = intake.take_pending(workspace)
    assert summary.taken == 2
    handles = set(Conversation.objects.values_list("author__handle", flat=True))
    assert handles == {"bob.bsky.social", "carla.bsky.social"}
    assert all(c.status == Status.NEW and c.unread for c in Conversation.objects.all())
    # Looked at once: a second run takes nothing more.
    assert intake.take_pending(workspace).taken == 0
    assert IntakeCursor.objects.get(workspace=workspace).last_mention_id > 0


def test_follow_ups_join_their_conversation_and_brand_answers_stop_the_clock(workspace):
    brand_account(workspace)
    question = post(f"@{BRAND} vous livrez en Belgique ?", handle="bob.bsky.social")
    store(workspace, [question])
    intake.take_pending(workspace)
    conversation = Conversation.objects.get()
    assert conversation.clock == "first" and conversation.due_at is not None
    # The brand answers natively on the network; the customer answers back.
    answer = post("Oui, en 3 jours !", handle=BRAND, parent=question["external_id"])
    store(workspace, [answer])
    intake.take_pending(workspace)
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None
    assert conversation.status == Status.WAITING and conversation.clock == ""
    follow_up = post(
        "Merci ! Et en Suisse ?", handle="bob.bsky.social", parent=answer["external_id"]
    )
    store(workspace, [follow_up])
    intake.take_pending(workspace)
    conversation.refresh_from_db()
    assert Conversation.objects.count() == 1
    assert conversation.status == Status.OPEN and conversation.clock == "next"
    directions = list(conversation.messages.values_list("direction", flat=True))
    assert directions == [Direction.IN, Direction.OUT, Direction.IN]
    assert conversation.message_count == 3


def test_own_activity_sources_and_private_messages(workspace):
    source = do_create_source(
        workspace, kind="inbox_test", name="notifications", config={"own": True}
    )
    items = [
        post("Un commentaire sous votre vidéo", handle="fan.bsky.social"),
        post("Message privé 1", handle="zoe.bsky.social", private=True),
        post("Message privé 2", handle="zoe.bsky.social", private=True),
    ]
    store(workspace, items, source=source)
    intake.take_pending(workspace)
    private = Conversation.objects.get(kind=Kind.PRIVATE)
    assert private.thread_key == "dm:zoe.bsky.social"
    assert private.messages.count() == 2
    assert Conversation.objects.count() == 2


def test_routing_rule_takes_questions_naming_the_brand(workspace):
    from parvis.listening.services import do_save_query

    do_save_query(
        workspace, None, {"name": "Marque", "kind": "brand", "expression": '"maison lumiere"'}
    )
    store(
        workspace,
        [
            post("Maison Lumière livre-t-elle le dimanche ?", handle="q.bsky.social"),
            post("J'ai acheté une bougie Maison Lumière.", handle="s.bsky.social"),
        ],
    )
    intake.take_pending(workspace)
    assert list(Conversation.objects.values_list("author__handle", flat=True)) == ["q.bsky.social"]


def test_a_resolved_conversation_reopens_on_a_new_message(workspace, owner):
    from parvis.inbox.services import do_set_status

    brand_account(workspace)
    first = post(f"@{BRAND} bonjour", handle="bob.bsky.social")
    store(workspace, [first])
    intake.take_pending(workspace)
    conversation = do_set_status(Conversation.objects.get(), owner, Status.RESOLVED)
    assert conversation.clock == "" and conversation.resolved_at is not None
    store(workspace, [post("encore moi", handle="bob.bsky.social", parent=first["external_id"])])
    intake.take_pending(workspace)
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN and conversation.resolved_at is None


def test_intake_is_isolated_per_workspace(workspace, other_workspace):
    brand_account(workspace)
    brand_account(other_workspace)
    store(workspace, [post(f"@{BRAND} ici", handle="a.bsky.social")])
    store(other_workspace, [post(f"@{BRAND} là", handle="b.bsky.social")])
    intake.take_pending(workspace)
    assert Conversation.objects.filter(workspace=other_workspace).count() == 0
    intake.take_pending(other_workspace)
    assert Message.objects.filter(workspace=other_workspace).count() == 1


def test_intake_reads_a_chunk_in_a_few_queries(workspace, django_assert_max_num_queries):
    brand_account(workspace)
    store(
        workspace,
        [post(f"Une bougie de plus, la {n}e", handle=f"u{n}.bsky.social") for n in range(300)],
    )
    # Queries per chunk, not per mention: the cursor, the mentions, the workspace's own accounts
    # and sources, the messages and own posts they point at, the routing rules.
    with django_assert_max_num_queries(25):  # 21 today, savepoints and first-time rows included
        summary = intake.take_pending(workspace)
    assert summary.seen == 300 and summary.taken == 0


def test_a_listening_mention_sent_to_the_inbox_by_hand(workspace, owner):
    (mention,) = store(
        workspace, [post("Quelqu'un connaît Maison Lumière ?", handle="q.bsky.social")]
    )
    intake.take_pending(workspace)
    assert not Conversation.objects.exists()  # not addressed to the brand, no rule took it
    conversation = intake.do_take_mention(workspace, mention, owner)
    assert conversation.messages.get().mention == mention
    assert conversation.clock == "first"
    assert intake.do_take_mention(workspace, mention, owner) == conversation  # once
    assert Message.objects.count() == 1


def test_new_inbound_messages_are_announced_after_commit(
    workspace, django_capture_on_commit_callbacks
):
    from parvis.inbox.signals import messages_received

    brand_account(workspace)
    store(workspace, [post(f"@{BRAND} une question", handle="bob.bsky.social")])
    heard = []

    def listener(sender, workspace, message_ids, **kwargs):
        heard.append(list(message_ids))

    messages_received.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            intake.take_pending(workspace)
    finally:
        messages_received.disconnect(listener)
    assert heard == [list(Message.objects.values_list("id", flat=True))]
