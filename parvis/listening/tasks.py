"""Listening tasks: thin wrappers around parvis.listening.sources."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parvis.listening import rematch, sources


@db_task()
def run_source_task(source_id: int) -> dict[str, int]:
    return sources.run_source(source_id).as_dict()


@db_periodic_task(crontab(minute="*"))
def schedule_sources() -> int:
    due = sources.claim_due_sources()
    for source_id in due:
        run_source_task(source_id)
    return len(due)


@db_task()
def rematch_query_task(query_id: int) -> int:
    return rematch.rematch_query(query_id)
