"""Alerts tasks: thin wrappers around the stream, the deliveries and the digests."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parvis.alerts import delivery, raising, stream
from parvis.workspaces.models import Workspace


@db_task()
def stream_task(workspace_id: int) -> int:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return len(stream.take_pending(workspace).alerts) if workspace else 0


@db_task(retries=2, retry_delay=5)
def deliver_task(delivery_id: int) -> str:
    return delivery.deliver(delivery_id)


@db_periodic_task(crontab(minute="*"))
def alerts_minutely() -> dict[str, int]:
    """Catch up a lost signal, close the minutes gone quiet, send what is due (retries, the
    end of quiet hours, claims of a worker that died)."""
    alerts = 0
    for workspace in Workspace.objects.all():
        alerts += len(stream.take_pending(workspace).alerts)
        alerts += len(stream.tick(workspace).alerts)
    due = delivery.due_deliveries(timezone.now())
    for delivery_id in due:
        deliver_task(delivery_id)
    return {"alerts": alerts, "deliveries": len(due)}


@db_periodic_task(crontab(minute="0"))
def alerts_hourly_digest() -> int:
    return len(raising.make_digests())
