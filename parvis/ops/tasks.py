"""Tasks of the ops app: the heartbeat, the daily backup, and the queue's signals that time
every task (registered here: only processes that consume tasks import this module)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task
from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_EXECUTING

from parvis.ops import heartbeat, scheduled


@db_periodic_task(crontab(minute="*"))
def worker_heartbeat() -> None:
    heartbeat.beat()


# Every hour: the backup itself runs once a day (scheduled.due decides), so a worker that was
# down at the usual time makes up for it within the hour it comes back.
@db_periodic_task(crontab(minute="41"))
def daily_backup() -> None:
    scheduled.run_if_due()


@HUEY.signal(SIGNAL_EXECUTING)
def _task_executing(signal: str, task) -> None:  # type: ignore[no-untyped-def]
    heartbeat.task_started(task.id)


@HUEY.signal(SIGNAL_COMPLETE, SIGNAL_ERROR)
def _task_done(signal: str, task, *args) -> None:  # type: ignore[no-untyped-def]
    heartbeat.task_finished(task.id, task.name, failed=signal == SIGNAL_ERROR)
