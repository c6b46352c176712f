"""Connected accounts: add, change credentials, remove. Secrets never reach the audit log."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from parvis.connectors import crypto
from parvis.connectors.models import ConnectedAccount
from parvis.connectors.signals import account_removed
from parvis.core.audit import record_event
from parvis.core.models import AuditEvent
from parvis.workspaces.models import Workspace

# What storing credentials changes on the row (save(update_fields=CREDENTIAL_FIELDS)).
CREDENTIAL_FIELDS = [
    "credentials_encrypted",
    "credential_names",
    "credentials_updated_at",
    "token_expires_at",
]


def set_credentials(account: ConnectedAccount, credentials: dict[str, str]) -> None:
    kept = {k: v for k, v in credentials.items() if v}
    account.credentials_encrypted = crypto.encrypt(kept)
    account.credential_names = sorted(kept)
    account.credentials_updated_at = timezone.now()
    account.token_expires_at = sign_in_expires_at(account.network, kept)


def sign_in_expires_at(network: str, credentials: dict[str, str]) -> Any:
    """When the sign-in stored in `credentials` ends, as the network's connectors say."""
    from parvis.connectors import base

    for connector in base.load_all().values():
        if (connector.network or connector.kind) != network:
            continue
        try:
            moment = connector.sign_in_expires_at(credentials)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            return moment
    return None


def do_mark_sign_in_dead(account: ConnectedAccount, now: Any = None) -> bool:
    """The network refused to renew the account's sign-in for good (a dead refresh token):
    its sign-in ended now, unless an earlier end is already known (so repeated refusals give
    one warning). True when the row changed."""
    from django.db.models import Q

    moment = now or timezone.now()
    changed = ConnectedAccount.objects.filter(
        Q(token_expires_at__isnull=True) | Q(token_expires_at__gt=moment), pk=account.pk
    ).update(token_expires_at=moment)
    if changed:
        account.token_expires_at = moment
    return bool(changed)


def claim_expiry_warning(account: ConnectedAccount) -> bool:
    """Whether this worker is the one to warn of the account's current expiry: a conditional
    UPDATE, so two workers (or two days) warn once per account and expiry."""
    from django.db.models import Q

    if account.token_expires_at is None:
        return False
    expiry = account.token_expires_at
    claimed = (
        ConnectedAccount.objects.filter(pk=account.pk, token_expires_at=expiry)
        .filter(Q(expiry_warned_for__isnull=True) | ~Q(expiry_warned_for=expiry))
        .update(expiry_warned_for=expiry)
    )
    return bool(claimed)


def do_fill_expiry(account: ConnectedAccount) -> None:
    """Accounts connected before expiries were recorded: read it from their credentials."""
    moment = sign_in_expires_at(account.network, account.credentials())
    if moment is not None:
        account.token_expires_at = moment
        account.save(update_fields=["token_expires_at"])


@transaction.atomic
def do_connect_account(
    workspace: Workspace,
    actor: Any,
    *,
    network: str,
    handle: str,
    display_name: str = "",
    credentials: dict[str, str],
) -> ConnectedAccount:
    account = ConnectedAccount(
        workspace=workspace,
        network=network,
        handle=handle.strip(),
        display_name=display_name.strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    set_credentials(account, credentials)
    account.full_clean(exclude=["created_by"])  # None when the CLI or a test connects it
    account.save()
    record_event(
        AuditEvent.Kind.ACCOUNT_CONNECTED,
        actor=actor,
        workspace=workspace,
        account_id=account.pk,
        network=network,
        handle=account.handle,
        fields=account.credential_names,
    )
    return account


@transaction.atomic
def do_update_credentials(
    account: ConnectedAccount, actor: Any, credentials: dict[str, str]
) -> ConnectedAccount:
    """Replace the fields given; an empty value keeps the stored one (forms never echo secrets)."""
    current = account.credentials()
    merged = {**current, **{k: v for k, v in credentials.items() if v}}
    set_credentials(account, merged)
    account.save(update_fields=CREDENTIAL_FIELDS)
    changed = sorted(k for k, v in credentials.items() if v and current.get(k) != v)
    _record_account_event(AuditEvent.Kind.CREDENTIALS_CHANGED, account, actor, changed)
    return account


def record_account_change(account: ConnectedAccount, actor: Any, fields: list[str]) -> None:
    """A change to an account other than its credentials (those are CREDENTIALS_CHANGED)."""
    _record_account_event(AuditEvent.Kind.ACCOUNT_CHANGED, account, actor, fields)


def _record_account_event(
    kind: str, account: ConnectedAccount, actor: Any, fields: list[str]
) -> None:
    # Field names only: the values may be secrets.
    record_event(
        kind,
        actor=actor,
        workspace=account.workspace,
        account_id=account.pk,
        network=account.network,
        handle=account.handle,
        fields=fields,
    )


@transaction.atomic
def do_remove_account(account: ConnectedAccount, actor: Any) -> None:
    account_removed.send(sender=ConnectedAccount, account=account)
    record_event(
        AuditEvent.Kind.ACCOUNT_REMOVED,
        actor=actor,
        workspace=account.workspace,
        account_id=account.pk,
        network=account.network,
        handle=account.handle,
    )
    account.delete()


def do_refresh_credentials(account: ConnectedAccount, changes: dict[str, str]) -> None:
    """A connector renewed its tokens (OAuth refresh, new session): merge and store encrypted.
    Not audited: it is the connector's routine, not a person's change."""
    merged = {**account.credentials(), **{k: v for k, v in changes.items() if v}}
    set_credentials(account, merged)
    account.save(update_fields=CREDENTIAL_FIELDS)
