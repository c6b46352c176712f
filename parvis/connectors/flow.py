"""Connecting an account through a connector: sign in with fields (app password, API key) or
the OAuth 2 authorization-code round trip, then store the account, or refresh the stored
one's credentials when the same network handle is connected again.

While the browser is at the network, what the flow needs on its return (the state, which
workspace and connector, the connector's pending secrets such as a client secret or a PKCE
verifier) waits in the session, encrypted with the credentials key: a session store is not
where secrets may lie in clear. It is good once, for 15 minutes.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.utils.translation import gettext as _

from parvis.connectors import crypto, services, ui
from parvis.connectors.base import AccountInfo, Connector, ConnectorError, RetryLater
from parvis.connectors.models import ConnectedAccount
from parvis.workspaces.models import Workspace

SESSION_KEY = "parvis_oauth_pending"
STATE_TTL_SECONDS = 15 * 60


class FlowError(Exception):
    """The network round trip cannot go on; the message is for the person (no secret in it)."""


@dataclass(frozen=True)
class Pending:
    state: str
    slug: str
    kind: str
    redirect_uri: str
    pending: dict[str, str]
    started_at: float
    then: str = ""  # the page to return to once connected (in the same workspace)


def new_state() -> str:
    return secrets.token_urlsafe(32)


def remember(session: SessionBase, pending: Pending) -> None:
    """Keep the flow for the callback, encrypted; a new flow replaces an unfinished one."""
    data = {
        "state": pending.state,
        "slug": pending.slug,
        "kind": pending.kind,
        "redirect_uri": pending.redirect_uri,
        "pending": json.dumps(pending.pending),
        "started_at": repr(pending.started_at),
        "then": pending.then,
    }
    session[SESSION_KEY] = crypto.encrypt(data).decode("ascii")


def take(session: SessionBase, state: str, *, now: float | None = None) -> Pending:
    """The flow this callback ends, removed from the session whatever happens next (single
    use). The state is compared in constant time; an old flow is refused."""
    blob = session.pop(SESSION_KEY, None)
    if not blob or not state:
        raise FlowError(_("No connection to a network is under way in this browser."))
    try:
        data = crypto.decrypt(blob.encode("ascii"))
        pending = Pending(
            state=data["state"],
            slug=data["slug"],
            kind=data["kind"],
            redirect_uri=data["redirect_uri"],
            pending=json.loads(data["pending"]),
            started_at=float(data["started_at"]),
            then=data.get("then", ""),
        )
    except (crypto.CredentialsUnreadable, KeyError, ValueError, TypeError) as exc:
        raise FlowError(_("The connection under way cannot be read back.")) from exc
    if not hmac.compare_digest(pending.state.encode(), state.encode()):
        raise FlowError(
            _("This answer from the network does not belong to the connection under way.")
        )
    now = time.time() if now is None else now
    if not 0 <= now - pending.started_at <= STATE_TTL_SECONDS:
        raise FlowError(_("The connection took more than 15 minutes."))
    return pending


def start_oauth(
    connector: type[Connector],
    http: httpx.Client,
    fields: dict[str, str],
    *,
    session: SessionBase,
    slug: str,
    redirect_uri: str,
    then: str = "",
) -> str:
    """Ask the connector for the authorization URL, remember the flow, return the URL."""
    state = new_state()
    url, pending = connector.oauth_start(http, fields, redirect_uri, state)
    if urlsplit(url).scheme not in {"https", "http"}:
        # Only a web address may be handed to the browser (never javascript: or data:).
        raise FlowError(_("The network gave an authorization address that is not a web address."))
    remember(
        session,
        Pending(state, slug, connector.kind, redirect_uri, dict(pending), time.time(), then),
    )
    return url


@transaction.atomic
def save_account(
    workspace: Workspace, actor: Any, connector: type[Connector], info: AccountInfo
) -> tuple[ConnectedAccount, bool]:
    """Store the account, or, when this network handle is already connected in the
    workspace, replace its credentials (a reconnection). True when it is new."""
    network = ui.account_network(connector)
    handle = info.handle.strip()
    existing = (
        ConnectedAccount.objects.select_for_update()
        .filter(workspace=workspace, network=network, handle=handle)
        .first()
    )
    if existing is not None:
        services.do_update_credentials(existing, actor, info.credentials)
        queue_limits(existing)
        if info.display_name and info.display_name != existing.display_name:
            existing.display_name = info.display_name.strip()[:200]
            existing.save(update_fields=["display_name"])
            services.record_account_change(existing, actor, ["display_name"])
        return existing, False
    account = services.do_connect_account(
        workspace,
        actor,
        network=network,
        handle=handle,
        display_name=info.display_name[:200],
        credentials=info.credentials,
    )
    queue_limits(account)
    return account, True


def queue_limits(account: ConnectedAccount) -> None:
    """Read the server's limits (connectors/limits.py) once the account is stored, in the
    worker: the person is not kept waiting on the instance."""
    from parvis.connectors.limits import limits_connector

    if limits_connector(account) is None:
        return

    def queue() -> None:
        from parvis.connectors.tasks import refresh_account_limits

        try:
            refresh_account_limits(account.pk)
        except Exception:  # the queue down must not undo a connection; the daily task reads
            import logging

            logging.getLogger(__name__).exception("account %s: limits not queued", account.pk)

    transaction.on_commit(queue)


def error_text(exc: Exception, typed: list[str]) -> str:
    """What to tell the person about a failed sign-in, without anything they typed secret."""
    if isinstance(exc, RetryLater):
        # A network down or unreachable, a rate limit: the connector's words say which, in
        # English; the sentence around them says what to do, in the person's language.
        return _(
            "The network could not be reached just now (%(detail)s): check the address, "
            "or try again in a few minutes."
        ) % {"detail": ui.scrub(str(exc), typed)}
    if isinstance(exc, (ConnectorError, FlowError, ValueError)):
        return ui.scrub(str(exc), typed)
    if isinstance(exc, httpx.HTTPError):
        return _("The network could not be reached (%(error)s).") % {"error": type(exc).__name__}
    return _("This connector cannot connect accounts yet.")
