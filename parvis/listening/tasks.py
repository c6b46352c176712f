"""Listening tasks: thin wrappers around parvis.listening.runner and rematch."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parvis.listening import adapting, rematch, runner


@db_task()
def run_source_task(source_id: int) -> dict[str, int]:
    return runner.run_source(source_id).as_dict()


@db_periodic_task(crontab(minute="*"))
def schedule_sources() -> int:
    due = runner.claim_due_sources()
    for source_id in due:
        run_source_task(source_id)
    return len(due)


@db_task()
def rematch_query_task(query_id: int) -> int:
    return rematch.rematch_query(query_id)


@db_task()
def refit_adaptation_task(workspace_id: int) -> dict[str, int]:
    return adapting.refit(workspace_id)
