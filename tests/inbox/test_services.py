"""The inbox's actions: assignment, states, tags, notes, escalation, SLA clocks and breaches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from parvis.inbox import clock, intake, services, watch
from parvis.inbox.models import Conversation, Notification, Status
from parvis.workspaces.roles import Role

from .helpers import BRAND, brand_account, post, store

pytestmark = pytest.mark.django_db
PARIS = dt.timezone(dt.timedelta(hours=1))


def conversation_at(workspace, at: dt.datetime, handle: str = "bob.bsky.social"):
    brand_account(workspace)
    store(workspace, [post(f"@{BRAND} une question", handle=handle, at=at)])
    intake.take_pending(workspace)
    return Conversation.objects.get(author__handle=handle)


def test_first_response_clock_counts_business_hours(workspace):
    # Friday 17:00 in Paris, 4 h target, Mon-Fri 9-18: due Monday 12:00.
    friday = dt.datetime(2026, 12, 4, 17, 0, tzinfo=PARIS)
    conversation = conversation_at(workspace, friday)
    assert conversation.clock == "first"
    assert conversation.due_at == dt.datetime(2026, 12, 7, 12, 0, tzinfo=PARIS)
    # At risk once three quarters have elapsed: Monday 11:00.
    assert conversation.at_risk_at == dt.datetime(2026, 12, 7, 11, 0, tzinfo=PARIS)
    monday = dt.datetime(2026, 12, 7, 10, 0, tzinfo=PARIS)
    assert clock.state(conversation, monday) == "ok"
    assert clock.state(conversation, monday + dt.timedelta(hours=1, minutes=30)) == "at_risk"
    assert clock.state(conversation, monday + dt.timedelta(hours=3)) == "breached"


def test_holidays_and_settings_changes_move_running_clocks(workspace, owner):
    friday = dt.datetime(2026, 12, 4, 17, 0, tzinfo=PARIS)
    conversation = conversation_at(workspace, friday)
    services.do_update_settings(workspace, owner, holidays=["2026-12-07"])
    conversation.refresh_from_db()
    assert conversation.due_at == dt.datetime(2026, 12, 8, 12, 0, tzinfo=PARIS)
    with pytest.raises(ValidationError):
        services.do_update_settings(workspace, owner, time_zone="Mars/Olympus")


def test_assign_notify_and_only_members(workspace, owner, member_factory, outsider):
    camille = member_factory(username="camille")
    conversation = conversation_at(workspace, dt.datetime(2026, 12, 7, 10, tzinfo=PARIS))
    services.do_assign(conversation, owner, assignee=camille)
    conversation.refresh_from_db()
    assert conversation.assignee == camille and conversation.status == Status.OPEN
    assert Notification.objects.filter(user=camille, kind="assigned").count() == 1
    with pytest.raises(ValidationError):
        services.do_assign(conversation, owner, assignee=outsider)


def test_notes_mention_members_and_escalation_notifies_by_mail(workspace, owner, member_factory):
    camille = member_factory(username="camille")
    boss = member_factory(Role.OWNER, username="directrice")
    conversation = conversation_at(workspace, dt.datetime(2026, 12, 7, 10, tzinfo=PARIS))
    note = services.do_add_note(conversation, owner, "@camille peux-tu vérifier la commande ?")
    assert list(note.mentioned.all()) == [camille]
    with pytest.raises(ValidationError):
        services.do_escalate(conversation, owner, reason=" ")
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.do_escalate(
            conversation, owner, reason="Menace de procès", to_role="direction", note="urgent"
        )
    conversation.refresh_from_db()
    assert conversation.escalated_role == "direction" and conversation.priority >= 2
    people = set(
        Notification.objects.filter(kind="escalated").values_list("user__username", flat=True)
    )
    assert people == {boss.username}  # the owner escalated it: no need to tell them
    assert any("Menace de procès" in m.subject for m in mail.outbox)


def test_bulk_actions_stay_in_the_workspace(workspace, other_workspace, owner):
    mine = conversation_at(workspace, dt.datetime(2026, 12, 7, 10, tzinfo=PARIS), "a.bsky.social")
    theirs = conversation_at(
        other_workspace, dt.datetime(2026, 12, 7, 10, tzinfo=PARIS), "b.bsky.social"
    )
    count = services.do_bulk(
        workspace, owner, Conversation.objects.filter(pk__in=[mine.pk, theirs.pk]), "resolve"
    )
    assert count == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.status == Status.RESOLVED and theirs.status == Status.NEW
    services.do_bulk(workspace, owner, Conversation.objects.filter(pk=mine.pk), "tag", tag="SAV")
    assert list(mine.tags.values_list("name", flat=True)) == ["SAV"]


def test_breaches_notify_the_assignee_then_the_managers(workspace, owner, member_factory):
    camille = member_factory(username="camille")
    conversation = conversation_at(workspace, dt.datetime(2026, 12, 7, 9, tzinfo=PARIS))
    services.do_assign(conversation, owner, assignee=camille)
    conversation.refresh_from_db()
    after = conversation.due_at + dt.timedelta(minutes=1)
    assert watch.notify_breaches(after) == 1
    assert watch.notify_breaches(after) == 0  # once
    assert Notification.objects.filter(user=camille, kind="breached").count() == 1
    assert not Notification.objects.filter(user=owner, kind="breached").exists()
    assert watch.notify_breaches(after + watch.MANAGER_AFTER) == 1
    assert Notification.objects.filter(user=owner, kind="breached").count() == 1


def test_saved_reply_variables(workspace, owner):
    conversation = conversation_at(workspace, dt.datetime(2026, 12, 7, 10, tzinfo=PARIS))
    saved = services.do_save_reply(
        workspace,
        owner,
        title="Merci",
        text="Bonjour {prénom}, merci ! {agent} pour {marque} sur {réseau} {inconnu}",
    )
    text = services.fill_saved_reply(saved, conversation, owner)
    assert text.startswith("Bonjour Alice, merci !")
    assert "Maison Lumière sur Bluesky" in text and "{inconnu}" in text


def test_a_late_next_answer_reads_answered_late_and_counts(workspace, owner):
    from parvis.inbox import figures
    from tests.inbox.helpers import BRAND, post, store

    conversation = conversation_at(workspace, dt.datetime(2026, 12, 7, 9, tzinfo=PARIS))
    first = conversation.messages.get()
    # Answered on time (natively), then the customer writes again and waits too long.
    answer = post(
        "Bonjour !",
        handle=BRAND,
        parent=first.external_id,
        at=dt.datetime(2026, 12, 7, 10, tzinfo=PARIS),
    )
    store(workspace, [answer])
    intake.take_pending(workspace)
    again = post(
        "Et donc ?",
        handle="bob.bsky.social",
        parent=answer["external_id"],
        at=dt.datetime(2026, 12, 7, 10, 30, tzinfo=PARIS),
    )
    store(workspace, [again])
    intake.take_pending(workspace)
    conversation.refresh_from_db()
    assert conversation.clock == "next"
    late = post(
        "Pardon pour l'attente",
        handle=BRAND,
        parent=again["external_id"],
        at=conversation.due_at + dt.timedelta(minutes=5),
    )
    store(workspace, [late])
    intake.take_pending(workspace)
    conversation.refresh_from_db()
    after = conversation.due_at or late_time(late)
    assert conversation.late_answers == 1 and conversation.last_answer_late
    assert clock.state(conversation, after) == "breached"  # answered late, not « on time »
    found = figures.figures(
        workspace, dt.datetime(2026, 12, 1, tzinfo=dt.UTC), dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
    )
    assert found["total"][""].as_dict()["targets_missed"] == 1


def late_time(item):
    return dt.datetime.fromisoformat(item["created_at"])
