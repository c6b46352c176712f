"""Tasks of the core app: thin wrappers around plain functions."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, task

from parvis.core import health, maintenance


@task()
def ping(payload: str) -> dict:
    return health.worker_echo(payload)


@db_periodic_task(crontab(minute="17"))
def refresh_planner_statistics() -> None:
    maintenance.refresh_planner_statistics()
