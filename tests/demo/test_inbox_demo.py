"""The demo inbox: the backlog taken in and worked through the inbox's actions, with
conversations in every state and SLA clocks computed at a fixed « now »; saved replies;
replying through the demo connector, exactly once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from unittest import mock

import pytest

from parvis.connectors.base import ReplyContext, ReplyTarget
from parvis.demo.connector import DemoReplayConnector
from parvis.demo.inbox import SECOND_MEMBER, dress
from parvis.demo.models import DemoInbox, DemoSentPost
from parvis.demo.seed import DEMO_SLUG, demo_user, ensure_demo
from parvis.inbox import clock, sending
from parvis.inbox.models import (
    Conversation,
    Direction,
    Escalation,
    InboxSettings,
    Kind,
    Message,
    Note,
    ReplyState,
    SavedReply,
    Status,
)
from parvis.inbox.services import fill_saved_reply
from parvis.inbox.sla import SlaState
from parvis.listening import runner
from parvis.listening.models import Source
from parvis.workspaces.models import Workspace

pytestmark = pytest.mark.django_db

# A Wednesday afternoon and a Monday morning (whose last office hours were on Friday).
WEDNESDAY = dt.datetime(2026, 3, 11, 15, 0, tzinfo=dt.UTC)
MONDAY = dt.datetime(2026, 3, 16, 8, 40, tzinfo=dt.UTC)


def run_demo(now: dt.datetime, on_commit) -> Workspace:
    """The demo as `parvis demo` makes it: the seed, then the replay source's first run
    (the whole backlog), whose last page dresses the inbox — all at `now`. `on_commit` is
    pytest-django's django_capture_on_commit_callbacks: the pipeline's `mentions_stored`
    goes out after its transactions commit."""
    ensure_demo()
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    source = Source.objects.get(workspace=workspace, kind="demo")
    with (
        mock.patch.object(DemoReplayConnector, "now", lambda self: now),
        mock.patch("django.utils.timezone.now", lambda: now),
        on_commit(execute=True),
    ):
        runner.run_source(source.pk)
    return workspace


def snapshot(workspace: Workspace) -> dict[str, object]:
    conversations = Conversation.objects.filter(workspace=workspace)
    return {
        "conversations": sorted(conversations.values_list("id", "status", "assignee", "version")),
        "messages": Message.objects.filter(workspace=workspace).count(),
        "notes": Note.objects.filter(workspace=workspace).count(),
        "saved": SavedReply.objects.filter(workspace=workspace).count(),
        "sent": DemoSentPost.objects.count(),
        "settings": InboxSettings.objects.filter(workspace=workspace).values().get(),
    }


@pytest.mark.parametrize("now", [WEDNESDAY, MONDAY], ids=["wednesday", "monday-morning"])
def test_the_demo_inbox_is_lived_in(now, django_capture_on_commit_callbacks):
    workspace = run_demo(now, django_capture_on_commit_callbacks)
    assert DemoInbox.objects.filter(workspace=workspace).exists()
    conversations = list(Conversation.objects.filter(workspace=workspace).prefetch_related("tags"))
    statuses = Counter(c.status for c in conversations)
    assert statuses[Status.NEW] >= 2
    assert statuses[Status.OPEN] >= 2
    assert statuses[Status.WAITING] >= 3
    assert statuses[Status.RESOLVED] >= 10
    new = [c for c in conversations if c.status == Status.NEW]
    assert all(c.assignee is None for c in new)
    assignees = Counter(c.assignee.username for c in conversations if c.assignee)
    assert assignees["demo"] >= 1 and assignees[SECOND_MEMBER] >= 1
    networks = Counter(c.network for c in conversations)
    assert {"bluesky", "mastodon", "youtube", "reddit"} <= set(networks)
    assert any(c.kind == Kind.PRIVATE for c in conversations)

    # Clocks running at `now`: exactly one past its target, some at risk, fresh ones.
    running = Counter(clock.state(c, now) for c in conversations if c.clock)
    assert running[SlaState.BREACHED] == 1, running
    assert running[SlaState.AT_RISK] >= 1, running
    assert running[SlaState.OK] >= 1, running
    # A native first answer late by the office clock stays in the history (rare).
    late_answers = [c for c in conversations if not c.clock and c.breached_first]
    assert len(late_answers) <= 3

    escalation = Escalation.objects.get(workspace=workspace)
    assert escalation.to_role == "direction" and escalation.reason
    tags = Counter(t.name for c in conversations for t in c.tags.all())
    assert tags["livraison"] and tags["SAV"] and tags["compliment"]
    notes = Note.objects.filter(workspace=workspace)
    assert notes.filter(mentioned__isnull=False).exists()
    # Answers sent from Parvis show in their thread with the member and the time.
    sent = Message.objects.filter(
        workspace=workspace, direction=Direction.OUT, member__isnull=False
    )
    assert sent.exists()
    assert all(m.sent_at and m.external_id.startswith("demo-reply-") for m in sent)


def test_settings_and_saved_replies_in_french():
    ensure_demo()
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    settings = InboxSettings.objects.get(workspace=workspace)
    assert settings.time_zone == "Europe/Paris"
    assert settings.first_response_minutes == 240
    assert settings.business_hours == {str(d): [["09:00", "18:00"]] for d in range(5)}
    year = dt.date.today().year
    assert f"{year}-07-14" in settings.holidays and f"{year + 1}-12-25" in settings.holidays
    assert "2026-04-06" in settings.holidays or year > 2026  # Easter Monday 2026
    saved = SavedReply.objects.filter(workspace=workspace)
    assert 6 <= saved.count() <= 10
    titles = set(saved.values_list("title", flat=True))
    assert {"Merci pour votre message", "Retard de livraison"} <= titles
    for reply in saved:
        assert "{prénom}" in reply.text and "{agent}" in reply.text
        assert " tu " not in reply.text and " ton " not in reply.text


def test_reply_round_trip_through_the_demo_connector(django_capture_on_commit_callbacks):
    workspace = run_demo(WEDNESDAY, django_capture_on_commit_callbacks)
    conversation = (
        Conversation.objects.filter(workspace=workspace, status=Status.NEW)
        .order_by("-first_inbound_at")
        .first()
    )
    lea = demo_user()
    saved = SavedReply.objects.get(workspace=workspace, title="Merci pour votre message")
    text = fill_saved_reply(saved, conversation, lea)
    queued = sending.do_queue_reply(conversation, lea, text, force=True)
    assert queued.reply is not None
    assert sending.send_reply(queued.reply.pk) == ReplyState.SENT
    reply = queued.reply
    reply.refresh_from_db()
    post = DemoSentPost.objects.get(idempotency_key=str(reply.idempotency_key))
    assert reply.external_id == post.external_id
    assert post.in_reply_to == reply.in_reply_to.external_id
    out = Message.objects.get(conversation=conversation, direction=Direction.OUT)
    assert out.member == lea and out.text == text and out.sent_at is not None
    conversation.refresh_from_db()
    assert conversation.status == Status.WAITING
    assert conversation.first_responder == lea
    # A second attempt (a worker that died after the send) sends nothing twice.
    assert sending.send_reply(reply.pk) == "skipped"
    assert DemoSentPost.objects.filter(idempotency_key=str(reply.idempotency_key)).count() == 1


def test_the_demo_connector_replies_once_per_key():
    ensure_demo()
    workspace = Workspace.objects.get(slug=DEMO_SLUG)
    source = Source.objects.get(workspace=workspace, kind="demo")
    connector = DemoReplayConnector(source, DemoReplayConnector.http_client())
    target = ReplyTarget("bluesky", "at://did:plc:x/app.bsky.feed.post/abc")
    context = ReplyContext(workspace.pk, idempotency_key="key-1")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    assert connector.find_reply(target, "Merci !", since, context) is None
    first = connector.reply(target, "Merci !", context)
    again = connector.reply(target, "Merci !", context)
    assert first == again and first.external_id.startswith("demo-reply-")
    assert DemoSentPost.objects.filter(idempotency_key="key-1").count() == 1
    assert connector.find_reply(target, "Merci !", since, context) == first
    other = connector.reply(target, "Merci !", ReplyContext(workspace.pk, idempotency_key="key-2"))
    assert other.external_id != first.external_id
    assert DemoReplayConnector.is_private({"private": True})
    assert not DemoReplayConnector.is_private({"text": "x"})


def test_a_second_seeding_changes_nothing(django_capture_on_commit_callbacks):
    workspace = run_demo(WEDNESDAY, django_capture_on_commit_callbacks)
    before = snapshot(workspace)
    ensure_demo()
    later = WEDNESDAY + dt.timedelta(minutes=3)
    with mock.patch("django.utils.timezone.now", lambda: later):
        assert dress(workspace, later) is False
    assert snapshot(workspace) == before
