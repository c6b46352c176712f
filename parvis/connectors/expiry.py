"""How near a connected account's sign-in is to its end (`token_expires_at`), for the accounts
page and for the daily warning (listening/expiry.py, which may reach the bell)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from parvis.connectors.models import ConnectedAccount

# Warned this long before the end.
WARN_BEFORE = dt.timedelta(days=7)


def expiry_state(account: ConnectedAccount, now: dt.datetime | None = None) -> str:
    """ "" (no known end, or a far one), "soon" (within WARN_BEFORE) or "ended"."""
    expiry = account.token_expires_at
    if expiry is None:
        return ""
    now = now or timezone.now()
    if expiry <= now:
        return "ended"
    return "soon" if expiry <= now + WARN_BEFORE else ""
