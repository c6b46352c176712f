"""Breached clocks: the assignee is told first, the managers when it stays breached."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parvis.inbox.models import Conversation, EventKind
from parvis.inbox.services import event, managers, notify

# How long a breach stays with the assignee before the managers hear of it.
MANAGER_AFTER = dt.timedelta(hours=1)


def notify_breaches(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    breached = (
        Conversation.objects.filter(due_at__lt=now)
        .exclude(clock="")
        .select_related("assignee", "workspace")
    )
    for conversation in breached.filter(breach_notified_at__isnull=True)[:500]:
        with transaction.atomic():
            # Claimed by the update: two workers never notify the same breach twice.
            if not Conversation.objects.filter(
                pk=conversation.pk, breach_notified_at__isnull=True
            ).update(breach_notified_at=now):
                continue
            event(conversation, EventKind.BREACHED, None, clock=conversation.clock)
            people = (
                [conversation.assignee]
                if conversation.assignee
                else managers(conversation.workspace)
            )
            for user in people:
                notify(
                    conversation,
                    user,
                    "breached",
                    _("Response time exceeded: %(subject)s")
                    % {"subject": conversation.subject[:80]},
                    email=True,
                )
            count += 1
    later = breached.filter(
        breach_notified_at__lte=now - MANAGER_AFTER,
        managers_notified_at__isnull=True,
        assignee__isnull=False,
    )
    for conversation in later[:500]:
        with transaction.atomic():
            if not Conversation.objects.filter(
                pk=conversation.pk, managers_notified_at__isnull=True
            ).update(managers_notified_at=now):
                continue
            for user in managers(conversation.workspace):
                if user != conversation.assignee:
                    notify(
                        conversation,
                        user,
                        "breached",
                        _("Still unanswered past its deadline: %(subject)s")
                        % {"subject": conversation.subject[:80]},
                        email=True,
                    )
            count += 1
    return count
