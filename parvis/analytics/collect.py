"""Collecting the connected accounts' counts (followers, following, posts) into
`AccountSnapshot`, one row per account and UTC day.

- `collect_account` asks the account's connector (`Connector.account_metrics`) and upserts the
  day's row: read twice in a day, the row holds the later reading; two workers reading the
  same account at once leave one row (an INSERT … ON CONFLICT UPDATE on the unique
  (account, day), the database decides, no read-then-write).
- `collect` goes account by account; one account failing (rate limit, revoked token, a
  network down, a bug) is logged and noted in the outcome, and the others go on.
- The Huey task runs every hour and reads only the accounts that have no row for today yet:
  once a day per account when all goes well, and an account that answered RetryLater (or
  failed otherwise) is simply tried again the next hour. The "collect now" action reads the
  workspace's accounts whatever their day's row says (`force`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import httpx

from parvis.analytics.models import AccountSnapshot
from parvis.connectors import base
from parvis.connectors.models import ConnectedAccount
from parvis.listening import stats
from parvis.workspaces.models import Workspace

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What a run did: accounts read, those that failed (id → why), those whose network
    cannot give counts."""

    read: int = 0
    failed: dict[int, str] = field(default_factory=dict)
    unsupported: list[int] = field(default_factory=list)


def can_read(cls: type[base.Connector]) -> bool:
    return cls.account_metrics is not base.Connector.account_metrics


def metrics_class(account: ConnectedAccount) -> type[base.Connector] | None:
    """The connector that reads the account's counts: the kind of a source reading through
    the account (the demo's replay), else the network's connector that signs in as an
    account (app password or OAuth kinds before read-only key kinds)."""
    for kind in stats.account_source_kinds(account.pk):
        try:
            cls = base.get(kind)
        except base.PermanentError:
            continue
        if can_read(cls):
            return cls
    candidates = [
        cls for cls in base.load_all().values() if cls.network == account.network and can_read(cls)
    ]
    candidates.sort(key=lambda cls: (cls.auth == base.Auth.API_KEY, cls.kind))
    return candidates[0] if candidates else None


def store(account: ConnectedAccount, found: base.AccountMetrics, now: dt.datetime) -> None:
    """Upsert the account's row for `now`'s UTC day with these counts (figures past
    base.MAX_METRIC, negative or not integers are kept as unknown)."""
    row = AccountSnapshot(
        workspace_id=account.workspace_id,
        account=account,
        day=now.astimezone(dt.UTC).date(),
        at=now,
        followers=base.metric(found.followers),
        following=base.metric(found.following),
        posts=base.metric(found.posts),
    )
    AccountSnapshot.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["account", "day"],
        update_fields=["at", "followers", "following", "posts"],
    )


def collect_account(
    account: ConnectedAccount,
    now: dt.datetime,
    connector: base.Connector | None = None,
) -> bool:
    """Read and store the account's counts; False when its network cannot give them. Raises
    the connector's errors."""
    if connector is None:
        cls = metrics_class(account)
        if cls is None:
            return False
        client = cls.http_client()
        try:
            found = cls.for_account(account, http=client).account_metrics(
                base.MetricsContext(workspace_id=account.workspace_id)
            )
        finally:
            client.close()
    else:
        found = connector.account_metrics(base.MetricsContext(workspace_id=account.workspace_id))
    store(account, found, now)
    return True


def collect(
    now: dt.datetime, workspace: Workspace | None = None, *, force: bool = False
) -> Outcome:
    """Read every account (of a workspace) without a row for today, or all when `force`;
    one account's failure is logged and the others go on."""
    outcome = Outcome()
    accounts = ConnectedAccount.objects.order_by("pk")
    if workspace is not None:
        accounts = accounts.filter(workspace=workspace)
    if not force:
        done = AccountSnapshot.objects.filter(day=now.astimezone(dt.UTC).date()).values(
            "account_id"
        )
        accounts = accounts.exclude(pk__in=done)
    for account in accounts:
        try:
            if collect_account(account, now):
                outcome.read += 1
            else:
                outcome.unsupported.append(account.pk)
        except base.RetryLater as exc:
            logger.info("counts of %s: later (%s)", account, exc)
            outcome.failed[account.pk] = str(exc)
        except base.PermanentError as exc:
            logger.warning("counts of %s refused: %s", account, exc)
            outcome.failed[account.pk] = str(exc)
        except (httpx.HTTPError, ValueError) as exc:
            logger.warning("counts of %s failed: %s", account, exc)
            outcome.failed[account.pk] = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # one broken connector must not stop the other accounts
            logger.exception("counts of %s failed", account)
            outcome.failed[account.pk] = f"{type(exc).__name__}: {exc}"
    return outcome
