"""Alerts tasks: thin wrappers around the stream, the deliveries and the digests."""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parvis.alerts import delivery, raising, stream
from parvis.alerts.models import Delivery
from parvis.workspaces.models import Workspace


@db_task()
def stream_task(workspace_id: int) -> int:
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return len(stream.take_pending(workspace).alerts) if workspace else 0


@db_task()
def deliver_task(delivery_id: int) -> str:
    """Send it; after a failure that may pass, come back at its backoff's time (the minute
    task would find it too, a little later)."""
    state = delivery.deliver(delivery_id)
    if state == "pending":
        when = Delivery.objects.filter(pk=delivery_id).values_list("next_attempt_at", flat=True)
        eta = when.first()
        if eta is not None:
            deliver_task.schedule((delivery_id,), eta=eta)
    return state


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
