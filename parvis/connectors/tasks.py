"""Connector tasks: thin wrappers (the limits of the accounts' servers)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from parvis.connectors import limits
from parvis.connectors.models import ConnectedAccount


@db_task()
def refresh_account_limits(account_id: int) -> bool:
    """Queued when an account is connected (or connected again)."""
    account = ConnectedAccount.objects.filter(pk=account_id).first()
    return account is not None and limits.do_refresh_limits(account, force=True)


@db_task()
def refresh_account_quota(account_id: int) -> bool:
    """Queued by the composer when its copy of the account's quota is old."""
    account = ConnectedAccount.objects.filter(pk=account_id).first()
    return account is not None and limits.do_refresh_quota(account)


@db_periodic_task(crontab(hour="4", minute="17"))
def refresh_limits_daily() -> int:
    return limits.refresh_due()
