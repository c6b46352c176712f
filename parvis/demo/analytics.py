"""The demo account's past weeks of counts, so that the audience and its KPIs show something
from the first visit: one snapshot a day for the last DAYS days, read from the demo network
(`demo_account_metrics`, deterministic) at noon UTC, upserted (seeding again rewrites the
same figures, never a second row for a day)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from parvis.connectors.models import ConnectedAccount

DAYS = 42


def ensure_demo_snapshots(account: ConnectedAccount, now: dt.datetime | None = None) -> int:
    """Returns the days written."""
    from parvis.analytics.collect import store
    from parvis.demo.connector import demo_account_metrics

    now = now or timezone.now()
    today = now.astimezone(dt.UTC).date()
    for back in range(DAYS, -1, -1):
        day = today - dt.timedelta(days=back)
        at = min(dt.datetime.combine(day, dt.time(12), dt.UTC), now)
        store(account, demo_account_metrics(account.handle, at), at)
    return DAYS + 1
