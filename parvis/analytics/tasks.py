"""Analytics tasks: thin wrappers around collect.py."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_periodic_task(crontab(minute="23"))
def collect_accounts_task() -> dict[str, int]:
    """The accounts without today's counts (collect.py: once a day each, failures retried
    the next hour)."""
    from parvis.analytics import collect

    outcome = collect.collect(timezone.now())
    return {"read": outcome.read, "failed": len(outcome.failed)}


@db_task()
def collect_workspace_task(workspace_id: int) -> dict[str, int]:
    """« Collect now »: every account of the workspace, whatever today's row says."""
    from parvis.analytics import collect
    from parvis.workspaces.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return {"read": 0, "failed": 0}
    outcome = collect.collect(timezone.now(), workspace, force=True)
    return {"read": outcome.read, "failed": len(outcome.failed)}


@db_task()
def write_report_task(report_id: int) -> str:
    """Write a report asked for in the app, the API or the CLI (reports.run_report)."""
    from parvis.analytics import reports

    done = reports.run_report(report_id)
    return done.state if done is not None else "taken"


@db_periodic_task(crontab(minute="7"))
def scheduled_reports_task() -> int:
    """Every hour: the reports lost with a dead worker, queued again; the scheduled reports
    due (the previous month's, once, from the day of the month each workspace chose)."""
    from parvis.analytics import reports

    reports.requeue_lost()
    return reports.run_schedules()


@db_periodic_task(crontab(hour="5", minute="41"))
def read_profiles_task() -> dict[str, int]:
    """Once a day: every connected account's profile (presence.py, the presence audit)."""
    from parvis.analytics import presence

    outcome = presence.read_profiles(timezone.now())
    return {"read": outcome.read, "failed": len(outcome.failed)}


@db_task()
def read_workspace_profiles_task(workspace_id: int) -> dict[str, int]:
    """« Read the profiles now » on the presence page."""
    from parvis.analytics import presence
    from parvis.workspaces.models import Workspace

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return {"read": 0, "failed": 0}
    outcome = presence.read_profiles(timezone.now(), workspace)
    return {"read": outcome.read, "failed": len(outcome.failed)}
