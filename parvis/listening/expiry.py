"""Warning a workspace before a connected account's sign-in dies.

Some networks' sign-ins end unless the person connects the account again: a Threads token
unused for 60 days, a LinkedIn refresh token after a year, the Facebook user token behind a
Page's (and an Instagram account's) token after 60 days, an X refresh the network refused. The
connectors record that end on the account (`ConnectedAccount.token_expires_at`, from
`Connector.sign_in_expires_at` whenever credentials are stored, or `do_mark_sign_in_dead`).

Once a day, every account whose sign-in ends within WARN_BEFORE (or has ended) puts a notice in
the bell of the members who may manage accounts (they can reconnect it), through
`listening.extensions.notify` (the alerts app stores it): once per account and expiry, claimed
with a conditional UPDATE (`claim_expiry_warning`) in the notice's transaction, so two workers
or two days never warn twice, and a reconnection with a new expiry warns again when that one
comes. This lives in listening, the lowest layer that may reach the bell's registry; the
connectors below it only record the dates.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from parvis.connectors import services
from parvis.connectors.expiry import WARN_BEFORE
from parvis.connectors.models import ConnectedAccount
from parvis.core.networks import network_label
from parvis.listening.extensions import Notice, notify
from parvis.workspaces.models import Membership
from parvis.workspaces.roles import PERMISSIONS, Perm

logger = logging.getLogger(__name__)

KIND = "sign_in_expiry"
ENDS = gettext_noop("The sign-in of %(account)s on %(network)s ends on %(date)s")
ENDED = gettext_noop("The sign-in of %(account)s on %(network)s has ended")
WHAT_TO_DO = gettext_noop(
    "Connect the account again (Connected accounts → Reconnect): until then Parvis cannot read, "
    "reply or publish there."
)
# Networks whose connectors record an end from the credentials (accounts connected before the
# date was recorded get it from their credentials).
DATED_NETWORKS = ("threads", "linkedin", "facebook", "instagram")


def managers(workspace_id: int) -> tuple[int, ...]:
    roles = PERMISSIONS[Perm.MANAGE_ACCOUNTS]
    return tuple(
        Membership.objects.filter(workspace_id=workspace_id, role__in=roles)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def fill_missing(limit: int = 1000) -> int:
    """Record the end of accounts stored before it was recorded."""
    filled = 0
    rows = ConnectedAccount.objects.filter(
        token_expires_at__isnull=True, network__in=DATED_NETWORKS
    ).order_by("pk")[:limit]
    for account in rows:
        try:
            services.do_fill_expiry(account)
        except Exception:  # unreadable credentials (a changed key): that account only
            logger.exception("account %s: its sign-in's end could not be read", account.pk)
            continue
        filled += account.token_expires_at is not None
    return filled


def notice_for(account: ConnectedAccount, now: dt.datetime) -> Notice:
    expiry = account.token_expires_at
    assert expiry is not None
    workspace = account.workspace
    return Notice(
        workspace_id=account.workspace_id,
        user_ids=managers(account.workspace_id),
        key=f"connectors:expiry:{account.pk}:{expiry.isoformat()}",
        kind=KIND,
        title=ENDED if expiry <= now else ENDS,
        text=WHAT_TO_DO,
        url=reverse("connectors:accounts", args=[workspace.slug]),
        params={
            "account": account.display_name or account.handle,
            "network": network_label(account.network),
            "date": expiry.date().isoformat(),
        },
    )


def warn_expiring(now: dt.datetime | None = None) -> int:
    """Warn of every sign-in ending within WARN_BEFORE not warned of yet; the number of
    accounts warned of."""
    now = now or timezone.now()
    fill_missing()
    due = (
        ConnectedAccount.objects.filter(token_expires_at__lte=now + WARN_BEFORE)
        .filter(Q(expiry_warned_for__isnull=True) | ~Q(expiry_warned_for=F("token_expires_at")))
        .select_related("workspace")
        .order_by("pk")
    )
    warned = 0
    for account in due:
        try:
            with transaction.atomic():
                if not services.claim_expiry_warning(account):
                    continue  # another worker warned of it
                notify(notice_for(account, now))
        except Exception:
            logger.exception("account %s: the expiry warning was not stored", account.pk)
            continue
        warned += 1
    return warned
