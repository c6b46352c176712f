"""Messages the rules have not seen (a signal lost in a crash): found and moderated."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef

from parvis.inbox.models import Message
from parvis.moderation import services
from parvis.moderation.models import Evaluation, Rule
from parvis.workspaces.models import Workspace

# Messages that arrived longer ago than this are left alone: switching rules on does not
# sweep the past (the preview shows what a rule would have caught).
WINDOW = dt.timedelta(hours=1)


def moderate_missed(now: dt.datetime) -> int:
    count = 0
    workspaces = Workspace.objects.filter(
        pk__in=Rule.objects.filter(enabled=True).values("workspace_id")
    )
    for workspace in workspaces:
        missed = (
            Message.objects.filter(
                workspace=workspace,
                direction="in",
                mention__ingested_at__gte=now - WINDOW,
            )
            .exclude(Exists(Evaluation.objects.filter(message=OuterRef("pk"))))
            .values_list("id", flat=True)[:1000]
        )
        ids = list(missed)
        if ids:
            count += sum(services.moderate_messages(workspace, ids).values())
    return count
