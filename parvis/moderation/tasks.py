"""Moderation tasks: thin wrappers around services and network."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parvis.moderation import catchup, network, services
from parvis.workspaces.models import Workspace


@db_task()
def moderate_task(workspace_id: int, message_ids: list[int]) -> dict[str, int]:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return services.moderate_messages(workspace, message_ids) if workspace else {}


@db_task()
def moderation_action_task(action_id: int) -> str:
    return network.run_action(action_id)


@db_periodic_task(crontab(minute="*"))
def moderation_minutely() -> dict[str, int]:
    """Catch up: messages whose signal was lost, network actions due or whose claim expired."""
    moderated = catchup.moderate_missed(timezone.now())
    due = network.due_actions(timezone.now())
    for action_id in due:
        moderation_action_task(action_id)
    return {"moderated": moderated, "actions": len(due)}
