"""Inbox tasks: thin wrappers around intake, sending and the SLA watch."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parvis.inbox import intake, sending, watch
from parvis.workspaces.models import Workspace


@db_task()
def intake_task(workspace_id: int) -> int:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return intake.take_pending(workspace).taken if workspace else 0


@db_task()
def send_reply_task(reply_id: int) -> str:
    return sending.send_reply(reply_id)


@db_periodic_task(crontab(minute="*"))
def inbox_minutely() -> dict[str, int]:
    """Catch up: intake a signal missed, replies due or in doubt, SLA breaches to notify."""
    taken = sum(intake.take_pending(w).taken for w in Workspace.objects.all())
    due = sending.due_replies(timezone.now())
    for reply_id in due:
        send_reply_task(reply_id)
    breaches = watch.notify_breaches(timezone.now())
    return {"taken": taken, "replies": len(due), "breaches": breaches}
