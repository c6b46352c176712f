"""Listening tasks: thin wrappers around parvis.listening.runner and rematch."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parvis.listening import adapting, expiry, rematch, runner


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


@db_periodic_task(crontab(minute="17", hour="7"))
def warn_expiring_sign_ins() -> int:
    """Daily: the bell warns of connected accounts whose sign-in ends within a week."""
    return expiry.warn_expiring()


@db_periodic_task(crontab(minute="53"))
def refresh_engagement_task() -> dict[str, int]:
    """The young mentions' counts (engagement.py), read again each hour."""
    from django.utils import timezone

    from parvis.listening import engagement

    outcome = engagement.refresh_engagement(timezone.now())
    return {"read": outcome.read, "changed": outcome.changed, "failed": len(outcome.failed)}


@db_task()
def refit_adaptation_task(workspace_id: int) -> dict[str, int]:
    return adapting.refit(workspace_id)
